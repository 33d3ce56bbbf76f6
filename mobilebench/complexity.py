"""Params and multiply-adds (MAdds) with the counting convention the papers use (MobileNetV2 / MobileNeXt /
HBONet / AsymmNet report one multiply-add as one MAdd).

- Conv MAdds = output elements (C_out * H_out * W_out) * (C_in / groups) * k_h * k_w; bias not counted.
- Transposed conv MAdds = input elements (C_in * H_in * W_in) * (C_out / groups) * k_h * k_w.
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


def _deconv_madds(module: nn.ConvTranspose2d, inp: Tuple[torch.Tensor], out: torch.Tensor) -> int:
    # every input element is multiplied into C_out/groups * k_h * k_w outputs
    k = 1
    for s in module.kernel_size:
        k *= s
    return inp[0][0].numel() * (module.out_channels // module.groups) * k


def _linear_madds(module: nn.Linear, inp: Tuple[torch.Tensor], out: torch.Tensor) -> int:
    return (out[0].numel() // module.out_features) * module.in_features * module.out_features


def _forward_once(model: nn.Module, input_shape: Sequence[int], handles: list) -> None:
    """One eval-mode, no-grad forward on a zero image of ``input_shape``; removes ``handles`` after."""
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
        elif isinstance(m, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
            fn = _deconv_madds
        elif isinstance(m, nn.Linear):
            fn = _linear_madds
        else:
            continue

        def hook(mod, inp, out, name=name, fn=fn):
            per_module[name] = per_module.get(name, 0) + fn(mod, inp, out)

        handles.append(m.register_forward_hook(hook))
    _forward_once(model, input_shape, handles)
    total = sum(per_module.values())
    return (total, per_module) if by_module else total


def count_executed_params(model: nn.Module, input_shape: Sequence[int] = (3, 224, 224)) -> int:
    """Parameters of the modules that one forward pass on a ``input_shape`` image actually runs."""
    executed = set()
    handles = [m.register_forward_hook(lambda mod, i, o: executed.add(mod)) for m in model.modules()]
    _forward_once(model, input_shape, handles)
    seen = set()
    total = 0
    for m in executed:
        for p in m.parameters(recurse=False):
            if id(p) not in seen:
                seen.add(id(p))
                total += p.numel()
    return total


def get_complexity(model: nn.Module, input_shape: Sequence[int] = (3, 224, 224)) -> Dict[str, int]:
    """``{'params': ..., 'madds': ...}`` with the section-0.2 convention."""
    return dict(params=count_params(model, trainable_only=False), madds=count_madds(model, input_shape))


class TaskForward(nn.Module):
    """Wrap a task model (detector, pose estimator, recognizer, face model) so that ``forward(image)``
    runs everything a deployed model runs on one image: backbone, neck and head, without the data
    preprocessor, the loss, box decoding or NMS (which are not convolutions or linears anyway)."""

    def __init__(self, model: nn.Module, scope: str):
        super().__init__()
        self.model = model
        self.scope = scope

    def forward(self, x):
        if self.scope == 'mmaction':
            # Recognizer2D expects (N, segments, C, H, W); one segment gives the per-frame cost
            return self.model.extract_feat(x.unsqueeze(1), stage='head')[0]
        return self.model._forward(x)


def task_input_shape(cfg) -> Tuple[int, int]:
    """The (H, W) a task config runs at: the test pipeline's fixed resize/crop, or the pose codec size."""
    if cfg.get('codec') is not None and 'input_size' in cfg.codec:  # mmpose: (w, h)
        w, h = cfg.codec.input_size
        return int(h), int(w)
    if cfg.get('input_size') is not None:
        size = cfg.input_size
        return (int(size), int(size)) if isinstance(size, int) else (int(size[1]), int(size[0]))
    pipeline = cfg.get('test_pipeline') or cfg.get('test_dataloader', {}).get('dataset', {}).get('pipeline', [])
    for step in pipeline:
        for key in ('scale', 'crop_size'):
            value = step.get(key)
            if step.get('type') in ('Resize', 'CenterCrop', 'ThreeCrop', 'TenCrop') and value is not None:
                if isinstance(value, int):
                    return value, value
                if isinstance(value, (tuple, list)) and -1 not in value:
                    return int(value[1]), int(value[0])
    raise ValueError(f'{cfg.filename}: cannot infer the input size; pass --shape H W')


def get_config_complexity(cfg, shape: Sequence[int] = None) -> Dict[str, int]:
    """Params and MAdds of the full model of a (resolved) config at ``shape`` = (H, W) or its own size."""
    from mmengine.registry import MODELS, init_default_scope

    import mobilebench.runner_utils as ru
    scope = cfg.get('default_scope', 'mmengine')
    init_default_scope(scope)
    if scope in ru.TOOLBOX_MODULES:
        import importlib
        importlib.import_module(ru.TOOLBOX_MODULES[scope])
    h, w = shape if shape else task_input_shape(cfg)
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else dict(cfg.model)
    model_cfg['backbone'] = dict(model_cfg['backbone'], init_cfg=None)
    model = MODELS.build(model_cfg)
    wrapped = TaskForward(model, scope)
    res = get_complexity(wrapped, (3, h, w))
    # A task model also holds parameters that never run at inference: the face loss's class centres
    # (93k x 512 for MS1M), backbone layers deeper than the deepest tap. ``params`` counts only the
    # modules the forward pass executed; ``params_total`` counts everything the checkpoint stores.
    res['params_total'] = res['params']
    res['params'] = count_executed_params(wrapped, (3, h, w))
    res['backbone_params'] = count_params(model.backbone, trainable_only=False)
    res['input_shape'] = [3, h, w]
    return res
