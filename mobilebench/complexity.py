"""Params and multiply-adds (MAdds): the suite's one measurement module, with two counting conventions.

``'true'`` (the suite's own figures)
    - MAdds: conv, transposed conv and linear (matmul) multiply-adds, counted by mmengine's
      :class:`~mmengine.analysis.FlopAnalyzer` restricted to those operators. Conv = output elements x
      (C_in / groups) x k_h x k_w; transposed conv = input elements x (C_out / groups) x k_h x k_w; linear =
      in x out per row. Bias, BN, activations, SE multiply, residual adds, pooling, upsampling and pixel
      shuffle are not counted (mmengine's defaults would add BN and pooling: AsymmNet-S x1.0 60,745,344 vs
      57,674,416).
    - Params: every parameter of the modules that one inference forward runs (BN affine included, running
      statistics excluded). Training-only parameters (the ArcFace class centres) and backbone layers deeper
      than the deepest tap are not counted; :func:`get_config_complexity` also gives ``params_total``.
    - Video models are counted per frame (one segment; the segment consensus has no multiply-adds).

``'mxnet-summary'`` (the rules of the MXNet summary tool the AsymmNet authors used, ``print_summary_ops`` in
``utils/visualization.py`` of the official AsymmNet repository; every AsymmNet params figure is its output)
    - Convolution: params = ``C_in * C_out // groups * k_h`` (+ ``C_out`` with a bias): the kernel size enters
      once, not squared. MACs = ``rows * cols * C_in * k_h * k_w * C_out // groups`` with
      ``rows = (H_in - k_h + 2 * pad) // stride + 1`` and ``cols = (H_in - k_w + 2 * pad) // stride + 1``: the
      input *height* is used for both output dimensions (a square map is assumed), with the first stride and
      padding.
    - FullyConnected: params = MACs = ``(in + 1) * out`` (``in * out`` without a bias).
    - BatchNorm: ``2 * C`` params; no MACs.
    - Deconvolution, PReLU, activations, pooling, upsampling, pixel shuffle, concat: nothing.
    - Every module call is a graph node: MACs are counted per call, params once per module.
    Example: AsymmNet-L x1.0 with its ImageNet head is 6,076,608 true params and 5,991,776 by this tool
    (the paper's 5.99 M); MAdds 216,918,096 in both.

The tool prints millions rounded to 2 decimals (``round(x / 1e6, 2)``); the AsymmNet tables round that value
again to 1 decimal, half up (:func:`paper_round`).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Dict, Sequence, Tuple

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

__all__ = ['CONVENTIONS', 'count_params', 'count_madds', 'count_executed_params', 'count_mxnet_summary',
           'measure', 'get_complexity', 'get_config_complexity', 'build_task_forward', 'paper_round',
           'mxnet_summary_round']

#: the counting conventions (see the module docstring)
CONVENTIONS = ('true', 'mxnet-summary')



def _counted_op_handles() -> dict:
    """The FlopAnalyzer operators the 'true' convention counts, with mmengine's own handles (mmengine's default
    set also counts batch_norm, the norms, upsampling, adaptive pooling and grid sampling)."""
    from mmengine.analysis import jit_handles as jh
    return {'aten::_convolution': jh.conv_flop_jit, 'aten::linear': jh.linear_flop_jit,
            'aten::addmm': jh.addmm_flop_jit, 'aten::matmul': jh.matmul_flop_jit, 'aten::mm': jh.matmul_flop_jit,
            'aten::bmm': jh.bmm_flop_jit, 'aten::einsum': jh.einsum_flop_jit}


def _check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f'unknown counting convention {convention!r}; valid conventions are {CONVENTIONS}')
    return convention


def count_params(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of parameters (``requires_grad`` ones only by default; frozen layers are counted when
    ``trainable_only=False``). Buffers such as BN running statistics are never counted."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _dummy_input(model: nn.Module, input_shape: Sequence[int]) -> torch.Tensor:
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device('cpu')
    return torch.zeros((1, *input_shape), device=device)


def _forward_once(model: nn.Module, input_shape: Sequence[int], handles: list) -> None:
    """One eval-mode, no-grad forward on a zero image of ``input_shape``; removes ``handles`` after."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(_dummy_input(model, input_shape))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)


def count_madds(model: nn.Module, input_shape: Sequence[int] = (3, 224, 224), by_module: bool = False):
    """Multiply-adds of one forward pass on a single ``input_shape`` input (batch 1, eval mode), ``'true'``
    convention: mmengine's ``FlopAnalyzer`` counting convolutions (plain and transposed) and matmuls only.

    Args:
        model: the network; its ``forward`` takes one tensor.
        input_shape: ``(C, H, W)``.
        by_module: also return ``{leaf module name: MAdds}`` (modules with a non-zero count).

    Returns:
        int, or ``(int, dict)`` with ``by_module=True``.
    """
    from mmengine.analysis import FlopAnalyzer
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            analyzer = FlopAnalyzer(model, (_dummy_input(model, input_shape), ))
            # set_op_handle(op=None) does not drop a default handle: start from none, add the counted ones
            analyzer.clear_op_handles().set_op_handle(**_counted_op_handles())
            analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
            analyzer.tracer_warnings('none')
            total = int(analyzer.total())
            per_module = None
            if by_module:
                leaves = {name for name, m in model.named_modules() if not any(True for _ in m.children())}
                per_module = {name: int(v) for name, v in analyzer.by_module().items() if name in leaves and v}
    finally:
        model.train(was_training)
    return (total, per_module) if by_module else total


def count_executed_params(model: nn.Module, input_shape: Sequence[int] = (3, 224, 224)) -> int:
    """Parameters of the modules that one forward pass on a ``input_shape`` input actually runs."""
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


# ---------------------------------------------------------------------------------------------- mxnet-summary
def _mx_conv(m: nn.Conv2d, inp) -> Tuple[int, int]:
    c_in, c_out, g = m.in_channels, m.out_channels, m.groups
    kh, kw = m.kernel_size
    params = c_in * c_out // g * kh + (c_out if m.bias is not None else 0)
    h = int(inp[0].shape[2])  # the tool uses the input height for both output dimensions
    stride, pad = m.stride[0], m.padding[0]
    if isinstance(pad, str):
        raise ValueError(f'mxnet-summary: string padding {pad!r} has no MXNet equivalent')
    rows = (h - kh + 2 * pad) // stride + 1
    cols = (h - kw + 2 * pad) // stride + 1
    macs = rows * cols * c_in * kh * kw * c_out // g
    return params, macs


def _mx_linear(m: nn.Linear, inp) -> Tuple[int, int]:
    n = (m.in_features + (1 if m.bias is not None else 0)) * m.out_features
    return n, n


def _mx_batchnorm(m: _BatchNorm, inp) -> Tuple[int, int]:
    return 2 * m.num_features, 0


def _mx_embedding(m: nn.Embedding, inp) -> Tuple[int, int]:
    return m.num_embeddings * m.embedding_dim, 0


def _mx_rule(m: nn.Module):
    """The tool's rule for a module, or None when the tool counts nothing for it."""
    if isinstance(m, nn.Conv2d):
        return _mx_conv
    if isinstance(m, nn.Linear):
        return _mx_linear
    if isinstance(m, _BatchNorm):
        return _mx_batchnorm
    if isinstance(m, nn.Embedding):
        return _mx_embedding
    if isinstance(m, (nn.Conv1d, nn.Conv3d)):
        raise ValueError(f'mxnet-summary: {type(m).__name__} is not covered by the MXNet tool emulation '
                         '(2D models only)')
    return None  # ConvTranspose (Deconvolution), PReLU, activations, pooling, ...: 0 in the tool


def count_mxnet_summary(model: nn.Module, input_shape: Sequence[int] = (3, 224, 224)) -> Dict[str, int]:
    """``{'params', 'madds'}`` counted with the MXNet summary tool's rules (``'mxnet-summary'``, see the module
    docstring) on one forward pass of a batch-1 ``input_shape`` input. Only modules that run are counted."""
    counted_params = set()
    totals = dict(params=0, madds=0)
    handles = []
    for m in model.modules():
        rule = _mx_rule(m)
        if rule is None:
            continue

        def hook(mod, inp, out, rule=rule):
            params, macs = rule(mod, inp)
            totals['madds'] += macs
            if id(mod) not in counted_params:
                counted_params.add(id(mod))
                totals['params'] += params

        handles.append(m.register_forward_hook(hook))
    _forward_once(model, input_shape, handles)
    return totals


# ---------------------------------------------------------------------------------------------- one API
def measure(model: nn.Module, input_shape: Sequence[int] = (3, 224, 224), convention: str = 'true',
            count_all_params: bool = False) -> Dict:
    """Params and MAdds of ``model`` on one batch-1 ``input_shape`` input with a counting ``convention``.

    Args:
        model: a module whose ``forward`` takes one tensor (wrap task models with :func:`build_task_forward`).
        input_shape: input shape without the batch dimension.
        convention: ``'true'`` or ``'mxnet-summary'`` (module docstring).
        count_all_params: ``'true'`` only: count every parameter the model holds instead of those of the
            modules that run.

    Returns:
        ``dict(convention=..., params=..., madds=..., input_shape=[...])``.
    """
    _check_convention(convention)
    if convention == 'mxnet-summary':
        res = count_mxnet_summary(model, input_shape)
    else:
        params = (count_params(model, trainable_only=False) if count_all_params
                  else count_executed_params(model, input_shape))
        res = dict(params=params, madds=count_madds(model, input_shape))
    return dict(convention=convention, params=int(res['params']), madds=int(res['madds']),
                input_shape=[int(s) for s in input_shape])


def get_complexity(model: nn.Module, input_shape: Sequence[int] = (3, 224, 224),
                   convention: str = 'true') -> Dict[str, int]:
    """``{'params': ..., 'madds': ...}`` of a whole model (all its parameters) with ``convention``."""
    res = measure(model, input_shape, convention, count_all_params=True)
    return dict(params=res['params'], madds=res['madds'])


def _round_half_up(value: float, digits: int) -> float:
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def paper_round(count: int, digits: int, scale: float = 1e6, twice: bool = True) -> float:
    """``count`` in units of ``scale`` (1e6 = millions) rounded the way a paper printed it with ``digits``
    decimals.

    ``twice=True`` (the AsymmNet tables): first the MXNet tool's value ``round(count / scale, 2)``, then that
    value half up to ``digits`` (1,546,000 -> 1.55 -> 1.6; 41,545,700 -> 41.55 -> 41.6). ``twice=False``:
    ``count / scale`` half up to ``digits`` once.
    """
    value = count / scale
    if twice:
        value = round(value, 2)
        if digits >= 2:
            return round(value, digits)
    return _round_half_up(value, digits)


class TaskForward(nn.Module):
    """Wrap a task model (detector, pose estimator, recognizer, face model) so that ``forward(image)``
    runs everything a deployed model runs on one image: backbone, neck and head, without the data
    preprocessor, the loss, box decoding or NMS (which are not convolutions or linears anyway). A video
    recognizer runs one frame (one segment) through backbone and head."""

    def __init__(self, model: nn.Module, scope: str):
        super().__init__()
        self.model = model
        self.scope = scope

    def forward(self, x):
        if self.scope == 'mmaction':
            # Recognizer2D expects (N, segments, C, H, W); one segment gives the per-frame cost
            return self.model.extract_feat(x.unsqueeze(1), stage='head')[0]
        if hasattr(self.model, '_forward'):  # mmdet / mmpose / the suite's models: no preprocessor, no loss
            return self.model._forward(x)
        return self.model(x, mode='tensor')  # any other mmengine BaseModel (mmpretrain's ImageClassifier)


def build_task_forward(model: nn.Module, scope: str = None) -> TaskForward:
    """:class:`TaskForward` for a built task model; ``scope`` is guessed from the model's module path when
    not given (``mmaction`` for any recognizer, else the generic ``_forward``)."""
    model = getattr(model, 'module', model)
    if scope is None:
        scope = 'mmaction' if type(model).__module__.startswith('mmaction') else 'generic'
    return TaskForward(model, scope)


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


def build_config_model(cfg) -> Tuple[nn.Module, str]:
    """Build the task model of a (resolved) config without pretrained weights; returns ``(model, scope)``."""
    import importlib

    from mmengine.registry import MODELS, init_default_scope

    import mobilebench.runner_utils as ru
    scope = cfg.get('default_scope', 'mmengine')
    init_default_scope(scope)
    if scope in ru.TOOLBOX_MODULES:
        importlib.import_module(ru.TOOLBOX_MODULES[scope])
    for module in (cfg.get('custom_imports') or {}).get('imports', []):
        importlib.import_module(module)
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else dict(cfg.model)
    model_cfg['backbone'] = dict(model_cfg['backbone'], init_cfg=None)
    return MODELS.build(model_cfg), scope


def get_config_complexity(cfg, shape: Sequence[int] = None, convention: str = 'true') -> Dict:
    """Params and MAdds of the full model of a (resolved) config at ``shape`` = (H, W) or its own input size
    (one frame for video models), counted with ``convention``.

    Returns ``dict(convention, params, madds, input_shape, backbone_params)``; with ``'true'`` also
    ``params_total``: a task model also holds parameters that never run at inference (the face loss's class
    centres, 93k x 512 for MS1M; backbone layers deeper than the deepest tap). ``params`` counts only the
    modules the forward pass executes; ``params_total`` counts everything the checkpoint stores.
    """
    _check_convention(convention)
    h, w = shape if shape else task_input_shape(cfg)
    model, scope = build_config_model(cfg)
    wrapped = TaskForward(model, scope)
    res = measure(wrapped, (3, h, w), convention)
    if convention == 'true':
        res['params_total'] = count_params(wrapped, trainable_only=False)
    res['backbone_params'] = count_params(model.backbone, trainable_only=False)
    return res
