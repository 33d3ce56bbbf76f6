"""``mobilebench.MemoryFormatHook``: keep the model's 4-D weights in a given memory format (``channels_last``).

On CPU, PyTorch's depthwise convolutions are several times faster in ``channels_last`` (NHWC) than in the default
NCHW layout, backward pass included (both go through oneDNN; disabling it makes NCHW slower still). Measured
with ``torch.set_num_threads(1)`` on a 2-core AMD EPYC machine (torch 2.13 CPU): one ``nn.Conv2d(c, c, k,
groups=c)``, batch 32, the mean of 5 forward + backward passes after 2 warm-up passes:

========================  =======  =============
depthwise conv            NCHW     channels_last
========================  =======  =============
5x5, 9 ch, 56x56          52.0 ms  12.4 ms
5x5 stride 2, 36 ch, 28   10.8 ms   4.8 ms
3x3, 16 ch, 56x56         21.9 ms   6.1 ms
3x3, 72 ch, 14x14          3.0 ms   0.8 ms
========================  =======  =============

and one training step of the demo task models (x0.5 backbones, same batches) up to 45 % faster (HBONet ArcFace
at 112 px: 0.49 s -> 0.29 s; YOLOv3 HBONet 0.26 s -> 0.195 s; TSN about the same). The mobile backbones are built
from depthwise convolutions, so the demo sweep trains in ``channels_last`` (benchmark config key
``memory_format``).

Converting the weights is enough: a convolution whose weight is ``channels_last`` returns a ``channels_last``
output, so the layout propagates through the network from the first layer on. The numbers are the same up to
float rounding (summation order). ``Module.to(memory_format=...)`` changes each parameter's ``data`` in place, so
the optimizer, the initialisation that follows ``before_run`` and checkpoint loading (``copy_`` into the
parameter) keep working on the same tensors; checkpoints hold the tensors with their strides and load into
models of either layout.
"""
from __future__ import annotations

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from .registry import HOOKS

MEMORY_FORMATS = {'channels_last': torch.channels_last, 'contiguous': torch.contiguous_format}


@HOOKS.register_module()
class MemoryFormatHook(Hook):
    """Convert the model's 4-D parameters and buffers to ``memory_format`` before training or testing.

    Args:
        memory_format: ``'channels_last'`` (NHWC) or ``'contiguous'`` (NCHW, PyTorch's default).
    """

    priority = 'VERY_HIGH'  # before any hook that looks at the model

    def __init__(self, memory_format: str = 'channels_last'):
        if memory_format not in MEMORY_FORMATS:
            raise ValueError(f'MemoryFormatHook: memory_format must be one of {sorted(MEMORY_FORMATS)}, '
                             f'got {memory_format!r}')
        self.memory_format = memory_format

    def before_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        five_d = [name for name, t in [*model.named_parameters(), *model.named_buffers()] if t.dim() == 5]
        if five_d and self.memory_format == 'channels_last':
            raise ValueError(f'MemoryFormatHook: channels_last is a 4-D layout, but the model has 5-D tensors '
                             f'({five_d[:3]}...); use memory_format=\'contiguous\' (or remove the hook) for 3-D '
                             f'convolutions')
        model.to(memory_format=MEMORY_FORMATS[self.memory_format])
        runner.logger.info(f'MemoryFormatHook: model tensors in {self.memory_format} layout')
