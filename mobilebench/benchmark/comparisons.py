"""Which backbone is compared with which (block vs its baseline), and at what confidence.

A benchmark config may hold::

    comparisons = dict(pairs=[('asymmnet_small_x0.5', 'mobilenetv3_small_x0.5'), ...],  # (block, baseline)
                       confidence=0.95, resamples=1000, seed=0)

Every key is optional. Without ``pairs`` the pairs follow the papers' own comparisons, derived from the backbone
names (the ``backbone_name`` of a backbone file, or an entry's ``name``):

- ``asymmnet_<small|large>_x<w>`` vs ``mobilenetv3_<small|large>_x<w>`` (same size and width),
- ``mobilenext_x<w>`` and ``hbonet_x<w>`` vs ``mobilenetv2_x<w>`` (same width),

each pair only when both backbones are in the sweep (:func:`mobilebench.benchmark.deploy_table.baseline_of`,
the same rule as the deployment ratios). ``confidence`` is the two-sided level of every interval and verdict,
``resamples`` the number of bootstrap resamples of the test items, ``seed`` the seed of the resampling (the
leaderboard is deterministic).
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence

from .deploy_table import baseline_of

DEFAULTS = dict(confidence=0.95, resamples=1000, seed=0)


def default_pairs(backbones: Sequence[str]) -> List[List[str]]:
    """(block, baseline) for every backbone of ``backbones`` whose paper baseline is also there."""
    pairs = []
    for bb in backbones:
        base = baseline_of(bb, list(backbones))
        if base is not None and base != bb:
            pairs.append([bb, base])
    return pairs


def resolve_comparisons(spec: Optional[Mapping], backbones: Sequence[str], where: str = 'comparisons') -> Dict:
    """The comparisons of a sweep as plain data: ``pairs`` (list of [block, baseline]), ``confidence``,
    ``resamples``, ``seed`` and ``pairs_from`` (``config`` or ``default rule``).

    Raises:
        ValueError: a pair names a backbone that is not in ``backbones`` (names both lists).
    """
    spec = dict(spec or {})
    out = dict(DEFAULTS)
    out.update({k: spec[k] for k in DEFAULTS if spec.get(k) is not None})
    if spec.get('pairs') is not None:
        pairs = [[str(a), str(b)] for a, b in spec['pairs']]
        unknown = sorted({n for p in pairs for n in p} - set(backbones))
        if unknown:
            raise ValueError(f'{where}.pairs names {unknown}, which are not backbones of the sweep; known: '
                             f'{sorted(backbones)}')
        out.update(pairs=pairs, pairs_from='config')
    else:
        out.update(pairs=default_pairs(backbones), pairs_from='default rule')
    return out
