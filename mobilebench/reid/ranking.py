"""The Market-1501 single-query ranking protocol in numpy: mAP and CMC from a query x gallery distance matrix.

This is the evaluation of the official Market-1501 release (Zheng et al., ICCV 2015, ``evaluation.m`` /
``compute_AP.m``) as re-ID toolkits such as torchreid (``eval_market1501``) implement it:

- the gallery is ranked by increasing distance to each query;
- **junk** gallery images are removed from every query's ranking: images of identity ``-1`` (detector
  boxes of poor quality, "of zero influence to the re-identification accuracy") and the gallery images of
  the query's own identity seen by the query's own camera (same-camera matches are trivial);
- **distractors** (identity ``0``, false-alarm detections) stay in the gallery as negatives;
- a query whose identity has no valid match left in the gallery cannot be ranked; it is left out of both
  mAP and CMC (none exists in the real Market-1501) and counted in the result's ``num_skipped``;
- AP of a query = mean over its valid matches of the precision at each match's rank; CMC at rank k =
  fraction of queries whose first valid match is in the top k.

Ties in distance are broken by gallery order (stable sort), so results are deterministic.
"""
from __future__ import annotations

from typing import Dict, Sequence

import numpy as np

#: identity of junk images (ignored in the gallery)
JUNK_ID = -1
#: identity of distractors (kept in the gallery as negatives)
DISTRACTOR_ID = 0


def pairwise_distance(query: np.ndarray, gallery: np.ndarray, metric: str = 'euclidean') -> np.ndarray:
    """Query x gallery distances of feature rows.

    Args:
        query: (Q, D) features.
        gallery: (G, D) features.
        metric: ``'euclidean'`` (squared Euclidean distance; same ranking as the Euclidean distance) or
            ``'cosine'`` (1 - cosine similarity).
    """
    q = np.asarray(query, dtype=np.float64)
    g = np.asarray(gallery, dtype=np.float64)
    if q.ndim != 2 or g.ndim != 2 or q.shape[1] != g.shape[1]:
        raise ValueError(f'features must be (Q, D) and (G, D) with the same D; got {q.shape} and {g.shape}')
    if metric == 'euclidean':
        dist = (q ** 2).sum(1)[:, None] + (g ** 2).sum(1)[None, :] - 2.0 * q @ g.T
        return np.maximum(dist, 0.0)
    if metric == 'cosine':
        qn = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
        gn = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
        return 1.0 - qn @ gn.T
    raise ValueError(f"unknown distance metric {metric!r}; use 'euclidean' or 'cosine'")


def evaluate_ranking(distmat: np.ndarray, q_pids: Sequence[int], g_pids: Sequence[int], q_camids: Sequence[int],
                     g_camids: Sequence[int], ranks: Sequence[int] = (1, 5, 10)) -> Dict:
    """mAP and CMC of the Market-1501 protocol (see the module docstring).

    Args:
        distmat: (Q, G) distances, smaller = more similar.
        q_pids, g_pids: identities of the queries / gallery images (``-1`` junk, ``0`` distractor).
        q_camids, g_camids: camera ids.
        ranks: CMC ranks to report.

    Returns:
        dict with ``mAP`` (float in [0, 1]), ``cmc`` (dict rank -> fraction), ``num_valid`` (queries
        evaluated), ``num_skipped`` (queries without a valid gallery match) and ``ap`` (per-query AP,
        NaN for skipped queries).
    """
    distmat = np.asarray(distmat, dtype=np.float64)
    q_pids, g_pids = np.asarray(q_pids, dtype=np.int64), np.asarray(g_pids, dtype=np.int64)
    q_camids, g_camids = np.asarray(q_camids, dtype=np.int64), np.asarray(g_camids, dtype=np.int64)
    num_q, num_g = distmat.shape if distmat.ndim == 2 else (-1, -1)
    if distmat.ndim != 2 or len(q_pids) != num_q or len(q_camids) != num_q or len(g_pids) != num_g \
            or len(g_camids) != num_g:
        raise ValueError(f'distmat {distmat.shape} does not match {len(q_pids)} query / {len(g_pids)} gallery '
                         f'identities and {len(q_camids)} / {len(g_camids)} camera ids')
    ranks = [int(r) for r in ranks]
    if any(r < 1 for r in ranks):
        raise ValueError(f'CMC ranks must be >= 1, got {ranks}')
    max_rank = max(ranks)
    order = np.argsort(distmat, axis=1, kind='stable')
    cmc_sum = np.zeros(max_rank)
    aps = np.full(num_q, np.nan)
    for i in range(num_q):
        ranked = order[i]
        pid, cam = q_pids[i], q_camids[i]
        keep = (g_pids[ranked] != JUNK_ID) & ~((g_pids[ranked] == pid) & (g_camids[ranked] == cam))
        hits = (g_pids[ranked][keep] == pid).astype(np.float64)
        num_rel = hits.sum()
        if num_rel == 0:
            continue
        first = int(np.argmax(hits))  # 0-based rank of the first valid match
        if first < max_rank:
            cmc_sum[first:] += 1
        precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
        aps[i] = float((precision * hits).sum() / num_rel)
    valid = ~np.isnan(aps)
    num_valid = int(valid.sum())
    if num_valid == 0:
        raise ValueError(f'none of the {num_q} queries has a valid match in the gallery (same identity, other '
                         f'camera, not junk): check that query/ and bounding_box_test/ belong together')
    return dict(mAP=float(aps[valid].mean()), cmc={r: float(cmc_sum[r - 1] / num_valid) for r in ranks},
                num_valid=num_valid, num_skipped=num_q - num_valid, ap=aps)
