"""CPU/GPU latency measurement: warm-up, then the median of repeated timed runs, threads pinned."""
from __future__ import annotations

import platform
import statistics
import time
from typing import Dict, Sequence

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
    ordered = sorted(times)
    return dict(median_ms=statistics.median(times), mean_ms=statistics.fmean(times),
                p10_ms=ordered[int(0.1 * (len(ordered) - 1))], p90_ms=ordered[int(0.9 * (len(ordered) - 1))],
                min_ms=ordered[0], repeats=repeats, warmup=warmup, threads=threads,
                input_shape=list(input_shape), device=device,
                hardware=cpu_name() if device == 'cpu' else torch.cuda.get_device_name(),
                torch=torch.__version__)
