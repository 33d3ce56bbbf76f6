"""Mutation score of the suite's core modules, module by module, with mutmut.

Each module gets its own copy of the tree under ``--work-dir`` (default ``work_dirs/mutation/<module>``), its own
mutmut configuration (only that file is mutated, only its few fast test files run) and its own mutmut state, so a
run can stop at any point and the next call resumes where it stopped: mutants that already have a result are not
run again. The kill rate of every measured module is written to ``docs/mutation.md``.

    python tools/analysis/mutation.py                       # every module, smallest first (what `make mutation` runs)
    python tools/analysis/mutation.py --modules reid_ranking significance
    python tools/analysis/mutation.py --retest-survivors    # after adding tests: rerun the surviving mutants
    python tools/analysis/mutation.py --report-only         # rewrite docs/mutation.md from the stored results
    python tools/analysis/mutation.py --list                # the modules and their test selections

The kill rate is killed / (total - equivalent): "killed" counts mutants a test failed on (mutmut's ``killed``,
including pytest errors) and timeouts are reported apart; mutants listed with a reason in the table "Equivalent
mutants" of docs/mutation.md leave the denominator. Run the tool with one worker (``--jobs``) at low priority
on a shared machine; the CPU time of every module (this process's children, user + system) is accumulated over
all calls and written to the report, so the cost of a full run is known.
"""
import argparse
import datetime
import fcntl
import fnmatch
import json
import os
import os.path as osp
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# what each module's copy of the tree holds (the tests import the suite, the backbones and read configs/ and tools/)
TREE = ('mobilebench', 'backbones', 'tests', 'configs', 'tools', 'pyproject.toml')
SKIP_DIRS = {'__pycache__', '.pytest_cache', 'mutants'}
TABLE_START = '<!-- mutation-table:start (written by tools/analysis/mutation.py) -->'
TABLE_END = '<!-- mutation-table:end -->'
EQUIVALENT_HEADING = '## Equivalent mutants'


@dataclass
class Module:
    """One mutated source file and the tests that run against its mutants.

    Args:
        name: short name (folder under the work dir, row of the report).
        path: the file to mutate, relative to the repository root.
        tests: pytest arguments selecting the tests (files, ``-k`` expression).
        functions: when given, only mutants of these functions / methods (fnmatch patterns on mutmut's function
            names, e.g. ``x__checkpoints_load_weights_only`` or ``xǁClaimsǁ*``) are run and counted.
    """
    name: str
    path: str
    tests: List[str]
    functions: Optional[List[str]] = None
    note: str = ''

    @property
    def dotted(self) -> str:
        return self.path[:-len('.py')].replace('/', '.')

    def patterns(self) -> List[str]:
        if not self.functions:
            return [f'{self.dotted}.*']
        return [f'{self.dotted}.{f}__mutmut_*' for f in self.functions]


# Smallest first, so that numbers arrive early; every selection excludes slow tests (see ``PYTEST_ARGS``).
MODULES = [
    Module('reid_metrics', 'mobilebench/reid/metrics.py', ['tests/test_reid.py', '-k', 'market1501_metric']),
    Module('face_metrics', 'mobilebench/face/metrics.py',
           ['tests/test_known_answers.py', 'tests/test_hardening.py', 'tests/test_mutation_kills.py', '-k',
            'verification or face_metric']),
    Module('reid_ranking', 'mobilebench/reid/ranking.py',
           ['tests/test_reid.py', 'tests/test_mutation_kills.py', '-k', 'ranking or market1501_metric']),
    Module('face_bin_format', 'mobilebench/face/bin_format.py',
           ['tests/test_face.py', 'tests/test_formats_external.py', 'tests/test_hardening.py',
            'tests/test_mutation_kills.py', '-k', 'bin']),
    Module('significance', 'mobilebench/significance.py',
           ['tests/test_significance.py', 'tests/test_mutation_kills.py', '-k', 'not face']),
    # in-process tests only: mutmut cannot follow the sweep tests of tests/test_sweep_hardening.py, which run
    # tools/benchmark.py and tools/leaderboard.py in subprocesses (its stats collection fails on them)
    Module('benchmark_records', 'mobilebench/benchmark/records.py',
           ['tests/test_mutation_kills.py', '-k', 'record or finite or hashes or leaderboard']),
    Module('safe_pickle', 'mobilebench/safe_pickle.py',
           ['tests/test_hardening.py', 'tests/test_formats_external.py', 'tests/test_mutation_kills.py', '-k',
            'test_1_ or pickle or gadget']),
    Module('datasets_coco', 'mobilebench/datasets/coco.py',
           ['tests/test_detection.py', 'tests/test_hardening.py', 'tests/test_mutation_kills.py', '-k',
            'coco_fixture or coco_detection or coco_json or coco_dataset']),
    # not the leaderboard tests of tests/test_benchmark.py and tests/test_sweep_hardening.py: they run
    # tools/leaderboard.py in a subprocess, outside mutmut's harness, and mutmut's stats collection fails on them
    Module('benchmark_table', 'mobilebench/benchmark/table.py',
           ['tests/test_paper_variants.py', 'tests/test_mutation_kills.py', '-k', 'leaderboard or plot or pareto']),
    Module('checkpoint', 'mobilebench/checkpoint.py',
           ['tests/test_hardening.py', 'tests/test_formats_external.py', 'tests/test_mutation_kills.py', '-k',
            'test_2_ or test_3_checkpoint or fine_tuning or checkpoint_allow or checkpoint']),
    Module('benchmark_claims', 'mobilebench/benchmark/claims.py',
           ['tests/test_sweep_hardening.py', 'tests/test_mutation_kills.py', '-k', 'claims']),
    # not the 3 s train -> verify run of tests/test_face.py: 820 mutants, and the protocol tests reach every function
    Module('face_verification', 'mobilebench/face/verification.py',
           ['tests/test_known_answers.py', 'tests/test_face.py', 'tests/test_significance.py',
            'tests/test_hardening.py', 'tests/test_mutation_kills.py', '-k',
            '(verification or protocol or kfold or face_metric or identity_resample or face) and not end_to_end']),
    # not the train -> test runs (17 s) nor the config builds of tests/test_detection.py: the dataset tests reach
    # every function of the file in a few seconds
    Module('datasets_voc', 'mobilebench/datasets/voc.py',
           ['tests/test_known_answers.py', 'tests/test_formats_external.py', 'tests/test_detection.py',
            'tests/test_hardening.py', 'tests/test_mutation_kills.py', '-k',
            '(voc or icevision or fridge or missing_dataset or malformed_xml or object_without or missing_image '
            'or empty_annotation) and not train_test and not config_builds']),
    Module('face_recordio', 'mobilebench/face/recordio.py',
           ['tests/test_face.py', 'tests/test_formats_external.py', 'tests/test_hardening.py',
            'tests/test_mutation_kills.py', '-k', 'recordio or irheader']),
    Module('compat_security', 'mobilebench/compat.py',
           ['tests/test_hardening.py', 'tests/test_formats_external.py', 'tests/test_mutation_kills.py', '-k',
            'test_1_ or test_2_ or test_8_ or gadget or compat'],
           functions=['x__checkpoints_load_weights_only', 'x__find_mmengine_load_target',
                      'x__restricted_mmengine_pickle_files', 'x__safe_mmengine_yaml_files',
                      'x__image_errors_name_the_file'],
           note='security shims only (weights-only loading, restricted pickle/yaml, image errors)'),
]
BY_NAME = {m.name: m for m in MODULES}
PYTEST_ARGS = ['-m', 'not slow', '-p', 'no:cacheprovider', '-x', '-q']


# --------------------------------------------------------------------------------------------------
# the module's copy of the tree
def _same(src: str, dst: str) -> bool:
    if not osp.exists(dst):
        return False
    s, d = os.stat(src), os.stat(dst)
    if s.st_size != d.st_size:
        return False
    with open(src, 'rb') as a, open(dst, 'rb') as b:
        return a.read() == b.read()


def sync_tree(dest: str) -> int:
    """Mirror ``TREE`` into ``dest``, copying only changed files (with their mtime, which mutmut compares)."""
    changed = 0
    wanted = set()
    for top in TREE:
        src_top = osp.join(REPO, top)
        if osp.isfile(src_top):
            pairs = [(src_top, osp.join(dest, top))]
        else:
            pairs = []
            for root, dirs, files in os.walk(src_top):
                dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith('.egg-info')]
                rel = osp.relpath(root, REPO)
                pairs += [(osp.join(root, f), osp.join(dest, rel, f)) for f in files if not f.endswith('.pyc')]
        for src, dst in pairs:
            wanted.add(osp.normpath(dst))
            if not _same(src, dst):
                os.makedirs(osp.dirname(dst), exist_ok=True)
                shutil.copy2(src, dst)
                changed += 1
    for top in TREE:  # files removed from the repository leave the copy too
        for root, dirs, files in os.walk(osp.join(dest, top)):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
            for f in files:
                p = osp.normpath(osp.join(root, f))
                if p not in wanted and not f.endswith('.pyc'):
                    os.remove(p)
                    changed += 1
    return changed


def pin_tests(dest: str, rev: str, module: Module) -> None:
    """Replace the copy's tests/ by the tests of git revision ``rev`` (the baseline a first run measures).

    A test file of the module's selection that does not exist at ``rev`` becomes an empty module, so the
    selection (and with it mutmut's cached results) stays the same when the current tests come back."""
    files = subprocess.run(['git', 'ls-tree', '-r', '--name-only', rev, 'tests/'], cwd=REPO, check=True,
                           capture_output=True, text=True).stdout.split()
    for root, dirs, names in os.walk(osp.join(dest, 'tests')):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for n in names:
            rel = osp.relpath(osp.join(root, n), dest)
            if rel not in files:
                os.remove(osp.join(root, n))
    for rel in files:
        data = subprocess.run(['git', 'show', f'{rev}:{rel}'], cwd=REPO, check=True, capture_output=True).stdout
        path = osp.join(dest, rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        if not osp.exists(path) or open(path, 'rb').read() != data:
            with open(path, 'wb') as f:
                f.write(data)
    for rel in module.tests:
        if rel.startswith('tests/') and rel.endswith('.py') and rel not in files:
            with open(osp.join(dest, rel), 'w') as f:
                f.write(f'"""Not in the tests of {rev} (baseline run)."""\n')


def write_setup_cfg(module: Module, dest: str) -> None:
    lines = ['[mutmut]', 'source_paths = mobilebench', f'only_mutate = {module.path}',
             'also_copy =', '    backbones', '    configs', '    tools',
             'pytest_add_cli_args =', *[f'    {a}' for a in PYTEST_ARGS],
             'pytest_add_cli_args_test_selection =', *[f'    {a}' for a in module.tests],
             # torch is not fork-safe after it has run tests; mutants run in children of a clean fork server
             'process_isolation = forkserver', 'use_git_change_detection = false',
             # a mutant is a timeout after 50 x (its tests' clean time + 1 s) of wall time (twice that of CPU):
             # generous, because on a shared machine at nice 19 the wall time of a run says little
             'timeout_multiplier = 50', '']
    text = '\n'.join(lines)
    path = osp.join(dest, 'setup.cfg')
    if not osp.exists(path) or open(path).read() != text:
        with open(path, 'w') as f:
            f.write(text)


# --------------------------------------------------------------------------------------------------
# results
def mutant_statuses(module: Module, dest: str) -> Dict[str, str]:
    meta = osp.join(dest, 'mutants', module.path + '.meta')
    if not osp.exists(meta):
        return {}
    from mutmut.stats import status_by_exit_code
    with open(meta) as f:
        codes = json.load(f).get('exit_code_by_key', {})
    patterns = module.patterns()
    return {k: status_by_exit_code[v] for k, v in sorted(codes.items())
            if any(fnmatch.fnmatchcase(k, p) for p in patterns)}


def summarise(statuses: Dict[str, str], equivalent: Sequence[str]) -> Dict:
    counts: Dict[str, int] = {}
    for s in statuses.values():
        counts[s] = counts.get(s, 0) + 1
    total = len(statuses)
    equiv = sorted(k for k in equivalent if statuses.get(k) == 'survived')
    killed = counts.get('killed', 0) + counts.get('caught by type check', 0)
    denominator = total - len(equiv)
    return dict(total=total, killed=killed, survived=counts.get('survived', 0) - len(equiv),
                no_tests=counts.get('no tests', 0), timeout=counts.get('timeout', 0),
                not_checked=counts.get('not checked', 0),
                other=total - killed - counts.get('survived', 0) - counts.get('no tests', 0)
                - counts.get('timeout', 0) - counts.get('not checked', 0),
                equivalent=len(equiv), kill_rate=(killed / denominator) if denominator else None,
                survivors=sorted(k for k, s in statuses.items() if s in ('survived', 'no tests') and k not in equiv),
                to_retest=sorted(k for k, s in statuses.items()
                                 if s in ('survived', 'no tests', 'timeout', 'not checked') and k not in equiv))


def load_summary(dest: str) -> Dict:
    path = osp.join(dest, 'summary.json')
    if osp.exists(path):
        with open(path) as f:
            return json.load(f)
    return {}


def save_summary(dest: str, data: Dict) -> None:
    tmp = osp.join(dest, 'summary.json.tmp')
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(tmp, osp.join(dest, 'summary.json'))


def read_equivalent(doc: str) -> Dict[str, str]:
    """The hand-written table of equivalent mutants in the report: ``| mutant name | reason |`` rows."""
    if not osp.exists(doc):
        return {}
    text = open(doc, encoding='utf-8').read()
    if EQUIVALENT_HEADING not in text:
        return {}
    section = text.split(EQUIVALENT_HEADING, 1)[1].split('\n## ', 1)[0]
    out = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) >= 2 and '__mutmut_' in cells[0]:
            name = cells[0].strip('`')
            if not cells[1]:
                raise SystemExit(f'{doc}: equivalent mutant {name} has no reason; write why it cannot be killed')
            out[name] = cells[1]
    return out


# --------------------------------------------------------------------------------------------------
def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_module(module: Module, work_dir: str, jobs: int, nice: int, retest: bool, equivalent: Dict[str, str],
               tests_at: Optional[str] = None) -> Dict:
    dest = osp.join(work_dir, module.name)
    os.makedirs(dest, exist_ok=True)
    lock = open(osp.join(dest, '.lock'), 'w')
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f'[mutation] {module.name}: another run holds {dest}; skipped', flush=True)
        return load_summary(dest)
    changed = sync_tree(dest)
    if tests_at:
        pin_tests(dest, tests_at, module)
    write_setup_cfg(module, dest)
    summary = load_summary(dest)
    names = module.patterns() if module.functions else []
    if retest:
        names = summarise(mutant_statuses(module, dest), list(equivalent))['to_retest']
        if not names:
            print(f'[mutation] {module.name}: no survivors to retest')
            return summary
    cmd = ['nice', '-n', str(nice), sys.executable, '-m', 'mutmut', 'run', '--max-children', str(jobs), *names]
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)  # the copy's mutants/ folder must be what the tests import
    env['MOBILEBENCH_TEST_THREADS'] = '1'
    print(f'[mutation] {module.name}: {changed} files synced; {" ".join(cmd[:8])} ...', flush=True)
    cpu0, wall0 = _cpu_children(), time.time()
    # the run is on record from its start: if this process is killed outright, the report still says that a run
    # happened (and that its CPU time is missing from the total)
    run = dict(date=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'), rc=None,
               retest=retest, tests_at=tests_at, finished=False)
    summary.setdefault('runs', []).append(run)
    summary['cpu_incomplete'] = True
    save_summary(dest, summary)
    interrupted = False
    with open(osp.join(dest, 'mutmut.log'), 'a') as log:
        log.write(f'\n=== {datetime.datetime.now(datetime.timezone.utc).isoformat()} {" ".join(cmd)}\n')
        log.flush()
        # its own process group: an interruption stops mutmut with its fork server and workers
        proc = subprocess.Popen(cmd, cwd=dest, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            rc = proc.wait()
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM (see main): stop mutmut, keep what it stored
            interrupted = True
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                rc = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                rc = proc.wait()
            try:  # workers that outlived mutmut's main process
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    cpu, wall = _cpu_children() - cpu0, time.time() - wall0
    result = summarise(mutant_statuses(module, dest), list(equivalent))
    run.update(rc=rc, cpu_s=round(cpu, 1), wall_s=round(wall, 1), killed=result['killed'], total=result['total'],
               finished=True, interrupted=interrupted)
    summary['cpu_s'] = round(summary.get('cpu_s', 0.0) + cpu, 1)
    # an interrupted mutmut leaves its workers unreaped: their CPU time is not in this process's children's
    summary['cpu_incomplete'] = any(not r.get('finished', True) or r.get('interrupted') for r in summary['runs'])
    summary['result'] = result
    complete = result['total'] and not result['not_checked'] and rc == 0
    if complete and tests_at and 'before' not in summary:  # a complete baseline run
        summary['before'] = {k: result[k] for k in ('total', 'killed', 'survived', 'timeout', 'kill_rate')}
        summary['before'].update(date=summary['runs'][-1]['date'], tests_at=tests_at or 'working tree')
    summary['complete'] = bool(complete)
    save_summary(dest, summary)
    rate = result['kill_rate']
    print(f'[mutation] {module.name}: rc={rc} killed {result["killed"]}/{result["total"]}'
          f' ({"n/a" if rate is None else f"{100 * rate:.1f}%"}), survived {result["survived"]},'
          f' timeouts {result["timeout"]}, cpu {cpu:.0f} s', flush=True)
    if interrupted:
        raise KeyboardInterrupt
    return summary


def _mutmut_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version('mutmut')
    except PackageNotFoundError:  # a report rewritten from kept rows only
        return ''


def _pct(x) -> str:
    return '-' if x is None else f'{100 * x:.1f}%'


def read_table_rows(text: str) -> Dict[str, str]:
    """The rows of the results table in the report ``text``, by module name (the first cell, less the note).

    A rewrite keeps the row of a module that has no results under this work dir (measured on another machine or
    in a work dir since deleted) instead of dropping it."""
    if TABLE_START not in text or TABLE_END not in text:
        return {}
    block = text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0]
    rows = {}
    for line in block.splitlines():
        line = line.strip()
        if not line.startswith('|') or line.startswith('|---'):
            continue
        name = line.strip('|').split('|', 1)[0].strip().split(' (', 1)[0]
        if name in BY_NAME:
            rows[name] = line
    return rows


def _row_cpu(row: str) -> float:
    """The CPU seconds of a kept table row (column "CPU s"), 0 when the cell holds no number."""
    cells = [c.strip() for c in row.strip().strip('|').split('|')]
    found = re.match(r'\d+(\.\d+)?', cells[10]) if len(cells) > 10 else None
    return float(found.group(0)) if found else 0.0


def write_report(doc: str, work_dir: str, equivalent: Dict[str, str]) -> None:
    rows = ['| module | file | tests (pytest args) | killed / total | kill rate | first measured | survived | '
            'no tests | timeouts | equivalent | CPU s (all runs) | last run |',
            '|---|---|---|---|---|---|---|---|---|---|---|---|']
    text = open(doc, encoding='utf-8').read() if osp.exists(doc) else ''
    kept = read_table_rows(text)
    missing = []
    total_cpu = 0.0
    for m in MODULES:
        dest = osp.join(work_dir, m.name)
        s = load_summary(dest)
        statuses = mutant_statuses(m, dest)
        r = summarise(statuses, list(equivalent))  # re-read: equivalents may have changed
        done = r['total'] - r['not_checked']
        if not done:
            if m.name in kept:  # measured elsewhere: keep its row as it stands
                rows.append(kept[m.name])
                total_cpu += _row_cpu(kept[m.name])
            else:
                missing.append(m)
            continue
        runs = s.get('runs', [])
        b, part = s.get('before'), s.get('baseline_partial')
        if b:
            first = f'{b["killed"]}/{b["total"]} ({_pct(b["kill_rate"])}; tests at {b.get("tests_at", "?")})'
        elif part:
            first = (f'partial: {part["killed"]} killed of {part["run"]} run (of {part["total"]}; tests at '
                     f'{part["tests_at"]})')
        elif runs and runs[-1].get('tests_at'):
            first = f'partial: {r["killed"]} killed of {done} run (of {r["total"]}; tests at {runs[-1]["tests_at"]})'
        else:
            first = 'no baseline run'
        rate = _pct(r['kill_rate'])
        if r['not_checked']:
            run = done - r['equivalent']
            rate = f'**incomplete** ({r["not_checked"]} not run yet); {_pct(r["killed"] / run)} of the {run} run'
        tests = ' '.join(f'`{a}`' if not a.startswith('tests/') else a[len('tests/'):] for a in m.tests)
        name = m.name + (f' ({m.note})' if m.note else '')
        if any(not r.get('finished', True) or r.get('interrupted') for r in runs):
            s['cpu_incomplete'] = True
        if not s.get('cpu_s') and (not runs or s.get('cpu_incomplete')):
            cpu = 'not recorded (run killed)'
        else:
            cpu = f'{s.get("cpu_s", 0):.0f}' + ('' if runs and not s.get('cpu_incomplete') else ' (lower bound)')
        last = (runs[-1]['date'] + ('' if runs[-1].get('finished', True) else ' (killed)')) if runs else 'killed'
        rows.append(f'| {name} | {m.path} | {tests} | {r["killed"]}/{r["total"] - r["equivalent"]} | '
                    f'{rate} | {first} | {r["survived"]} | {r["no_tests"]} | {r["timeout"]} | '
                    f'{r["equivalent"]} | {cpu} | {last} |')
        total_cpu += s.get('cpu_s', 0)
    lines = [TABLE_START, '',
             f'mutmut {_mutmut_version()}'.strip()
             + f'; command: `make mutation` (= `python tools/analysis/mutation.py --jobs 1`); pytest args of every '
             f'module: `{" ".join(PYTEST_ARGS)}`; CPU time summed over the modules: {total_cpu / 60:.0f} min.', '',
             *rows, '']
    if missing:
        lines += ['Not measured yet (no mutant run): ' + ', '.join(f'{m.name} ({m.path})' for m in missing) + '.',
                  '']
    lines.append(TABLE_END)
    block = '\n'.join(lines)
    if TABLE_START in text and TABLE_END in text:
        head, rest = text.split(TABLE_START, 1)
        text = head + block + rest.split(TABLE_END, 1)[1]
    else:
        text = text + ('\n' if text else '') + block + '\n'
    tmp = doc + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)
    os.replace(tmp, doc)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--modules', nargs='+', choices=list(BY_NAME), help='modules to run (default: all)')
    p.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'mutation'))
    p.add_argument('--doc', default=osp.join(REPO, 'docs', 'mutation.md'))
    p.add_argument('--jobs', type=int, default=1,
                   help='mutmut worker processes (keep 1: with 2, mutmut 3.8.1 recorded mutants that fail every '
                        'test as survivors; docs/mutation.md)')
    p.add_argument('--nice', type=int, default=19)
    p.add_argument('--retest-survivors', action='store_true',
                   help='rerun the mutants that survived the last run (and those that timed out or had no test)')
    p.add_argument('--tests-at', metavar='REV', help='run against the tests of git revision REV (a baseline: '
                   'what the tests of REV kill); the next call without it brings the current tests back')
    p.add_argument('--report-only', action='store_true')
    p.add_argument('--list', action='store_true')
    args = p.parse_args(argv)
    if args.list:
        for m in MODULES:
            print(f'{m.name:18s} {m.path:36s} {" ".join(m.tests)}')
        return 0
    equivalent = read_equivalent(args.doc)

    def stop(signum, frame):  # SIGTERM stops like Ctrl-C: the running module's results and report are kept
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        if not args.report_only:
            for name in args.modules or [m.name for m in MODULES]:
                run_module(BY_NAME[name], args.work_dir, args.jobs, args.nice, args.retest_survivors, equivalent,
                           args.tests_at)
                write_report(args.doc, args.work_dir, equivalent)
    except KeyboardInterrupt:
        write_report(args.doc, args.work_dir, equivalent)
        print('[mutation] interrupted; the next call resumes where this one stopped', flush=True)
        return 130
    write_report(args.doc, args.work_dir, equivalent)
    return 0


if __name__ == '__main__':
    sys.exit(main())
