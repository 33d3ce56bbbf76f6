"""``mobilebench.FaceVerificationMetric``: insightface's verification protocol as an mmengine metric."""
from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from ..registry import METRICS
from .verification import evaluate_pairs, l2_normalize


@METRICS.register_module()
class FaceVerificationMetric(BaseMetric):
    """10-fold pair-verification accuracy (mean, std) and TAR@FAR, per ``.bin`` file.

    The model's ``pred_embedding`` (already flip-summed by ``FaceRecognizer`` when ``flip_test``) is
    L2-normalised; pairs are rebuilt from the ``bin_name`` / ``pair_index`` / ``pair_pos`` metainfo of
    :class:`~mobilebench.face.datasets.FaceVerificationBin`. Keys: ``<name>/accuracy``,
    ``<name>/accuracy_std``, ``<name>/tar@far1e-3`` (for the default FAR), ``<name>/far@far1e-3``
    (the FAR actually reached on the held-out folds at the TAR@FAR thresholds: a TAR is only worth its
    FAR, e.g. collapsed embeddings give TAR = 1.0 at FAR = 1.0), ``<name>/threshold`` and
    ``<name>/xnorm`` (mean embedding norm before normalisation, as insightface logs) and
    ``<name>/degenerate``: 1.0 when the pair distances do not vary (spread below
    :attr:`COLLAPSE_SPREAD`, e.g. collapsed embeddings with every cosine ~1.0), so that no threshold
    separates any pair and the "accuracy" is only the share of the majority label (e.g. 0.9 with 10 %
    same pairs), else 0.0. A warning is logged then, and when the reached FAR exceeds the target.

    Args:
        n_folds: number of folds (10).
        far_target: FAR of the TAR@FAR figure (1e-3).
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: optional metric prefix.
    """

    default_prefix = None
    #: spread (max - min) of the squared pair distances below which the embeddings count as collapsed
    COLLAPSE_SPREAD = 1e-6

    def __init__(self, n_folds: int = 10, far_target: float = 1e-3, collect_device: str = 'cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.n_folds = n_folds
        self.far_target = far_target

    @property
    def _far_keys(self):
        far_key = f'tar@far{self.far_target:.0e}'.replace('e-0', 'e-')
        return far_key, 'far@' + far_key.split('@', 1)[1]

    def metric_names(self, bin_name: str) -> List[str]:
        """The keys reported for one ``.bin`` (without the metric prefix), known before evaluating."""
        far_key, achieved_key = self._far_keys
        return [f'{bin_name}/{k}' for k in ('accuracy', 'accuracy_std', far_key, achieved_key, 'threshold', 'xnorm',
                                             'degenerate')]

    def process(self, data_batch, data_samples: Sequence) -> None:
        for ds in data_samples:
            get = ds.get if isinstance(ds, dict) else (lambda k, d=None, _ds=ds: _ds.get(k, d))
            emb = get('pred_embedding')
            if emb is None:
                raise KeyError('FaceVerificationMetric needs pred_embedding in the data samples '
                               '(use mobilebench.FaceRecognizer in predict mode)')
            missing = [k for k in ('bin_name', 'pair_index', 'pair_pos', 'issame') if get(k) is None]
            if missing:
                raise KeyError(f'FaceVerificationMetric: data samples lack {missing}; use '
                               f'mobilebench.FaceVerificationBin with PackFaceInputs')
            self.results.append(dict(bin_name=get('bin_name'), pair_index=int(get('pair_index')),
                                     pair_pos=int(get('pair_pos')), issame=bool(get('issame')),
                                     embedding=emb.detach().cpu().float().numpy()))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        groups = defaultdict(dict)
        for r in results:
            groups[r['bin_name']][(r['pair_index'], r['pair_pos'])] = r
        metrics: Dict[str, float] = {}
        far_key, achieved_key = self._far_keys
        logger = MMLogger.get_current_instance()
        for name, items in groups.items():
            n_pairs = max(k[0] for k in items) + 1
            missing = [(i, p) for i in range(n_pairs) for p in (0, 1) if (i, p) not in items]
            if missing:
                raise ValueError(f'FaceVerificationMetric: {name}: {len(missing)} images missing from the '
                                 f'results (first {missing[:3]}); was the evaluation interrupted?')
            emb = np.stack([items[(i, p)]['embedding'] for i in range(n_pairs) for p in (0, 1)])
            issame = np.array([items[(i, 0)]['issame'] for i in range(n_pairs)])
            xnorm = float(np.linalg.norm(emb, axis=1).mean())
            emb = l2_normalize(emb)
            res = evaluate_pairs(emb[0::2], emb[1::2], issame, n_folds=self.n_folds, far_target=self.far_target)
            metrics[f'{name}/accuracy'] = res['accuracy']
            metrics[f'{name}/accuracy_std'] = res['accuracy_std']
            metrics[f'{name}/{far_key}'] = res['tar_at_far']
            metrics[f'{name}/{achieved_key}'] = res['far']
            metrics[f'{name}/threshold'] = res['best_threshold']
            metrics[f'{name}/xnorm'] = xnorm
            dist = np.sum((emb[0::2] - emb[1::2]) ** 2, axis=1)
            metrics[f'{name}/degenerate'] = float(bool(dist.size) and float(np.ptp(dist)) < self.COLLAPSE_SPREAD)
            logger.info(f'[{name}] {n_pairs} pairs: accuracy {res["accuracy"]:.5f} +- {res["accuracy_std"]:.5f}, '
                        f'{far_key} {res["tar_at_far"]:.5f} (reached FAR {res["far"]:.5f}), xnorm {xnorm:.3f}')
            self._warn_unreliable(name, emb, res, n_pairs - int(issame.sum()), far_key, logger)
        return metrics

    def _warn_unreliable(self, name, emb, res, n_negative, far_key, logger) -> None:
        """Say when TAR@FAR does not mean what its name says (the numbers are still reported)."""
        dist = np.sum((emb[0::2] - emb[1::2]) ** 2, axis=1)
        if dist.size and np.ptp(dist) < self.COLLAPSE_SPREAD:
            n_pairs = dist.size
            logger.warning(f'[{name}] degenerate: all {n_pairs} pair distances are equal ({dist[0]:.3g}, mean cosine '
                           f'{1 - dist.mean() / 2:.4f}): the embeddings are collapsed (untrained or broken model, '
                           f'or a checkpoint that does not fit the config), so the accuracy {res["accuracy"]:.4f} '
                           f'only reflects the share of "different" pairs ({n_negative}/{n_pairs}) and {far_key} = '
                           f'{res["tar_at_far"]:.3f} is reached at FAR {res["far"]:.3f}; {name}/degenerate = 1.0.')
        elif res['far'] > self.far_target:
            per_fold = n_negative / self.n_folds
            why = (f'a fold has only ~{per_fold:.0f} negative pairs, so FARs below {1 / max(per_fold, 1):.2g} '
                   f'cannot be resolved' if per_fold * self.far_target < 1 else
                   'the thresholds chosen on the training folds do not carry over to the held-out folds')
            logger.warning(f'[{name}] {far_key} = {res["tar_at_far"]:.4f} was reached at FAR {res["far"]:.4g}, '
                           f'above the target {self.far_target:g} ({why}).')
