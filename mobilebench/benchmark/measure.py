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


class _TensorForward(nn.Module):
    """Calls an OpenMMLab model in ``mode='tensor'`` (network only, no pre/post-processing)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x, None, mode='tensor')


def _count(module: nn.Module, inputs) -> Dict:
    from mmengine.analysis import get_model_complexity_info
    info = get_model_complexity_info(module, inputs=inputs, show_table=False, show_arch=False)
    return dict(madds=int(info['flops']), params=int(info['params']))


def backbone_input_shape(input_shape: Sequence[int]) -> tuple:
    """(C, H, W) for images; a video/clip shape (T, C, H, W) is reduced to one frame."""
    shape = tuple(int(s) for s in input_shape)
    return shape[-3:]


def model_complexity(model: nn.Module, input_shape: Sequence[int]) -> Dict:
    """MAdds (mmengine counts one multiply-add as one FLOP) and params at ``input_shape``.

    The whole network is counted through ``model(x, mode='tensor')`` (mmdet, mmpose, mmaction and the
    suite's face model all support it); if a model does not, the backbone alone is counted and
    ``scope`` says so. The backbone numbers are always reported too.

    Args:
        model: the built model.
        input_shape: input shape without the batch dimension, e.g. ``(3, 416, 416)`` or
            ``(num_clips, 3, H, W)`` for a 2D recognizer.
    """
    model = copy.deepcopy(getattr(model, 'module', model)).cpu().eval()
    result = dict(input_shape=list(input_shape))
    with torch.no_grad():
        x = torch.zeros(1, *input_shape)
        try:
            result.update(_count(_TensorForward(model), (x, )))
            result['scope'] = 'model'
        except Exception as exc:  # noqa: BLE001 - any model-specific failure -> backbone only
            result['scope'] = 'backbone'
            result['model_error'] = f'{type(exc).__name__}: {exc}'[:300]
        backbone = find_backbone(model)
        if backbone is not None:
            bx = torch.zeros(1, *backbone_input_shape(input_shape))
            bb = _count(backbone, (bx, ))
            result['backbone_madds'], result['backbone_params'] = bb['madds'], bb['params']
            if result['scope'] == 'backbone':
                result['madds'], result['params'] = bb['madds'], bb['params']
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
