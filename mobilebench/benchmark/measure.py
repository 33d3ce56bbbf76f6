"""Model complexity (MAdds, params) and backbone CPU latency at a task's input size."""
from __future__ import annotations

import copy
import statistics
import time
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn


def find_backbone(model: nn.Module) -> Optional[nn.Module]:
    """Return the model's backbone: ``model.backbone`` or the first project ``MobileBackbone``."""
    model = getattr(model, 'module', model)
    if isinstance(getattr(model, 'backbone', None), nn.Module):
        return model.backbone
    try:
        from backbones import MobileBackbone
    except ImportError:  # pragma: no cover
        return None
    for module in model.modules():
        if isinstance(module, MobileBackbone):
            return module
    return None


def backbone_input_shape(input_shape: Sequence[int]) -> tuple:
    """(C, H, W) for images; a video/clip shape (T, C, H, W) is reduced to one frame."""
    shape = tuple(int(s) for s in input_shape)
    return shape[-3:]


def model_complexity(model: nn.Module, input_shape: Sequence[int],
                     conventions: Sequence[str] = ('true', 'mxnet-summary')) -> Dict:
    """MAdds and params of the whole model and of its backbone at ``input_shape``, in every counting
    convention of :mod:`mobilebench.complexity` (the suite's one measurement module).

    The record keeps the ``'true'`` figures at the top level (``madds``, ``params``, ``backbone_madds``,
    ``backbone_params``, with ``convention='true'``) and every convention under ``by_convention``. Video
    models are counted per frame (a ``(T, C, H, W)`` shape is reduced to one frame), backbone + head.

    Args:
        model: the built task model (mmdet / mmpose / mmaction2 / the suite's face model).
        input_shape: input shape without the batch dimension, e.g. ``(3, 416, 416)`` or
            ``(num_clips, 3, H, W)`` for a 2D recognizer.
        conventions: the conventions to count (``'true'`` first).
    """
    from mobilebench.complexity import build_task_forward, measure
    model = copy.deepcopy(getattr(model, 'module', model)).cpu().eval()
    shape = backbone_input_shape(input_shape)
    result = dict(input_shape=list(input_shape), counted_shape=list(shape), convention='true', by_convention={})
    task = build_task_forward(model)
    backbone = find_backbone(model)
    for convention in conventions:
        entry = {}
        try:
            full = measure(task, shape, convention)
            entry.update(madds=full['madds'], params=full['params'], scope='model')
        except Exception as exc:  # noqa: BLE001 - any model-specific failure -> backbone only, said so
            entry.update(scope='backbone', model_error=f'{type(exc).__name__}: {exc}'[:300])
        if backbone is not None:
            bb = measure(backbone, shape, convention, count_all_params=True)
            entry.update(backbone_madds=bb['madds'], backbone_params=bb['params'])
            if entry['scope'] == 'backbone':
                entry.update(madds=bb['madds'], params=bb['params'])
        result['by_convention'][convention] = entry
    result.update(result['by_convention'].get('true', {}))
    return result


def backbone_latency(model: nn.Module, input_shape: Sequence[int], warmup: int = 3, repeats: int = 10,
                     threads: int = 1) -> Optional[Dict]:
    """Median CPU latency (ms) of the backbone, batch 1, ``threads`` intra-op threads.

    Args:
        model: the built model (its backbone is measured).
        input_shape: the task's input shape (one frame is used for clips).
        warmup: untimed iterations.
        repeats: timed iterations.
        threads: ``torch.set_num_threads`` during the measurement.
    """
    backbone = find_backbone(model)
    if backbone is None:
        return None
    backbone = copy.deepcopy(backbone).cpu().eval()
    x = torch.randn(1, *backbone_input_shape(input_shape))
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        times = []
        with torch.no_grad():
            for i in range(warmup + repeats):
                t0 = time.perf_counter()
                backbone(x)
                if i >= warmup:
                    times.append((time.perf_counter() - t0) * 1000)
    finally:
        torch.set_num_threads(old)
    return dict(median_ms=statistics.median(times), min_ms=min(times), repeats=repeats, warmup=warmup,
                threads=threads, batch=1, input_shape=list(backbone_input_shape(input_shape)), device='cpu')
