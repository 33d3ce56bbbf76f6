"""Sweep and tool behaviour checked by its effect (issue 25): Ctrl-C leaves an interrupted (resumable) run,
not a failed one; the leaderboard orders both directions of a metric; the rewrite rules edit what they say;
``--retry-failed``, ``--dry-run`` (tools/benchmark.py), ``--amp`` and ``--auto-scale-lr`` (tools/train.py).

The Ctrl-C test runs the toy task of ``tests/data/benchmark/`` (a real mmengine train/test of a tiny
classifier) as a subprocess and sends SIGINT to its process group, as a terminal does.
"""
import json
import os
import os.path as osp
import signal
import subprocess
import time

import pytest

from toy_sweeps import BENCH_2X2, ROOT, sweep_cmd, toy_env

RUN = 'colours__toy_w4'


def _record(results, run_id=RUN):
    try:
        with open(osp.join(results, 'runs', f'{run_id}.json')) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _as_in_a_terminal():
    """``preexec_fn`` of the sweep: SIGINT back to its default action, as a shell gives a foreground job. A test
    run started in the background (``nohup pytest ... &``, some CI runners) inherits SIGINT *ignored*; a Python
    child then never turns it into KeyboardInterrupt, and the Ctrl-C tests would test nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _children(pid):
    """The pids of ``pid``'s child processes (Linux /proc)."""
    kids = []
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/children') as f:
                kids += [int(k) for k in f.read().split()]
        except OSError:
            pass
    return kids


@pytest.mark.skipif(not osp.isdir('/proc/self/task'), reason='finds the run process through Linux /proc')
@pytest.mark.parametrize('target', ['group', 'run', 'preloaded-run'])
def test_ctrl_c_leaves_the_run_interrupted_and_resumable(tmp_path, monkeypatch, target):
    """SIGINT while the run trains, to the sweep's whole process group (what Ctrl-C in a terminal sends) or
    to the run's process only (its own group under srun / torchrun): the sweep stops with an error status, the
    record stays ``running`` (no ``failed``, no error, no finish time), ``--status``
    shows it as pending
    (interrupted, resumes)."""
    results = tmp_path / 'res'
    bench = tmp_path / 'bench.py'
    # 1000 epochs: the run cannot finish between the moment the test sees it train and the SIGINT, however
    # loaded the machine
    bench.write_text(open(osp.join(ROOT, BENCH_2X2)).read()
                     + "\ntasks['colours']['overrides'] = dict(train_cfg=dict(max_epochs=1000))\n"
                     # the run is a fork of the preload server (mobilebench.benchmark.preload)
                     + ('preload = True\n' if target == 'preloaded-run' else ''))
    cmd = sweep_cmd(bench, results, '--only', 'colours/toy_w4')
    proc = subprocess.Popen(cmd, cwd=ROOT, env=toy_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True, preexec_fn=_as_in_a_terminal)
    log = results / 'work_dirs' / RUN / 'run.log'
    deadline = time.time() + 120
    sent = False
    try:
        while time.time() < deadline and proc.poll() is None:
            rec = _record(results)
            # the run's process is up and training (its log has mmengine's lines, not only the launch header)
            if rec and rec['status'] == 'running' and log.exists() and len(log.read_text().splitlines()) > 2:
                if target == 'group':
                    os.killpg(proc.pid, signal.SIGINT)
                elif target == 'run':
                    kids = _children(proc.pid)
                    assert len(kids) == 1, kids
                    os.kill(kids[0], signal.SIGINT)
                else:  # sweep -> forkserver (+ its resource tracker) -> the run
                    kids = [k for server in _children(proc.pid) for k in _children(server)]
                    runs = [k for k in kids if 'forkserver' in open(f'/proc/{k}/cmdline').read()]
                    assert len(runs) == 1, (kids, runs)
                    os.kill(runs[0], signal.SIGINT)
                sent = True
                break
            time.sleep(0.1)
        out = proc.communicate(timeout=60)[0]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert sent, 'the run finished before it could be interrupted'
    assert proc.returncode != 0, out[-3000:]
    rec = _record(results)
    assert rec['status'] == 'running', rec
    assert not rec.get('error') and 'finished' not in rec['meta'] and rec['meta']['attempt'] == 1
    from mobilebench.benchmark import Sweep
    from mobilebench.benchmark.slurm import run_states
    monkeypatch.chdir(ROOT)
    states = run_states(Sweep(str(bench), str(results), only=['colours/toy_w4'], progress=False), 'local')
    assert [(s['run_id'], s['state']) for s in states] == [(RUN, 'pending')], states
    assert 'interrupted' in states[0]['detail'] and 'resumes' in states[0]['detail']

    # (that a 'running' record is then resumed is checked by test_benchmark.test_sweep_killed_then_resumed)


@pytest.mark.parametrize('preload', [False, True], ids=['subprocess', 'preloaded'])
def test_ctrl_c_that_a_library_turns_into_another_error_still_interrupts(tmp_path, preload):
    """A SIGINT that reaches code with a bare ``except:`` (mmengine's ``Config.pretty_text`` turns it into a
    ``SyntaxError`` while the Runner is built) still ends the run as interrupted: the run's process exits by
    SIGINT, its result file holds no error and its record stays ``running``, not ``failed``. The toy dataset
    sends the SIGINT itself, so the moment is exact."""
    results = tmp_path / 'res'
    bench = tmp_path / 'bench.py'
    bench.write_text(open(osp.join(ROOT, BENCH_2X2)).read() + (
        "\ntasks['colours']['overrides'] = dict(train_dataloader=dict(dataset=dict(sigint_in_bare_except=True)))\n"
        + ('preload = True\n' if preload else '')))
    proc = subprocess.run(sweep_cmd(bench, results, '--only', 'colours/toy_w4'), cwd=ROOT, env=toy_env(),
                          capture_output=True, text=True, timeout=300, start_new_session=True,
                          preexec_fn=_as_in_a_terminal)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert 'interrupted (SIGINT)' in out, out[-3000:]
    rec = _record(results)
    assert rec['status'] == 'running' and not rec.get('error'), rec
    with open(results / 'work_dirs' / RUN / 'result.json') as f:
        result = json.load(f)
    assert 'error' not in result and result['untrained_metrics'], result  # measured before: kept
    log = (results / 'work_dirs' / RUN / 'run.log').read_text()
    assert 'SyntaxError: Failed to format the config file' in log and 'KeyboardInterrupt' in log, log[-3000:]


def test_preloaded_run_equals_a_subprocess_run(tmp_path):
    """``preload = True``: the same run, forked from the preload server instead of a fresh interpreter, gives
    the same record (metrics, untrained metrics, complexity), its log has the run's own output, and the
    run's thread count is the sweep's ``threads`` (set in the fork: torch read OMP_NUM_THREADS earlier)."""
    preload = tmp_path / 'preload.py'
    preload.write_text(open(osp.join(ROOT, BENCH_2X2)).read().replace('threads = 1', 'threads = 2')
                       + '\npreload = True\n')
    plain = tmp_path / 'plain.py'
    plain.write_text(open(osp.join(ROOT, BENCH_2X2)).read().replace('threads = 1', 'threads = 2'))
    recs = {}
    for name, bench in (('plain', plain), ('preload', preload)):
        results = tmp_path / name
        proc = subprocess.run(sweep_cmd(bench, results, '--only', 'colours/toy_w4'), cwd=ROOT, env=toy_env(),
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        recs[name] = _record(results)
        log = (results / 'work_dirs' / RUN / 'run.log').read_text()
        # the run's own output (mmengine's warnings, run_one's samples warning) is appended to its log
        assert 'init_weights of MBToyClassifier' in log and 'warning: --samples' in log, log[-2000:]
    a, b = recs['plain'], recs['preload']
    assert a['status'] == b['status'] == 'ok'
    for key in ('metrics', 'untrained_metrics', 'complexity'):
        assert a[key] == b[key], key
    assert a['meta']['threads'] == b['meta']['threads'] == 2


# ------------------------------------------------------------------------------------------------ leaderboard
def _rec(task, bb, metric, value, higher):
    return dict(schema=1, run_id=f'{task}__{bb}', task=task, backbone=bb, status='ok', metric=metric,
                metrics_shown=[metric], higher_is_better=higher, metrics={metric: value},
                untrained_metrics={metric: 0.5}, complexity=dict(madds=1_000_000, params=10_000),
                latency=dict(median_ms=1.0), meta=dict(wall_time_s=1.0))


def test_leaderboard_orders_each_direction_and_summary_best_first(tmp_path):
    """A higher-is-better task (accuracy) and a lower-is-better one (error): each table best first, the
    ranks follow the direction, and the summary lists the best mean rank first.

    Hand ranks: acc a=0.9 (1), b=0.8 (2), c=0.7 (3); err b=0.10 (1), c=0.20 (2), a=0.30 (3)
    -> mean ranks b 1.5, a 2.0, c 2.5."""
    from mobilebench.benchmark.leaderboard import gather, task_rows, write_leaderboard
    from mobilebench.benchmark.records import write_record
    for bb, acc, err in (('a', 0.9, 0.30), ('b', 0.8, 0.10), ('c', 0.7, 0.20)):
        write_record(str(tmp_path / 'runs' / f'acc__{bb}.json'), _rec('acc', bb, 'top1', acc, True))
        write_record(str(tmp_path / 'runs' / f'err__{bb}.json'), _rec('err', bb, 'error', err, False))
    data = gather(str(tmp_path))
    assert [r['backbone'] for r in task_rows(data, 'acc')] == ['a', 'b', 'c']
    assert [r['backbone'] for r in task_rows(data, 'err')] == ['b', 'c', 'a']
    paths = write_leaderboard(str(tmp_path))
    summ = paths['summary']
    assert [s['backbone'] for s in summ] == ['b', 'a', 'c']
    assert [s['mean_rank'] for s in summ] == [1.5, 2.0, 2.5]
    assert summ[0]['ranks'] == dict(acc=2, err=1)
    md = open(paths['markdown']).read()
    err_table = md[md.index('## err'):md.index('## Summary')]
    assert err_table.index('| b |') < err_table.index('| c |') < err_table.index('| a |')


def test_pareto_front_in_both_directions():
    from mobilebench.benchmark.table import pareto_front
    pts = [(100, 0.5), (200, 0.3), (300, 0.7), (150, 0.6)]
    # higher is better: (200, 0.3) is beaten by (100, 0.5) and (150, 0.6) beats nothing cheaper
    assert sorted(pareto_front(pts)) == [0, 2, 3]
    # lower is better: (100, 0.5) is cheapest; (200, 0.3) is the lowest; the rest are dominated by them
    assert sorted(pareto_front(pts, higher_is_better=False)) == [0, 1]


# ------------------------------------------------------------------------------------------------ rewrites
def test_rewrite_rules_edit_exactly_what_they_say():
    from mobilebench.benchmark.spec import apply_rewrites
    cfg = dict(
        data_root='data/coco/',
        train=dict(dataset=dict(ann_file='data/coco/a.json', img_scale=(416, 416),
                                pipeline=[dict(type='RandomFlip', prob=0.5), dict(type='RandomFlip', prob=1.0),
                                          dict(type='Resize', prob=0.5, scale=[416, 416])])),
        test=dict(img_scale=[320, 320], other='xdata/coco/'))
    out = apply_rewrites(cfg, [
        dict(prefix='data/coco/', new='/d/'),
        dict(key='img_scale', old=[416, 416], new=(96, 96)),  # a list and a tuple compare equal
        dict(key='scale', new=(64, 64)),
        dict(match=dict(type='RandomFlip', prob=0.5), new=dict(type='Noop')),  # every item must match
    ])
    pipe = out['train']['dataset']['pipeline']
    assert pipe == [dict(type='Noop'), dict(type='RandomFlip', prob=1.0),
                    dict(type='Resize', prob=0.5, scale=(64, 64))]
    assert out['data_root'] == '/d/' and out['train']['dataset']['ann_file'] == '/d/a.json'
    assert out['test']['other'] == 'xdata/coco/'  # a prefix, not a substring
    assert out['train']['dataset']['img_scale'] == (96, 96) and out['test']['img_scale'] == [320, 320]
    assert cfg['train']['dataset']['pipeline'][0] == dict(type='RandomFlip', prob=0.5)  # the input is untouched
    with pytest.raises(ValueError, match=r'rewrite\[0\]'):
        apply_rewrites(cfg, [dict(match=dict(type='RandomFlip'))])


# ------------------------------------------------------------------------------------------------ options
def test_retry_failed_and_dry_run(tmp_path, monkeypatch, capsys):
    """``--retry-failed`` puts failed runs (and only those) back in the queue; ``--dry-run`` composes and
    lists every run, says how many are left, and runs nothing."""
    from mobilebench.benchmark import Sweep
    from mobilebench.benchmark.records import record_path, write_record
    from tools.benchmark import main
    monkeypatch.chdir(ROOT)
    results = str(tmp_path / 'res')
    sweep = Sweep(BENCH_2X2, results, progress=False)
    by_id = {r.run_id: r for r in sweep.runs}
    for run_id, status in (('colours__toy_w4', 'failed'), ('colours__toy_w8', 'ok')):
        write_record(record_path(results, run_id), dict(
            schema=1, run_id=run_id, task='colours', backbone=run_id.split('__')[1], status=status,
            meta=dict(spec_hash=sweep.spec_hash(by_id[run_id]), finished='2026-01-01T00:00:00')))
    left = {'colours_short__toy_w4', 'colours_short__toy_w8'}
    assert {r.run_id for r in Sweep(BENCH_2X2, results, progress=False).pending()} == left
    assert {r.run_id for r in Sweep(BENCH_2X2, results, progress=False, retry_failed=True).pending()} == \
        left | {'colours__toy_w4'}
    before = sorted(os.listdir(osp.join(results, 'runs')))
    assert main([BENCH_2X2, '--results', results, '--dry-run', '--no-progress']) == 0
    assert '4 runs planned; 2 to run' in capsys.readouterr().out
    assert main([BENCH_2X2, '--results', results, '--dry-run', '--no-progress', '--retry-failed']) == 0
    assert '4 runs planned; 3 to run' in capsys.readouterr().out
    assert sorted(os.listdir(osp.join(results, 'runs'))) == before  # nothing ran
    assert not osp.exists(osp.join(results, 'work_dirs'))


def test_train_amp_and_auto_scale_lr_options(tmp_path):
    """tools/train.py ``--amp`` switches to mmengine's AmpOptimWrapper (dynamic loss scale) and
    ``--auto-scale-lr`` enables the config's ``auto_scale_lr``; a config without one is a clear error."""
    from tools.train import build_train_cfg, parse_args
    config = osp.join(ROOT, 'configs', 'classification', 'mobilenetv2_x1.0_8xb32-150e_in1k.py')
    plain = build_train_cfg(parse_args([config, '--work-dir', str(tmp_path)]))
    cfg = build_train_cfg(parse_args([config, '--work-dir', str(tmp_path), '--amp', '--auto-scale-lr']))
    assert plain.optim_wrapper.get('type', 'OptimWrapper') == 'OptimWrapper' and not plain.auto_scale_lr.get('enable')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper' and cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.auto_scale_lr.enable and cfg.auto_scale_lr.base_batch_size == plain.auto_scale_lr.base_batch_size
    bare = tmp_path / 'bare.py'
    bare.write_text("model = dict(type='x')\noptim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\n")
    with pytest.raises(ValueError, match=r'bare.py: --auto-scale-lr needs `auto_scale_lr'):
        build_train_cfg(parse_args([str(bare), '--work-dir', str(tmp_path), '--auto-scale-lr']))


def test_print_config_saves_what_trains(tmp_path, capsys):
    """tools/misc/print_config.py: the printed / saved config is the one tools/train.py trains (inheritance,
    --cfg-options and data_root applied), and the saved file loads with plain mmengine."""
    from mmengine.config import Config

    from mobilebench.config import load_config
    from tools.misc.print_config import main
    config = osp.join(ROOT, 'configs', 'pose', 'simplebaseline_mobilenetv2_x1.0_coco-256x192.py')
    saved = tmp_path / 'full.py'
    main([config, '--cfg-options', 'data_root=/d/coco/', 'train_cfg.max_epochs=3', '--save-path', str(saved)])
    out = capsys.readouterr().out
    assert out.startswith('Config:\n') and f'Config saved to {saved}' in out
    plain = Config.fromfile(str(saved))
    assert plain.train_cfg.max_epochs == 3 and plain.test_dataloader.dataset.data_root == '/d/coco/'
    assert plain.model.to_dict() == load_config(config).model.to_dict()
