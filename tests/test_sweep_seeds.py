"""Seeds as a sweep axis (issue 18 item 1): one run record per (task, backbone, seed)."""
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOY = osp.join(ROOT, 'tests', 'data', 'benchmark')


def test_seeds_plan_select_and_aggregate(tmp_path, monkeypatch):
    from mobilebench.benchmark import Sweep, load_benchmark, plan_runs
    from mobilebench.benchmark.leaderboard import gather, task_rows, write_leaderboard
    from mobilebench.benchmark.records import write_record
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(TOY)
    bench = tmp_path / 'seeds.py'
    bench.write_text(open('tests/data/benchmark/toy_bench_2x2.py').read().replace('seed = 0', 'seeds = [0, 1, 2]'))
    runs = plan_runs(load_benchmark(str(bench)), str(bench))
    assert len(runs) == 12 and runs[0].run_id == 'colours__toy_w4__s0' and runs[2].run_id == 'colours__toy_w4__s2'
    assert [r.seed for r in runs[:3]] == [0, 1, 2]
    assert [r.run_id for r in plan_runs(load_benchmark(str(bench)), str(bench), only=['colours/toy_w8/s1'])] == [
        'colours__toy_w8__s1']
    assert len(plan_runs(load_benchmark(str(bench)), str(bench), only=['s1'])) == 4
    with pytest.raises(ValueError, match='matches no task or backbone'):
        plan_runs(load_benchmark(str(bench)), str(bench), only=['s7'])
    # each seed is its own run: its own hash (the seed is part of the spec), record and resume state
    sweep = Sweep(str(bench), str(tmp_path / 'res'), progress=False, only=['colours/toy_w4'])
    hashes = {sweep.spec_hash(r) for r in sweep.runs}
    assert len(hashes) == 3
    for run, value in zip(sweep.runs, (0.5, 0.7, 0.9)):
        write_record(sweep.record_path(run), dict(
            run_id=run.run_id, task=run.task, backbone=run.backbone, seed=run.seed, status='ok',
            metric='toy/accuracy', metrics={'toy/accuracy': value}, complexity=dict(madds=1000, params=10),
            meta=dict(spec_hash=sweep.spec_hash(run), wall_time_s=1.0)))
    assert sweep.pending() == []
    sweep.write_plan()
    data = gather(str(tmp_path / 'res'))
    row = task_rows(data, 'colours')[0]
    assert row['seeds'] == 3 and row['value'] == pytest.approx(0.7) and row['value_std'] == pytest.approx(0.2)
    md = open(write_leaderboard(str(tmp_path / 'res'))['markdown']).read()
    # mean ± half-width of the 95 % t interval: t(0.975, 2) = 4.3027, 4.3027 * 0.2 / sqrt(3) = 0.497
    assert '| 1 | toy_w4 | 0.7 ± 0.5 (3 seeds) |' in md
