"""The benchmark sweep: plan the runs of a benchmark config, decide what is left, run it here.

A :class:`Sweep` plans every (task, backbone, seed) run, composes each run's config and compares its spec
hash with the run's record (:meth:`Sweep.check_changed`): a finished run whose config or settings changed
since it ran is refused with a list (``rerun_changed=True`` runs it again). What is left runs on this
machine, ``jobs`` at a time, each run in its own process (:func:`.launch.execute_run`); ``--executor slurm``
submits the same run function as Slurm jobs instead (:mod:`.slurm`).

Resume rules: a run whose record says ``ok`` or ``failed`` (same spec hash) is never repeated; a record
that says ``running`` (the sweep was killed while it ran) or that cannot be parsed is run again, from its
last mmengine checkpoint when it left one. Several sweeps may share one results folder: each run is
claimed first (:mod:`.claims`), a sweep runs only what it claimed and waits for what others run, so every
run is done once; a claim whose owner died is taken over.
"""
from __future__ import annotations

import os
import os.path as osp
import threading
import time
from typing import Dict, List, Optional, Sequence

from . import chain
from .claims import Claims
from .launch import LAUNCHERS, RunSettings, execute_run
from .records import (FINISHED, SCHEMA_VERSION, plan_path, read_record, record_path, work_dir,  # noqa: F401
                      write_record)
from .schema import BenchmarkConfigError
from .spec import RunSpec, bench_seeds, compose_run, load_benchmark, plan_runs

EXECUTORS = ('local', 'slurm', 'submitit-local')


class ChangedRunsError(RuntimeError):
    """Finished runs whose config or settings changed since they ran (resume refuses them)."""

    def __init__(self, results_dir: str, changed: List[str]):
        self.changed = changed
        super().__init__(
            f'{len(changed)} finished run(s) in {results_dir} were made with another config or settings than '
            f'the benchmark config now gives: {", ".join(changed)}. Their records would be stale. Run them '
            f'again with --rerun-changed (their records are replaced), use another --results folder, or '
            f'restore the config.')


class Sweep:
    """Plans a benchmark config's runs and runs what is left.

    Args:
        bench_config: path of the benchmark config.
        results_dir: results folder (created).
        only: keep runs whose task, backbone or ``task/backbone`` is listed.
        launcher: ``none`` (one process), ``pytorch`` (torchrun, ``gpus`` processes) or ``slurm`` (srun).
        gpus: processes per run for ``pytorch`` / ``slurm``.
        retry_failed: run failed runs again (off by default: a finished run is never repeated).
        rerun_changed: run finished runs whose spec hash changed again instead of refusing.
        progress: show tqdm bars.
        jobs: runs executed side by side (launcher ``none`` only); default: the config's ``jobs``, else 1.
        cfg_options: ``--cfg-options`` overrides of the benchmark config.
        executor: ``local`` (here), ``slurm`` or ``submitit-local`` (recorded; see :mod:`.slurm`).
        wait_poll_s: how often a sweep checks runs that another sweep is running.
    """

    def __init__(self, bench_config: str, results_dir: str, only: Optional[Sequence[str]] = None,
                 launcher: str = 'none', gpus: int = 1, retry_failed: bool = False, progress: bool = True,
                 jobs: Optional[int] = None, rerun_changed: bool = False, cfg_options: Optional[Dict] = None,
                 executor: str = 'local', wait_poll_s: float = 1.0):
        if launcher not in LAUNCHERS:
            raise ValueError(f'--launcher {launcher!r}: choose none, pytorch or slurm')
        if executor not in EXECUTORS:
            raise ValueError(f'--executor {executor!r}: choose {", ".join(EXECUTORS)}')
        if int(gpus) < 1:
            raise ValueError(f'--gpus {gpus}: give 1 or more')
        self.bench_path = bench_config
        self.bench = load_benchmark(bench_config, cfg_options)
        try:
            chain.check_tasks(self.bench.tasks, bench_config)
        except ValueError as exc:
            raise BenchmarkConfigError(str(exc)) from exc
        self.results_dir = results_dir
        self.runs = plan_runs(self.bench, bench_config, only)
        self.seeds = bench_seeds(self.bench)
        self.launcher = launcher
        self.gpus = int(gpus)
        self.retry_failed = retry_failed
        self.rerun_changed = rerun_changed
        self.progress = progress
        self.executor = executor
        self.wait_poll_s = float(wait_poll_s)
        latency = dict(warmup=3, repeats=10, threads=1)
        latency.update(self.bench.get('latency', {}) or {})
        if jobs is not None and (isinstance(jobs, bool) or int(jobs) < 1):
            raise BenchmarkConfigError(f'--jobs {jobs}: give 1 or more (runs executed side by side)')
        self.jobs = int(jobs if jobs is not None else self.bench.get('jobs', 1))
        if self.jobs > 1 and launcher != 'none':
            raise BenchmarkConfigError(
                f'jobs={self.jobs} runs local processes side by side; with --launcher {launcher} the launcher '
                'spreads each run over GPUs/nodes: use jobs=1 (--jobs 1)')
        self.settings = RunSettings(
            results_dir=results_dir, bench_path=bench_config, latency=latency,
            measure_untrained=self.bench.get('measure_untrained', True), first_seed=self.seeds[0],
            deploy=dict(self.bench['deploy']) if self.bench.get('deploy') else None,
            pretrain={name: chain.pretrain_task(self.bench.tasks, name) for name in self.bench.tasks
                      if chain.pretrain_task(self.bench.tasks, name)},
            timeout_s=self.bench.get('run_timeout_s'),
            # optional intra-op threads per run (OMP/MKL/torch); 1 avoids OpenMP spin-wait thrashing when
            # the CPU is shared, which can make a small model 10x slower
            threads=self.bench.get('threads'), launcher=launcher, gpus=self.gpus, progress=progress,
            jobs=self.jobs, executor=executor, preload=bool(self.bench.get('preload', False)))
        self.claims = Claims(results_dir)
        self._hashes: Dict[str, Optional[str]] = {}
        self._stop = threading.Event()  # set when the sweep is interrupted: in-flight runs are killed

    # state -------------------------------------------------------------------------------------------
    @property
    def seed(self) -> int:
        return self.seeds[0]

    def record_path(self, run: RunSpec) -> str:
        return record_path(self.results_dir, run.run_id)

    def work_dir(self, run: RunSpec) -> str:
        return work_dir(self.results_dir, run.run_id)

    def record(self, run: RunSpec) -> Optional[Dict]:
        return read_record(self.record_path(run))

    def status(self, run: RunSpec) -> Optional[str]:
        rec = self.record(run)
        return rec.get('status') if rec else None

    def spec_hash(self, run: RunSpec) -> Optional[str]:
        """The run's spec hash now (None when its config does not compose: the run will fail)."""
        if run.run_id not in self._hashes:
            try:
                self._hashes[run.run_id] = self.settings.hash_of(run, compose_run(run).pretty_text)
            except Exception:  # noqa: BLE001 - reported by the run itself
                self._hashes[run.run_id] = None
        return self._hashes[run.run_id]

    def changed(self, run: RunSpec, rec: Optional[Dict] = None) -> bool:
        """Whether the run's finished record was made from another spec than the config gives now."""
        rec = self.record(run) if rec is None else rec
        if not rec or rec.get('status') not in FINISHED:
            return False
        old = (rec.get('meta') or {}).get('spec_hash')
        return old is not None and old != self.spec_hash(run)

    def check_changed(self) -> List[RunSpec]:
        """The finished runs whose spec changed; raises :class:`ChangedRunsError` unless ``rerun_changed``."""
        changed = [r for r in self.runs if self.changed(r)]
        if changed and not self.rerun_changed:
            raise ChangedRunsError(self.results_dir, [r.run_id for r in changed])
        return changed

    def finished(self, run: RunSpec, rec: Optional[Dict] = None) -> bool:
        """Whether the run needs no (re)run: ok, or failed without ``retry_failed``, and not changed."""
        rec = self.record(run) if rec is None else rec
        status = (rec or {}).get('status')
        done = ('ok', ) if self.retry_failed else FINISHED
        return status in done and not self.changed(run, rec)

    def pending(self) -> List[RunSpec]:
        return [r for r in self.runs if not self.finished(r)]

    # the sweep ---------------------------------------------------------------------------------------
    def write_plan(self):
        tasks = {}
        for name, task in self.bench.tasks.items():
            tasks[name] = dict(metric=task['metric'], metrics=list(task.get('metrics') or [task['metric']]),
                               higher_is_better=bool(task.get('higher_is_better', True)),
                               input_shape=list(task['input_shape']), template=task['template'],
                               title=task.get('title', name), published_key=task.get('published_key'),
                               pretrain=chain.pretrain_task(self.bench.tasks, name))
        write_record(plan_path(self.results_dir),
                     dict(schema=SCHEMA_VERSION, bench_config=self.bench_path,
                          name=self.bench.get('name', osp.splitext(osp.basename(self.bench_path))[0]),
                          seed=self.seeds[0], seeds=self.seeds, tasks=tasks, runs=[r.run_id for r in self.runs],
                          comparisons=self.comparisons()))

    def comparisons(self) -> Dict:
        """The leaderboard's (block, baseline) pairs and confidence (:mod:`.comparisons`), for the plan."""
        from .comparisons import resolve_comparisons
        names = list(dict.fromkeys(r.backbone for r in plan_runs(self.bench, self.bench_path)))
        cfg = self.bench.get('comparisons')
        return resolve_comparisons(cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg, names)

    def prepare(self) -> List[RunSpec]:
        """Refuse changed runs (unless asked to rerun them), write the plan, return the runs left to do."""
        os.makedirs(osp.join(self.results_dir, 'runs'), exist_ok=True)
        self.check_changed()
        self.write_plan()
        return self.pending()

    def run(self) -> Dict[str, str]:
        """Run what is pending here; returns ``{run_id: status}`` for every planned run.

        Runs claimed by another live sweep are waited for, not repeated.
        """
        from tqdm import tqdm
        todo = self.prepare()
        bar = tqdm(total=len(self.runs), initial=len(self.runs) - len(todo), desc='sweep', unit='run', position=0,
                   disable=not self.progress, dynamic_ncols=True)
        # what each todo run's record said when we planned: a change means another sweep finished it
        stamps = {r.run_id: self._stamp(self.record(r)) for r in todo}
        queue = list(todo)
        lock = threading.Lock()
        in_flight: List[str] = []
        errors: List[BaseException] = []
        self._stop.clear()
        self.claims.start_heartbeat()

        def take():
            """The next run this sweep claimed; 'wait' while others hold the rest; None when all are done."""
            with lock:
                for run in list(queue):
                    up = chain.upstream_run_id(self.bench.tasks, run.task, run.backbone)
                    if up and (up in in_flight or any(q.run_id == up for q in queue)):
                        continue  # its pretraining run comes first (stage by stage)
                    rec = self.record(run)
                    if self._stamp(rec) != stamps[run.run_id] and self.finished(run, rec):
                        queue.remove(run)  # another sweep finished it
                        bar.update(1)
                        bar.write(f'[{rec["status"]:>6}] {run.run_id} (by another sweep)')
                        continue
                    token = self.claims.try_claim(run.run_id, executor='local')
                    if token is None:
                        continue  # a live sweep runs it: look again later
                    rec = self.record(run)  # it may have finished between our look and our claim
                    if self._stamp(rec) != stamps[run.run_id] and self.finished(run, rec):
                        self.claims.release(run.run_id, token)
                        continue
                    queue.remove(run)
                    return run, token
                return 'wait' if queue else None

        def worker(position):
            try:
                while not self._stop.is_set():
                    item = take()
                    if item is None:
                        return
                    if item == 'wait':
                        time.sleep(self.wait_poll_s)
                        continue
                    run, token = item
                    in_flight.append(run.run_id)
                    bar.set_postfix_str(', '.join(in_flight))
                    try:
                        status = execute_run(self.settings, run, position=position, stop=self._stop)
                    finally:
                        in_flight.remove(run.run_id)
                        self.claims.release(run.run_id, token)
                    bar.update(1)
                    bar.write(f'[{status:>6}] {run.run_id}')
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                errors.append(exc)
                self._stop.set()

        threads = [threading.Thread(target=worker, args=(i + 1, ), name=f'sweep-{i + 1}', daemon=True)
                   for i in range(self.jobs)]
        try:
            for t in threads:
                t.start()
            while any(t.is_alive() for t in threads):
                for t in threads:
                    t.join(timeout=0.5)
        except BaseException:
            self._stop.set()  # Ctrl-C: kill the in-flight runs; their records stay 'running'
            for t in threads:
                t.join()
            raise
        finally:
            self.claims.stop_heartbeat()
            bar.close()
        if errors:
            raise errors[0]
        return self.statuses()

    def statuses(self) -> Dict[str, Optional[str]]:
        return {r.run_id: self.status(r) for r in self.runs}

    @staticmethod
    def _stamp(rec: Optional[Dict]):
        return None if not rec else (rec.get('status'), (rec.get('meta') or {}).get('finished'))


def run_benchmark(bench_config: str, results_dir: str, **kwargs) -> Dict[str, str]:
    """Convenience wrapper: ``Sweep(bench_config, results_dir, **kwargs).run()``."""
    return Sweep(bench_config, results_dir, **kwargs).run()
