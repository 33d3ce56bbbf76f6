"""Latency measurement: warm-up, then the median of repeated timed runs, threads pinned.

:func:`measure_latency` times one PyTorch module; :func:`time_interleaved` times several engine runners
(:mod:`mobilebench.engines`) in one loop, one call of each per round in a rotating order, so that load
changes on a shared machine hit every model alike instead of whichever happened to run at that moment.
"""
from __future__ import annotations

import platform
import statistics
import time
from typing import Callable, Dict, List, Mapping, Sequence

import numpy as np
import torch
import torch.nn as nn


def cpu_name() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> Dict:
    """CPU model, logical cores, 1-minute load average (how busy the machine was), OS and Python."""
    import os
    info = dict(cpu=cpu_name(), logical_cores=os.cpu_count(), platform=platform.platform(),
                python=platform.python_version())
    try:
        info['load_average_1min'] = os.getloadavg()[0]
    except OSError:  # pragma: no cover - not on every OS
        pass
    return info


def summarize(times_ms: Sequence[float]) -> Dict:
    """Median, mean, p10, p90 and min of a list of milliseconds."""
    if not times_ms:
        raise ValueError('no timings to summarise')
    ordered = sorted(times_ms)
    return dict(median_ms=statistics.median(ordered), mean_ms=statistics.fmean(ordered),
                p10_ms=ordered[int(0.1 * (len(ordered) - 1))], p90_ms=ordered[int(0.9 * (len(ordered) - 1))],
                min_ms=ordered[0])


@torch.no_grad()
def measure_latency(model: nn.Module, input_shape: Sequence[int] = (1, 3, 224, 224), warmup: int = 10,
                    repeats: int = 50, threads: int = 1, device: str = 'cpu') -> Dict:
    """Time ``model(x)`` in eval mode. Returns milliseconds (median, mean, p10/p90, min) and the setting.

    ``threads`` pins ``torch.set_num_threads`` for the measurement (restored afterwards).
    """
    if warmup < 0 or repeats < 1:
        raise ValueError(f'warmup must be >= 0 and repeats >= 1, got warmup={warmup}, repeats={repeats}')
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        model = model.eval().to(device)
        x = torch.randn(*input_shape, device=device)
        sync = torch.cuda.synchronize if device.startswith('cuda') else (lambda: None)
        for _ in range(warmup):
            model(x)
        sync()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            sync()
            times.append((time.perf_counter() - start) * 1000.0)
    finally:
        torch.set_num_threads(previous_threads)
    return dict(summarize(times), repeats=repeats, warmup=warmup, threads=threads,
                input_shape=list(input_shape), device=device,
                hardware=cpu_name() if device == 'cpu' else torch.cuda.get_device_name(),
                torch=torch.__version__)


def time_interleaved(runners: Mapping[str, Callable[[np.ndarray], object]], inputs: Mapping[str, np.ndarray],
                     warmup: int = 5, repeats: int = 30, progress: Callable[[int], None] = None) -> Dict[str, Dict]:
    """Time every runner on its input, interleaved: ``warmup`` untimed calls each, then ``repeats``
    rounds with one timed call of every runner per round, the order rotated by one each round.

    Args:
        runners: key -> callable taking one array (an :class:`~mobilebench.engines.EngineRunner`).
        inputs: key -> the array to feed that runner.
        warmup: untimed calls per runner before the first round.
        repeats: timed rounds.
        progress: called with the number of finished rounds (for a progress bar).

    Returns:
        key -> :func:`summarize` statistics plus ``repeats`` and ``warmup``.
    """
    if warmup < 0 or repeats < 1:
        raise ValueError(f'warmup must be >= 0 and repeats >= 1, got warmup={warmup}, repeats={repeats}')
    keys: List[str] = list(runners)
    missing = [k for k in keys if k not in inputs]
    if missing:
        raise KeyError(f'no input given for runner(s) {missing}')
    for key in keys:
        for _ in range(warmup):
            runners[key](inputs[key])
    times: Dict[str, List[float]] = {k: [] for k in keys}
    for r in range(repeats):
        shift = r % len(keys) if keys else 0
        for key in keys[shift:] + keys[:shift]:
            x = inputs[key]
            start = time.perf_counter()
            runners[key](x)
            times[key].append((time.perf_counter() - start) * 1000.0)
        if progress is not None:
            progress(r + 1)
    return {k: dict(summarize(v), repeats=repeats, warmup=warmup) for k, v in times.items()}
