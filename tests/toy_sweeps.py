"""Shared helpers of the sweep tests: the toy benchmark (tests/data/benchmark/) run as a subprocess."""
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOY = osp.join(ROOT, 'tests', 'data', 'benchmark')
BENCH_2X2 = 'tests/data/benchmark/toy_bench_2x2.py'
RUNS_2X2 = {f'{t}__{b}' for t in ('colours', 'colours_short') for b in ('toy_w4', 'toy_w8')}


def toy_env():
    """The environment of a sweep subprocess: the repo and the toy task's module importable, 1 thread."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([ROOT, TOY] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    env['OMP_NUM_THREADS'] = '1'
    return env


def sweep_cmd(bench, results, *extra):
    """``tools/benchmark.py BENCH --results RESULTS --no-progress EXTRA...`` with this interpreter."""
    return [sys.executable, 'tools/benchmark.py', str(bench), '--results', str(results), '--no-progress', *extra]
