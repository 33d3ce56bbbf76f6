"""The review's planted bugs (tools/analysis/planted_bugs.py) stay plantable: each one's text is still in the
code exactly once, so `make planted-bugs` keeps checking what it says it checks."""
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOL = osp.join(ROOT, 'tools', 'analysis', 'planted_bugs.py')


def test_every_planted_bug_is_found_in_the_current_code():
    out = subprocess.run([sys.executable, TOOL, '--check'], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == '13 bugs can be planted'


def test_a_stale_bug_is_reported_with_its_file_and_the_fix(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location('planted_bugs', TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    (tmp_path / 'm.py').write_text('x = 1\nx = 1\n')
    twice = mod.Bug('twice', 'x', 'm.py', 'x = 1', 'x = 2', ['t.py'])
    missing = mod.Bug('gone', 'x', 'm.py', 'y = 1', 'y = 2', ['t.py'])
    broken = mod.Bug('broken', 'x', 'm.py', 'x = 1\nx = 1', 'x = (', ['t.py'])
    problems = mod.check_anchors([twice, missing, broken], root=str(tmp_path))
    assert len(problems) == 3
    assert problems[0].startswith("twice: the text to replace occurs 2 times in m.py (must be exactly once)")
    assert problems[1].startswith("gone: the text to replace occurs 0 times in m.py")
    assert "update Bug('gone')" in problems[1]
    assert problems[2].startswith('broken: m.py with the bug planted is not valid Python')
