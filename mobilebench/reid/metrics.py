"""``mobilebench.Market1501Metric``: mAP and CMC of the Market-1501 protocol as an mmengine metric.

mmdet's ``ReIDMetrics`` ranks every image against all others by identity only (its MOT re-ID protocol):
it has no query/gallery split, no camera ids and no junk images, so on Market-1501 it would count
same-camera matches and junk boxes. This metric evaluates the queries against the gallery with the
official exclusions (:func:`mobilebench.reid.ranking.evaluate_ranking`).
"""
from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from ..registry import METRICS
from .ranking import evaluate_ranking, pairwise_distance


@METRICS.register_module()
class Market1501Metric(BaseMetric):
    """Query-vs-gallery mAP and CMC with junk and same-camera exclusion.

    Reads ``pred_feature`` (mmdet's re-ID prediction field) and the ``pid``, ``camid`` and ``split``
    (``'query'`` / ``'gallery'``) metainfo that :class:`mobilebench.Market1501Dataset` provides (pack them with
    ``PackReIDInputs(meta_keys=('pid', 'camid', 'split'))``). Keys (fractions in [0, 1]):
    ``market1501/mAP`` and ``market1501/rank1``, ``rank5``, ``rank10`` (one per ``ranks`` entry).

    Args:
        ranks: CMC ranks to report.
        dist_metric: ``'euclidean'`` (torchreid's default) or ``'cosine'``.
        normalize_feature: L2-normalise the features before the distance.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: metric key prefix (default ``'market1501'``).
    """

    default_prefix = 'market1501'

    def __init__(self, ranks: Sequence[int] = (1, 5, 10), dist_metric: str = 'euclidean',
                 normalize_feature: bool = False, collect_device: str = 'cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if dist_metric not in ('euclidean', 'cosine'):
            raise ValueError(f"Market1501Metric: dist_metric must be 'euclidean' or 'cosine', got {dist_metric!r}")
        self.ranks = tuple(int(r) for r in ranks)
        self.dist_metric = dist_metric
        self.normalize_feature = normalize_feature

    def process(self, data_batch, data_samples: Sequence) -> None:
        for ds in data_samples:
            get = ds.get if isinstance(ds, dict) else (lambda k, d=None, _ds=ds: _ds.get(k, d))
            feat = get('pred_feature')
            if feat is None:
                raise KeyError('Market1501Metric needs pred_feature in the data samples (a re-ID model in '
                               'predict mode)')
            missing = [k for k in ('pid', 'camid', 'split') if get(k) is None]
            if missing:
                raise KeyError(f'Market1501Metric: data samples lack {missing}; use mobilebench.Market1501Dataset '
                               f"with dict(type='PackReIDInputs', meta_keys=('pid', 'camid', 'split'))")
            self.results.append(dict(feature=feat.detach().cpu().float().numpy().reshape(-1), pid=int(get('pid')),
                                     camid=int(get('camid')), split=str(get('split'))))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        query = [r for r in results if r['split'] == 'query']
        gallery = [r for r in results if r['split'] == 'gallery']
        if not query or not gallery:
            raise ValueError(f'Market1501Metric: got {len(query)} query and {len(gallery)} gallery images; '
                             f"evaluate on Market1501Dataset(split='test') (query and gallery together)")
        qf = np.stack([r['feature'] for r in query])
        gf = np.stack([r['feature'] for r in gallery])
        if self.normalize_feature:
            qf = qf / np.maximum(np.linalg.norm(qf, axis=1, keepdims=True), 1e-12)
            gf = gf / np.maximum(np.linalg.norm(gf, axis=1, keepdims=True), 1e-12)
        res = evaluate_ranking(pairwise_distance(qf, gf, self.dist_metric), [r['pid'] for r in query],
                               [r['pid'] for r in gallery], [r['camid'] for r in query],
                               [r['camid'] for r in gallery], self.ranks)
        metrics = {'mAP': res['mAP']}
        metrics.update({f'rank{r}': v for r, v in res['cmc'].items()})
        msg = (f'Market-1501 protocol: {len(query)} queries ({res["num_valid"]} with a valid match), '
               f'{len(gallery)} gallery images: mAP {res["mAP"]:.4f}, '
               + ', '.join(f'rank-{r} {v:.4f}' for r, v in res['cmc'].items()))
        if res['num_skipped']:
            msg += f'; {res["num_skipped"]} queries have no valid gallery match and are not counted'
        MMLogger.get_current_instance().info(msg)
        return metrics
