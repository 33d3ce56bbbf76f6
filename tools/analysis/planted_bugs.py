"""Plant the bugs of a code review again, one at a time, and check that the default tests catch each one.

A review of the suite planted small, realistic bugs in a copy of the code and ran the tests; most went unnoticed.
This tool keeps those bugs as data (file, exact text, replacement, the tests that must catch it) so the check
can be rerun at any time: in a throw-away copy of the tree it first runs each bug's tests on the clean code
(they must pass), then plants the bug (exactly one textual change) and runs them again (they must fail).
The repository itself is never modified.

    python tools/analysis/planted_bugs.py                  # every bug; writes the table into docs/mutation.md
    python tools/analysis/planted_bugs.py --bugs voc_difficult_counted resume_restarts_at_zero
    python tools/analysis/planted_bugs.py --check          # only: each bug's text is still found exactly once
    python tools/analysis/planted_bugs.py --list

A bug whose text is no longer found (the code moved on) is an error that names the bug and the file: update its
``old`` / ``new`` below to the current code. Exit status 1 when a planted bug is not caught or a clean run fails.
The tests run with the default selection's marker expression (``-m "not slow"``), as ``make test`` runs them.
"""
import argparse
import datetime
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Dict, List, Sequence

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TREE = ('mobilebench', 'backbones', 'tests', 'configs', 'tools', 'pyproject.toml')
PYTEST_ARGS = ['-m', 'not slow', '-p', 'no:cacheprovider', '-q', '-rf', '--tb=short', '-x']
TABLE_START = '<!-- planted-bugs:start (written by tools/analysis/planted_bugs.py) -->'
TABLE_END = '<!-- planted-bugs:end -->'


@dataclass(frozen=True)
class Bug:
    """One planted bug.

    Args:
        key: short name (``--bugs``).
        what: the bug as the review described it.
        path: the file it is planted in, relative to the repository root.
        old: text that occurs exactly once in that file.
        new: what replaces it.
        tests: pytest arguments selecting the tests that must catch it (files, ``-k``).
    """
    key: str
    what: str
    path: str
    old: str
    new: str
    tests: Sequence[str]


BUGS: List[Bug] = [
    Bug('face_plain_distance', 'face verification uses plain instead of squared distance',
        'mobilebench/face/verification.py',
        '    return np.sum(diff * diff, axis=1)\n', '    return np.sqrt(np.sum(diff * diff, axis=1))\n',
        ['tests/test_known_answers.py', '-k', 'verification']),
    Bug('face_wrong_partner', 'the face metric pairs each image with the wrong partner',
        'mobilebench/face/metrics.py',
        'res = evaluate_pairs(emb[0::2], emb[1::2], issame,',
        'res = evaluate_pairs(emb[0::2], np.roll(emb[1::2], 1, axis=0), issame,',
        ['tests/test_known_answers.py', '-k', 'verification']),
    Bug('recordio_header_layout', "RecordIO header layout changed in reader and writer alike ('<IfQQ' -> '<IdQQ')",
        'mobilebench/face/recordio.py',
        "IR_FORMAT = '<IfQQ'", "IR_FORMAT = '<IdQQ'",
        ['tests/test_formats_external.py', '-k', 'recordio']),
    Bug('voc_difficult_counted', 'VOC <difficult> objects no longer ignored',
        'mobilebench/datasets/voc.py',
        'ignore_flag=1 if difficult or ignore else 0', 'ignore_flag=1 if ignore else 0',
        ['tests/test_known_answers.py', '-k', 'voc']),
    Bug('ctrl_c_recorded_failed', 'a Ctrl-C-killed benchmark run recorded as failed instead of interrupted',
        'mobilebench/benchmark/launch.py',
        'if rc == -signal.SIGINT:', 'if rc == -signal.SIGINT and False:',
        ['tests/test_sweep_behaviour.py', '-k', 'ctrl_c']),
    Bug('leaderboard_ignores_lower_is_better', 'the leaderboard ignores lower-is-better',
        'mobilebench/benchmark/table.py',
        "hib = tdef.get('higher_is_better', True)", 'hib = True',
        ['tests/test_sweep_behaviour.py', '-k', 'leaderboard_orders']),
    Bug('summary_worst_first', 'the leaderboard summary is sorted worst first',
        'mobilebench/benchmark/table.py',
        "out.sort(key=lambda r: (-r['tasks'], r['mean_rank'], r['backbone']))",
        "out.sort(key=lambda r: (-r['tasks'], r['mean_rank'], r['backbone']), reverse=True)",
        ['tests/test_sweep_behaviour.py', '-k', 'leaderboard_orders']),
    Bug('bin_unpickler_any_numpy', 'the .bin restricted unpickler lets any numpy.* name through',
        'mobilebench/safe_pickle.py',
        '        fn = _ALLOWED.get((module, name))\n',
        "        fn = _ALLOWED.get((module, name))\n        if fn is None and module.split('.')[0] == 'numpy':\n"
        "            import importlib\n            fn = getattr(importlib.import_module(module), name)\n",
        ['tests/test_formats_external.py', '-k', 'bin_unpickler_refuses_known_gadgets']),
    Bug('checkpoint_allows_getattr', 'the checkpoint allow-list gains builtins.getattr',
        'mobilebench/compat.py',
        '    torch.serialization.add_safe_globals(safe)\n',
        '    torch.serialization.add_safe_globals(safe + [getattr])\n',
        ['tests/test_formats_external.py', '-k', 'checkpoint_allow_list_refuses_known_gadgets']),
    Bug('resume_restarts_at_zero', 'tools/train.py --resume restores weights but restarts at iteration 0',
        'tools/train.py',
        '    elif args.resume is not None:\n        cfg.resume = True\n',
        '    elif args.resume is not None:\n        cfg.resume = False\n',
        ['tests/test_foundation.py', '-k', 'train_one_iteration_then_test_checkpoint']),
    Bug('with_cp_ignored', 'with_cp=True silently ignored',
        'backbones/base.py',
        'if self.with_cp and x.requires_grad:', 'if False and self.with_cp and x.requires_grad:',
        ['tests/test_behaviour.py', '-k', 'with_cp']),
    Bug('latency_threads_not_restored', "the latency timer leaves torch's thread count changed",
        'mobilebench/latency.py',
        '        torch.set_num_threads(previous_threads)\n', '        pass\n',
        ['tests/test_behaviour.py', '-k', 'latency_timer']),
    Bug('rewrite_match_any_item', 'a benchmark rewrite `match` rule uses any-item instead of all-items',
        'mobilebench/benchmark/spec.py',
        'if match and all(k in out and _norm(out[k]) == _norm(v) for k, v in match.items()):',
        'if match and any(k in out and _norm(out[k]) == _norm(v) for k, v in match.items()):',
        ['tests/test_sweep_behaviour.py', '-k', 'rewrite_rules']),
]


def check_anchors(bugs: Sequence[Bug], root: str = REPO) -> List[str]:
    """Problems that keep a bug from being planted: its text not found exactly once, or the planted file not
    valid Python. Empty when every bug can be planted."""
    problems = []
    for bug in bugs:
        path = osp.join(root, bug.path)
        if not osp.isfile(path):
            problems.append(f'{bug.key}: {bug.path} does not exist; update Bug({bug.key!r}) in {__file__}')
            continue
        text = open(path, encoding='utf-8').read()
        n = text.count(bug.old)
        if n != 1:
            problems.append(f'{bug.key}: the text to replace occurs {n} times in {bug.path} (must be exactly '
                            f'once): {bug.old.strip()!r}; update Bug({bug.key!r}) in {__file__} to the current code')
            continue
        try:
            compile(text.replace(bug.old, bug.new), path, 'exec')
        except SyntaxError as e:
            problems.append(f'{bug.key}: {bug.path} with the bug planted is not valid Python ({e})')
    return problems


def copy_tree(dest: str) -> None:
    """The parts of the repository the tests need, copied into ``dest``."""
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.pytest_cache', '*.egg-info')
    for top in TREE:
        src = osp.join(REPO, top)
        if osp.isdir(src):
            shutil.copytree(src, osp.join(dest, top), ignore=ignore, symlinks=True)
        else:
            shutil.copy2(src, osp.join(dest, top))


def run_tests(tree: str, tests: Sequence[str]) -> Dict:
    """Run pytest in ``tree``; returns the exit code, the failed test ids and the wall time."""
    env = dict(os.environ, PYTHONPATH=tree, PYTHONDONTWRITEBYTECODE='1')
    t0 = time.time()
    proc = subprocess.run([sys.executable, '-m', 'pytest', *PYTEST_ARGS, *tests], cwd=tree, env=env,
                          capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    failed = re.findall(r'^(?:FAILED|ERROR) (\S+)', out, flags=re.M)
    return dict(rc=proc.returncode, failed=failed, seconds=time.time() - t0, tail=out[-2000:])


def plant(tree: str, bug: Bug) -> str:
    """Plant ``bug`` in the copy; returns the file's original text (to restore it)."""
    path = osp.join(tree, bug.path)
    text = open(path, encoding='utf-8').read()
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text.replace(bug.old, bug.new, 1))
    return text


def check_bugs(bugs: Sequence[Bug], log=print) -> List[Dict]:
    """For each bug: its tests on the clean copy, then with the bug planted. Returns one result per bug."""
    results = []
    with tempfile.TemporaryDirectory(prefix='planted_bugs_') as tree:
        copy_tree(tree)
        clean_runs: Dict[tuple, Dict] = {}
        for i, bug in enumerate(bugs, 1):
            sel = tuple(bug.tests)
            if sel not in clean_runs:
                clean_runs[sel] = run_tests(tree, sel)
            clean = clean_runs[sel]
            original = plant(tree, bug)
            try:
                planted = run_tests(tree, sel)
            finally:
                with open(osp.join(tree, bug.path), 'w', encoding='utf-8') as f:
                    f.write(original)
            # pytest exit code 1: tests ran and some failed. 2-5 (interrupted, internal error, usage error, no
            # tests collected) do not count as catching the bug.
            caught = clean['rc'] == 0 and planted['rc'] == 1 and bool(planted['failed'])
            results.append(dict(bug=bug, clean=clean, planted=planted, caught=caught))
            verdict = 'caught' if caught else ('CLEAN RUN FAILED' if clean['rc'] != 0 else 'NOT CAUGHT')
            log(f'[{i}/{len(bugs)}] {bug.key}: {verdict} (clean rc {clean["rc"]}, planted rc {planted["rc"]}, '
                f'{planted["seconds"]:.0f} s) {" ".join(planted["failed"][:2])}')
            if not caught:
                log((clean if clean['rc'] != 0 else planted)['tail'])
    return results


def render_table(results: List[Dict], command: str) -> str:
    day = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    n = sum(r['caught'] for r in results)
    lines = [f'{n} of {len(results)} planted bugs caught by the default selection ({day}; command: `{command}`).',
             '', '| planted bug | file | tests run (`-m "not slow"`) | clean | planted: first failing test |',
             '|---|---|---|---|---|']
    for r in results:
        bug = r['bug']
        first = r['planted']['failed'][0] if r['planted']['failed'] else '**none: not caught**'
        clean = 'pass' if r['clean']['rc'] == 0 else f'**fails (rc {r["clean"]["rc"]})**'
        lines.append(f'| {bug.what} | `{bug.path}` | `{" ".join(bug.tests)}` | {clean} | `{first}` |')
    return '\n'.join(lines)


def write_doc(doc: str, table: str) -> None:
    text = open(doc, encoding='utf-8').read()
    if TABLE_START not in text or TABLE_END not in text:
        raise SystemExit(f'{doc}: the markers {TABLE_START} ... {TABLE_END} are missing; add them where the '
                         f'table should go')
    head, rest = text.split(TABLE_START, 1)
    tail = rest.split(TABLE_END, 1)[1]
    tmp = doc + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(f'{head}{TABLE_START}\n\n{table}\n\n{TABLE_END}{tail}')
    os.replace(tmp, doc)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--bugs', nargs='+', metavar='KEY', help='only these bugs (default: all)')
    p.add_argument('--check', action='store_true', help="only check that every bug's text is found once")
    p.add_argument('--list', action='store_true', help='list the bugs and their tests')
    p.add_argument('--doc', default=osp.join(REPO, 'docs', 'mutation.md'),
                   help='write the result table here (only when every bug was run)')
    args = p.parse_args(argv)
    by_key = {b.key: b for b in BUGS}
    unknown = [k for k in args.bugs or [] if k not in by_key]
    if unknown:
        p.error(f'unknown bug(s) {unknown}; known: {sorted(by_key)}')
    bugs = [by_key[k] for k in args.bugs] if args.bugs else BUGS
    if args.list:
        for b in bugs:
            print(f'{b.key:38s} {b.path:36s} {" ".join(b.tests)}\n    {b.what}')
        return 0
    problems = check_anchors(bugs)
    if problems:
        print('\n'.join(problems), file=sys.stderr)
        return 2
    if args.check:
        print(f'{len(bugs)} bugs can be planted')
        return 0
    results = check_bugs(bugs)
    if not args.bugs:
        write_doc(args.doc, render_table(results, 'python tools/analysis/planted_bugs.py'))
        print(f'table written to {args.doc}')
    return 0 if all(r['caught'] for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
