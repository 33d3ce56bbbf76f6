"""Key mapping for official checkpoints built from ``nn.Sequential`` conv / BN pairs.

The official MobileNeXt and HBONet models keep each block's ops in one ``nn.Sequential`` (``conv.0``,
``conv.1``, ...), with activations in between that own no tensors. The project builds the same ops as
named mmcv ``ConvModule`` s (``<name>.conv`` + ``<name>.bn``). This module pairs them: within one
Sequential, every 4-D ``weight`` starts a conv and the following index holds its BN.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Sequence, Tuple

import torch

_BN_SUFFIXES = ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')


def conv_indices(state_dict: Mapping[str, torch.Tensor], prefix: str) -> List[int]:
    """Sorted indices ``N`` of the convs (4-D ``{prefix}.N.weight``) inside the Sequential at ``prefix``."""
    pattern = re.compile(re.escape(prefix) + r'\.(\d+)\.weight$')
    found = []
    for key, value in state_dict.items():
        m = pattern.match(key)
        if m and value.dim() == 4:
            found.append(int(m.group(1)))
    return sorted(found)


def map_conv_bn(state_dict: Mapping[str, torch.Tensor], src_prefix: str, conv_index: int,
                dst_prefix: str, out: Dict[str, torch.Tensor], used: set) -> None:
    """Copy ``{src_prefix}.{i}.weight`` and the BN at ``{src_prefix}.{i+1}.*`` to ``{dst_prefix}.conv.weight``
    / ``{dst_prefix}.bn.*`` (a bias-free conv followed by BN, as in every official conv of both families)."""
    key = f'{src_prefix}.{conv_index}.weight'
    out[f'{dst_prefix}.conv.weight'] = state_dict[key]
    used.add(key)
    for suffix in _BN_SUFFIXES:
        key = f'{src_prefix}.{conv_index + 1}.{suffix}'
        if key in state_dict:
            out[f'{dst_prefix}.bn.{suffix}'] = state_dict[key]
            used.add(key)


def map_sequential(state_dict: Mapping[str, torch.Tensor], src_prefix: str, dst_prefix: str,
                   names: Sequence[str], out: Dict[str, torch.Tensor], used: set) -> None:
    """Map the conv/BN pairs of one official Sequential, in order, onto the ConvModules ``names``.

    Raises:
        ValueError: when the number of convs differs from ``len(names)``.
    """
    indices = conv_indices(state_dict, src_prefix)
    if len(indices) != len(names):
        raise ValueError(f'official block {src_prefix!r} has {len(indices)} convs, expected {len(names)} '
                         f'({", ".join(names)})')
    for idx, name in zip(indices, names):
        map_conv_bn(state_dict, src_prefix, idx, f'{dst_prefix}.{name}' if name else dst_prefix, out, used)


def finish(state_dict: Mapping[str, torch.Tensor], out: Dict[str, torch.Tensor], used: set,
           family: str) -> 'OrderedDict[str, torch.Tensor]':
    """Raise if any official tensor was left unmapped; return ``out`` as an OrderedDict."""
    left = [k for k in state_dict if k not in used]
    if left:
        raise ValueError(f'{family} converter: {len(left)} official tensors have no mapping, e.g. {left[:5]}; '
                         f'is this really an official {family} checkpoint?')
    return OrderedDict(out)


def block_indices(state_dict: Mapping[str, torch.Tensor], prefix: str = 'features') -> List[int]:
    """Sorted block indices ``i`` of the keys ``{prefix}.i.*``."""
    pattern = re.compile(re.escape(prefix) + r'\.(\d+)\.')
    return sorted({int(m.group(1)) for k in state_dict for m in [pattern.match(k)] if m})


def width_from_fixture_name(name: str) -> float:
    """``'mobilenext_x0.35'`` -> 0.35."""
    m = re.search(r'_x([0-9.]+)$', name)
    if not m:
        raise ValueError(f'fixture name {name!r} does not end with _x<width>')
    return float(m.group(1))
