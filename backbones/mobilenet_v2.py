"""mmdet's own MobileNetV2 (the baseline) with the project's backbone contract.

A thin subclass of :class:`mmdet.models.backbones.MobileNetV2`: the modules, state_dict keys, forward
computation and ``frozen_stages`` / ``norm_eval`` / ``with_cp`` behaviour are mmdet's; this class adds
symbolic taps, ``out_channels`` / ``out_strides`` without a forward pass, ``tensor_output`` and
ValueErrors listing the valid values. Its layer table (mmdet's out-index map; the stem ``conv1`` is never
an output) at x1.0:

===== ======== ====== ======== ==========================
index layer    stride channels tap
===== ======== ====== ======== ==========================
0     layer1   2      16       ``'s2'``
1     layer2   4      24       ``'s4'``
2     layer3   8      32       ``'s8'``
3     layer4   16     64
4     layer5   16     96       ``'s16'``
5     layer6   32     160
6     layer7   32     320      ``'s32'``
7     conv2    32     1280     ``'final'`` (widening conv)
===== ======== ====== ======== ==========================

Other widths scale channels with mmdet's ``make_divisible(c * w, 8)`` (conv2: 1280, or ``int(1280 * w)``
for w > 1). ``frozen_stages`` keeps mmdet's meaning: >= 0 freezes ``conv1``, then ``layer1`` ..
``layer{frozen_stages}``.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

from mmdet.models.backbones import MobileNetV2 as MMDetMobileNetV2
from mmdet.models.utils import make_divisible

from .base import LayerInfo, check_widen_factor, format_layer_table, resolve_taps
from .registry import MODELS

__all__ = ['MobileNetV2']

_STRIDES = (2, 4, 8, 16, 16, 32, 32)  # layer1..layer7 output strides (stem conv1 has stride 2)


@MODELS.register_module()
class MobileNetV2(MMDetMobileNetV2):
    """mmdet's MobileNetV2 plus symbolic taps, ``out_channels`` and ``tensor_output``.

    Args:
        widen_factor: width multiplier (mmdet's rule).
        out_indices: layer indices 0..7 and/or taps ``'s2'``, ``'s4'``, ``'s8'``, ``'s16'``, ``'s32'``,
            ``'final'``. Default: mmdet's ``(1, 2, 4, 7)``.
        tensor_output: return the single requested feature map as a Tensor (mmaction2 TSN).
        **kwargs: the other mmdet arguments (``frozen_stages``, ``conv_cfg``, ``norm_cfg``, ``act_cfg``,
            ``norm_eval``, ``with_cp``, ``init_cfg``).
    """

    def __init__(self,
                 widen_factor: float = 1.0,
                 out_indices: Union[int, str, Sequence[Union[int, str]]] = (1, 2, 4, 7),
                 frozen_stages: int = -1,
                 tensor_output: bool = False,
                 init_cfg: Optional[Union[dict, list]] = None,
                 **kwargs):
        check_widen_factor(widen_factor, 'MobileNetV2')
        if not isinstance(frozen_stages, int) or not -1 <= frozen_stages <= 7:
            raise ValueError(f'MobileNetV2: frozen_stages must be an int in -1..7, got {frozen_stages!r}')
        super().__init__(widen_factor=widen_factor, out_indices=tuple(range(8)), frozen_stages=frozen_stages,
                         init_cfg=init_cfg, **kwargs)
        channels = [make_divisible(c * widen_factor, 8) for _, c, _, _ in self.arch_settings]  # mmdet's rule
        self.layer_table = tuple(
            [LayerInfo(name, s, c) for name, s, c in zip(self.layers[:-1], _STRIDES, channels)] +
            [LayerInfo('conv2', 32, self.out_channel, is_widening_conv=True)])
        self.out_indices = resolve_taps(out_indices, self.layer_table, owner='MobileNetV2')
        if tensor_output and len(self.out_indices) != 1:
            raise ValueError(f'MobileNetV2: tensor_output=True needs exactly one out index, got '
                             f'out_indices={out_indices!r}')
        self.tensor_output = tensor_output

    @property
    def out_channels(self):
        """Channels of each returned feature map, in ``out_indices`` order (no forward pass)."""
        return tuple(self.layer_table[i].channels for i in self.out_indices)

    @property
    def out_strides(self):
        """Stride of each returned feature map, in ``out_indices`` order."""
        return tuple(self.layer_table[i].stride for i in self.out_indices)

    def describe(self) -> str:
        """The layer table index -> layer, stride, channels."""
        return format_layer_table(self.layer_table)

    def forward(self, x):
        x = self.conv1(x)
        outs = []
        for i, name in enumerate(self.layers[:self.out_indices[-1] + 1]):  # deeper layers are not needed
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return outs[0] if self.tensor_output else tuple(outs)

    def train(self, mode: bool = True):
        """mmdet's ``train`` (freezing, ``norm_eval``), returning ``self`` like ``nn.Module.train``."""
        super().train(mode)
        return self
