"""Small building blocks shared by the AsymmNet, MobileNeXt and HBONet backbones.

Activations, convs and norms come from mmcv (``ConvModule``, ``build_activation_layer``; mmcv registers
``HSwish`` / ``HSigmoid`` / ``ReLU6`` in mmengine's root registry), so configs may swap them with the usual
``act_cfg`` / ``norm_cfg`` dicts. Only what mmcv lacks lives here:

- :func:`make_divisible`: the TF / MobileNet channel rounding (nearest multiple, 90 % guard), used by
  MobileNeXt and HBONet.
- :func:`ceil_divisible`: AsymmNet's rule, always rounding *up* to a multiple of the divisor.
- :class:`SEModule`: squeeze-and-excitation with biased 1x1 convs, ReLU and h-sigmoid (AsymmNet's SE; the
  caller chooses the mid width, because each family rounds it differently).
"""
from __future__ import annotations

import math
import warnings
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, build_activation_layer  # noqa: F401  (re-exported for the families)

__all__ = ['make_divisible', 'ceil_divisible', 'SEModule', 'build_act', 'ConvModule']


def make_divisible(v: float, divisor: int = 8, min_value: Optional[int] = None) -> int:
    """Round ``v`` to the nearest multiple of ``divisor`` (TF / MobileNet rule).

    The result is at least ``min_value`` (default: ``divisor``) and is bumped up by one ``divisor`` when
    rounding down would lose more than 10 % of ``v``.

    Args:
        v: the raw (scaled) channel count.
        divisor: the multiple to round to.
        min_value: lower bound of the result; defaults to ``divisor``.

    Returns:
        int: the rounded channel count.
    """
    if divisor <= 0:
        raise ValueError(f'make_divisible: divisor must be a positive int, got {divisor!r}')
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return int(new_v)


def ceil_divisible(v: float, divisor: int = 8) -> int:
    """Round ``v`` UP to a multiple of ``divisor`` (AsymmNet's rule: ``ceil(v / d) * d``).

    No minimum and no round-to-nearest: ``ceil_divisible(5.6) == 8``, ``ceil_divisible(25.2) == 32``,
    ``ceil_divisible(0) == 0``.

    Args:
        v: the raw (scaled) channel count.
        divisor: the multiple to round to.

    Returns:
        int: the rounded channel count.
    """
    if divisor <= 0:
        raise ValueError(f'ceil_divisible: divisor must be a positive int, got {divisor!r}')
    return int(math.ceil(v / divisor) * divisor)


def build_act(act_cfg: Optional[dict]) -> nn.Module:
    """``build_activation_layer`` that returns ``nn.Identity`` for ``None`` and hides mmcv's HSigmoid
    construction warning (about a default changed in mmcv 1.4.4, irrelevant here).

    Args:
        act_cfg: an mmcv activation config such as ``dict(type='HSwish')``, or None.
    """
    if act_cfg is None:
        return nn.Identity()
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='In MMCV v1.4.4')
        return build_activation_layer(dict(act_cfg))


class SEModule(nn.Module):
    """Squeeze-and-excitation: global average pool -> 1x1 conv (bias) -> act -> 1x1 conv (bias) -> gate
    -> channel-wise multiply with the input. No normalisation inside.

    With the defaults this is AsymmNet's SE (ReLU, then h-sigmoid = ReLU6(x + 3) / 6), which is also the
    MobileNetV3 SE. Parameters are named ``conv1.conv.*`` / ``conv2.conv.*`` (mmpretrain ``SELayer`` style).

    Args:
        channels: input (and output) channels.
        mid_channels: width of the squeeze conv (the caller applies its family's rounding).
        act_cfg: the two activations, after the squeeze and after the excite conv.
    """

    def __init__(self,
                 channels: int,
                 mid_channels: int,
                 act_cfg: Sequence[dict] = (dict(type='ReLU'), dict(type='HSigmoid'))):
        super().__init__()
        if len(act_cfg) != 2:
            raise ValueError(f'SEModule: act_cfg must hold two activation configs, got {act_cfg!r}')
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.conv1 = ConvModule(channels, mid_channels, 1, bias=True, norm_cfg=None, act_cfg=None)
        self.act1 = build_act(act_cfg[0])
        self.conv2 = ConvModule(mid_channels, channels, 1, bias=True, norm_cfg=None, act_cfg=None)
        self.act2 = build_act(act_cfg[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.act2(self.conv2(self.act1(self.conv1(self.pool(x)))))
        return x * w
