"""The benchmark sweep: compose each (task, backbone) config, run it in its own process, record it.

Results folder layout::

    RESULTS/benchmark.json          the planned runs and the tasks' metric definitions
    RESULTS/runs/<task>__<bb>.json  one record per run (status ok | failed | running)
    RESULTS/work_dirs/<run_id>/     composed config.py, run.log, mmengine logs and checkpoints

Resume rules: a run whose record says ``ok`` or ``failed`` is never repeated; a record that says
``running`` (the sweep was killed while it ran) or that cannot be parsed is run again. Records are
written atomically (temporary file + ``os.replace``), so a kill never leaves half a record.
Each run is a subprocess (``python -m mobilebench.benchmark.run_one``), so a crash, an OOM kill or
a leak in one run cannot take the sweep down. Multi-GPU runs go through ``torch.distributed.run``
(as ``tools/dist_train.sh``) or ``srun`` (as ``tools/slurm_train.sh``), one run at a time. On a CPU
machine ``jobs`` > 1 runs that many single-machine runs side by side (e.g. ``jobs=2, threads=1`` on 2
cores); every run still has its own process, record and progress bar.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import os
import os.path as osp
import platform
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional, Sequence

from mobilebench.fileio import atomic_write_json

from . import chain
from .spec import RunSpec, apply_rewrites, load_benchmark, plan_runs

SCHEMA_VERSION = 1
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FINISHED = ('ok', 'failed')


# --------------------------------------------------------------------------------------------------
# metadata
def git_info(cwd: str = REPO_ROOT) -> Dict:
    """Commit hash and whether the working tree has uncommitted changes (None outside git)."""
    def _git(*cmd):
        try:
            return subprocess.run(['git', *cmd], cwd=cwd, capture_output=True, text=True, timeout=10,
                                  check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
    commit = _git('rev-parse', 'HEAD')
    status = _git('status', '--porcelain', '--untracked-files=no')
    return dict(commit=commit, dirty=bool(status) if status is not None else None)


def versions() -> Dict:
    """Versions of python and of the packages a result depends on."""
    from importlib import metadata
    out = dict(python=platform.python_version())
    for dist in ('torch', 'mmengine', 'mmcv', 'mmdet', 'mmpose', 'mmaction2', 'mmpretrain', 'numpy', 'insightface'):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def host_info() -> Dict:
    return dict(hostname=socket.gethostname(), platform=platform.platform(), processor=platform.processor(),
                cpu_count=os.cpu_count())


def config_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------------------------
# records
def read_record(path: str) -> Optional[Dict]:
    """The record at ``path``, or None if it is missing or corrupt."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


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
    """Linux: SIGKILL the child when the sweep dies, so a killed sweep leaves no orphan run."""
    try:
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


# --------------------------------------------------------------------------------------------------
class Sweep:
    """Runs every planned run of a benchmark config that has no finished record yet.

    Args:
        bench_config: path of the benchmark config.
        results_dir: results folder (created).
        only: keep runs whose task, backbone or ``task/backbone`` is listed.
        launcher: ``none`` (one process), ``pytorch`` (torchrun, ``gpus`` processes) or ``slurm``.
        gpus: processes per run for ``pytorch`` / ``slurm``.
        retry_failed: run failed runs again (off by default: a finished run is never repeated).
        progress: show tqdm bars.
        jobs: runs executed side by side (launcher ``none`` only); default: the config's ``jobs``, else 1.
    """

    def __init__(self, bench_config: str, results_dir: str, only: Optional[Sequence[str]] = None,
                 launcher: str = 'none', gpus: int = 1, retry_failed: bool = False, progress: bool = True,
                 jobs: Optional[int] = None):
        self.bench_path = bench_config
        self.bench = load_benchmark(bench_config)
        chain.check_tasks(self.bench.tasks, bench_config)
        self.results_dir = results_dir
        self.runs = plan_runs(self.bench, bench_config, only)
        if launcher not in ('none', 'pytorch', 'slurm'):
            raise ValueError(f'--launcher {launcher!r}: choose none, pytorch or slurm')
        self.launcher = launcher
        self.gpus = int(gpus)
        self.retry_failed = retry_failed
        self.progress = progress
        self.seed = int(self.bench.get('seed', 0))
        self.latency = dict(warmup=3, repeats=10, threads=1)
        self.latency.update(self.bench.get('latency', {}) or {})
        self.measure_untrained = bool(self.bench.get('measure_untrained', True))
        self.timeout = self.bench.get('run_timeout_s')  # optional per-run wall-clock limit
        # optional intra-op threads per run (OMP/MKL/torch); 1 avoids OpenMP spin-wait thrashing when
        # the CPU is shared, which can make a small model 10x slower
        self.threads = self.bench.get('threads')
        self.jobs = int(jobs if jobs is not None else self.bench.get('jobs', 1))
        if self.jobs < 1:
            raise ValueError(f'jobs={self.jobs}: give 1 or more (runs executed side by side)')
        if self.jobs > 1 and launcher != 'none':
            raise ValueError(f'jobs={self.jobs} runs local processes side by side; with --launcher {launcher} '
                             'the launcher spreads each run over GPUs/nodes: use jobs=1 (--jobs 1)')
        self._stop = threading.Event()  # set when the sweep is interrupted: in-flight runs are killed

    # paths ------------------------------------------------------------------------------------------
    def record_path(self, run: RunSpec) -> str:
        return osp.join(self.results_dir, 'runs', f'{run.run_id}.json')

    def work_dir(self, run: RunSpec) -> str:
        return osp.join(self.results_dir, 'work_dirs', run.run_id)

    def status(self, run: RunSpec) -> Optional[str]:
        rec = read_record(self.record_path(run))
        return rec.get('status') if rec else None

    def pending(self) -> List[RunSpec]:
        done = ('ok', ) if self.retry_failed else FINISHED
        return [r for r in self.runs if self.status(r) not in done]

    # the sweep ---------------------------------------------------------------------------------------
    def write_plan(self):
        tasks = {}
        for name, task in self.bench.tasks.items():
            tasks[name] = dict(metric=task['metric'], metrics=list(task.get('metrics') or [task['metric']]),
                               higher_is_better=bool(task.get('higher_is_better', True)),
                               input_shape=list(task['input_shape']), template=task['template'],
                               title=task.get('title', name), published_key=task.get('published_key'),
                               pretrain=chain.pretrain_task(self.bench.tasks, name))
        atomic_write_json(osp.join(self.results_dir, 'benchmark.json'),
                          dict(schema=SCHEMA_VERSION, bench_config=self.bench_path,
                               name=self.bench.get('name', osp.splitext(osp.basename(self.bench_path))[0]),
                               seed=self.seed, tasks=tasks, runs=[r.run_id for r in self.runs]))

    def run(self) -> Dict[str, str]:
        """Run what is pending; returns ``{run_id: status}`` for every planned run."""
        from tqdm import tqdm
        os.makedirs(osp.join(self.results_dir, 'runs'), exist_ok=True)
        self.write_plan()
        todo = self.pending()
        done_before = len(self.runs) - len(todo)
        bar = tqdm(total=len(self.runs), initial=done_before, desc='sweep', unit='run', position=0,
                   disable=not self.progress, dynamic_ncols=True)
        self._stop.clear()
        try:
            for wave in chain.stage_waves(todo, self.bench.tasks):  # pretraining stages first
                if self.jobs == 1:
                    for run in wave:
                        bar.set_postfix_str(run.run_id)
                        status = self.run_one(run)
                        bar.update(1)
                        bar.write(f'[{status:>6}] {run.run_id}')
                else:
                    self._run_parallel(wave, bar)
        finally:
            bar.close()
        return {r.run_id: self.status(r) for r in self.runs}

    def _run_parallel(self, todo: List[RunSpec], bar):
        """``self.jobs`` runs at a time, in plan order; each in-flight run has its own bar line."""
        import queue
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
        slots = queue.Queue()
        for position in range(1, self.jobs + 1):
            slots.put(position)
        in_flight = []

        def work(run):
            position = slots.get()
            in_flight.append(run.run_id)
            bar.set_postfix_str(', '.join(in_flight))
            try:
                return self.run_one(run, position=position)
            finally:
                in_flight.remove(run.run_id)
                slots.put(position)

        pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix='sweep')
        try:
            futures = {pool.submit(work, run): run for run in todo}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for fut in done:
                    status = fut.result()  # a bug in the sweep itself (not in a run) stops the sweep
                    bar.update(1)
                    bar.write(f'[{status:>6}] {futures[fut].run_id}')
        except BaseException:
            self._stop.set()  # Ctrl-C or an error: kill the in-flight runs; their records stay 'running'
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def compose(self, run: RunSpec):
        from mobilebench.config import compose_config
        overrides = dict(run.overrides)
        if run.backbone_overrides:
            overrides.update({f'model.backbone.{k}': v for k, v in run.backbone_overrides.items()})
        cfg = compose_config(run.template, run.backbone_file, overrides)
        if run.rewrite:
            from mmengine.config import Config
            cfg = Config(apply_rewrites(cfg.to_dict(), run.rewrite, f'tasks.{run.task}.rewrite'),
                         filename=cfg.filename)
        return cfg

    def command(self, run: RunSpec, cfg_path: str, out_path: str, progress_path: str) -> List[str]:
        args = ['-m', 'mobilebench.benchmark.run_one', '--config', cfg_path, '--work-dir', self.work_dir(run),
                '--out', out_path, '--progress', progress_path, '--seed', str(self.seed),
                '--input-shape', *[str(s) for s in run.input_shape],
                '--latency-warmup', str(self.latency['warmup']),
                '--latency-repeats', str(self.latency['repeats']),
                '--latency-threads', str(self.latency['threads'])]
        if run.checkpoint:
            args += ['--checkpoint', run.checkpoint]
        if not self.measure_untrained:
            args.append('--no-untrained')
        if self.launcher == 'none':
            return [sys.executable, *args]
        if self.launcher == 'pytorch':  # the same torchrun call as tools/dist_train.sh
            env = os.environ
            return [sys.executable, '-m', 'torch.distributed.run', f'--nnodes={env.get("NNODES", 1)}',
                    f'--node_rank={env.get("NODE_RANK", 0)}', f'--master_addr={env.get("MASTER_ADDR", "127.0.0.1")}',
                    f'--nproc_per_node={self.gpus}', f'--master_port={env.get("PORT", 29500)}',
                    *args, '--launcher', 'pytorch']
        # slurm: the same srun call as tools/slurm_train.sh
        env = os.environ
        if 'PARTITION' not in env:
            raise ValueError('--launcher slurm needs the PARTITION environment variable (as slurm_train.sh)')
        per_node = env.get('GPUS_PER_NODE', str(min(self.gpus, 8)))
        return ['srun', '-p', env['PARTITION'], f'--job-name={run.run_id}', f'--gres=gpu:{per_node}',
                f'--ntasks={self.gpus}', f'--ntasks-per-node={per_node}',
                f'--cpus-per-task={env.get("CPUS_PER_TASK", 5)}', '--kill-on-bad-exit=1',
                *shlex.split(env.get('SRUN_ARGS', '')), sys.executable, '-u', *args, '--launcher', 'slurm']

    def run_one(self, run: RunSpec, position: int = 1) -> str:
        """Compose, launch and record one run; returns its final status."""
        t0 = time.time()
        work_dir = self.work_dir(run)
        os.makedirs(work_dir, exist_ok=True)
        out_path = osp.join(work_dir, 'result.json')
        progress_path = osp.join(work_dir, 'progress.json')
        log_path = osp.join(work_dir, 'run.log')
        for stale in (out_path, progress_path):
            if osp.exists(stale):
                os.unlink(stale)
        record = dict(schema=SCHEMA_VERSION, run_id=run.run_id, task=run.task, backbone=run.backbone,
                      status='running', metric=run.metric, metrics_shown=run.metrics,
                      higher_is_better=run.higher_is_better, work_dir=work_dir, log=log_path,
                      meta=dict(bench_config=self.bench_path, template=run.template,
                                backbone_file=run.backbone_file, backbone_overrides=run.backbone_overrides,
                                overrides=run.overrides, checkpoint=run.checkpoint, seed=self.seed,
                                launcher=self.launcher, gpus=self.gpus if self.launcher != 'none' else 0,
                                git=git_info(), versions=versions(), host=host_info(), pid=os.getpid(),
                                jobs=self.jobs, started=time.strftime('%Y-%m-%dT%H:%M:%S'),
                                start_time=t0))
        try:
            cfg = self.compose(run)
            # chain: start from the pretraining run's backbone, or stop here if it is not usable
            link = chain.link_pretrained(run, cfg, self.bench.tasks,
                                         lambda run_id: osp.join(self.results_dir, 'runs', f'{run_id}.json'))
            if link.blocked:
                return self._finish(run, record, t0, 'blocked', error=link.blocked, blocked_by=link.upstream)
            record['pretrained_from'] = link.as_record()
            cfg_path = osp.join(work_dir, 'config.py')
            cfg.dump(cfg_path)
            with open(cfg_path) as f:
                record['meta']['config_hash'] = config_hash(f.read())
            record['config'] = cfg_path
        except Exception as exc:  # noqa: BLE001 - a bad config fails this run only
            return self._finish(run, record, t0, 'failed', error=f'config: {type(exc).__name__}: {exc}')
        atomic_write_json(self.record_path(run), record)  # 'running': a kill from here on means redo

        cmd = self.command(run, cfg_path, out_path, progress_path)
        record['meta']['command'] = ' '.join(shlex.quote(c) for c in cmd)
        env = dict(os.environ)
        env['PYTHONPATH'] = REPO_ROOT + (os.pathsep + env['PYTHONPATH'] if env.get('PYTHONPATH') else '')
        env['PYTHONUNBUFFERED'] = '1'
        if self.threads:
            for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
                env[var] = str(int(self.threads))
            record['meta']['threads'] = int(self.threads)
        rc = self._launch(run, cmd, env, log_path, progress_path, position)
        if rc == -signal.SIGINT:  # Ctrl-C reached the run's process group: an interrupted sweep, not a
            # failed run; its record stays 'running' so the next sweep runs it again
            raise KeyboardInterrupt(f'{run.run_id} interrupted (SIGINT)')
        result = read_record(out_path) if rc == 0 else None
        if rc == 0 and result is not None:
            return self._finish(run, record, t0, 'ok', result=result)
        tail = _log_tail(log_path)
        if rc == 0:
            error = 'the run exited without writing its result file'
        elif rc is None:
            error = f'timed out after {self.timeout} s'
        elif rc < 0:
            error = f'killed by signal {-rc} ({signal.Signals(-rc).name})'
        else:
            error = _error_line(tail) or f'exit status {rc}'
        return self._finish(run, record, t0, 'failed', error=error, returncode=rc, log_tail=tail[-2000:])

    def _launch(self, run: RunSpec, cmd, env, log_path, progress_path, position: int = 1) -> Optional[int]:
        from tqdm import tqdm
        bar = tqdm(total=1, desc=f'  {run.run_id}', position=position, leave=False, disable=not self.progress,
                   dynamic_ncols=True, bar_format='{desc}: {percentage:3.0f}%|{bar}| {n}/{total} {postfix}')
        start = time.time()
        last = None
        with open(log_path, 'ab') as log:
            log.write(f'\n===== {time.strftime("%Y-%m-%dT%H:%M:%S")} {" ".join(cmd)}\n'.encode())
            log.flush()
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
                    if self._stop.is_set():  # the sweep is being interrupted (parallel sweeps)
                        raise KeyboardInterrupt(f'sweep interrupted while {run.run_id} ran')
                    if self.timeout and time.time() - start > float(self.timeout):
                        proc.kill()
                        proc.wait()
                        rc = None
                        break
            except BaseException:
                proc.kill()  # Ctrl-C on the sweep: stop the run too; its record stays 'running'
                proc.wait()
                raise
            finally:
                bar.close()
        return rc

    def _finish(self, run: RunSpec, record: Dict, t0: float, status: str, result: Optional[Dict] = None,
                **extra) -> str:
        record['status'] = status
        record['meta']['finished'] = time.strftime('%Y-%m-%dT%H:%M:%S')
        record['meta']['end_time'] = time.time()
        record['meta']['wall_time_s'] = round(record['meta']['end_time'] - t0, 3)
        if result is not None:
            metrics = result.get('metrics') or {}
            untrained = result.get('untrained_metrics')
            record.update(metrics=metrics, untrained_metrics=untrained, complexity=result.get('complexity'),
                          latency=result.get('latency'), timings=result.get('timings'),
                          train_iters=result.get('train_iters'), log_dir=result.get('log_dir'),
                          pretrained=result.get('pretrained'))
            record['value'] = metrics.get(run.metric)
            record['untrained_value'] = (untrained or {}).get(run.metric) if untrained is not None else None
            if record['value'] is None:
                record['warning'] = (f'metric {run.metric!r} missing from the test metrics '
                                     f'{sorted(metrics)}; fix `metric` of task {run.task}')
        record.update(extra)
        atomic_write_json(self.record_path(run), record)
        return status


def run_benchmark(bench_config: str, results_dir: str, **kwargs) -> Dict[str, str]:
    """Convenience wrapper: ``Sweep(bench_config, results_dir, **kwargs).run()``."""
    return Sweep(bench_config, results_dir, **kwargs).run()
