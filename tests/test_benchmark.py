"""Benchmark sweep (kill + resume), run records and the leaderboard.

The sweep runs the toy task of ``tests/data/benchmark/`` (a real mmengine train/test of a tiny
classifier, a few seconds per run) so the resume logic is exercised with real subprocess runs.
"""
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOY = osp.join(ROOT, 'tests', 'data', 'benchmark')
BENCH = 'tests/data/benchmark/toy_bench.py'


def _env():
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([ROOT, TOY] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    env['OMP_NUM_THREADS'] = '1'
    return env


def _sweep_cmd(results, *extra):
    return [sys.executable, 'tools/benchmark.py', BENCH, '--results', str(results), '--no-progress', *extra]


def _records(results):
    folder = osp.join(results, 'runs')
    return {f: json.load(open(osp.join(folder, f))) for f in os.listdir(folder) if f.endswith('.json')}


def test_plan_and_validation(tmp_path):
    from mobilebench.benchmark import load_benchmark, plan_runs
    cwd = os.getcwd()
    os.chdir(ROOT)  # benchmark configs hold repo-relative paths
    try:
        bench = load_benchmark(BENCH)
        runs = plan_runs(bench, BENCH)
        assert [r.run_id for r in runs][:3] == ['colours__toy_w4', 'colours__toy_w8', 'colours__toy_broken']
        assert len(runs) == 6
        assert runs[2].backbone_overrides == dict(width=-1)
        assert [r.run_id for r in plan_runs(bench, BENCH, only=['colours_long/toy_w8'])] == ['colours_long__toy_w8']
        with pytest.raises(ValueError, match='matches no task or backbone'):
            plan_runs(bench, BENCH, only=['nope'])
        bad = tmp_path / 'bad.py'
        bad.write_text("backbones = ['no/such/file.py']\ntasks = dict(t=dict(template='" + TOY +
                       "/toy_task.py', metric='m', input_shape=(3, 8, 8)))\n")
        with pytest.raises(FileNotFoundError, match='no/such/file.py'):
            load_benchmark(str(bad))
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize('jobs,seeds', [(1, [0]), (2, [0, 1])])
def test_sweep_killed_then_resumed(tmp_path, jobs, seeds):
    """SIGKILL the sweep while a run is in flight (one or, with jobs=2, two at a time); the re-run
    completes with every (task, backbone, seed) run exactly once, never repeats a finished run and records
    the broken backbone as failed. The two-seed case also starts its runs from the preload server
    (``preload = True``), whose runs must die with the killed sweep too."""
    results = tmp_path / 'res'
    jobs_arg = ('--jobs', str(jobs))
    bench = BENCH
    if len(seeds) > 1:
        bench = str(tmp_path / 'seeds.py')
        with open(bench, 'w') as f:
            f.write(open(osp.join(ROOT, BENCH)).read().replace('\nseed = 0\n', f'\nseeds = {seeds}\n')
                    + '\npreload = True\n')

    def _sweep_cmd(results, *extra):
        return [sys.executable, 'tools/benchmark.py', bench, '--results', str(results), '--no-progress', *extra]
    proc = subprocess.Popen(_sweep_cmd(results, *jobs_arg), cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 240
    killed_during = None
    try:
        while time.time() < deadline and proc.poll() is None:
            if osp.isdir(results / 'runs'):
                try:
                    recs = _records(results)
                except (ValueError, OSError):
                    recs = {}
                running = [k for k, r in recs.items() if r['status'] == 'running']
                finished = [k for k, r in recs.items() if r['status'] == 'ok']
                if running and finished:
                    killed_during = running[0]
                    os.kill(proc.pid, signal.SIGKILL)  # the sweep only: its run must die with it
                    break
            time.sleep(0.2)
    finally:
        if proc.poll() is None and killed_during is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert killed_during is not None, 'the sweep finished before it could be killed mid-run'
    before = _records(results)
    assert before[killed_during]['status'] == 'running'
    finished_before = {k: r['meta']['finished'] for k, r in before.items() if r['status'] in ('ok', 'failed')}

    time.sleep(1.0)  # an orphaned run (if any) would now write its result
    out = subprocess.run(_sweep_cmd(results, *jobs_arg), cwd=ROOT, env=_env(), capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 1, out.stderr[-3000:]  # the broken backbone's runs are not ok
    after = _records(results)
    expected = {f'{t}__{b}' + (f'__s{seed}' if len(seeds) > 1 else '') + '.json'
                for t in ('colours', 'colours_long') for b in ('toy_w4', 'toy_w8', 'toy_broken') for seed in seeds}
    assert set(after) == expected  # every run exactly once (one file each), nothing else
    assert not [f for f in os.listdir(results / 'runs') if not f.endswith('.json')]  # no temp leftovers
    for name, rec in after.items():
        if 'broken' in name:
            assert rec['status'] == 'failed' and 'width must be positive' in rec['error']
        else:
            assert rec['status'] == 'ok', rec.get('error')
            assert rec['value'] > rec['untrained_value']  # trained beats untrained
            assert rec['complexity']['madds'] > 0 and rec['complexity']['params'] > 0
            assert rec['latency']['median_ms'] > 0
            assert len(rec['meta']['config_hash']) == 16 and rec['meta']['seed'] == (
                int(name.split('__s')[1][:-5]) if len(seeds) > 1 else 0)
            assert rec['meta']['versions']['torch']
    for name, stamp in finished_before.items():  # finished runs were not repeated
        assert after[name]['meta']['finished'] == stamp
    if jobs == 2:  # the resumed sweep ran two at a time: some pair of its runs overlapped in time
        resumed = [r['meta'] for k, r in after.items() if k not in finished_before]
        assert all(m['jobs'] == 2 for m in resumed)
        assert any(a['start_time'] < b['end_time'] and b['start_time'] < a['end_time']
                   for i, a in enumerate(resumed) for b in resumed[i + 1:])
    # a third sweep has nothing left to do
    again = subprocess.run(_sweep_cmd(results), cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and f'{4 * len(seeds)}/{6 * len(seeds)} runs ok' in again.stdout
    assert _records(results) == after


def _fake_record(task, bb, value, madds, status='ok'):
    return dict(schema=1, run_id=f'{task}__{bb}', task=task, backbone=bb, status=status, metric='pascal_voc/mAP',
                metrics_shown=['pascal_voc/mAP'], higher_is_better=True,
                metrics={'pascal_voc/mAP': value}, untrained_metrics={'pascal_voc/mAP': 0.0},
                complexity=dict(madds=madds, params=madds // 100), latency=dict(median_ms=1.5),
                meta=dict(wall_time_s=3.0), error='RuntimeError: boom' if status == 'failed' else None)


def test_leaderboard_with_corrupt_and_failed(tmp_path):
    from mobilebench.benchmark.leaderboard import gather, pareto_front, write_leaderboard
    from mobilebench.fileio import atomic_write_json
    res = tmp_path / 'res'
    runs = res / 'runs'
    atomic_write_json(str(res / 'benchmark.json'), dict(
        name='unit', tasks=dict(det=dict(metric='pascal_voc/mAP', metrics=['pascal_voc/mAP'], higher_is_better=True,
                                         published_key='ssdlite_320', title='SSDLite')),
        runs=['det__a', 'det__b', 'det__c', 'det__broken', 'det__bad', 'det__never']))
    atomic_write_json(str(runs / 'det__a.json'), _fake_record('det', 'a', 0.60, 800_000_000))
    atomic_write_json(str(runs / 'det__b.json'), _fake_record('det', 'b', 0.50, 400_000_000))
    atomic_write_json(str(runs / 'det__c.json'), _fake_record('det', 'c', 0.40, 900_000_000))  # dominated
    atomic_write_json(str(runs / 'det__broken.json'), _fake_record('det', 'broken', 0, 1, status='failed'))
    (runs / 'det__bad.json').write_text('{"status": "ok", "task": ')  # truncated
    data = gather(str(res))
    kinds = {p['run_id']: p['kind'] for p in data['problems']}
    assert kinds == {'det__broken': 'failed', 'det__bad': 'corrupt', 'det__never': 'missing'}

    assert sorted(pareto_front([(800, 0.6), (400, 0.5), (900, 0.4)])) == [0, 1]
    paths = write_leaderboard(str(res), str(tmp_path / 'out'))
    md = open(paths['markdown']).read()
    assert md.index('| a |') < md.index('| b |') < md.index('| c |')  # sorted best first
    assert 'det__bad | corrupt' in md and 'det__broken | failed' in md and 'RuntimeError: boom' in md
    assert 'published: MobileNeXt Table 8' in md
    page = open(paths['html']).read()
    assert page.count('src="data:image/png;base64,') == 1
    assert 'det__bad' in page and 'corrupt' in page
    csv_text = open(paths['csv']).read().splitlines()
    from mobilebench.benchmark.published import published_rows
    # published rows of the task's dataset only: the VOC rows, not mmdet's COCO row (issue 24)
    voc_rows = [r for r in published_rows('ssdlite_320') if 'pascal_voc/mAP' in r['metrics']]
    assert 0 < len(voc_rows) < len(published_rows('ssdlite_320'))
    assert csv_text[0].startswith('task,backbone,source') and len(csv_text) == 1 + 3 + len(voc_rows)
    assert 'COCO val2017' not in '\n'.join(csv_text[1:]) and 'COCO val2017' in md  # named as left out

    # the CLI says so too and exits 0
    out = subprocess.run([sys.executable, 'tools/leaderboard.py', str(res)], cwd=ROOT, capture_output=True,
                         text=True, env=_env(), timeout=120)
    assert out.returncode == 0, out.stderr
    assert 'det__bad' in out.stdout and 'corrupt' in out.stdout and 'leaderboard html:' in out.stdout


def test_leaderboard_missing_folder(tmp_path):
    from mobilebench.benchmark.leaderboard import gather
    with pytest.raises(FileNotFoundError, match='run tools/benchmark.py first'):
        gather(str(tmp_path / 'nope'))


def test_make_demo_data_formats_and_determinism(tmp_path):
    """The demo datasets are in the real formats (read back with the real readers) and seed-deterministic."""
    import hashlib
    import xml.etree.ElementTree as ET
    for out in ('a', 'b'):
        subprocess.run([sys.executable, 'tools/data/make_demo_data.py', '--out', str(tmp_path / out), '--seed', '0'],
                       cwd=ROOT, check=True, capture_output=True, env=_env(), timeout=300)

    def digest(root):
        h = hashlib.sha256()
        for dirpath, _, files in sorted(os.walk(root)):
            for f in sorted(files):
                h.update(f.encode() + open(osp.join(dirpath, f), 'rb').read())
        return h.hexdigest()
    assert digest(tmp_path / 'a') == digest(tmp_path / 'b')
    root = tmp_path / 'a'
    assert (root / '.complete').exists()
    voc = root / 'VOCdevkit' / 'VOC2007'
    ids = (voc / 'ImageSets' / 'Main' / 'test.txt').read_text().split()
    tree = ET.parse(voc / 'Annotations' / f'{ids[0]}.xml')
    assert tree.find('object/name').text in ('car', 'dog', 'cat') and (voc / 'JPEGImages' / f'{ids[0]}.jpg').exists()
    coco = json.load(open(root / 'coco_pose' / 'annotations' / 'person_keypoints_val2017.json'))
    assert len(coco['categories'][0]['keypoints']) == 17 and len(coco['annotations'][0]['keypoints']) == 51
    import decord
    rel, label = (root / 'hmdb51' / 'hmdb51_val_split_1_videos.txt').read_text().split('\n')[0].split()
    assert len(decord.VideoReader(str(root / 'hmdb51' / 'videos' / rel))) == 16 and int(label) == 0
    from mobilebench.face.bin_format import load_bin
    from mobilebench.face.recordio import RecordIOReader
    images, issame = load_bin(str(root / 'faces' / 'lfw.bin'))
    assert len(images) == 2 * len(issame) == 1200
    assert len(RecordIOReader(str(root / 'faces' / 'train.rec'))) == 320
    from mobilebench.datasets.market1501 import Market1501Dataset
    reid = Market1501Dataset(data_root=str(root / 'market1501'), split='test', test_mode=True)
    assert len(reid) == 160 + 120 and {reid.get_data_info(i)['pid'] for i in range(len(reid))} >= {-1, 0}
    assert Market1501Dataset(data_root=str(root / 'market1501'), split='train').metainfo['num_classes'] == 20


def test_launcher_commands(tmp_path, monkeypatch):
    """Multi-GPU runs go through torchrun / srun exactly as tools/dist_train.sh / slurm_train.sh call them."""
    from mobilebench.benchmark import Sweep
    from mobilebench.benchmark.launch import build_command
    monkeypatch.chdir(ROOT)
    sweep = Sweep(BENCH, str(tmp_path), launcher='pytorch', gpus=4, progress=False)
    run = sweep.runs[0]
    cmd = build_command(sweep.settings, run, 'cfg.py', 'out.json', 'progress.json')
    assert cmd[1:3] == ['-m', 'torch.distributed.run'] and '--nproc_per_node=4' in cmd
    assert cmd[-2:] == ['--launcher', 'pytorch'] and 'mobilebench.benchmark.run_one' in cmd
    monkeypatch.setenv('PARTITION', 'gpu')
    sweep = Sweep(BENCH, str(tmp_path), launcher='slurm', gpus=8, progress=False)
    cmd = build_command(sweep.settings, run, 'cfg.py', 'out.json', 'progress.json')
    assert cmd[:3] == ['srun', '-p', 'gpu'] and '--ntasks=8' in cmd and cmd[-1] == 'slurm'
    with pytest.raises(ValueError, match='choose none, pytorch or slurm'):
        Sweep(BENCH, str(tmp_path), launcher='mpi')
    with pytest.raises(ValueError, match='use jobs=1'):
        Sweep(BENCH, str(tmp_path), launcher='pytorch', jobs=2)


def test_untrained_test_of_the_first_seed_only(tmp_path, monkeypatch):
    """measure_untrained='first_seed': the runs of the first seed test the untrained model, the others skip it."""
    from mobilebench.benchmark import Sweep
    from mobilebench.benchmark.launch import build_command
    from mobilebench.benchmark.schema import BenchmarkConfigError
    monkeypatch.chdir(ROOT)

    bench = tmp_path / 'two_seeds.py'
    bench.write_text(open(osp.join(ROOT, BENCH)).read().replace('\nseed = 0\n', '\nseeds = [3, 1]\n'))

    def flags(mode):
        sweep = Sweep(str(bench), str(tmp_path / 'res'), only=['colours/toy_w4'], progress=False,
                      cfg_options={'measure_untrained': mode})
        return {run.seed: '--no-untrained' in build_command(sweep.settings, run, 'cfg.py', 'o.json', 'p.json')
                for run in sweep.runs}
    assert flags('first_seed') == {3: False, 1: True}
    assert flags(True) == {3: False, 1: False} and flags(False) == {3: True, 1: True}
    with pytest.raises(BenchmarkConfigError, match="or 'first_seed'"):
        flags('first')
