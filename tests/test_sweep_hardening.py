"""Results folders that several sweeps share, checked benchmark configs, honest exit codes and records,
and a leaderboard that survives malformed records (issue 23, findings 4-6).

Real sweeps run the toy task of ``tests/data/benchmark/`` (a real mmengine train/test of a tiny classifier).
"""
import json
import math
import os
import os.path as osp
import subprocess
import sys
import threading
import time

import pytest

from toy_sweeps import BENCH_2X2, ROOT, RUNS_2X2, TOY, sweep_cmd as _sweep, toy_env as _env  # noqa: F401


def _records(results):
    folder = osp.join(results, 'runs')
    return {f[:-5]: json.load(open(osp.join(folder, f))) for f in os.listdir(folder) if f.endswith('.json')}


def _launches(results, run_id):
    """How many times a run's process was started (one '=====' header per launch in run.log)."""
    with open(osp.join(results, 'work_dirs', run_id, 'run.log')) as f:
        return sum(line.startswith('===== ') for line in f)


# --------------------------------------------------------------------------------------------------
# finding 4: a shared results folder
def test_claims_are_exclusive_and_stale_ones_are_taken_over(tmp_path):
    from mobilebench.benchmark.claims import Claims
    a, b = Claims(str(tmp_path)), Claims(str(tmp_path))
    token = a.try_claim('t__bb', executor='local')
    assert token and b.try_claim('t__bb') is None  # the owner (this process) is alive
    a.release('t__bb', 'not-the-token')
    assert b.try_claim('t__bb') is None  # releasing needs the owner's token
    a.release('t__bb', token)
    token_b = b.try_claim('t__bb')
    assert token_b and b.read('t__bb')['token'] == token_b

    # a claim left by a dead process on this host: take-over; a recycled pid is not the owner
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    path = a.path('x__bb')
    with open(path, 'w') as f:
        json.dump(dict(token='old', host=os.uname().nodename, pid=dead.pid, pid_start='1'), f)
    assert not a.alive(a.read('x__bb'))
    recycled = dict(token='old', host=os.uname().nodename, pid=os.getpid(), pid_start='1', mtime=time.time())
    assert not a.alive(recycled)
    # two takers race for the stale claim: exactly one wins
    wins = []
    barrier = threading.Barrier(8)

    def take():
        barrier.wait()
        tok = Claims(str(tmp_path)).try_claim('x__bb')
        if tok:
            wins.append(tok)
    threads = [threading.Thread(target=take) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(wins) == 1 and a.read('x__bb')['token'] == wins[0] and a.read('x__bb')['took_over'] == 'old'
    # another host's claim is judged by its heartbeat (mtime)
    other = dict(token='z', host='elsewhere', pid=1, mtime=time.time())
    assert a.alive(other) and not a.alive(dict(other, mtime=time.time() - 10 * a.stale_after_s))
    assert sorted(os.listdir(tmp_path / 'claims')) == ['t__bb.claim', 'x__bb.claim']  # no lock left over


def test_two_sweeps_on_one_folder_split_the_work(tmp_path):
    """Two sweeps started at once on one results folder: every run done exactly once, both exit 0."""
    results = tmp_path / 'res'
    procs = [subprocess.Popen(_sweep(BENCH_2X2, results), cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=400)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    recs = _records(results)
    assert set(recs) == RUNS_2X2 and all(r['status'] == 'ok' for r in recs.values())
    assert all(_launches(results, run_id) == 1 for run_id in RUNS_2X2)  # nobody ran a run twice
    assert os.listdir(results / 'claims') == []  # every claim released
    leftovers = [f for d in ('runs', 'work_dirs/colours__toy_w4') for f in os.listdir(results / d) if 'tmp' in f]
    assert leftovers == []
    for out in outs:  # each sweep reports all four runs ok, some of them done by the other sweep
        assert '4/4 runs ok' in out


# --------------------------------------------------------------------------------------------------
# finding 5: mistakes are errors
def _write(path, text):
    path.write_text(text)
    return str(path)


def test_benchmark_config_schema(tmp_path, monkeypatch):
    from mobilebench.benchmark import BenchmarkConfigError, load_benchmark
    from mobilebench.benchmark.schema import TASK_KEYS, TOP_KEYS
    monkeypatch.chdir(ROOT)
    head = ("_dir = 'tests/data/benchmark/'\nbackbones = [_dir + 'toy_backbone_w4.py']\n")
    task = "template=_dir + 'toy_task.py', metric='toy/accuracy', input_shape=(3, 16, 16)"
    cases = {
        # a misspelled task key: an error naming it, the suggestion and every valid key
        f'tasks = dict(t=dict({task}, overides=dict(train_cfg=dict(max_epochs=1))))':
            r'tasks.t: unknown key `overides` \(did you mean `overrides`\?\); valid keys: '
            + ', '.join(sorted(TASK_KEYS)),
        f'tasks = dict(t=dict({task}))\nrun_timeout_s = -5': r'`run_timeout_s` = -5 must be a number > 0',
        f'tasks = dict(t=dict({task}))\njobz = 2': r'unknown key `jobz` \(did you mean `jobs`\?\); valid keys: '
            + ', '.join(sorted(TOP_KEYS)),
        f'tasks = dict(t=dict({task}))\njobs = 0': r'`jobs` = 0 must be an integer >= 1',
        f'tasks = dict(t=dict({task}))\nlatency = dict(repeats=0)': r'latency: `repeats` = 0 must be an integer >= 1',
        f'tasks = dict(t=dict({task}))\nslurm = dict(gpus=8)': r'slurm: unknown key `gpus`',
        f'tasks = dict(t=dict({task}))\nmemory_format = "nhwc"': r"`memory_format` = 'nhwc' must be 'channels_last'",
        f'tasks = dict(t=dict({task}, memory_format="NCHW"))': r"tasks.t: `memory_format` = 'NCHW' must be",
        f'tasks = dict(t=dict({task}))\nmeasure_untrained = "no"':
            r'`measure_untrained` = \'no\' must be True or False',
        "tasks = dict(t=dict(template=_dir + 'toy_task.py', metric='toy/accuracy', input_shape=(16, 16)))":
            r'`input_shape` = \(16, 16\) must be \(C, H, W\)',
        "tasks = dict(t=dict(template=_dir + 'toy_task.py', input_shape=(3, 16, 16)))": r'missing `metric`',
        f'tasks = dict(t=dict({task}, metrics=["toy/other"]))': r'is not in `metrics`',
        f'tasks = dict(t=dict({task}, published_key="ssdlite320"))':
            r'unknown published key `ssdlite320` \(did you mean `ssdlite_320`\?\)',
        f'tasks = dict(t=dict({task}, rewrite=[dict(prefix="a/")]))': r'`rewrite` .* write dict\(prefix=..., new=...\)',
        f'tasks = dict(t=dict({task}))\nseed = 0\nseeds = [0, 1]': r'give `seed` .* or `seeds`',
        f'tasks = dict(t=dict({task}))\ncheckpoints = {{"t/nope": "x.pth"}}':
            r"checkpoints \['t/nope'\] name no planned run",
    }
    for i, (body, message) in enumerate(cases.items()):
        path = _write(tmp_path / f'bench{i}.py', head + body + '\n')
        with pytest.raises(BenchmarkConfigError, match=message):
            from mobilebench.benchmark import plan_runs
            plan_runs(load_benchmark(path), path)
    # private helpers (_dir) pass; the shipped configs follow the schema
    for shipped in ('configs/benchmark/demo.py', 'configs/benchmark/paper.py', BENCH_2X2):
        load_benchmark(shipped)
    # the CLI: a schema error exits 2 before anything runs, naming the key
    bad = _write(tmp_path / 'typo.py', head + f'tasks = dict(t=dict({task}, overides=dict()))\n')
    out = subprocess.run(_sweep(bad, tmp_path / 'res'), cwd=ROOT, env=_env(), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2 and 'unknown key `overides`' in out.stderr and not (tmp_path / 'res').exists()


def test_resume_refuses_a_changed_config(tmp_path, monkeypatch):
    """A finished record made from another config is refused on resume (exit 2), rerun with --rerun-changed."""
    from mobilebench.benchmark import ChangedRunsError, Sweep
    from mobilebench.benchmark.records import write_record
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(TOY)  # the toy task's custom_imports, for composing the runs here
    bench = tmp_path / 'bench.py'
    text = open(BENCH_2X2).read()
    bench.write_text(text)
    results = tmp_path / 'res'
    sweep = Sweep(str(bench), str(results), progress=False)
    assert all(sweep.spec_hash(run) for run in sweep.runs)
    for run in sweep.runs:  # records as a finished sweep of this config leaves them
        write_record(sweep.record_path(run), dict(run_id=run.run_id, task=run.task, backbone=run.backbone,
                                                  status='ok', meta=dict(spec_hash=sweep.spec_hash(run),
                                                                         finished='then')))
    assert Sweep(str(bench), str(results), progress=False).pending() == []  # unchanged: nothing to do
    # edit the schedule of one task (the config file, as a user would)
    bench.write_text(text.replace('max_epochs=2', 'max_epochs=3'))
    with pytest.raises(ChangedRunsError, match='colours_short__toy_w4, colours_short__toy_w8'):
        Sweep(str(bench), str(results), progress=False).prepare()
    # a latency setting is part of the spec too
    bench.write_text(text.replace('repeats=3', 'repeats=4'))
    with pytest.raises(ChangedRunsError, match='4 finished run'):
        Sweep(str(bench), str(results), progress=False).prepare()
    bench.write_text(text.replace('max_epochs=2', 'max_epochs=3'))
    again = Sweep(str(bench), str(results), progress=False, rerun_changed=True)
    assert [r.run_id for r in again.pending()] == ['colours_short__toy_w4', 'colours_short__toy_w8']
    from mobilebench.benchmark.slurm import run_states
    states = {s['run_id']: s['state'] for s in run_states(again)}
    assert states == {'colours__toy_w4': 'done', 'colours__toy_w8': 'done', 'colours_short__toy_w4': 'changed',
                      'colours_short__toy_w8': 'changed'}
    out = subprocess.run(_sweep(bench, results), cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and '--rerun-changed' in out.stderr
    assert _records(results)['colours_short__toy_w4']['meta']['finished'] == 'then'  # nothing was touched


def test_measurements_before_a_failure_stay_in_the_record(tmp_path):
    """A run that fails late keeps what it measured; a wrong input_shape fails before training; exit 1."""
    bench = _write(tmp_path / 'late.py', """_dir = 'tests/data/benchmark/'
backbones = [_dir + 'toy_backbone_w4.py']
tasks = dict(
    fails_late=dict(template=_dir + 'toy_task.py', metric='toy/accuracy', input_shape=(3, 16, 16),
                    overrides=dict(test_evaluator=dict(fail_on_call=2))),   # the test after training fails
    wrong_shape=dict(template=_dir + 'toy_task.py', metric='toy/accuracy', input_shape=(4, 16, 16)),
)
latency = dict(warmup=1, repeats=2, threads=1)
threads = 1
""")
    results = tmp_path / 'res'
    out = subprocess.run(_sweep(bench, results), cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr  # some run is not ok
    assert '0/2 runs ok' in out.stdout
    recs = _records(results)
    late = recs['fails_late__toy_w4']
    assert late['status'] == 'failed' and late['failed_phase'] == 'test'
    assert late['error'].startswith('test: RuntimeError: MBToyAccuracy: failing at evaluation 2')
    assert late['untrained_metrics']['toy/accuracy'] >= 0 and late['train_iters'] == 4 * 6  # 4 epochs x 48/8
    assert late['complexity']['params'] == 4 * 3 * 9 + 4 + 8 * 4 * 9 + 8 + 8 * 3 + 3  # convs + fc, by hand
    shape = recs['wrong_shape__toy_w4']
    assert shape['status'] == 'failed' and shape['failed_phase'] == 'complexity'
    assert shape['error'].startswith('complexity: RuntimeError') and 'train_s' not in shape['timings']


# --------------------------------------------------------------------------------------------------
# finding 6: the leaderboard reads any record without crashing
def _rec(bb, value, **kw):
    rec = dict(schema=1, run_id=f'det__{bb}', task='det', backbone=bb, status='ok', metric='m', metrics_shown=['m'],
               higher_is_better=True, metrics={'m': value}, complexity=dict(madds=10_000_000, params=1_000_000),
               latency=dict(median_ms=1.0), meta=dict(wall_time_s=2.0))
    rec.update(kw)
    return rec


def test_leaderboard_survives_wrong_types_and_nan(tmp_path):
    from mobilebench.benchmark.leaderboard import gather, write_leaderboard
    from mobilebench.benchmark.records import write_record
    runs = tmp_path / 'runs'
    write_record(str(runs / 'det__good.json'), _rec('good', 0.5))
    write_record(str(runs / 'det__nan.json'), _rec('nan', math.nan))  # json writes NaN
    write_record(str(runs / 'det__inf.json'), _rec('inf', math.inf))
    write_record(str(runs / 'det__low.json'), _rec('low', 0.1))
    bad = dict(metrics_str=_rec('a', 0.9, metrics='0.9'), status_int=_rec('b', 0.9, status=5),
               complexity_list=_rec('c', 0.9, complexity=[1, 2]),
               latency_str=_rec('d', 0.9, latency=dict(median_ms='1')),
               list_record=[1, 2], meta_str=_rec('e', 0.9, meta='x'), unknown_status=_rec('f', 0.9, status='done'))
    for name, rec in bad.items():
        write_record(str(runs / f'{name}.json'), rec)
    data = gather(str(tmp_path))
    corrupt = {p['run_id']: p['detail'] for p in data['problems'] if p['kind'] == 'corrupt'}
    assert set(corrupt) == set(bad)
    assert '`metrics` is str' in corrupt['metrics_str'] and '`status` = 5' in corrupt['status_int']
    assert '`complexity` is list' in corrupt['complexity_list'] and 'a JSON object' in corrupt['list_record']
    assert "`latency.median_ms` = '1' is not a number" in corrupt['latency_str']
    assert "'done' is not one of ok, failed, running" in corrupt['unknown_status']
    paths = write_leaderboard(str(tmp_path))
    md = open(paths['markdown']).read()
    table = [ln.split(' | ')[1] for ln in md.splitlines() if ln.startswith('| ') and ' | m ' not in ln]
    assert table[:4] == ['good', 'low', 'inf', 'nan']  # NaN / inf are missing: ranked last, never first
    assert '| nan | n/a |' in md and '| inf | n/a |' in md
    assert [s['backbone'] for s in paths['summary']] == ['good', 'low']  # NaN is not ranked
    out = subprocess.run([sys.executable, 'tools/leaderboard.py', str(tmp_path)], cwd=ROOT, env=_env(),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and 'corrupt' in out.stdout and 'leaderboard html:' in out.stdout
