"""Key mapping: official AsymmNet PyTorch port (Spark001/AsymmNet ``pytorch/asymmnet.py``) -> project.

=================================================  ==================================================
official key                                        project key
=================================================  ==================================================
``first_block.0.weight`` / ``first_block.1.*``      ``backbone.layer0.conv.weight`` / ``backbone.layer0.bn.*``
``asymm_block.i.expand.{conv,bn}.*``                ``backbone.layer{i+1}.expand_conv.{conv,bn}.*``
``asymm_block.i.dw_conv.{conv,bn}.*``               ``backbone.layer{i+1}.depthwise_conv.{conv,bn}.*``
``asymm_block.i.se.out.{0,2}.*``                    ``backbone.layer{i+1}.se.conv{1,2}.conv.*``
``asymm_block.i.pw_conv_linear.{conv,bn}.*``        ``backbone.layer{i+1}.linear_conv.{conv,bn}.*``
``last_block.0.weight`` / ``last_block.1.*``        ``backbone.layer{N+1}.conv.weight`` / ``.bn.*``
``last_block.4.weight``                             ``head.conv.weight`` (1x1 -> 1280, no bias)
``output.{weight,bias}``                            ``head.fc.{weight,bias}``
=================================================  ==================================================

N = number of ``asymm_block`` entries (15 for Large, 11 for Small). The released MXNet checkpoint uses
Gluon parameter names of an older class; it is not handled here (no blob was available to check it).
"""
from __future__ import annotations

import re
from collections import OrderedDict
from typing import Dict, Mapping

import torch

__all__ = ['convert_asymmnet']

_BLOCK = re.compile(r'^asymm_block\.(\d+)\.(expand|dw_conv|pw_conv_linear)\.(conv|bn)\.(.+)$')
_SE = re.compile(r'^asymm_block\.(\d+)\.se\.out\.(0|2)\.(weight|bias)$')
_UNITS = {'expand': 'expand_conv', 'dw_conv': 'depthwise_conv', 'pw_conv_linear': 'linear_conv'}


def convert_asymmnet(official: Mapping[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Rename an official AsymmNet state_dict into the ``backbone.*`` + ``head.*`` layout of
    ``build_imagenet_model(dict(type='backbones.AsymmNet', ...))``.

    Args:
        official: the official ``state_dict`` (``module.`` prefixes already stripped).

    Raises:
        ValueError: if a key has no mapping (not an official AsymmNet PyTorch checkpoint).
    """
    blocks = {int(m.group(1)) for k in official for m in [re.match(r'^asymm_block\.(\d+)\.', k)] if m}
    if not blocks:
        raise ValueError('AsymmNet converter: no "asymm_block.*" keys; this is not an official AsymmNet '
                         'PyTorch checkpoint')
    last = max(blocks) + 2  # layer index of the last 1x1 conv
    out: Dict[str, torch.Tensor] = OrderedDict()
    unmapped = []
    for key, value in official.items():
        m = _BLOCK.match(key)
        s = _SE.match(key)
        if m:
            new = f'backbone.layer{int(m.group(1)) + 1}.{_UNITS[m.group(2)]}.{m.group(3)}.{m.group(4)}'
        elif s:
            new = f'backbone.layer{int(s.group(1)) + 1}.se.conv{1 if s.group(2) == "0" else 2}.conv.{s.group(3)}'
        elif key == 'first_block.0.weight':
            new = 'backbone.layer0.conv.weight'
        elif key.startswith('first_block.1.'):
            new = 'backbone.layer0.bn.' + key[len('first_block.1.'):]
        elif key == 'last_block.0.weight':
            new = f'backbone.layer{last}.conv.weight'
        elif key.startswith('last_block.1.'):
            new = f'backbone.layer{last}.bn.' + key[len('last_block.1.'):]
        elif key == 'last_block.4.weight':
            new = 'head.conv.weight'
        elif key in ('output.weight', 'output.bias'):
            new = 'head.fc.' + key.split('.')[-1]
        else:
            unmapped.append(key)
            continue
        out[new] = value
    if unmapped:
        raise ValueError(f'AsymmNet converter: {len(unmapped)} official tensors have no mapping, e.g. '
                         f'{unmapped[:5]}; is this really an official AsymmNet PyTorch checkpoint?')
    return out
