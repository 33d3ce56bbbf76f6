"""MobileNetV1 (Howard et al., 2017, "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications") as an OpenMMLab backbone: the baseline row of AsymmNet Table 10 (GluonCV ``mobilenet1.0``
in ``yolo3_mobilenet1.0_voc``) and of MobileNeXt Table 6.

The network: a 3x3 stride-2 stem conv, then 13 depthwise-separable blocks (3x3 depthwise + BN + ReLU, 1x1
pointwise + BN + ReLU), no bias anywhere; the ImageNet classifier pools the last 1024-ch map. Widths scale
as ``int(c * widen_factor)`` (the paper's and GluonCV's rule, no rounding to a multiple).

Layer table at x1.0 (index 0 = stem ``layer0``, 1..13 = blocks ``layer1..layer13``):

====== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== =====
index    0     1     2     3     4     5     6     7     8     9    10    11    12    13
stride   2     2     4     4     8     8    16    16    16    16    16    16    32    32
chan.   32    64   128   128   256   256   512   512   512   512   512   512  1024  1024
====== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== =====

Taps: s2 = 1, s4 = 3, s8 = 5, s16 = 11, s32 = final = 13. GluonCV's YOLOv3 splits its ``features`` at
``[:33]``, ``[33:69]``, ``[69:-2]``, i.e. exactly ``('s8', 's16', 'final')``.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch.nn as nn
from mmcv.cnn import ConvModule

from .base import DEFAULT_INIT_CFG, LayerInfo, MobileBackbone
from .registry import MODELS

__all__ = ['MobileNetV1']


@MODELS.register_module()
class MobileNetV1(MobileBackbone):
    """MobileNetV1 backbone (depthwise-separable blocks, ReLU, BN).

    Args:
        widen_factor: width multiplier alpha (the paper's 1.0, 0.75, 0.5, 0.25); channels are
            ``int(c * widen_factor)``.
        out_indices: layer indices / taps to return (see the module docstring). Default ``('final',)``.
        frozen_stages: freeze layers ``0..frozen_stages``; -1 freezes nothing.
        conv_cfg: convolution config.
        norm_cfg: normalisation config.
        act_cfg: activation after every conv (ReLU in the paper).
        norm_eval: keep BN layers in eval mode when training.
        with_cp: activation checkpointing per layer.
        tensor_output: return a Tensor instead of a 1-tuple (mmaction2 TSN).
        init_cfg: OpenMMLab init config (``Pretrained`` with ``prefix`` supported).
    """

    #: each row: [output channels, stride of the depthwise conv] (the paper's Table 1)
    arch_settings = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1],
                     [512, 1], [512, 1], [1024, 2], [1024, 1]]
    stem_channels = 32
    widen_factors = (0.25, 0.5, 0.75, 1.0)

    def __init__(self,
                 widen_factor: float = 1.0,
                 out_indices: Optional[Union[int, str, Sequence[Union[int, str]]]] = None,
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 tensor_output: bool = False,
                 init_cfg=DEFAULT_INIT_CFG):
        super().__init__(out_indices=out_indices, frozen_stages=frozen_stages, norm_eval=norm_eval,
                         with_cp=with_cp, tensor_output=tensor_output, init_cfg=init_cfg)
        if not any(isinstance(widen_factor, (int, float)) and abs(widen_factor - w) < 1e-9
                   for w in self.widen_factors):
            raise ValueError(f'MobileNetV1: unsupported widen_factor {widen_factor!r}; valid values are '
                             f'{self.widen_factors}')
        self.widen_factor = float(widen_factor)
        channels = int(self.stem_channels * self.widen_factor)
        self.layer0 = ConvModule(3, channels, 3, stride=2, padding=1, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                                 act_cfg=act_cfg)
        stride = 2
        layer_table = [LayerInfo('layer0', stride, channels)]
        for i, (out, s) in enumerate(self.arch_settings, start=1):
            out = int(out * self.widen_factor)
            block = nn.Sequential(
                ConvModule(channels, channels, 3, stride=s, padding=1, groups=channels, conv_cfg=conv_cfg,
                           norm_cfg=norm_cfg, act_cfg=act_cfg),
                ConvModule(channels, out, 1, conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg))
            stride *= s
            self.add_module(f'layer{i}', block)
            layer_table.append(LayerInfo(f'layer{i}', stride, out))
            channels = out
        self._finalize_layers(layer_table)
