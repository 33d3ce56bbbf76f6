"""Sweeps that outgrow one machine: every run as a Slurm job, through submitit.

``tools/benchmark.py BENCH --executor slurm`` claims every pending run (:mod:`.claims`, so two users
starting the same sweep never submit a run twice), then submits the runs as job arrays, one array per
distinct resource set (the config's ``slurm`` dict updated by a task's own ``slurm``). Each job calls the
same run function as the local sweep (:func:`.launch.execute_run`), which writes the run's record to the
results folder on the shared filesystem: the folder stays the single source of truth, and running the
command again (or ``--status``) reads the records and ``squeue`` to tell done / failed / running / queued /
pending runs apart and submits only what is neither finished nor queued.

Multi-GPU runs: ``gpus_per_node`` tasks per node, one process per GPU; every task calls the run function,
which starts ``run_one --launcher slurm`` in the task's environment (mmengine's Slurm launcher reads
``SLURM_PROCID``, ``SLURM_NTASKS`` and ``SLURM_NODELIST``); global rank 0 writes the record.

Preemption and time limits: :class:`RunJob` is a ``submitit.helpers.Checkpointable``; on the USR2 signal
Slurm sends before a time limit or a preemption, submitit requeues the job, and the next attempt resumes
from the run's last mmengine checkpoint (``--resume``), not from scratch.

``--executor submitit-local`` uses submitit's ``LocalExecutor`` (jobs are processes on this machine):
the same submission path without a cluster, used by the tests.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import replace
from typing import Dict, List, Optional, Sequence, Tuple

from .claims import Claims, owner_info
from .launch import RunSettings, execute_run
from .records import REPO_ROOT, read_record, record_path
from .spec import RunSpec

try:
    from submitit.helpers import Checkpointable as _Checkpointable
except ImportError:  # pragma: no cover - submitit is a requirement; local sweeps work without it
    _Checkpointable = object

#: squeue states of a job that is still queued or running (a claim held by such a job is live)
ACTIVE_STATES = frozenset({'PENDING', 'RUNNING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'CONFIGURING',
                           'COMPLETING', 'SUSPENDED', 'RESIZING', 'SIGNALING', 'STAGE_OUT', 'STOPPED',
                           'RESV_DEL_HOLD'})
JOB_NAME = 'mobilebench'

#: benchmark-config ``slurm`` key -> submitit SlurmExecutor parameter (sbatch option in the comment)
SLURM_PARAMS = dict(partition='partition',        # --partition
                    account='account',            # --account
                    qos='qos',                    # --qos
                    constraint='constraint',      # --constraint
                    nodes='nodes',                # --nodes
                    gpus_per_node='gpus_per_node',  # --gpus-per-node (and --ntasks-per-node)
                    cpus_per_task='cpus_per_task',  # --cpus-per-task
                    mem='mem',                    # --mem
                    timeout_min='time',           # --time
                    signal_delay_s='signal_delay_s',  # --signal=USR2@N
                    array_parallelism='array_parallelism',  # --array=0-N%P
                    sbatch_args='additional_parameters',  # any other #SBATCH option
                    setup='setup')                # shell lines before srun


def slurm_job_states(job_ids: Optional[Sequence[str]] = None) -> Optional[Dict[str, str]]:
    """``{job_id: state}`` of the suite's queued and running Slurm jobs (array tasks as ``123_4``).

    Returns None when ``squeue`` is not installed or fails (the caller then falls back to the claims'
    owner checks).
    """
    if shutil.which('squeue') is None:
        return None
    try:
        out = subprocess.run(['squeue', '-h', '-r', '--name', JOB_NAME, '-o', '%i|%T'], capture_output=True,
                             text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    states = {}
    for line in out.splitlines():
        if '|' in line:
            job_id, state = line.strip().split('|', 1)
            states[job_id] = state
    if job_ids is not None:
        states = {j: s for j, s in states.items() if j in set(job_ids)}
    return states


def active_jobs(states: Optional[Dict[str, str]]) -> Optional[set]:
    return None if states is None else {j for j, s in states.items() if s in ACTIVE_STATES}


def resources_of(run: RunSpec) -> Dict:
    """The run's Slurm resources with defaults (one node, no GPU, 60 minutes)."""
    res = dict(nodes=1, gpus_per_node=0, timeout_min=60)
    res.update(run.slurm or {})
    return res


class RunJob(_Checkpointable):
    """A submitted run: calls :func:`.launch.execute_run` inside the job; requeued on preemption.

    A ``submitit.helpers.Checkpointable``: its ``checkpoint`` resubmits the same object, and the next
    attempt resumes from the run's last mmengine checkpoint.
    """

    def __init__(self, settings: RunSettings, run: RunSpec, token: str, executor: str):
        self.settings = settings
        self.run = run
        self.token = token
        self.executor = executor

    def __call__(self) -> str:
        import submitit
        env = submitit.JobEnvironment()
        rank = int(env.global_rank)
        job_id = str(env.job_id)
        multi = int(env.num_tasks) > 1
        settings = replace(self.settings, inside_job=True, progress=False,
                           launcher='slurm' if multi else 'none', gpus=int(env.num_tasks) if multi else 1)
        claims = Claims(settings.results_dir)
        if rank == 0:
            self._own_claim(claims, job_id)
            claims.start_heartbeat()
        try:
            status = execute_run(settings, self.run, extra_meta=dict(job_id=job_id, job_rank=rank),
                                 write_records=rank == 0)
        finally:
            claims.stop_heartbeat()
        if rank == 0:  # the record is final: the run is no longer anyone's
            claims.release(self.run.run_id, self.token)
        return status

    def _own_claim(self, claims: Claims, job_id: str):
        info = dict(executor=self.executor, job_id=job_id, job_host=owner_info()['host'], job_pid=os.getpid())
        if self.executor == 'submitit-local':  # the job id is the controller's pid: it outlives requeues
            info.update(owner_info(int(job_id)))
        claims.update(self.run.run_id, self.token, **info)

    def checkpoint(self, *args, **kwargs):
        """Called by submitit on preemption / time-out: requeue this run (it resumes from its checkpoint)."""
        from submitit.helpers import DelayedSubmission
        return DelayedSubmission(self, *args, **kwargs)


def make_executor(kind: str, folder: str, res: Dict):
    """A submitit executor for one resource set (``kind``: ``slurm`` or ``submitit-local``)."""
    import submitit
    max_timeouts = int(res.get('max_num_timeout', 3))
    tasks = max(int(res.get('gpus_per_node') or 0), 1)
    if kind == 'slurm':
        ex = submitit.SlurmExecutor(folder=folder, max_num_timeout=max_timeouts)
        params = dict(job_name=JOB_NAME, ntasks_per_node=tasks, stderr_to_stdout=True)
        for key, name in SLURM_PARAMS.items():
            value = res.get(key)
            if key == 'gpus_per_node' and not value:
                continue
            if value is not None:
                params[name] = str(value) if key == 'mem' else value
        ex.update_parameters(**params)
        return ex
    ex = submitit.LocalExecutor(folder=folder, max_num_timeout=max_timeouts)
    ex.update_parameters(timeout_min=int(res.get('timeout_min', 60)), tasks_per_node=tasks,
                         gpus_per_node=int(res.get('gpus_per_node') or 0), stderr_to_stdout=True,
                         signal_delay_s=int(res.get('signal_delay_s', 30)),
                         **({'setup': list(res['setup'])} if res.get('setup') else {}))
    return ex


def submit_pending(sweep, kind: str = 'slurm') -> List[Tuple[str, str]]:
    """Claim and submit every run of ``sweep`` that is neither finished nor queued/running.

    Returns:
        ``[(run_id, job_id)]`` of the submitted runs.
    """
    if kind not in ('slurm', 'submitit-local'):
        raise ValueError(f'executor {kind!r}: slurm or submitit-local')
    if kind == 'slurm' and shutil.which('sbatch') is None:
        raise RuntimeError('--executor slurm needs sbatch (Slurm client tools) on this machine; '
                           'see docs/benchmark.md (tools/slurm/start_local_cluster.sh starts a one-node cluster)')
    todo = sweep.prepare()
    active = active_jobs(slurm_job_states()) if kind == 'slurm' else None
    claimed: List[Tuple[RunSpec, str]] = []
    for run in todo:
        token = sweep.claims.try_claim(run.run_id, slurm_active=active, executor=kind, job_id=None)
        if token is None:
            continue  # queued or running already (this user or another)
        if sweep.finished(run):  # finished between our look and our claim
            sweep.claims.release(run.run_id, token)
            continue
        claimed.append((run, token))
    # the jobs unpickle the suite's classes: make the repository importable in them (sbatch exports the env)
    paths = os.environ.get('PYTHONPATH', '').split(os.pathsep)
    if REPO_ROOT not in paths:
        os.environ['PYTHONPATH'] = os.pathsep.join([REPO_ROOT] + [p for p in paths if p])
    folder = os.path.join(sweep.results_dir, 'submitit')
    groups: Dict[str, List[Tuple[RunSpec, str]]] = {}
    for run, token in claimed:
        groups.setdefault(json.dumps(resources_of(run), sort_keys=True), []).append((run, token))
    submitted = []
    for key, members in groups.items():
        res = json.loads(key)
        gpus = int(res.get('nodes', 1)) * max(int(res.get('gpus_per_node') or 0), 1)
        settings = replace(sweep.settings, executor=kind, progress=False,
                           launcher='slurm' if gpus > 1 else 'none', gpus=gpus)
        try:
            executor = make_executor(kind, folder, res)
            jobs = executor.submit_array([RunJob(settings, run, token, kind) for run, token in members])
        except BaseException:
            for run, token in members:  # nothing was queued for them: let the next sweep submit them
                sweep.claims.release(run.run_id, token)
            raise
        for (run, token), job in zip(members, jobs):
            info = dict(executor=kind, job_id=str(job.job_id))
            if kind == 'submitit-local':
                info.update(owner_info(int(job.job_id)))
            sweep.claims.update(run.run_id, token, **info)
            submitted.append((run.run_id, str(job.job_id)))
    return submitted


def wait_for(sweep, kind: str, poll_s: float = 5.0, timeout_s: Optional[float] = None, on_change=None) -> List[Dict]:
    """Poll the runs' states until none is queued or running; returns the final states."""
    start = time.time()
    last = None
    while True:
        states = run_states(sweep, kind)
        summary = {s['run_id']: s['state'] for s in states}
        if summary != last and on_change is not None:
            on_change(states)
        last = summary
        if not any(s['state'] in ('queued', 'running') for s in states):
            return states
        if timeout_s is not None and time.time() - start > timeout_s:
            raise TimeoutError(f'runs still queued or running after {timeout_s} s')
        time.sleep(poll_s)


def run_states(sweep, kind: str = 'local') -> List[Dict]:
    """Per run: ``state`` (done, failed, running, queued, pending, changed), ``job_id`` and ``detail``.

    ``done``: an ok record; ``failed``: a failed record; ``running`` / ``queued``: a live claim (a Slurm
    job ``squeue`` lists, or a live local process); ``pending``: nothing yet, or an interrupted attempt
    (resumed from its checkpoint when submitted again); ``changed``: finished with another config.
    """
    claims = {run.run_id: sweep.claims.read(run.run_id) for run in sweep.runs}
    # squeue only when Slurm is involved (it can take seconds to answer when no controller runs)
    ask = kind == 'slurm' or any((c or {}).get('executor') == 'slurm' for c in claims.values())
    states = slurm_job_states() if ask else None
    active = active_jobs(states)
    out = []
    for run in sweep.runs:
        rec = read_record(record_path(sweep.results_dir, run.run_id)) or {}
        claim = claims[run.run_id]
        job_id = (claim or {}).get('job_id') or (rec.get('meta') or {}).get('job_id')
        status = rec.get('status')
        detail = ''
        if sweep.changed(run, rec):
            state, detail = 'changed', 'finished with another config (--rerun-changed)'
        elif status == 'ok':
            state = 'done'
            value = rec.get('value')
            detail = f'{rec.get("metric")} = {value:.4g}' if isinstance(value, (int, float)) else ''
        elif status == 'failed':
            state, detail = 'failed', str(rec.get('error', ''))[:200]
        elif sweep.claims.alive(claim, active):
            job_state = (states or {}).get(str(job_id)) if job_id else None
            if job_state:
                state = 'running' if job_state == 'RUNNING' else 'queued'
                detail = job_state
            else:
                state = 'running' if status == 'running' else 'queued'
                detail = f'{claim.get("host")} pid {claim.get("pid")}'
        else:
            state = 'pending'
            if status == 'running':
                detail = 'interrupted; resumes from its last checkpoint when run again'
        out.append(dict(run_id=run.run_id, state=state, job_id=job_id, detail=detail))
    return out
