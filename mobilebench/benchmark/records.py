"""Run records of a results folder: paths, the one atomic writer, reading, checking and provenance.

Results folder layout::

    RESULTS/benchmark.json                  the planned runs and the tasks' metric definitions
    RESULTS/runs/<run_id>.json              one record per run (status ok | failed | running)
    RESULTS/claims/<run_id>.claim           who is running (or has queued) a run now (see claims.py)
    RESULTS/work_dirs/<run_id>/             composed config.py, run.log, result.json, mmengine logs, checkpoints
    RESULTS/samples/<run_id>.npz            the final test's per-sample results (mobilebench.benchmark.samples)
    RESULTS/submitit/                       submitit's job pickles and Slurm logs (--executor slurm)

Every write goes through :func:`write_record` (``mobilebench.fileio.atomic_write_json``: a unique
temporary file in the same folder, fsync, ``os.replace``), so readers never see half a record and two
writers never share a temporary file.
"""
from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
import os.path as osp
import platform
import socket
import subprocess
from typing import Dict, List, Optional

from mobilebench.fileio import atomic_write_json

SCHEMA_VERSION = 1
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STATUSES = ('ok', 'failed', 'running', 'blocked')  # blocked: its pretraining run is not usable
FINISHED = ('ok', 'failed')


# --------------------------------------------------------------------------------------------------
# paths
def record_path(results_dir: str, run_id: str) -> str:
    return osp.join(results_dir, 'runs', f'{run_id}.json')


def work_dir(results_dir: str, run_id: str) -> str:
    return osp.join(results_dir, 'work_dirs', run_id)


def samples_path(results_dir: str, run_id: str) -> str:
    """Where a run's per-sample test results go; its record's ``samples`` field is this path relative to
    ``results_dir``."""
    return osp.join(results_dir, 'samples', f'{run_id}.npz')


def plan_path(results_dir: str) -> str:
    return osp.join(results_dir, 'benchmark.json')


# --------------------------------------------------------------------------------------------------
# reading and writing
def read_json(path: str):
    """The JSON value at ``path``; raises OSError / ValueError."""
    with open(path) as f:
        return json.load(f)


def read_record(path: str) -> Optional[Dict]:
    """The record at ``path``, or None if it is missing or not a JSON object."""
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_record(path: str, record: Dict) -> str:
    """Write a run record (or the plan) atomically; the only writer of the results folder's JSON."""
    return atomic_write_json(path, record)


# --------------------------------------------------------------------------------------------------
# checking (the leaderboard's view of a record)
def finite(value) -> Optional[float]:
    """``value`` as a float if it is a finite number, else None (NaN, inf, strings and None are missing)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _check_numbers(section, name: str, problems: List[str], keys=None):
    if section is None:
        return
    if not isinstance(section, dict):
        problems.append(f'`{name}` is {type(section).__name__}, expected an object')
        return
    for key in (keys if keys is not None else section):
        value = section.get(key)
        if value is not None and not isinstance(value, (numbers.Real, str, list, dict)):
            problems.append(f'`{name}.{key}` is {type(value).__name__}')
        elif keys is not None and value is not None and (isinstance(value, bool)
                                                         or not isinstance(value, numbers.Real)):
            problems.append(f'`{name}.{key}` = {value!r} is not a number')


def record_problems(rec) -> List[str]:
    """What is wrong with a record's structure (empty list: usable).

    Only the fields the leaderboard reads are checked; a NaN or infinite metric is not a structural
    problem (it is shown as missing).
    """
    if not isinstance(rec, dict):
        return [f'a run record is a JSON object, got {type(rec).__name__}']
    problems = []
    for key in ('status', 'task', 'backbone'):
        if not isinstance(rec.get(key), str) or not rec.get(key):
            problems.append(f'`{key}` = {rec.get(key)!r} is not a non-empty string')
    if isinstance(rec.get('status'), str) and rec['status'] not in STATUSES:
        problems.append(f'`status` = {rec["status"]!r} is not one of {", ".join(STATUSES)}')
    if rec.get('metric') is not None and not isinstance(rec['metric'], str):
        problems.append(f'`metric` = {rec["metric"]!r} is not a string')
    shown = rec.get('metrics_shown')
    if shown is not None and not (isinstance(shown, list) and all(isinstance(m, str) for m in shown)):
        problems.append('`metrics_shown` is not a list of strings')
    if rec.get('higher_is_better') is not None and not isinstance(rec['higher_is_better'], bool):
        problems.append('`higher_is_better` is not true/false')
    for key in ('metrics', 'untrained_metrics'):
        _check_numbers(rec.get(key), key, problems)
    _check_numbers(rec.get('complexity'), 'complexity', problems, keys=('madds', 'params', 'backbone_madds'))
    _check_numbers(rec.get('latency'), 'latency', problems, keys=('median_ms', ))
    _check_numbers(rec.get('meta'), 'meta', problems, keys=('wall_time_s', ))
    samples = rec.get('samples')
    if samples is not None and not (isinstance(samples, str) and samples.endswith('.npz') and not osp.isabs(samples)
                                    and '..' not in samples.replace('\\', '/').split('/')):
        problems.append(f'`samples` = {samples!r} is not a .npz path inside the results folder')
    if rec.get('samples_error') is not None and not isinstance(rec['samples_error'], str):
        problems.append('`samples_error` is not a string')
    if rec.get('error') is not None and not isinstance(rec['error'], str):
        problems.append('`error` is not a string')
    return problems


# --------------------------------------------------------------------------------------------------
# provenance
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
    """Short hash of a composed config's text."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def spec_hash(config_text: str, **settings) -> str:
    """Hash of everything that decides a run's result: the composed config plus the run settings
    (seed, input shape, checkpoint, latency protocol, untrained test). Resume compares it."""
    payload = json.dumps(dict(config=config_text, **settings), sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
