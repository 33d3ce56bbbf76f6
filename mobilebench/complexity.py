"""Params and multiply-adds (MAdds) with the counting convention of the architecture fact sheet
(``architectures.md`` section 0.2), which the papers use.

- Conv MAdds = output elements (C_out * H_out * W_out) * (C_in / groups) * k_h * k_w; bias not counted.
- Linear MAdds = in_features * out_features per output row; bias not counted.
- Nothing else is counted (BN, activations, SE multiply, residual adds, concat, pooling, upsampling).
- Params = trainable parameters (BN running statistics excluded).

mmengine's ``get_model_complexity_info`` (``FlopAnalyzer``) also counts ``batch_norm`` and
``adaptive_avg_pool2d`` as flops, so it reports more than the papers (e.g. AsymmNet-S x1.0: 60,745,344 vs
57,674,416); :func:`count_madds` counts convs and linears only, with forward hooks. Figures are per sample
(the batch dimension is divided out).
"""
from __future__ import annotations

from typing import Dict, Sequence, Tuple

import torch
import torch.nn as nn

__all__ = ['count_params', 'count_madds', 'get_complexity']


def count_params(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of parameters (``requires_grad`` ones only by default; frozen layers are counted when
    ``trainable_only=False``). Buffers such as BN running statistics are never counted."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _conv_madds(module: nn.Conv2d, inp: Tuple[torch.Tensor], out: torch.Tensor) -> int:
    k = 1
    for s in module.kernel_size:
        k *= s
    return out[0].numel() * (module.in_channels // module.groups) * k


def _linear_madds(module: nn.Linear, inp: Tuple[torch.Tensor], out: torch.Tensor) -> int:
    return (out[0].numel() // module.out_features) * module.in_features * module.out_features


def count_madds(model: nn.Module, input_shape: Sequence[int] = (3, 224, 224),
                by_module: bool = False):
    """Multiply-adds of one forward pass on a single ``input_shape`` image (batch 1, eval mode).

    Args:
        model: the network; its ``forward`` takes one image tensor.
        input_shape: ``(C, H, W)``.
        by_module: also return ``{module name: MAdds}``.

    Returns:
        int, or ``(int, dict)`` with ``by_module=True``.
    """
    per_module: Dict[str, int] = {}
    handles = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            fn = _conv_madds
        elif isinstance(m, nn.Linear):
            fn = _linear_madds
        else:
            continue

        def hook(mod, inp, out, name=name, fn=fn):
            per_module[name] = per_module.get(name, 0) + fn(mod, inp, out)

        handles.append(m.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device('cpu')
        with torch.no_grad():
            model(torch.zeros((1, *input_shape), device=device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    total = sum(per_module.values())
    return (total, per_module) if by_module else total


def get_complexity(model: nn.Module, input_shape: Sequence[int] = (3, 224, 224)) -> Dict[str, int]:
    """``{'params': ..., 'madds': ...}`` with the section-0.2 convention."""
    return dict(params=count_params(model, trainable_only=False), madds=count_madds(model, input_shape))
