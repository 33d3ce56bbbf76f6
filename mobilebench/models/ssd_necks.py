"""The extra layers of the MobileNeXt authors' SSDLite (houqb/ssdlite-pytorch-mobilenext).

MobileNeXt Table 8's detector feeds SSDLite from two expanded features of the backbone (the 576-ch output of
the 1x1 expansion in the first stride-32 block, at stride 16, and the 1280-ch expansion of the last block, at
stride 32) and stacks four extra levels on the deepest one. Each extra level is the authors'
``sg_block_extra`` (``ssd/modeling/backbone/mobilenext.py``): a sandglass-style block
``3x3 depthwise stride 2 + BN + ReLU6 -> 1x1 reduce (x ratio) + BN -> 1x1 expand + BN + ReLU6``, with
widths 512, 256, 256, 128 and reduction ratios 0.2, 0.25, 0.5, 0.5. mmdet's ``SSDNeck`` builds inverted
(1x1 reduce + ReLU6 -> depthwise stride 2 -> 1x1) extra blocks instead, so :class:`SandglassExtraNeck` is
that neck with the authors' blocks; the head stays mmdet's ``SSDHead``.
"""
from __future__ import annotations

from typing import Sequence

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from mobilebench.registry import MODELS

__all__ = ['SandglassExtraNeck']


@MODELS.register_module()
class SandglassExtraNeck(BaseModule):
    """Backbone features passed through, plus sandglass extra levels on the deepest one.

    Args:
        in_channels: channels of the backbone features, shallow to deep (MobileNeXt: 576, 1280).
        out_channels: channels of every output level; the first ``len(in_channels)`` must equal
            ``in_channels`` (MobileNeXt: 576, 1280, 512, 256, 256, 128).
        reduce_ratios: per extra level, the width of the 1x1 reduce conv as a fraction of its input width
            (``int(C_in * ratio)``; the authors': 0.2, 0.25, 0.5, 0.5).
        norm_cfg: normalisation of every conv.
        act_cfg: activation after the depthwise and the expand conv.
        init_cfg: OpenMMLab init config.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (576, 1280),
                 out_channels: Sequence[int] = (576, 1280, 512, 256, 256, 128),
                 reduce_ratios: Sequence[float] = (0.2, 0.25, 0.5, 0.5),
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6'),
                 init_cfg=dict(type='Kaiming', layer='Conv2d')):
        super().__init__(init_cfg=init_cfg)
        in_channels, out_channels = tuple(in_channels), tuple(out_channels)
        n_in = len(in_channels)
        if out_channels[:n_in] != in_channels:
            raise ValueError(f'SandglassExtraNeck: out_channels {out_channels} must start with in_channels '
                             f'{in_channels} (the backbone levels are passed through)')
        if len(reduce_ratios) != len(out_channels) - n_in:
            raise ValueError(f'SandglassExtraNeck: {len(out_channels) - n_in} extra levels need as many '
                             f'reduce_ratios, got {tuple(reduce_ratios)}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.extra_layers = nn.ModuleList()
        for c_in, c_out, ratio in zip(out_channels[n_in - 1:-1], out_channels[n_in:], reduce_ratios):
            hidden = int(c_in * ratio)
            self.extra_layers.append(nn.Sequential(
                ConvModule(c_in, c_in, 3, stride=2, padding=1, groups=c_in, norm_cfg=norm_cfg, act_cfg=act_cfg),
                ConvModule(c_in, hidden, 1, norm_cfg=norm_cfg, act_cfg=None),
                ConvModule(hidden, c_out, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)))

    def forward(self, inputs):
        if len(inputs) != len(self.in_channels):
            raise ValueError(f'SandglassExtraNeck expects {len(self.in_channels)} feature maps, got {len(inputs)}')
        outs = list(inputs)
        x = outs[-1]
        for layer in self.extra_layers:
            x = layer(x)
            outs.append(x)
        return tuple(outs)
