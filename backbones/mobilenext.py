"""MobileNeXt (Zhou et al., "Rethinking Bottleneck Structure for Efficient Mobile Network Design", ECCV 2020).

A reimplementation of the official
``mobilenext/codebase/models/mnext.py`` (zhoudaquan/rethinking_bottleneck_design): the same modules, op
order, widths and rounding, so converted official weights give the same logits (see
``tools/model_converters/mobilenext.py verify``).
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmcv.cnn import ConvModule

from .base import DEFAULT_INIT_CFG, LayerInfo, MobileBackbone, check_widen_factor
from .bricks import make_divisible
from .registry import MODELS

#: identity_tensor_multiplier -> identity_div (the official code adds x to the first C // div channels)
_IDENTITY_DIVS = (1, 2, 3, 4, 6)


def sandglass_hidden_channels(in_channels: int, out_channels: int, reduction: int) -> int:
    """Width of the bottleneck (between the two 1x1 convs) of a sandglass block (official rule).

    ``in_channels // reduction``, but at least ``make_divisible(ceil(out_channels / 6), 16)`` (the 6 is
    fixed, independent of ``reduction``).
    """
    hidden = in_channels // reduction
    if hidden < out_channels / 6.:
        hidden = make_divisible(int(math.ceil(out_channels / 6.)), 16)
    return hidden


class SandGlassBlock(nn.Module):
    """MobileNeXt's sandglass block and the four reduced variants the official code instantiates.

    Full form: ``dw1`` 3x3 (+act) -> ``pw_reduce`` 1x1 (linear) -> ``pw_expand`` 1x1 (+act) -> ``dw2`` 3x3
    with the block's stride (linear). ``with_dw1=False`` drops the leading depthwise (stage-first stride-2
    blocks, type C), ``with_dw2=False`` also drops the last one (stage-first stride-1 blocks, type B).

    Shortcut (stride 1 and ``in_channels == out_channels`` only): the input is added to the first
    ``out_channels // identity_div`` output channels (all of them for ``identity_div=1``).

    Args:
        in_channels: input width.
        out_channels: output width (also the identity width).
        hidden_channels: width between the two pointwise convs.
        stride: stride of ``dw2`` (1 or 2).
        with_dw1: build the leading depthwise conv.
        with_dw2: build the trailing depthwise conv (required when ``stride == 2``).
        identity_div: add the identity on ``out_channels // identity_div`` channels.
        norm_cfg: norm config of every conv.
        act_cfg: activation after ``dw1`` and ``pw_expand``.
    """

    def __init__(self, in_channels: int, out_channels: int, hidden_channels: int, stride: int,
                 with_dw1: bool = True, with_dw2: bool = True, identity_div: int = 1,
                 norm_cfg: dict = dict(type='BN'), act_cfg: dict = dict(type='ReLU6')):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'SandGlassBlock: stride must be 1 or 2, got {stride}')
        if stride == 2 and not with_dw2:
            raise ValueError('SandGlassBlock: a stride-2 block needs its trailing depthwise conv (with_dw2=True)')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride
        self.use_identity = stride == 1 and in_channels == out_channels
        self.identity_channels = out_channels // identity_div
        if with_dw1:
            self.dw1 = ConvModule(in_channels, in_channels, 3, padding=1, groups=in_channels,
                                  norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.pw_reduce = ConvModule(in_channels, hidden_channels, 1, norm_cfg=norm_cfg, act_cfg=None)
        self.pw_expand = ConvModule(hidden_channels, out_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        if with_dw2:
            self.dw2 = ConvModule(out_channels, out_channels, 3, stride=stride, padding=1, groups=out_channels,
                                  norm_cfg=norm_cfg, act_cfg=None)
        self.with_dw1 = with_dw1
        self.with_dw2 = with_dw2

    def forward_with_expanded(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Return ``(block output, features after pw_expand)``; the second is the activated
        high-dimensional map before the (strided) last depthwise conv, which the authors' SSDLite taps."""
        out = self.dw1(x) if self.with_dw1 else x
        expanded = self.pw_expand(self.pw_reduce(out))
        out = self.dw2(expanded) if self.with_dw2 else expanded
        if self.use_identity:
            if self.identity_channels == self.out_channels:
                out = out + x
            elif self.identity_channels > 0:
                k = self.identity_channels
                out = torch.cat([out[:, :k] + x[:, :k], out[:, k:]], dim=1)
        return out, expanded

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_expanded(x)[0]


@MODELS.register_module()
class MobileNeXt(MobileBackbone):
    """MobileNeXt backbone, exactly the official ``mnext.py`` (``features[0..20]``, no final 1x1 conv).

    Stage table (``arch_settings``; t = REDUCTION ratio of the block, c = output/identity width before the
    width multiplier, n = repeats, s = stride of the stage's first block), preceded by a 3x3/s2 stem conv of
    ``md(32 w)`` channels. Stage widths are ``make_divisible(c * w, 8)``; the 1280 stage stays 1280 for
    ``w < 1``. Block variant per position (official ``mnext.py``): t == 2 -> dw-pw-pw-dw (A); single-block
    stride-1 stage -> dw-pw-pw-dw, no shortcut (D); stage-first stride-1 -> pw-pw (B); stage-first stride-2
    -> pw-pw-dw/s2 (C); repeats -> dw-pw-pw-dw + identity (E).

    Layer table (index = official ``features[i]``; layer i = attribute ``layer{i}``, 0 = the stem), stride and
    output channels at 224 input:

    ========  ======  ======  ======  ======  ======  ======  ==========================
    index     stride  x0.35   x0.5    x0.75   x1.0    x1.4    note
    ========  ======  ======  ======  ======  ======  ======  ==========================
    0         2       16      16      24      32      48      stem, ``'s2'``
    1         4       32      48      72      96      136
    2         4       48      72      112     144     200     ``'s4'``
    3-5       8       64      96      144     192     272     5 = ``'s8'``
    6-8       16      104     144     216     288     400
    9-12      16      136     192     288     384     536     12 = ``'s16'``
    13-16     32      200     288     432     576     808
    17-19     32      336     480     720     960     1344
    20        32      1280    1280    1280    1280    1792    ``'s32'`` = ``'final'``
    ========  ======  ======  ======  ======  ======  ======  ==========================

    Extra taps (the feature maps the authors' SSDLite detector reads, ssdlite-pytorch-mobilenext):

    - ``'s16_expand'``: inside ``layer13`` after ``pw_reduce`` + ``pw_expand`` (+ReLU6), before its
      stride-2 depthwise: stride 16, channels of layer 13 (576 at x1.0).
    - ``'s32_expand'``: inside ``layer20`` after ``pw_expand`` (+ReLU6), before its final linear
      depthwise: stride 32, channels of layer 20 (1280 at x1.0).

    An extra tap occupies the index of its layer, so it cannot be requested together with that layer's own
    output (e.g. ``'s32_expand'`` with ``'final'``).

    Args:
        widen_factor: width multiplier, one of 0.35, 0.5, 0.75, 1.0, 1.4.
        identity_tensor_multiplier: fraction of the channels that receive the identity shortcut in the
            repeated blocks (paper Table 7): 1, 1/2, 1/3, 1/4 or 1/6. The released models use 1 (and 1/2
            for the 74.09 % run).
        out_indices: layer indices and/or taps (see above and :class:`MobileBackbone`).
        frozen_stages: freeze layers ``0..frozen_stages``; -1 freezes nothing.
        norm_cfg: norm config of every conv (official: BN, eps 1e-5).
        act_cfg: activation (official: ReLU6).
        norm_eval, with_cp, tensor_output, init_cfg: see :class:`MobileBackbone`.
    """

    # t (reduction), c (output channels), n (repeats), s (stride of the first block)
    arch_settings = [
        [2, 96, 1, 2],
        [6, 144, 1, 1],
        [6, 192, 3, 2],
        [6, 288, 3, 2],
        [6, 384, 4, 1],
        [6, 576, 4, 2],
        [6, 960, 3, 1],
        [6, 1280, 1, 1],
    ]
    widen_factors = (0.35, 0.5, 0.75, 1.0, 1.4)
    #: extra taps: name -> (layer index, stride)
    expand_taps = {'s16_expand': (13, 16), 's32_expand': (20, 32)}

    def __init__(self,
                 widen_factor: float = 1.0,
                 identity_tensor_multiplier: float = 1.0,
                 out_indices=None,
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 tensor_output: bool = False,
                 init_cfg=DEFAULT_INIT_CFG):
        check_widen_factor(widen_factor, 'MobileNeXt', self.widen_factors)
        identity_div = None
        for div in _IDENTITY_DIVS:
            if abs(float(identity_tensor_multiplier) - 1. / div) < 1e-6:
                identity_div = div
        if identity_div is None:
            raise ValueError(f'MobileNeXt: unsupported identity_tensor_multiplier {identity_tensor_multiplier!r}; '
                             f'valid values are ' + ', '.join(f'1/{d}' for d in _IDENTITY_DIVS))
        super().__init__(out_indices, frozen_stages, norm_eval, with_cp, tensor_output, init_cfg)
        self.widen_factor = widen_factor
        self.identity_tensor_multiplier = identity_tensor_multiplier
        self.identity_div = identity_div

        stem_channels = make_divisible(32 * widen_factor, 8)
        self.layer0 = ConvModule(3, stem_channels, 3, stride=2, padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        table = [LayerInfo('layer0', 2, stem_channels)]
        in_channels, stride_total = stem_channels, 2
        for t, c, n, s in self.arch_settings:
            out_channels = c if (c == 1280 and widen_factor < 1) else make_divisible(c * widen_factor, 8)
            keep_3x3 = n == 1 and s == 1
            for i in range(n):
                stride = s if i == 0 else 1
                hidden = sandglass_hidden_channels(in_channels, out_channels, t)
                if t == 2 or keep_3x3 or (in_channels == out_channels and stride == 1):
                    with_dw1, with_dw2 = True, True  # types A, D, E
                elif stride == 1:
                    with_dw1, with_dw2 = False, False  # type B
                else:
                    with_dw1, with_dw2 = False, True  # type C
                block = SandGlassBlock(in_channels, out_channels, hidden, stride, with_dw1, with_dw2,
                                       identity_div, norm_cfg, act_cfg)
                stride_total *= stride
                name = f'layer{len(table)}'
                self.add_module(name, block)
                table.append(LayerInfo(name, stride_total, out_channels))
                in_channels = out_channels
        aliases = {name: idx for name, (idx, _) in self.expand_taps.items()}
        self._finalize_layers(table, aliases=aliases)
        # which returned maps are the inner (pre-depthwise) features of their layer
        requested = self._requested_out_indices
        requested = (requested, ) if isinstance(requested, (int, str)) else tuple(requested)
        self._expand_out = {self.expand_taps[t][0]: self.expand_taps[t][1] for t in requested
                            if isinstance(t, str) and t in self.expand_taps}

    @property
    def out_strides(self) -> Tuple[int, ...]:
        return tuple(self._expand_out.get(i, self.layer_table[i].stride) for i in self.out_indices)

    def forward(self, x: torch.Tensor):
        outs = []
        for i, name in enumerate(self.layer_names[:self.out_indices[-1] + 1]):
            layer = getattr(self, name)
            if i in self._expand_out:
                if self.with_cp and x.requires_grad:
                    x, inner = cp.checkpoint(layer.forward_with_expanded, x, use_reentrant=False)
                else:
                    x, inner = layer.forward_with_expanded(x)
                outs.append(inner)
                continue
            x = self._run_layer(layer, x)
            if i in self.out_indices:
                outs.append(x)
        if self.tensor_output:
            return outs[0]
        return tuple(outs)

