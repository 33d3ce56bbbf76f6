"""ONNX export and onnxruntime verification shared by the deployment tools."""
from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np
import torch
import torch.nn as nn


def flatten_outputs(out) -> List[torch.Tensor]:
    """Nested tuples / lists / dicts of tensors -> a flat list, depth first (dicts in key order)."""
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, dict):
        return [t for k in out for t in flatten_outputs(out[k])]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flatten_outputs(o)]
    raise TypeError(f'cannot export an output of type {type(out).__name__}; return tensors')


class TensorNetwork(nn.Module):
    """An OpenMMLab model (detector, pose estimator, action recognizer, face model) as a plain network
    on one NCHW image batch -- backbone, neck and head, no data preprocessor, no post-processing
    (:class:`mobilebench.complexity.TaskForward`; an action recognizer runs one segment) -- with the
    nested outputs flattened to a tuple, so that it exports to ONNX and runs on any engine.

    Args:
        model: the built model.
        scope: its toolbox scope (``cfg.default_scope``: mmdet, mmpose, mmaction, mobilebench).
    """

    def __init__(self, model: nn.Module, scope: str):
        super().__init__()
        from mobilebench.complexity import TaskForward
        self.net = TaskForward(model, scope)

    def forward(self, x):
        return tuple(flatten_outputs(self.net(x)))


class _TupleOutput(nn.Module):
    """Always return a tuple, so single-output and multi-output backbones export alike."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        out = self.model(x)
        return tuple(out) if isinstance(out, (tuple, list)) else (out, )


@torch.no_grad()
def export_onnx(model: nn.Module, input_shape: Sequence[int], path: str, opset: int = 17,
                dynamic_batch: bool = True, input_name: str = 'input') -> List[str]:
    """Export ``model`` (eval mode) with the TorchScript exporter (``dynamo=False``: torch 2.13's
    default dynamo exporter needs onnxscript, which the stack does not ship). Returns output names."""
    # the wrapper is put in eval mode too: the exporter restores the mode of the module it is given,
    # recursively, so a wrapper left in training mode would switch the model to training mode
    wrapped = _TupleOutput(model.eval()).eval()
    dummy = torch.randn(*input_shape)
    n_out = len(wrapped(dummy))
    output_names = [f'feat{i}' for i in range(n_out)] if n_out > 1 else ['output']
    dynamic_axes = {name: {0: 'batch'} for name in [input_name] + output_names} if dynamic_batch else None
    torch.onnx.export(wrapped, (dummy, ), path, input_names=[input_name], output_names=output_names,
                      opset_version=opset, dynamic_axes=dynamic_axes, do_constant_folding=True, dynamo=False)
    return output_names


@torch.no_grad()
def compare_with_onnxruntime(model: nn.Module, path: str, inputs: torch.Tensor) -> Dict[str, float]:
    """Run the ONNX file with onnxruntime (CPU) and PyTorch on ``inputs``; return the max abs and max
    relative (to the largest PyTorch magnitude) error over all outputs."""
    import onnxruntime as ort
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    ort_outs = sess.run(None, {sess.get_inputs()[0].name: inputs.numpy()})
    torch_outs = _TupleOutput(model.eval())(inputs)
    if len(ort_outs) != len(torch_outs):
        raise RuntimeError(f'{path}: onnxruntime returned {len(ort_outs)} outputs, PyTorch {len(torch_outs)}')
    max_abs, max_rel = 0.0, 0.0
    for ref, got in zip(torch_outs, ort_outs):
        ref = ref.numpy()
        if ref.shape != got.shape:
            raise RuntimeError(f'{path}: output shape {got.shape} differs from PyTorch {ref.shape}')
        diff = float(np.abs(ref - got).max())
        max_abs = max(max_abs, diff)
        max_rel = max(max_rel, diff / max(float(np.abs(ref).max()), 1e-12))
    return dict(max_abs_error=max_abs, max_rel_error=max_rel)


def named_backbone_cfg(name: str) -> dict:
    """A backbone file name (``asymmnet_small_x1.0``), or ``<stem>_x<width>`` for another width of an
    existing ``<stem>_x1.0`` file (``asymmnet_large_x0.35`` = that file with ``widen_factor=0.35``)."""
    import os.path as osp
    import re

    from mobilebench.config import load_backbone_cfg
    here = osp.dirname(osp.dirname(osp.abspath(__file__)))
    if name.endswith('.py') or osp.isfile(osp.join(here, 'configs', '_base_', 'backbones', f'{name}.py')):
        return load_backbone_cfg(name)
    m = re.fullmatch(r'(?P<stem>.+)_x(?P<w>[0-9.]+)', name)
    if not m:
        return load_backbone_cfg(name)  # raises with the list of known backbone files
    return load_backbone_cfg(f'{m.group("stem")}_x1.0', widen_factor=float(m.group('w')))


def build_named_model(name: str, part: str = 'classifier', num_classes: int = 1000) -> nn.Module:
    """The suite's ImageNet model of a named backbone (backbone + the family's official head; MobileNetV2:
    pool + dropout 0.2 + Linear, its 1280-wide last conv being part of the backbone), or with
    ``part='backbone'`` the backbone alone up to its last layer. Random weights, eval mode."""
    from backbones.classifiers import OFFICIAL_HEADS, ImageNetClassifier, build_imagenet_model
    from mobilebench.config import build_backbone
    cfg = named_backbone_cfg(name)
    if part == 'backbone':
        model = build_backbone(cfg, out_indices=('final', ), init_cfg=None)
    elif part != 'classifier':
        raise ValueError(f'part must be "classifier" or "backbone", got {part!r}')
    elif str(cfg['type']).split('.')[-1] in OFFICIAL_HEADS:
        model = build_imagenet_model(cfg, num_classes=num_classes)
    else:
        model = ImageNetClassifier(cfg, dict(conv_channels=None, dropout=0.2, num_classes=num_classes))
    return model.eval()
