"""Official HBONet (``models/imagenet/hbonet.py``) state_dict -> project ``backbone.*`` (:class:`HBONet`) +
``head.*`` (:class:`HBONetHead`).

Official layout: ``features.0.{0,1}`` stem; ``features.i.conv.N`` the block Sequential (inverted residual:
2 convs -> ``dw, project`` (t=1) or 3 -> ``expand, dw, project``; harmonious bottleneck: 4 convs ->
``contract, expand, dw, project`` plus ``features.i.upconv.{0,1}`` -> ``upconv`` in stride-1 blocks);
``features.15.{0,1}`` the linear 1x1 projection; ``conv.{0,1}`` the final 1x1 conv (-> ``layer19``);
``classifier`` the Linear.
"""
from __future__ import annotations

from typing import Dict, Mapping

import torch

from .sequential import block_indices, conv_indices, finish, map_conv_bn, map_sequential

_BLOCK_NAMES = {2: ('dw', 'project'), 3: ('expand', 'dw', 'project'), 4: ('contract', 'expand', 'dw', 'project')}


def convert_hbonet(state_dict: Mapping[str, torch.Tensor], backbone_prefix: str = 'backbone.',
                   head_prefix: str = 'head.') -> Dict[str, torch.Tensor]:
    """Convert an official HBONet state_dict (any width).

    Args:
        state_dict: official tensors (``features.*``, ``conv.*``, ``classifier.*``).
        backbone_prefix: prefix of the backbone keys in the result.
        head_prefix: prefix of the head keys (the classifier is dropped when it is absent).
    """
    out: Dict[str, torch.Tensor] = {}
    used: set = set()
    indices = block_indices(state_dict)
    for i in indices:
        dst = f'{backbone_prefix}layer{i}'
        if f'features.{i}.0.weight' in state_dict:  # plain conv + BN (stem, 1x1 projection)
            map_conv_bn(state_dict, f'features.{i}', 0, dst, out, used)
            continue
        n = len(conv_indices(state_dict, f'features.{i}.conv'))
        if n not in _BLOCK_NAMES:
            raise ValueError(f'official block features.{i} has {n} convs; HBONet blocks have 2, 3 or 4')
        map_sequential(state_dict, f'features.{i}.conv', dst, _BLOCK_NAMES[n], out, used)
        if f'features.{i}.upconv.0.weight' in state_dict:
            map_conv_bn(state_dict, f'features.{i}.upconv', 0, f'{dst}.upconv', out, used)
    if 'conv.0.weight' in state_dict:
        map_conv_bn(state_dict, 'conv', 0, f'{backbone_prefix}layer{max(indices) + 1}', out, used)
    for suffix in ('weight', 'bias'):
        key = f'classifier.{suffix}'
        if key in state_dict:
            out[f'{head_prefix}fc.{suffix}'] = state_dict[key]
            used.add(key)
    return finish(state_dict, out, used, 'HBONet')
