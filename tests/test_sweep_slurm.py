"""Sweeps as submitit jobs (issue 19): the same run function and results folder as local sweeps.

The fast tests go through submitit's ``LocalExecutor`` (``--executor submitit-local``: the same submission
path as Slurm, jobs are processes here) on the toy task of ``tests/data/benchmark/`` (2 backbones x 2 tasks,
real mmengine training): kill the sweep midway and resume it, and preempt a job (SIGUSR2, what Slurm sends
before a time limit) so that it requeues and resumes from its mmengine checkpoint (``slow``: one longer
run). The other ``slow`` test runs the same sweep on a real Slurm cluster (``tools/slurm/start_local_cluster.sh`` starts a one-node one).
"""
import glob
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time

import pytest

from toy_sweeps import BENCH_2X2, ROOT, RUNS_2X2, TOY, sweep_cmd as _cmd, toy_env as _env  # noqa: F401


def _records(results):
    out = {}
    for path in glob.glob(osp.join(results, 'runs', '*.json')):
        try:
            out[osp.basename(path)[:-5]] = json.load(open(path))
        except ValueError:
            pass
    return out


def _launches(results, run_id):
    with open(osp.join(results, 'work_dirs', run_id, 'run.log')) as f:
        return sum(line.startswith('===== ') for line in f)


def test_slurm_resources_map_to_sbatch_options(tmp_path):
    """The config's ``slurm`` keys become these sbatch lines (submitit writes the script)."""
    from mobilebench.benchmark.slurm import make_executor
    res = dict(partition='gpu', account='vision', qos='high', constraint='a100', nodes=2, gpus_per_node=8,
               cpus_per_task=10, mem='64G', timeout_min=120, signal_delay_s=120, array_parallelism=4,
               sbatch_args=dict(exclusive=True, mail_type='END'), setup=['module load cuda/12.1'])
    script = make_executor('slurm', str(tmp_path), res)._make_submission_file_text('python -m x', 'uid')
    for line in ('#SBATCH --partition=gpu', '#SBATCH --account=vision', '#SBATCH --nodes=2',
                 '#SBATCH --gpus-per-node=8', '#SBATCH --ntasks-per-node=8', '#SBATCH --cpus-per-task=10',
                 '#SBATCH --mem=64G', '#SBATCH --time=120', '#SBATCH --signal=USR2@120', '#SBATCH --exclusive',
                 '#SBATCH --qos=high', '#SBATCH --constraint=a100', '#SBATCH --mail-type=END',
                 '#SBATCH --job-name=mobilebench', 'module load cuda/12.1'):
        assert line in script, line
    # a job of one CPU process: no GPU request, one task
    script = make_executor('slurm', str(tmp_path), dict(nodes=1, gpus_per_node=0))._make_submission_file_text(
        'python -m x', 'uid')
    assert '--gpus-per-node' not in script and '#SBATCH --ntasks-per-node=1' in script


def test_multi_gpu_job_launches_run_one_the_mmengine_way(monkeypatch):
    """Inside a Slurm job each task starts run_one with ``--launcher slurm`` (mmengine reads SLURM_PROCID ...)."""
    from mobilebench.benchmark import Sweep
    from mobilebench.benchmark.launch import build_command
    from dataclasses import replace
    monkeypatch.chdir(ROOT)
    sweep = Sweep(BENCH_2X2, '/tmp/unused', progress=False)
    inside = replace(sweep.settings, inside_job=True, launcher='slurm', gpus=16)
    cmd = build_command(inside, sweep.runs[0], 'cfg.py', 'out.json', 'p.json', resume=True)
    assert cmd[0] == sys.executable and 'srun' not in cmd and cmd[-2:] == ['--launcher', 'slurm']
    assert '--resume' in cmd


def test_submitit_sweep_killed_midway_then_resumed(tmp_path):
    """2 backbones x 2 tasks as submitit jobs: kill everything midway, resume: every run done exactly once."""
    results = tmp_path / 'res'
    proc = subprocess.Popen(_cmd(BENCH_2X2, results, '--executor', 'submitit-local', '--wait'), cwd=ROOT,
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    killed = None
    deadline = time.time() + 400
    try:
        while time.time() < deadline and proc.poll() is None:
            recs = _records(results)
            running = [k for k, r in recs.items() if r.get('status') == 'running']
            if running and any(r.get('status') == 'ok' for r in recs.values()):
                killed = running
                os.killpg(proc.pid, signal.SIGKILL)  # the submitter, its job controllers, tasks and runs
                break
            time.sleep(0.2)
    finally:
        if killed is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert killed, 'the sweep finished before it could be killed midway'
    time.sleep(1.0)
    before = _records(results)
    done_before = {k: r['meta']['finished'] for k, r in before.items() if r['status'] == 'ok'}
    status = subprocess.run(_cmd(BENCH_2X2, results, '--executor', 'submitit-local', '--status'), cwd=ROOT,
                            env=_env(), capture_output=True, text=True, timeout=120)
    assert status.returncode == 1 and 'pending' in status.stdout  # the killed runs are neither done nor queued

    out = subprocess.run(_cmd(BENCH_2X2, results, '--executor', 'submitit-local', '--wait'), cwd=ROOT, env=_env(),
                         capture_output=True, text=True, timeout=400)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert f'{len(RUNS_2X2) - len(done_before)} run(s) submitted' in out.stdout  # only what was not done
    after = _records(results)
    assert set(after) == RUNS_2X2 and all(r['status'] == 'ok' for r in after.values())
    for run_id, stamp in done_before.items():  # finished runs were not repeated
        assert after[run_id]['meta']['finished'] == stamp and _launches(results, run_id) == 1
    for run_id in killed:
        assert after[run_id]['meta']['attempt'] == 2 and after[run_id]['meta']['executor'] == 'submitit-local'
    again = subprocess.run(_cmd(BENCH_2X2, results, '--executor', 'submitit-local'), cwd=ROOT, env=_env(),
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and '0 run(s) submitted' in again.stdout and _records(results) == after


@pytest.mark.slow
def test_preempted_job_resumes_from_its_checkpoint(tmp_path):
    """SIGUSR2 to a running job (Slurm's preemption / time-limit signal): submitit requeues it and the run
    continues from its last mmengine checkpoint instead of starting over."""
    bench = tmp_path / 'long.py'
    bench.write_text("""_dir = 'tests/data/benchmark/'
backbones = [_dir + 'toy_backbone_w4.py']
tasks = dict(colours=dict(
    template=_dir + 'toy_task.py', metric='toy/accuracy', input_shape=(3, 16, 16),
    overrides=dict(train_cfg=dict(max_epochs=12), train_dataloader=dict(dataset=dict(n=480)),
                   default_hooks=dict(checkpoint=dict(interval=1)))))
latency = dict(warmup=1, repeats=2, threads=1)
threads = 1
slurm = dict(timeout_min=30)
""")
    results = tmp_path / 'res'
    proc = subprocess.Popen(_cmd(bench, results, '--executor', 'submitit-local', '--wait'), cwd=ROOT, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    wdir = results / 'work_dirs' / 'colours__toy_w4'
    signalled = False
    try:
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            if (wdir / 'epoch_2.pth').exists():
                claim = json.load(open(results / 'claims' / 'colours__toy_w4.claim'))
                os.kill(claim['job_pid'], signal.SIGUSR2)
                signalled = True
                break
            time.sleep(0.1)
        out = proc.communicate(timeout=300)[0]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert signalled, 'the run finished before it could be preempted'
    assert proc.returncode == 0, out[-3000:]
    rec = _records(results)['colours__toy_w4']
    assert rec['status'] == 'ok' and rec['meta']['attempt'] == 2
    resumed = osp.basename(rec['meta']['resumed_from'])
    epoch = int(resumed[len('epoch_'):-len('.pth')])
    assert epoch >= 2 and rec['train_start_iter'] == epoch * 60  # 480 samples / batch 8 per epoch
    assert rec['train_iters'] == 12 * 60 and _launches(results, 'colours__toy_w4') == 2
    assert rec['untrained_metrics'] is not None  # kept from the first attempt


@pytest.mark.slow
@pytest.mark.skipif(shutil.which('sbatch') is None,
                    reason='no Slurm here (sbatch not found): apt-get install -y slurm-wlm munge && '
                           'bash tools/slurm/start_local_cluster.sh')
def test_sweep_as_slurm_jobs(tmp_path):
    """The 2x2 sweep on a real Slurm cluster; two users submitting it at once submit every run once."""
    info = subprocess.run(['sinfo', '-h', '-o', '%T'], capture_output=True, text=True)
    if info.returncode != 0 or not info.stdout.strip():
        pytest.skip(f'sbatch is installed but no Slurm cluster answers (sinfo: {info.stderr.strip()}); '
                    'start one with tools/slurm/start_local_cluster.sh')
    results = tmp_path / 'res'
    users = [subprocess.Popen(_cmd(BENCH_2X2, results, '--executor', 'slurm'), cwd=ROOT, env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outs = [u.communicate(timeout=300)[0] for u in users]
    assert [u.returncode for u in users] == [0, 0], outs
    submitted = [line.split()[1].rstrip(':') for out in outs for line in out.splitlines()
                 if line.startswith('submitted ')]
    assert sorted(submitted) == sorted(RUNS_2X2)  # each run submitted by exactly one of the two
    status = subprocess.run(_cmd(BENCH_2X2, results, '--executor', 'slurm', '--status'), cwd=ROOT, env=_env(),
                            capture_output=True, text=True, timeout=120)
    assert any(s in status.stdout for s in ('queued', 'running', 'done')), status.stdout
    out = subprocess.run(_cmd(BENCH_2X2, results, '--executor', 'slurm', '--wait'), cwd=ROOT, env=_env(),
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0 and '0 run(s) submitted' in out.stdout, out.stdout[-3000:] + out.stderr[-2000:]
    recs = _records(results)
    assert set(recs) == RUNS_2X2 and all(r['status'] == 'ok' for r in recs.values())
    assert all(r['meta']['executor'] == 'slurm' and r['meta']['job_id'] for r in recs.values())
    assert all(_launches(results, run_id) == 1 for run_id in RUNS_2X2)
    assert len({r['meta']['job_id'] for r in recs.values()}) == 4
    print(out.stdout)
