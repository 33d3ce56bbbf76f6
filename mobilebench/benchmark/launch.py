"""Launching one run: its command line, its process, and its record. Shared by every executor.

:func:`execute_run` is *the* run function: the local sweep calls it in a thread per job slot, a submitit job
(Slurm or submitit's local executor) calls it inside the job. It composes the run's config, starts
``python -m mobilebench.benchmark.run_one`` (directly, through ``torch.distributed.run`` or through
``srun``), shows its progress, enforces ``run_timeout_s`` and writes the run record atomically: ``running``
when it starts, ``ok`` or ``failed`` when it ends, with whatever the run measured before a failure.

A run whose previous attempt was interrupted (record ``running`` with the same spec hash) and that left an
mmengine checkpoint resumes from it (``--resume``) instead of starting over.
"""
from __future__ import annotations

import ctypes
import json
import os
import os.path as osp
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Union

from . import chain
from ..fileio import atomic_write_text
from .records import (SCHEMA_VERSION, REPO_ROOT, config_hash, git_info, host_info, read_record, record_path,
                      samples_path, spec_hash, versions, work_dir, write_record)
from .spec import RunSpec, compose_run

LAUNCHERS = ('none', 'pytorch', 'slurm')


@dataclass
class RunSettings:
    """What every run of a sweep shares (picklable: it travels to Slurm jobs).

    Args:
        results_dir: the results folder.
        bench_path: the benchmark config (recorded).
        latency: ``dict(warmup, repeats, threads)`` of the backbone timing.
        measure_untrained: also test the model before training: True, False, or ``'first_seed'`` (only the
            runs of ``first_seed``; the other seeds' records have ``untrained_metrics: null``, and the
            leaderboard's untrained column is the first seed's).
        first_seed: the sweep's first seed.
        timeout_s: wall-clock limit of a run (None: none).
        threads: ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` of a run (None: inherited).
        launcher: ``none``, ``pytorch`` (torchrun, ``gpus`` processes) or ``slurm`` (srun, or inside a job).
        gpus: processes per run with a launcher.
        progress: tqdm bars.
        jobs: runs side by side (recorded).
        executor: ``local``, ``slurm`` or ``submitit-local`` (recorded).
        inside_job: the run already is a Slurm task (submitit): run ``run_one --launcher slurm`` directly
            instead of through ``srun``.
        preload: local launcher: start runs as forks of a process that imported the stack once
            (:mod:`.preload`), saving the ~7 CPU-seconds of imports of every run.
    """
    results_dir: str
    bench_path: str
    latency: Dict = field(default_factory=lambda: dict(warmup=3, repeats=10, threads=1))
    measure_untrained: Union[bool, str] = True
    first_seed: int = 0
    timeout_s: Optional[float] = None
    threads: Optional[int] = None
    launcher: str = 'none'
    gpus: int = 1
    progress: bool = True
    jobs: int = 1
    executor: str = 'local'
    inside_job: bool = False
    preload: bool = False
    deploy: Optional[Dict] = None  # engines latency / INT8 of the task network (mobilebench.deploy_figures)
    pretrain: Dict = field(default_factory=dict)  # task -> the task its backbone weights come from (chain)

    def hash_of(self, run: RunSpec, config_text: str) -> str:
        """The run's spec hash: its composed config plus every setting that changes its result."""
        return spec_hash(config_text, seed=run.seed, input_shape=list(run.input_shape), checkpoint=run.checkpoint,
                         latency=self.latency, measure_untrained=self.measure_untrained,
                         **(dict(deploy=self.deploy) if self.deploy else {}))


# --------------------------------------------------------------------------------------------------
def _log_tail(path: str, chars: int = 4000) -> str:
    try:
        with open(path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - chars))
            return f.read().decode(errors='replace')
    except OSError:
        return ''


def _error_line(tail: str) -> str:
    """The last exception line of a traceback ('KeyError: ...'), else the last non-empty line."""
    lines = [ln.strip() for ln in tail.splitlines() if ln.strip()]
    for line in reversed(lines):
        head = line.split(':', 1)[0]
        if head.endswith(('Error', 'Exception', 'Interrupt')) or head in ('AssertionError', 'KeyError'):
            return line[:500]
    return lines[-1][:500] if lines else ''


def _die_with_parent():  # pragma: no cover - runs in the child before exec
    """Linux: SIGKILL the child when its parent dies, so a killed sweep or job leaves no orphan run."""
    try:
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def build_command(settings: RunSettings, run: RunSpec, cfg_path: str, out_path: str, progress_path: str,
                  resume: bool = False) -> List[str]:
    """The command line of one run for the settings' launcher."""
    args = ['-m', 'mobilebench.benchmark.run_one', '--config', cfg_path,
            '--work-dir', work_dir(settings.results_dir, run.run_id), '--out', out_path,
            '--progress', progress_path, '--seed', str(run.seed),
            '--samples', samples_path(settings.results_dir, run.run_id),
            '--input-shape', *[str(s) for s in run.input_shape],
            '--latency-warmup', str(settings.latency['warmup']),
            '--latency-repeats', str(settings.latency['repeats']),
            '--latency-threads', str(settings.latency['threads'])]
    if run.checkpoint:
        args += ['--checkpoint', run.checkpoint]
    if not settings.measure_untrained or (settings.measure_untrained == 'first_seed'
                                          and run.seed != settings.first_seed):
        args.append('--no-untrained')
    if settings.deploy:
        args += ['--deploy', json.dumps(dict(settings.deploy, metric=run.metric))]
    if resume:
        args.append('--resume')
    if settings.launcher == 'none':
        return [sys.executable, *args]
    env = os.environ
    if settings.launcher == 'pytorch':  # the same torchrun call as tools/dist_train.sh
        return [sys.executable, '-m', 'torch.distributed.run', f'--nnodes={env.get("NNODES", 1)}',
                f'--node_rank={env.get("NODE_RANK", 0)}', f'--master_addr={env.get("MASTER_ADDR", "127.0.0.1")}',
                f'--nproc_per_node={settings.gpus}', f'--master_port={env.get("PORT", 29500)}',
                *args, '--launcher', 'pytorch']
    if settings.inside_job:  # a submitit Slurm task: SLURM_PROCID etc. are set, mmengine reads them
        return [sys.executable, '-u', *args, '--launcher', 'slurm']
    # slurm from a login node: the same srun call as tools/slurm_train.sh
    if 'PARTITION' not in env:
        raise ValueError('--launcher slurm needs the PARTITION environment variable (as slurm_train.sh)')
    per_node = env.get('GPUS_PER_NODE', str(min(settings.gpus, 8)))
    return ['srun', '-p', env['PARTITION'], f'--job-name={run.run_id}', f'--gres=gpu:{per_node}',
            f'--ntasks={settings.gpus}', f'--ntasks-per-node={per_node}',
            f'--cpus-per-task={env.get("CPUS_PER_TASK", 5)}', '--kill-on-bad-exit=1',
            *shlex.split(env.get('SRUN_ARGS', '')), sys.executable, '-u', *args, '--launcher', 'slurm']


# --------------------------------------------------------------------------------------------------
def execute_run(settings: RunSettings, run: RunSpec, position: int = 1, stop: Optional[threading.Event] = None,
                extra_meta: Optional[Dict] = None, write_records: bool = True) -> str:
    """Compose, launch and record one run; returns its final status (``ok`` or ``failed``).

    Args:
        settings: the sweep's shared settings.
        run: the run.
        position: the line of its progress bar.
        stop: set by the sweep when it is interrupted: the run is killed and its record stays ``running``.
        extra_meta: recorded in ``meta`` (e.g. the Slurm job id).
        write_records: False on the non-zero ranks of a multi-process job (they only run their process).

    Raises:
        KeyboardInterrupt: the sweep (or the run's process group) was interrupted; the record stays
            ``running`` and the next sweep redoes (resumes) the run.
    """
    t0 = time.time()
    wdir = work_dir(settings.results_dir, run.run_id)
    os.makedirs(wdir, exist_ok=True)
    rank_suffix = '' if write_records else f'_rank{os.environ.get("SLURM_PROCID", "x")}'
    out_path = osp.join(wdir, 'result.json' if write_records else f'result{rank_suffix}.json')
    progress_path = osp.join(wdir, f'progress{rank_suffix}.json')
    log_path = osp.join(wdir, f'run{rank_suffix}.log')
    rec_path = record_path(settings.results_dir, run.run_id)
    previous = read_record(rec_path) or {}
    record = dict(schema=SCHEMA_VERSION, run_id=run.run_id, task=run.task, backbone=run.backbone, seed=run.seed,
                  status='running', metric=run.metric, metrics_shown=run.metrics,
                  higher_is_better=run.higher_is_better, work_dir=wdir, log=log_path,
                  meta=dict(bench_config=settings.bench_path, template=run.template,
                            backbone_file=run.backbone_file, backbone_overrides=run.backbone_overrides,
                            overrides=run.overrides, checkpoint=run.checkpoint, seed=run.seed,
                            input_shape=list(run.input_shape), executor=settings.executor,
                            launcher=settings.launcher, gpus=settings.gpus if settings.launcher != 'none' else 0,
                            git=git_info(), versions=versions(), host=host_info(), pid=os.getpid(),
                            jobs=settings.jobs, started=time.strftime('%Y-%m-%dT%H:%M:%S'), start_time=t0,
                            **(extra_meta or {})))
    try:
        cfg = compose_run(run)
        # chain: start from the pretraining run's backbone, or stop here if that run is not usable
        link = chain.link_pretrained(run, cfg, {t: dict(pretrain=p) for t, p in settings.pretrain.items()},
                                     lambda run_id: record_path(settings.results_dir, run_id))
        if link.blocked:
            if not write_records:
                raise RuntimeError(link.blocked)
            return _finish(settings, run, record, t0, 'blocked', error=link.blocked, blocked_by=link.upstream)
        record['pretrained_from'] = link.as_record()
        text = cfg.pretty_text  # formatted once (yapf: up to ~1 CPU-second), hashed and written as it is
        cfg_path = osp.join(wdir, f'config{rank_suffix}.py')  # each rank of a job its own file
        atomic_write_text(cfg_path, text)
        record['meta']['config_hash'] = config_hash(text)
        record['meta']['spec_hash'] = settings.hash_of(run, text)
        record['config'] = cfg_path
    except Exception as exc:  # noqa: BLE001 - a bad config fails this run only
        if not write_records:
            raise
        return _finish(settings, run, record, t0, 'failed', error=f'config: {type(exc).__name__}: {exc}')

    # an interrupted attempt of the same spec that left a checkpoint: resume from it
    last = osp.join(wdir, 'last_checkpoint')
    resume = (previous.get('status') == 'running'
              and (previous.get('meta') or {}).get('spec_hash') == record['meta']['spec_hash']
              and osp.isfile(last) and not run.checkpoint)
    record['meta']['attempt'] = int((previous.get('meta') or {}).get('attempt', 0)) + 1 \
        if previous.get('status') == 'running' else 1
    if resume:
        with open(last) as f:
            record['meta']['resumed_from'] = f.read().strip()
    else:
        for stale in (out_path, progress_path, samples_path(settings.results_dir, run.run_id)):
            if osp.exists(stale):
                os.unlink(stale)
    if write_records:
        write_record(rec_path, record)  # 'running': a kill from here on means redo (resume)

    cmd = build_command(settings, run, cfg_path, out_path, progress_path, resume=resume)
    record['meta']['command'] = ' '.join(shlex.quote(c) for c in cmd)
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO_ROOT + (os.pathsep + env['PYTHONPATH'] if env.get('PYTHONPATH') else '')
    env['PYTHONUNBUFFERED'] = '1'
    if settings.threads:
        for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
            env[var] = str(int(settings.threads))
        record['meta']['threads'] = int(settings.threads)
    rc = _launch(settings, run, cmd, env, log_path, progress_path, position, stop)
    if rc == -signal.SIGINT:  # Ctrl-C reached the run's process group: an interrupted sweep, not a
        # failed run; its record stays 'running' so the next sweep runs it again
        raise KeyboardInterrupt(f'{run.run_id} interrupted (SIGINT)')
    if not write_records:
        return 'ok' if rc == 0 else 'failed'
    result = read_record(out_path)
    if rc == 0 and result is not None and result.get('complete', True) and not result.get('error'):
        return _finish(settings, run, record, t0, 'ok', result=result)
    tail = _log_tail(log_path)
    if result is not None and result.get('error'):
        error = result['error']
    elif rc == 0:
        error = 'the run exited without writing its result file'
    elif rc is None:
        error = f'timed out after {settings.timeout_s} s'
    elif rc < 0:
        error = f'killed by signal {-rc} ({signal.Signals(-rc).name})'
    else:
        error = _error_line(tail) or f'exit status {rc}'
    return _finish(settings, run, record, t0, 'failed', result=result, error=error, returncode=rc,
                   failed_phase=(result or {}).get('phase'), log_tail=tail[-2000:])


def _launch(settings: RunSettings, run: RunSpec, cmd, env, log_path, progress_path, position: int = 1,
            stop: Optional[threading.Event] = None) -> Optional[int]:
    from tqdm import tqdm
    bar = tqdm(total=1, desc=f'  {run.run_id}', position=position, leave=False, disable=not settings.progress,
               dynamic_ncols=True, bar_format='{desc}: {percentage:3.0f}%|{bar}| {n}/{total} {postfix}')
    start = time.time()
    last = None
    with open(log_path, 'ab') as log:
        log.write(f'\n===== {time.strftime("%Y-%m-%dT%H:%M:%S")} {" ".join(cmd)}\n'.encode())
        log.flush()
        if settings.preload and settings.launcher == 'none':  # a fork of the preloaded server
            from .preload import PreloadedRun
            proc = PreloadedRun(cmd[3:], env, log_path, settings.threads)  # cmd = python -m run_one ARGS
        else:
            proc = subprocess.Popen(cmd, cwd=os.getcwd(), env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL,
                                    preexec_fn=_die_with_parent if sys.platform.startswith('linux') else None)
        try:
            while True:
                try:
                    rc = proc.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    pass
                state = read_record(progress_path)
                key = (state or {}).get('phase'), (state or {}).get('done'), int(time.time() - start) // 10
                if state and key != last:  # redraw on progress (or every 10 s), not on every poll
                    last = key
                    total = max(int(state.get('total') or 0), 1)
                    bar.total = total
                    bar.n = min(int(state.get('done') or 0), total)
                    bar.set_postfix_str(f'{state.get("phase", "")} {time.time() - start:.0f}s', refresh=False)
                    bar.refresh()
                if stop is not None and stop.is_set():  # the sweep is being interrupted
                    raise KeyboardInterrupt(f'sweep interrupted while {run.run_id} ran')
                if settings.timeout_s and time.time() - start > float(settings.timeout_s):
                    proc.kill()
                    proc.wait()
                    rc = None
                    break
        except BaseException:
            proc.kill()  # Ctrl-C on the sweep, or a preempted job: stop the run too; its record stays 'running'
            proc.wait()
            raise
        finally:
            bar.close()
    return rc


def _finish(settings: RunSettings, run: RunSpec, record: Dict, t0: float, status: str,
            result: Optional[Dict] = None, **extra) -> str:
    """Write the final record: status, timing, and every measurement the run made (even a failed one)."""
    record['status'] = status
    record['meta']['finished'] = time.strftime('%Y-%m-%dT%H:%M:%S')
    record['meta']['end_time'] = time.time()
    record['meta']['wall_time_s'] = round(record['meta']['end_time'] - t0, 3)
    if result is not None:
        metrics = result.get('metrics')
        untrained = result.get('untrained_metrics')
        record.update(metrics=metrics, untrained_metrics=untrained, complexity=result.get('complexity'),
                      latency=result.get('latency'), timings=result.get('timings'),
                      train_iters=result.get('train_iters'), train_start_iter=result.get('train_start_iter'),
                      log_dir=result.get('log_dir'), deploy=result.get('deploy'), pretrained=result.get('pretrained'))
        if result.get('samples') and osp.isfile(result['samples']):  # per-sample test results (samples.py)
            record['samples'] = osp.relpath(result['samples'], settings.results_dir)
        if result.get('samples_error'):
            record['samples_error'] = result['samples_error']
        record['value'] = (metrics or {}).get(run.metric)
        record['untrained_value'] = (untrained or {}).get(run.metric) if untrained is not None else None
        if status == 'ok' and record['value'] is None:
            record['warning'] = (f'metric {run.metric!r} missing from the test metrics '
                                 f'{sorted(metrics or {})}; fix `metric` of task {run.task}')
    record.update({k: v for k, v in extra.items() if v is not None or k == 'returncode'})
    write_record(record_path(settings.results_dir, run.run_id), record)
    return status

