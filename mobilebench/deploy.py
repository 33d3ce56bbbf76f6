"""ONNX export and onnxruntime verification shared by the deployment tools."""
from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np
import torch
import torch.nn as nn


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
    wrapped = _TupleOutput(model.eval())
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
