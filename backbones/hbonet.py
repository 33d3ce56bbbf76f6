"""HBONet (Li et al., "HBONet: Harmonious Bottleneck on Two Orthogonal Dimensions", ICCV 2019).

A reimplementation of the official
``models/imagenet/hbonet.py`` (d-li14/HBONet, 2x harmonious bottleneck, the released models): the same
modules, op order, widths, per-width rounding divisors and channel slicing, so converted official weights
give the same logits (see ``tools/model_converters/hbonet.py verify``).
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule

from .base import DEFAULT_INIT_CFG, LayerInfo, MobileBackbone, check_widen_factor
from .bricks import make_divisible
from .registry import MODELS


class InvertedResidual(nn.Module):
    """MobileNetV2 inverted residual as in the official HBONet file.

    ``expand_ratio == 1``: ``dw`` 3x3 (stride, +act) -> ``project`` 1x1 (linear). Otherwise
    ``expand`` 1x1 (+act) -> ``dw`` 3x3 (stride, +act) -> ``project`` 1x1 (linear). Residual iff stride 1
    and ``in_channels == out_channels``. Hidden width ``round(in_channels * expand_ratio)``.

    Args:
        in_channels: input width.
        out_channels: output width.
        stride: stride of the depthwise conv.
        expand_ratio: expansion ratio t.
        norm_cfg: norm config.
        act_cfg: activation config.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int,
                 norm_cfg: dict = dict(type='BN'), act_cfg: dict = dict(type='ReLU6')):
        super().__init__()
        hidden = int(round(in_channels * expand_ratio))
        self.use_res_connect = stride == 1 and in_channels == out_channels
        self.with_expand = expand_ratio != 1
        if self.with_expand:
            self.expand = ConvModule(in_channels, hidden, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.dw = ConvModule(hidden, hidden, 3, stride=stride, padding=1, groups=hidden, norm_cfg=norm_cfg,
                             act_cfg=act_cfg)
        self.project = ConvModule(hidden, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.expand(x) if self.with_expand else x
        out = self.project(self.dw(out))
        return x + out if self.use_res_connect else out


class HarmoniousBottleneck(nn.Module):
    """HBONet's harmonious bottleneck, 2x variant (the official ``models/imagenet/hbonet.py``).

    Main branch, always at half the input resolution: ``contract`` dw5x5/s2 (linear) -> ``expand`` 1x1
    to ``in_channels * expand_ratio`` (+act) -> ``dw`` 3x3 (+act) -> ``project`` 1x1 to
    ``half = out_channels // 2`` (linear).

    - stride 1: the branch is upsampled x2 (nearest), added to the FIRST ``half`` input channels and passed
      through ``upconv`` (dw5x5, linear); output = ``cat([last keep input channels, upconv result])``.
    - stride 2: output = ``cat([avgpool2x2(last keep input channels), branch])``.

    ``keep = out_channels - half``. Pass-through channels come first in the concatenation.

    Args:
        in_channels: input width.
        out_channels: output width.
        stride: 1 or 2.
        expand_ratio: expansion ratio t of the branch (2 in every released model).
        norm_cfg: norm config.
        act_cfg: activation config.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int = 2,
                 norm_cfg: dict = dict(type='BN'), act_cfg: dict = dict(type='ReLU6')):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'HarmoniousBottleneck: stride must be 1 or 2, got {stride}')
        hidden = in_channels * expand_ratio
        self.stride = stride
        self.half = out_channels // 2
        self.keep = out_channels - self.half
        if in_channels < self.keep or (stride == 1 and in_channels < self.half):
            raise ValueError(f'HarmoniousBottleneck: in_channels={in_channels} is too narrow for '
                             f'out_channels={out_channels} (needs >= {max(self.keep, self.half)})')
        self.contract = ConvModule(in_channels, in_channels, 5, stride=2, padding=2, groups=in_channels,
                                   norm_cfg=norm_cfg, act_cfg=None)
        self.expand = ConvModule(in_channels, hidden, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.dw = ConvModule(hidden, hidden, 3, padding=1, groups=hidden, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.project = ConvModule(hidden, self.half, 1, norm_cfg=norm_cfg, act_cfg=None)
        if stride == 1:
            self.upconv = ConvModule(self.half, self.half, 5, padding=2, groups=self.half, norm_cfg=norm_cfg,
                                     act_cfg=None)
        else:
            # ceil_mode only matters for odd sizes (where the official code fails to concatenate)
            self.pool = nn.AvgPool2d(2, 2, ceil_mode=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.project(self.dw(self.expand(self.contract(x))))
        passthrough = x[:, x.shape[1] - self.keep:]
        if self.stride == 2:
            return torch.cat([self.pool(passthrough), branch], dim=1)
        # nearest x2 upsampling (identical to nn.Upsample(scale_factor=2) for the even sizes it supports)
        branch = F.interpolate(branch, size=x.shape[-2:], mode='nearest')
        out = self.upconv(x[:, :self.half] + branch)
        return torch.cat([passthrough, out], dim=1)


@MODELS.register_module()
class HBONet(MobileBackbone):
    """HBONet backbone, exactly the official ``hbonet.py`` (``features[0..18]`` + final 1x1 ``conv``).

    ``arch_settings`` rows are (t, c, n, s, block) as in the paper's table: t = expansion ratio, c = output
    width before the width multiplier, n = repeats, s = stride of the first block; ``'proj'`` is the linear
    1x1 conv + BN that narrows the 288 stage to 144. Widths are ``make_divisible(c * w, d)`` with the
    official per-width divisor ``d`` (4 for w = 0.1, 2 for w = 0.25 and 0.5, 8 otherwise); hidden widths are
    not rounded. The final 1x1 conv has 1600 channels (+BN +ReLU6) for every supported width.

    Layer table (index = official ``features[i]``; i = attribute ``layer{i}``, 0 = stem, 19 = the
    official final ``conv``), stride and output channels at 224 input:

    ======  ======  =====  =====  =====  =====  =====  =====  ====================================
    index   stride  x0.1   x0.25  x0.35  x0.5   x0.8   x1.0   note
    ======  ======  =====  =====  =====  =====  =====  =====  ====================================
    0       2       4      8      16     16     24     32     stem
    1       2       4      6      8      10     16     24     IR t=1
    2       2       4      10     16     18     32     40     HBO, ``'s2'``
    3-5     4       8      18     24     36     56     72     HBO, 5 = ``'s4'``
    6-9     8       12     24     32     48     80     96     HBO, 9 = ``'s8'``
    10-13   16      20     48     64     96     152    192    HBO
    14      16      28     72     104    144    232    288    HBO, ``'s16_act'`` (activated)
    15      16      16     36     48     72     112    144    1x1 conv + BN, linear, ``'s16'``
    16-17   32      20     50     72     100    160    200    IR t=6
    18      32      40     100    144    200    320    400    IR t=6, ``'s32'``
    19      32      1600   1600   1600   1600   1600   1600   final 1x1 conv, ``'final'``
    ======  ======  =====  =====  =====  =====  =====  =====  ====================================

    Args:
        widen_factor: width multiplier, one of 0.1, 0.25, 0.35, 0.5, 0.8, 1.0.
        out_indices: layer indices and/or taps (see above and :class:`MobileBackbone`).
        frozen_stages: freeze layers ``0..frozen_stages``; -1 freezes nothing.
        norm_cfg: norm config of every conv (official: BN, eps 1e-5).
        act_cfg: activation (official: ReLU6).
        norm_eval, with_cp, tensor_output, init_cfg: see :class:`MobileBackbone`.
    """

    # t (expansion), c (output channels), n (repeats), s (first stride), block type
    arch_settings = [
        [1, 20, 1, 1, 'ir'],
        [2, 36, 1, 1, 'hbo'],
        [2, 72, 3, 2, 'hbo'],
        [2, 96, 4, 2, 'hbo'],
        [2, 192, 4, 2, 'hbo'],
        [2, 288, 1, 1, 'hbo'],
        [None, 144, 1, 1, 'proj'],
        [6, 200, 2, 2, 'ir'],
        [6, 400, 1, 1, 'ir'],
    ]
    #: the official rounding divisor per width multiplier
    divisors = {0.1: 4, 0.25: 2, 0.35: 8, 0.5: 2, 0.8: 8, 1.0: 8}
    widen_factors = tuple(divisors)
    last_channels = 1600

    def __init__(self,
                 widen_factor: float = 1.0,
                 out_indices=None,
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 tensor_output: bool = False,
                 divisor: Optional[int] = None,
                 init_cfg=DEFAULT_INIT_CFG):
        check_widen_factor(widen_factor, 'HBONet', self.widen_factors)
        super().__init__(out_indices, frozen_stages, norm_eval, with_cp, tensor_output, init_cfg)
        self.widen_factor = widen_factor
        d = self.divisors[widen_factor] if divisor is None else divisor
        if not isinstance(d, int) or d <= 0:
            raise ValueError(f'HBONet: divisor must be a positive int (or None for the official one), got {d!r}')
        self.divisor = d

        stem_channels = make_divisible(32 * widen_factor, d)
        self.layer0 = ConvModule(3, stem_channels, 3, stride=2, padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        table = [LayerInfo('layer0', 2, stem_channels)]
        in_channels, stride_total = stem_channels, 2
        for t, c, n, s, kind in self.arch_settings:
            out_channels = make_divisible(c * widen_factor, d)
            for i in range(n):
                stride = s if i == 0 else 1
                if kind == 'ir':
                    layer = InvertedResidual(in_channels, out_channels, stride, t, norm_cfg, act_cfg)
                elif kind == 'hbo':
                    layer = HarmoniousBottleneck(in_channels, out_channels, stride, t, norm_cfg, act_cfg)
                else:
                    layer = ConvModule(in_channels, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None)
                stride_total *= stride
                name = f'layer{len(table)}'
                self.add_module(name, layer)
                table.append(LayerInfo(name, stride_total, out_channels))
                in_channels = out_channels
        last = make_divisible(self.last_channels * widen_factor, d) if widen_factor > 1.0 else self.last_channels
        name = f'layer{len(table)}'  # layer19, the official ``conv``
        self.add_module(name, ConvModule(in_channels, last, 1, norm_cfg=norm_cfg, act_cfg=act_cfg))
        table.append(LayerInfo(name, stride_total, last, is_widening_conv=True))
        self._finalize_layers(table, aliases={'s16_act': 14})

