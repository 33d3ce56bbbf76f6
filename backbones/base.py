"""The OpenMMLab backbone contract shared by every project backbone.

A backbone is a sequence of *layers* (stem, blocks, final conv). Subclasses build the layers and
describe them with one :class:`LayerInfo` each; this base class then provides, identically for every
family:

- ``out_indices`` validation, with symbolic taps (``'s8'``, ``'s16'``, ``'s32'``, ``'final'``, ...);
- ``out_channels`` / ``out_strides`` without a forward pass (configs never type neck widths);
- ``frozen_stages``, ``norm_eval``, ``with_cp`` (activation checkpointing per layer);
- ``tensor_output`` for mmaction2's ``Recognizer2D`` + ``TSNHead``, which need one Tensor
  instead of a tuple (mmdet necks and mmpose heads need the tuple);
- the OpenMMLab ``init_cfg`` (``Pretrained`` with ``prefix`` included, via ``BaseModule``).

Symbolic taps (resolved per family from the layer table):

=============  ==================================================================================
``'sN'``       the last layer whose output has stride N (N in 2, 4, 8, 16, 32), excluding a final
               1x1 conv that exists only to widen the features (the "stage end", C2..C5 style)
``'final'``    the last layer (the widest features, what a classifier pools)
alias names    family-specific names declared in ``tap_aliases`` (e.g. HBONet's ``'s16_act'``)
=============  ==================================================================================
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

Tap = Union[int, str]


@dataclass(frozen=True)
class LayerInfo:
    """One entry of a backbone's layer table.

    Args:
        name: attribute name of the layer module (``getattr(backbone, name)``).
        stride: output stride of the layer relative to the input image.
        channels: number of output channels.
        is_widening_conv: True for a trailing 1x1 conv that only widens the last stage (AsymmNet's
            960/576 conv, HBONet's 1600 conv, MobileNetV2's 1280 conv). ``'s32'`` skips it.
    """
    name: str
    stride: int
    channels: int
    is_widening_conv: bool = False


def check_widen_factor(widen_factor, owner: str, allowed: Optional[Sequence[float]] = None) -> float:
    """Validate a width multiplier and return it as a float.

    ``make_divisible(c * w, 8)`` silently turns any negative, zero or NaN width into 8 channels
    (``widen_factor=-1`` would build an 8-channel network), and ``True`` compares equal to ``1.0``; so
    only finite positive real numbers are accepted, and, when ``allowed`` is given, only those values.

    Args:
        widen_factor: the value from the config.
        owner: backbone name for the message.
        allowed: the supported widths (released models), or ``None`` for any positive width.

    Raises:
        ValueError: naming the backbone, the value and the valid values.
    """
    valid = f'one of {tuple(allowed)}' if allowed is not None else 'a positive number such as 0.5, 1.0 or 1.4'
    if isinstance(widen_factor, bool) or not isinstance(widen_factor, (int, float)) or \
            not math.isfinite(widen_factor) or widen_factor <= 0:
        raise ValueError(f'{owner}: unsupported widen_factor {widen_factor!r}; it must be {valid}')
    if allowed is not None and not any(abs(widen_factor - w) < 1e-9 for w in allowed):
        raise ValueError(f'{owner}: unsupported widen_factor {widen_factor!r}; valid values are {tuple(allowed)}')
    return float(widen_factor)


DEFAULT_INIT_CFG = [
    dict(type='Kaiming', layer=['Conv2d']),
    dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm']),
    dict(type='Normal', std=0.01, layer=['Linear']),
]


def resolve_taps(taps: Union[Tap, Sequence[Tap]], layer_table: Sequence[LayerInfo],
                 aliases: Optional[Dict[str, int]] = None, owner: str = 'backbone') -> Tuple[int, ...]:
    """Turn ``out_indices`` (ints and/or symbolic taps) into sorted, unique layer indices.

    Raises:
        ValueError: for an unknown tap or an index out of range, listing the valid values.
    """
    if isinstance(taps, (int, str)):
        taps = (taps, )
    aliases = dict(aliases or {})
    n = len(layer_table)
    named = {'final': n - 1}
    for idx, info in enumerate(layer_table):
        if not info.is_widening_conv:
            named[f's{info.stride}'] = idx  # later layers at the same stride overwrite: stage end
    named.update(aliases)
    indices = []
    for tap in taps:
        if isinstance(tap, bool):
            raise ValueError(f'{owner}: out_indices entries must be int or str, got {tap!r}')
        if isinstance(tap, int):
            idx = tap + n if tap < 0 else tap
            if not 0 <= idx < n:
                raise ValueError(f'{owner}: out_indices entry {tap} is out of range; valid indices are '
                                 f'0..{n - 1} (or -{n}..-1), or one of the taps {sorted(named)}. '
                                 f'Layer table: {format_layer_table(layer_table)}')
        elif isinstance(tap, str):
            if tap not in named:
                raise ValueError(f'{owner}: unknown tap {tap!r} in out_indices; valid taps are '
                                 f'{sorted(named)} or an index in 0..{n - 1}')
            idx = named[tap]
        else:
            raise ValueError(f'{owner}: out_indices entries must be int or str, got {type(tap).__name__}')
        indices.append(idx)
    if not indices:
        raise ValueError(f'{owner}: out_indices must not be empty')
    if len(set(indices)) != len(indices):
        raise ValueError(f'{owner}: out_indices {tuple(taps)} name the same layer twice '
                         f'(resolved to {tuple(indices)})')
    if list(indices) != sorted(indices):
        raise ValueError(f'{owner}: out_indices {tuple(taps)} must go from shallow to deep '
                         f'(resolved to {tuple(indices)})')
    return tuple(indices)


def format_layer_table(layer_table: Sequence[LayerInfo]) -> str:
    return ', '.join(f'{i}:{info.name}(s{info.stride},{info.channels}ch)'
                     for i, info in enumerate(layer_table))


class MobileBackbone(BaseModule):
    """Base class of the project's backbones (see the module docstring).

    Subclasses must, in ``__init__``, call ``super().__init__(...)`` first, then create their layer
    modules as attributes and finally call :meth:`_finalize_layers` with the layer table.

    Args:
        out_indices: layer indices and/or symbolic taps whose outputs are returned. ``None`` means
            ``('final',)``.
        frozen_stages: freeze layers ``0..frozen_stages`` (parameters and BN statistics);
            -1 freezes nothing.
        norm_eval: keep every BatchNorm in eval mode during training (frozen statistics).
        with_cp: activation checkpointing per layer (saves memory, costs a recomputation).
        tensor_output: return the single requested feature map as a Tensor instead of a 1-tuple
            (what mmaction2's TSN head needs). Requires exactly one out index.
        init_cfg: OpenMMLab initialisation config; the default is Kaiming for convs, 1 for norms,
            Normal(0.01) for linears. ``dict(type='Pretrained', checkpoint=..., prefix='backbone.')``
            loads weights.
    """

    #: family-specific symbolic taps, name -> layer index; filled by subclasses per instance.
    tap_aliases: Dict[str, int] = {}

    def __init__(self,
                 out_indices: Optional[Union[Tap, Sequence[Tap]]] = None,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 tensor_output: bool = False,
                 init_cfg=DEFAULT_INIT_CFG):
        super().__init__(init_cfg=init_cfg)
        self._requested_out_indices = ('final', ) if out_indices is None else out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        self.tensor_output = tensor_output
        self.layer_table: Tuple[LayerInfo, ...] = ()
        self.out_indices: Tuple[int, ...] = ()

    # ------------------------------------------------------------------ construction helpers
    def _finalize_layers(self, layer_table: Iterable[LayerInfo], aliases: Optional[Dict[str, int]] = None):
        """Validate the arguments against the now-known layer table (call at the end of __init__)."""
        self.layer_table = tuple(layer_table)
        self.tap_aliases = dict(aliases or {})
        owner = type(self).__name__
        for info in self.layer_table:
            if not isinstance(getattr(self, info.name, None), nn.Module):
                raise RuntimeError(f'{owner}: layer table names {info.name!r} but no such module exists')
        self.out_indices = resolve_taps(self._requested_out_indices, self.layer_table, self.tap_aliases, owner)
        n = len(self.layer_table)
        if not isinstance(self.frozen_stages, int) or not -1 <= self.frozen_stages < n:
            raise ValueError(f'{owner}: frozen_stages must be an int in -1..{n - 1}, got {self.frozen_stages!r}')
        if self.tensor_output and len(self.out_indices) != 1:
            raise ValueError(f'{owner}: tensor_output=True needs exactly one out index, got '
                             f'out_indices={self._requested_out_indices!r}')
        self._freeze_stages()

    # ------------------------------------------------------------------ introspection
    @property
    def layer_names(self) -> List[str]:
        return [info.name for info in self.layer_table]

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of each returned feature map, in ``out_indices`` order (no forward pass)."""
        return tuple(self.layer_table[i].channels for i in self.out_indices)

    @property
    def out_strides(self) -> Tuple[int, ...]:
        """Stride of each returned feature map, in ``out_indices`` order."""
        return tuple(self.layer_table[i].stride for i in self.out_indices)

    def describe(self) -> str:
        """A human-readable table index -> layer, stride, channels, with the selected taps marked."""
        rows = ['idx  layer              stride  channels']
        for i, info in enumerate(self.layer_table):
            mark = ' <- out' if i in self.out_indices else ''
            rows.append(f'{i:>3}  {info.name:<18} {info.stride:>6}  {info.channels:>8}{mark}')
        return '\n'.join(rows)

    # ------------------------------------------------------------------ forward / train
    def _run_layer(self, layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if self.with_cp and x.requires_grad:
            return cp.checkpoint(layer, x, use_reentrant=False)
        return layer(x)

    def forward(self, x: torch.Tensor):
        outs = []
        last = self.out_indices[-1]
        for i, name in enumerate(self.layer_names[:last + 1]):  # deeper layers are not needed
            x = self._run_layer(getattr(self, name), x)
            if i in self.out_indices:
                outs.append(x)
        if self.tensor_output:
            return outs[0]
        return tuple(outs)

    def _freeze_stages(self):
        for name in self.layer_names[:self.frozen_stages + 1]:
            layer = getattr(self, name)
            layer.eval()
            for param in layer.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
