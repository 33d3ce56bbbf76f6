"""AsymmNet (Yang et al., 2021, "AsymmNet: Towards ultralight convolution neural networks using
asymmetrical bottlenecks") as an OpenMMLab backbone, exact to the official code (Spark001/AsymmNet).

The asymmetrical bottleneck (asymmetry rate r, configured expansion E, input C_in, output C_out):

1. if ``E > max(C_in, r * C_in)``: pw1 = 1x1 conv C_in -> E - r*C_in + BN + act, then the input is
   reused by concatenation ``[x]*r + [pw1(x)] + [x]*r`` (width D = E + r*C_in); otherwise no pw1 and no
   concat (the depthwise conv runs on x);
2. depthwise k x k conv with the block's stride + BN + act;
3. optional SE on D channels (mid = ceil8(floor(D / 4)), ReLU, h-sigmoid, biased convs);
4. linear 1x1 conv D -> C_out + BN; residual add iff stride 1 and C_in == C_out.

``asymmetry_rate=0`` is exactly the MobileNetV3 bottleneck (the paper's baseline): pw1 produces E channels
and there is no concat. ``pruned=True`` gives the paper's intermediate "pruned" bottleneck: the first
pointwise conv is pruned to ``E - r*C_in`` outputs exactly as in AsymmNet, but WITHOUT the feature reuse
(no concat, the depthwise / SE / linear conv work on ``E - r*C_in`` channels). This variant is described in
the paper's motivation (pruning the first pointwise conv, then adding feature reuse); it is NOT in the
official code nor in the project's architecture fact sheet, so it follows the paper's words only.

All widths use AsymmNet's rounding: ``ceil_divisible(v, 8)`` (always up), applied independently to the
stem, each E, each C_out and the last 1x1 conv; the 1280-channel post-pool conv of the ImageNet head is
not scaled (see :class:`backbones.classifiers.MobileClsHead`).

Layer table (mmpretrain MobileNetV3 style): index 0 = stem ``layer0`` (stride 2), 1..N = bottlenecks
``layer1..layerN``, N+1 = the last 1x1 conv (``is_widening_conv``; 960/576 at x1.0). Index -> (stride,
channels) for every arch and width (``AsymmNet(arch, w).describe()`` prints it; tested against this
table):

Large (N = 15; index 16 = last conv):

====== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== =====
width    0     1     2     3     4     5     6     7     8     9    10    11    12    13    14    15    16
stride   2     2     4     4     8     8     8    16    16    16    16    16    16    32    32    32    32
x0.35    8     8    16    16    16    16    16    32    32    32    32    40    40    56    56    56   336
x0.5     8     8    16    16    24    24    24    40    40    40    40    56    56    80    80    80   480
x0.75   16    16    24    24    32    32    32    64    64    64    64    88    88   120   120   120   720
x1.0    16    16    24    24    40    40    40    80    80    80    80   112   112   160   160   160   960
x1.25   24    24    32    32    56    56    56   104   104   104   104   144   144   200   200   200  1200
====== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== =====

Taps (Large): s2 = 1, s4 = 3, s8 = 6, s16 = 12, s32 = 15, final = 16.

Small (N = 11; index 12 = last conv):

====== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== =====
width    0     1     2     3     4     5     6     7     8     9    10    11    12
stride   2     4     8     8    16    16    16    16    16    32    32    32    32
x0.35    8     8    16    16    16    16    16    24    24    40    40    40   208
x0.5     8     8    16    16    24    24    24    24    24    48    48    48   288
x0.75   16    16    24    24    32    32    32    40    40    72    72    72   432
x1.0    16    16    24    24    40    40    40    48    48    96    96    96   576
x1.25   24    24    32    32    56    56    56    64    64   120   120   120   720
====== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== ===== =====

Taps (Small): s2 = 0 (stem), s4 = 1, s8 = 3, s16 = 8, s32 = 11, final = 12.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule

from .base import DEFAULT_INIT_CFG, LayerInfo, MobileBackbone, check_widen_factor
from .bricks import SEModule, build_act, ceil_divisible
from .registry import MODELS

__all__ = ['AsymmBottleneck', 'AsymmNet']


class AsymmBottleneck(nn.Module):
    """The asymmetrical bottleneck (see the module docstring).

    Args:
        in_channels: C_in.
        exp_channels: the configured (already scaled and rounded) expansion size E.
        out_channels: C_out.
        kernel_size: depthwise kernel (3 or 5).
        stride: depthwise stride (1 or 2).
        use_se: add the SE module after the depthwise conv.
        act_cfg: activation of pw1 and the depthwise conv.
        asymmetry_rate: r, the number of times the input is reused on each side (0 = MobileNetV3).
        pruned: prune pw1 to E - r*C_in outputs without the feature-reuse concat.
        norm_cfg: normalisation config.
        conv_cfg: convolution config.
    """

    def __init__(self,
                 in_channels: int,
                 exp_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int,
                 use_se: bool,
                 act_cfg: dict,
                 asymmetry_rate: int = 1,
                 pruned: bool = False,
                 norm_cfg: dict = dict(type='BN'),
                 conv_cfg: Optional[dict] = None):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.asymmetry_rate = asymmetry_rate
        self.pruned = pruned
        self.with_res_shortcut = stride == 1 and in_channels == out_channels
        self.with_expand_conv = exp_channels > max(in_channels, asymmetry_rate * in_channels)
        self.with_reuse = self.with_expand_conv and asymmetry_rate > 0 and not pruned
        if self.with_expand_conv:
            pw1_channels = exp_channels - asymmetry_rate * in_channels
            self.expand_conv = ConvModule(in_channels, pw1_channels, 1, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                                          act_cfg=act_cfg)
            dw_channels = pw1_channels + (2 * asymmetry_rate * in_channels if self.with_reuse else 0)
        else:
            dw_channels = in_channels  # the depthwise conv runs directly on x (E == C_in)
        self.mid_channels = dw_channels
        self.depthwise_conv = ConvModule(dw_channels, dw_channels, kernel_size, stride=stride,
                                         padding=kernel_size // 2, groups=dw_channels, conv_cfg=conv_cfg,
                                         norm_cfg=norm_cfg, act_cfg=act_cfg)
        if use_se:
            self.se = SEModule(dw_channels, ceil_divisible(dw_channels // 4, 8))
        self.linear_conv = ConvModule(dw_channels, out_channels, 1, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                                      act_cfg=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.with_expand_conv:
            out = self.expand_conv(x)
            if self.with_reuse:
                reuse = [x] * self.asymmetry_rate
                out = torch.cat(reuse + [out] + reuse, dim=1)
        out = self.depthwise_conv(out)
        if hasattr(self, 'se'):
            out = self.se(out)
        out = self.linear_conv(out)
        return x + out if self.with_res_shortcut else out


@MODELS.register_module()
class AsymmNet(MobileBackbone):
    """AsymmNet-Large / -Small backbone (and, with ``asymmetry_rate=0``, MobileNetV3-Large / -Small with
    AsymmNet's head widths and rounding, the paper's baseline).

    Index -> (stride, channels) tables for every arch and width are in the module docstring; print one with
    ``AsymmNet(arch, widen_factor).describe()``. ``out_indices`` also accepts the taps ``'s2'``, ``'s4'``,
    ``'s8'``, ``'s16'``, ``'s32'``, ``'final'``.

    Args:
        arch: ``'large'`` or ``'small'``.
        widen_factor: width multiplier k, one of 0.35, 0.5, 0.75, 1.0, 1.25.
        asymmetry_rate: r >= 0 (1 in the released models, 0 = MobileNetV3 bottleneck, 2 = ablation).
        pruned: use the paper's "pruned" bottleneck (pw1 pruned, no feature reuse); see the module docstring.
        out_indices: layer indices / taps to return. Default ``('final',)``.
        frozen_stages: freeze layers ``0..frozen_stages``; -1 freezes nothing.
        conv_cfg: convolution config.
        norm_cfg: normalisation config (default BN, eps 1e-5, momentum 0.1 = the official settings).
        act_cfg: the "h-swish" activation (stem, last conv and the late blocks); the early blocks use ReLU.
        norm_eval: keep BN layers in eval mode when training.
        with_cp: activation checkpointing per layer.
        tensor_output: return a Tensor instead of a 1-tuple (mmaction2 TSN).
        init_cfg: OpenMMLab init config (``Pretrained`` with ``prefix`` supported).
    """

    # Each row: [kernel, exp E, out C, use SE, activation ('RE' = ReLU, 'HS' = act_cfg), stride]
    # exactly the paper's / official configuration at x1.0.
    arch_settings: Dict[str, List[list]] = {
        'large': [
            [3, 16, 16, False, 'RE', 1],
            [3, 64, 24, False, 'RE', 2],
            [3, 72, 24, False, 'RE', 1],
            [5, 72, 40, True, 'RE', 2],
            [5, 120, 40, True, 'RE', 1],
            [5, 120, 40, True, 'RE', 1],
            [3, 240, 80, False, 'HS', 2],
            [3, 200, 80, False, 'HS', 1],
            [3, 184, 80, False, 'HS', 1],
            [3, 184, 80, False, 'HS', 1],
            [3, 480, 112, True, 'HS', 1],
            [3, 672, 112, True, 'HS', 1],
            [5, 672, 160, True, 'HS', 2],
            [5, 960, 160, True, 'HS', 1],
            [5, 960, 160, True, 'HS', 1],
        ],
        'small': [
            [3, 16, 16, True, 'RE', 2],
            [3, 72, 24, False, 'RE', 2],
            [3, 88, 24, False, 'RE', 1],
            [5, 96, 40, True, 'HS', 2],
            [5, 240, 40, True, 'HS', 1],
            [5, 240, 40, True, 'HS', 1],
            [5, 120, 48, True, 'HS', 1],
            [5, 144, 48, True, 'HS', 1],
            [5, 288, 96, True, 'HS', 2],
            [5, 576, 96, True, 'HS', 1],
            [5, 576, 96, True, 'HS', 1],
        ],
    }
    stem_channels = 16
    last_conv_channels = {'large': 960, 'small': 576}
    widen_factors = (0.35, 0.5, 0.75, 1.0, 1.25)

    def __init__(self,
                 arch: str = 'large',
                 widen_factor: float = 1.0,
                 asymmetry_rate: int = 1,
                 pruned: bool = False,
                 out_indices: Optional[Union[int, str, Sequence[Union[int, str]]]] = None,
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', eps=1e-5, momentum=0.1),
                 act_cfg: dict = dict(type='HSwish'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 tensor_output: bool = False,
                 init_cfg=DEFAULT_INIT_CFG):
        super().__init__(out_indices=out_indices, frozen_stages=frozen_stages, norm_eval=norm_eval,
                         with_cp=with_cp, tensor_output=tensor_output, init_cfg=init_cfg)
        if arch not in self.arch_settings:
            raise ValueError(f'AsymmNet: unknown arch {arch!r}; valid values are {sorted(self.arch_settings)}')
        check_widen_factor(widen_factor, 'AsymmNet', self.widen_factors)
        if isinstance(asymmetry_rate, bool) or not isinstance(asymmetry_rate, int) or asymmetry_rate < 0:
            raise ValueError(f'AsymmNet: asymmetry_rate must be an int >= 0 (0 = MobileNetV3, 1 = AsymmNet, '
                             f'2 = ablation), got {asymmetry_rate!r}')
        if pruned and asymmetry_rate == 0:
            raise ValueError('AsymmNet: pruned=True needs asymmetry_rate >= 1 (with r = 0 nothing is pruned)')
        self.arch = arch
        self.widen_factor = float(widen_factor)
        self.asymmetry_rate = asymmetry_rate
        self.pruned = pruned
        k = self.widen_factor
        relu_cfg = dict(type='ReLU')

        layer_table = []
        in_channels = ceil_divisible(self.stem_channels * k)
        self.layer0 = ConvModule(3, in_channels, 3, stride=2, padding=1, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                                 act_cfg=act_cfg)
        stride = 2
        layer_table.append(LayerInfo('layer0', stride, in_channels))
        for i, (kernel, exp, out, use_se, act, s) in enumerate(self.arch_settings[arch], start=1):
            out_channels = ceil_divisible(out * k)
            block = AsymmBottleneck(in_channels, ceil_divisible(exp * k), out_channels, kernel, s, use_se,
                                    relu_cfg if act == 'RE' else act_cfg, asymmetry_rate=asymmetry_rate,
                                    pruned=pruned, norm_cfg=norm_cfg, conv_cfg=conv_cfg)
            stride *= s
            name = f'layer{i}'
            self.add_module(name, block)
            layer_table.append(LayerInfo(name, stride, out_channels))
            in_channels = out_channels
        last_channels = ceil_divisible(self.last_conv_channels[arch] * k)
        name = f'layer{len(layer_table)}'
        self.add_module(name, ConvModule(in_channels, last_channels, 1, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                                         act_cfg=act_cfg))
        layer_table.append(LayerInfo(name, stride, last_channels, is_widening_conv=True))
        self._finalize_layers(layer_table)
