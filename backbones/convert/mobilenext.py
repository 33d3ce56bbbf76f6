"""Official MobileNeXt (``mnext.py``) state_dict -> project ``backbone.*`` (:class:`MobileNeXt`) + ``head.*``
(:class:`MobileNeXtHead`).

Official layout: ``features.0.{0,1}`` stem conv/BN; ``features.i.conv.N`` the block's Sequential, whose
convs map in order onto the block's ConvModules: 4 convs -> ``dw1, pw_reduce, pw_expand, dw2`` (types
A/D/E), 3 -> ``pw_reduce, pw_expand, dw2`` (type C), 2 -> ``pw_reduce, pw_expand`` (type B);
``classifier.1`` the Linear (``classifier.0`` is the dropout).
"""
from __future__ import annotations

from typing import Dict, Mapping

import torch

from .sequential import block_indices, conv_indices, finish, map_conv_bn, map_sequential

_BLOCK_NAMES = {4: ('dw1', 'pw_reduce', 'pw_expand', 'dw2'), 3: ('pw_reduce', 'pw_expand', 'dw2'),
                2: ('pw_reduce', 'pw_expand')}


def convert_mobilenext(state_dict: Mapping[str, torch.Tensor], backbone_prefix: str = 'backbone.',
                       head_prefix: str = 'head.') -> Dict[str, torch.Tensor]:
    """Convert an official MobileNeXt state_dict (any width / identity multiplier).

    Args:
        state_dict: official tensors (``features.*``, ``classifier.1.*``).
        backbone_prefix: prefix of the backbone keys in the result.
        head_prefix: prefix of the head keys (the classifier is dropped when it is absent).
    """
    out: Dict[str, torch.Tensor] = {}
    used: set = set()
    for i in block_indices(state_dict):
        if i == 0:
            map_conv_bn(state_dict, 'features.0', 0, f'{backbone_prefix}layer0', out, used)
            continue
        n = len(conv_indices(state_dict, f'features.{i}.conv'))
        if n not in _BLOCK_NAMES:
            raise ValueError(f'official block features.{i} has {n} convs; MobileNeXt blocks have 2, 3 or 4')
        map_sequential(state_dict, f'features.{i}.conv', f'{backbone_prefix}layer{i}', _BLOCK_NAMES[n], out, used)
    for suffix in ('weight', 'bias'):
        key = f'classifier.1.{suffix}'
        if key in state_dict:
            out[f'{head_prefix}fc.{suffix}'] = state_dict[key]
            used.add(key)
    return finish(state_dict, out, used, 'MobileNeXt')
