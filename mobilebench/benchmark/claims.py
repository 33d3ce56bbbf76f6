"""Per-run claims: several sweeps (or Slurm submitters) share one results folder without doing a run twice.

Before a run is started (or submitted as a Slurm job) its claim file ``RESULTS/claims/<run_id>.claim`` is
created with ``O_CREAT | O_EXCL``: exactly one process wins, on a local disk and on NFS (v3+) alike. The
claim holds who owns the run (host, pid and the pid's start time, so a recycled pid is not mistaken for the
owner), a random token, and for a submitted job the executor and job id. The owner removes it when the
run's record is final.

A claim whose owner is gone is *stale* and is taken over:

- a Slurm job claim is live while ``squeue`` lists the job (pending, running, requeued ...);
- otherwise, on the owner's host: while the owner pid (with the same start time) exists;
- on another host: while the owner refreshes the claim's mtime (a heartbeat every ``heartbeat_s``);
  it is stale after ``stale_after_s`` without one.

Taking over is serialised by a second ``O_EXCL`` file (``<claim>.takeover``), so two sweeps that find the
same stale claim do not both win; the new claim is again created with ``O_EXCL``.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import secrets
import socket
import threading
import time
from typing import Dict, Iterable, Optional, Set

from mobilebench.fileio import atomic_write_json

_TAKEOVER_STALE_S = 30.0


def pid_start_time(pid: int) -> Optional[str]:
    """The kernel's start time of ``pid`` (``/proc/<pid>/stat`` field 22), None if unknown."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            stat = f.read()
    except OSError:
        return None
    return stat.rsplit(')', 1)[1].split()[19]


def pid_alive(pid: int, start: Optional[str] = None) -> bool:
    """Whether ``pid`` runs on this host (and, if ``start`` is given, is the same process)."""
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        pass
    if start is not None:
        now = pid_start_time(int(pid))
        return now is None or now == start
    return True


def owner_info(pid: Optional[int] = None) -> Dict:
    pid = os.getpid() if pid is None else int(pid)
    return dict(host=socket.gethostname(), pid=pid, pid_start=pid_start_time(pid))


class Claims:
    """The claims of one results folder.

    Args:
        results_dir: the results folder.
        stale_after_s: a claim from another host without a heartbeat for this long is stale.
        heartbeat_s: how often the claims held by this process are refreshed.
    """

    def __init__(self, results_dir: str, stale_after_s: float = 180.0, heartbeat_s: float = 20.0):
        self.folder = osp.join(results_dir, 'claims')
        self.stale_after_s = float(stale_after_s)
        self.heartbeat_s = float(heartbeat_s)
        self._held: Dict[str, str] = {}  # run_id -> token
        self._lock = threading.Lock()
        self._beat: Optional[threading.Thread] = None
        self._stop = threading.Event()
        self._squeue = None

    def path(self, run_id: str) -> str:
        return osp.join(self.folder, f'{run_id}.claim')

    # reading -----------------------------------------------------------------------------------------
    def read(self, run_id: str) -> Optional[Dict]:
        """The claim of ``run_id`` (with its file ``mtime``), or None when unclaimed.

        An unreadable claim (a writer died between create and write) reads as ``{'token': None}`` and is
        judged by its age only.
        """
        path = self.path(run_id)
        try:
            mtime = osp.getmtime(path)
            with open(path) as f:
                data = json.load(f)
            if not isinstance(data, dict):
                raise ValueError('not an object')
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            try:
                return dict(token=None, mtime=osp.getmtime(path))
            except OSError:
                return None
        data['mtime'] = mtime
        return data

    def alive(self, claim: Optional[Dict], slurm_active: Optional[Set[str]] = None) -> bool:
        """Whether a claim's owner still holds it.

        Args:
            claim: from :meth:`read`.
            slurm_active: job ids ``squeue`` lists (None: Slurm was not asked / not available).
        """
        if not claim:
            return False
        if claim.get('executor') == 'slurm' and claim.get('job_id'):
            if slurm_active is None:
                slurm_active = self._slurm_active()
            if slurm_active is not None:
                return str(claim['job_id']) in slurm_active
        if claim.get('host') == socket.gethostname() and claim.get('pid'):
            return pid_alive(claim['pid'], claim.get('pid_start'))
        return time.time() - float(claim.get('mtime', 0)) < self.stale_after_s

    def _slurm_active(self) -> Optional[Set[str]]:
        """The suite's live Slurm jobs (``squeue``, cached 5 s); None without Slurm."""
        now = time.time()
        if self._squeue is None or now - self._squeue[0] > 5.0:
            from .slurm import active_jobs, slurm_job_states
            self._squeue = (now, active_jobs(slurm_job_states()))
        return self._squeue[1]

    # claiming ----------------------------------------------------------------------------------------
    @staticmethod
    def _claim_data(run_id: str, info: Dict) -> Dict:
        return dict(owner_info(), **info, token=secrets.token_hex(8), run_id=run_id, created=time.time())

    def _create(self, run_id: str, info: Dict) -> Optional[str]:
        os.makedirs(self.folder, exist_ok=True)
        data = self._claim_data(run_id, info)
        token = data['token']
        try:
            fd = os.open(self.path(run_id), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return None
        with os.fdopen(fd, 'w') as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        with self._lock:
            self._held[run_id] = token
        return token

    def try_claim(self, run_id: str, slurm_active: Optional[Set[str]] = None, **info) -> Optional[str]:
        """Claim ``run_id``; returns the claim's token, or None when a live owner holds it.

        A stale claim (see the module doc) is taken over.
        """
        token = self._create(run_id, info)
        if token is not None:
            return token
        current = self.read(run_id)
        if current is None:  # released meanwhile
            return self._create(run_id, info)
        if self.alive(current, slurm_active):
            return None
        return self._take_over(run_id, current, info)

    def _take_over(self, run_id: str, stale: Dict, info: Dict) -> Optional[str]:
        lock = self.path(run_id) + '.takeover'
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:  # a taker that died mid-takeover leaves its lock; clear it for the next attempt
                if time.time() - osp.getmtime(lock) > _TAKEOVER_STALE_S:
                    os.unlink(lock)
            except OSError:
                pass
            return None
        try:
            current = self.read(run_id)
            if current is not None and current.get('token') != stale.get('token'):
                return None  # someone else took it over first
            # replace the stale claim in one rename: the claim file never disappears, so a concurrent
            # try_claim cannot create a fresh claim in between (it finds ours, alive, or the lock)
            data = self._claim_data(run_id, dict(info, took_over=stale.get('token')))
            atomic_write_json(self.path(run_id), data)
            with self._lock:
                self._held[run_id] = data['token']
            return data['token']
        finally:
            os.close(fd)
            os.unlink(lock)

    def update(self, run_id: str, token: str, **info) -> bool:
        """Rewrite our own claim (e.g. with the job id after a submission, or the job's own pid)."""
        current = self.read(run_id)
        if not current or current.get('token') != token:
            return False
        current.pop('mtime', None)
        current.update(info)
        atomic_write_json(self.path(run_id), current)
        with self._lock:
            self._held[run_id] = token
        return True

    def adopt(self, run_id: str, token: str, **info) -> bool:
        """A submitted job takes over the claim its submitter made for it (same token): owner = this process."""
        return self.update(run_id, token, **owner_info(), **info)

    def release(self, run_id: str, token: Optional[str]) -> None:
        """Remove our claim (no-op when it is not ours any more)."""
        with self._lock:
            self._held.pop(run_id, None)
        current = self.read(run_id)
        if current is not None and token is not None and current.get('token') == token:
            try:
                os.unlink(self.path(run_id))
            except FileNotFoundError:
                pass

    # heartbeat ---------------------------------------------------------------------------------------
    def start_heartbeat(self) -> None:
        """Refresh the mtime of every claim this process holds, every ``heartbeat_s``, in a daemon thread."""
        if self._beat is not None:
            return
        self._stop.clear()

        def beat():
            while not self._stop.wait(self.heartbeat_s):
                self.touch(list(self._held))
        self._beat = threading.Thread(target=beat, name='claims-heartbeat', daemon=True)
        self._beat.start()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        self._beat = None

    def touch(self, run_ids: Iterable[str]) -> None:
        for run_id in run_ids:
            try:
                os.utime(self.path(run_id))
            except OSError:
                pass
