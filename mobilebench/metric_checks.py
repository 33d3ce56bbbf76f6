"""What an evaluation will report, and no quiet nonsense in what it did report.

- :func:`expected_metric_keys`: the keys an evaluator's metrics will produce, known *before* any
  evaluation (for the ``save_best`` start-up check and to fill an empty result);
- :class:`MetricSanityHook` (registered by :func:`mobilebench.runner_utils.build_runner`):

  * an evaluation that returns no metric at all (mmdet's ``CocoMetric`` when the detector made no
    detection on the whole set: "The testing results of the whole dataset is empty.") reports 0.0
    for every expected key, with a warning, instead of ``{}``;
  * constant predictions of a classifier / action recogniser (every sample predicted as the same
    class while the labels have several) add ``<prefix>/degenerate = 1.0`` with a warning naming the
    class; otherwise ``<prefix>/degenerate = 0.0``. Collapsed face embeddings are flagged by
    :class:`mobilebench.FaceVerificationMetric` itself (``<bin>/degenerate``).
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Optional

from mmengine.hooks import Hook

from .registry import HOOKS

#: mmpose's COCO keypoint summary names (``CocoMetric._do_python_keypoint_eval``, non-crowdpose)
_MMPOSE_COCO_NAMES = ('AP', 'AP .5', 'AP .75', 'AP (M)', 'AP (L)', 'AR', 'AR .5', 'AR .75', 'AR (M)', 'AR (L)')
_MMDET_COCO_ITEMS = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l')


def leaf_datasets(dataset, path: str = 'dataset') -> List[tuple]:
    """``[(config path, dataset), ...]`` of the real data sets inside Concat / Repeat / ClassBalanced /
    MultiImageMix wrappers (e.g. ``('val_dataloader.dataset.datasets[1]', FaceVerificationBin)``)."""
    if hasattr(dataset, 'datasets') and isinstance(dataset.datasets, (list, tuple)):
        out = []
        for i, ds in enumerate(dataset.datasets):
            out += leaf_datasets(ds, f'{path}.datasets[{i}]')
        return out
    if hasattr(dataset, 'dataset') and not hasattr(dataset, 'data_list'):
        return leaf_datasets(dataset.dataset, f'{path}.dataset')
    return [(path, dataset)]


def _prefixed(metric, names: Iterable[str]) -> List[str]:
    prefix = getattr(metric, 'prefix', None)
    return [f'{prefix}/{n}' if prefix else n for n in names]


def expected_metric_keys(metric, dataset=None) -> Optional[List[str]]:
    """The keys ``metric.evaluate`` will return, or ``None`` for a metric this does not know.

    Args:
        metric: a built ``BaseMetric``.
        dataset: the evaluated data set (needed for :class:`~mobilebench.FaceVerificationMetric`, whose
            keys are named after the ``.bin`` files).
    """
    name, module = type(metric).__name__, type(metric).__module__
    if name == 'FaceVerificationMetric':
        if dataset is None:
            return None
        bins = [ds.name for _, ds in leaf_datasets(dataset) if type(ds).__name__ == 'FaceVerificationBin']
        return _prefixed(metric, [k for b in dict.fromkeys(bins) for k in metric.metric_names(b)])
    if name == 'Accuracy' and module.startswith('mmpretrain'):
        thrs = metric.thrs
        names = []
        for k in metric.topk:
            for thr in thrs:
                suffix = '' if len(thrs) == 1 else ('_no-thr' if thr is None else f'_thr-{thr:.2f}')
                names.append(f'top{k}{suffix}')
        return _prefixed(metric, names)
    if name == 'AccMetric' and module.startswith('mmaction'):
        names = []
        for m in metric.metrics:
            if m == 'top_k_accuracy':
                topk = (metric.metric_options or {}).get('top_k_accuracy', {}).get('topk', (1, 5))
                names += [f'top{k}' for k in ((topk, ) if isinstance(topk, int) else topk)]
            elif m == 'mean_class_accuracy':
                names.append('mean1')
            else:
                return None
        return _prefixed(metric, names)
    if name == 'CocoMetric' and module.startswith('mmdet'):
        metrics = [metric.metrics] if isinstance(metric.metrics, str) else list(metric.metrics)
        if any(m not in ('bbox', 'segm') for m in metrics):
            return None
        items = metric.metric_items or _MMDET_COCO_ITEMS
        return _prefixed(metric, [f'{m}_{item}' for m in metrics for item in items])
    if name == 'VOCMetric' and module.startswith('mmdet'):
        if metric.metric != 'mAP':
            return None
        thrs = metric.iou_thrs if isinstance(metric.iou_thrs, (list, tuple)) else [metric.iou_thrs]
        return _prefixed(metric, [f'AP{int(t * 100):02d}' for t in thrs] + ['mAP'])
    if name == 'CocoMetric' and module.startswith('mmpose'):
        if getattr(metric, 'iou_type', 'keypoints') != 'keypoints' or getattr(metric, 'use_area', True) is False:
            return None
        return _prefixed(metric, _MMPOSE_COCO_NAMES)
    if name == 'Market1501Metric':
        return _prefixed(metric, ['mAP'] + [f'rank{r}' for r in metric.ranks])
    return None


def evaluator_keys(evaluator, dataset=None) -> Optional[List[str]]:
    """Keys of all metrics of an ``Evaluator``; ``None`` if any metric is unknown."""
    keys = []
    for metric in getattr(evaluator, 'metrics', []):
        k = expected_metric_keys(metric, dataset)
        if k is None:
            return None
        keys += k
    return keys


def _label(value) -> Optional[int]:
    if value is None:
        return None
    try:
        import torch
        if isinstance(value, torch.Tensor):
            return int(value.reshape(-1)[0]) if value.numel() == 1 else None
        return int(value)
    except (TypeError, ValueError):
        return None


@HOOKS.register_module()
class MetricSanityHook(Hook):
    """Turn an empty evaluation into zeros (with a warning) and flag constant class predictions.

    Runs before every other ``after_val_epoch`` / ``after_test_epoch`` hook (priority ``HIGHEST``), so
    the logger, the ``save_best`` checkpoint and ``runner.test()``'s return value all see the result.
    """

    priority = 'HIGHEST'

    def __init__(self):
        self._preds: set = set()
        self._gts: set = set()
        self._count = 0

    # ------------------------------------------------------------------ collect predicted classes
    def _reset(self, runner=None, *args, **kwargs):
        self._preds, self._gts, self._count = set(), set(), 0

    before_val_epoch = _reset
    before_test_epoch = _reset

    def _collect(self, outputs):
        for sample in outputs or []:
            get = sample.get if hasattr(sample, 'get') else None
            if get is None:
                continue
            pred = _label(get('pred_label'))
            if pred is None:
                continue
            self._preds.add(pred)
            gt = _label(get('gt_label'))
            if gt is not None:
                self._gts.add(gt)
            self._count += 1

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self._collect(outputs)

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self._collect(outputs)

    # ------------------------------------------------------------------ fix up the metrics
    def after_val_epoch(self, runner, metrics: Optional[Dict] = None):
        self._check(runner, metrics, 'val')

    def after_test_epoch(self, runner, metrics: Optional[Dict] = None):
        self._check(runner, metrics, 'test')

    def _check(self, runner, metrics, mode: str):
        if metrics is None:
            return
        if not metrics:
            loop = getattr(runner, f'{mode}_loop')
            self._fill_empty(runner, metrics, getattr(loop, 'evaluator', None), loop.dataloader.dataset)
        self._flag_constant(runner, metrics)

    @staticmethod
    def _fill_empty(runner, metrics, evaluator, dataset):
        keys = evaluator_keys(evaluator, dataset) if evaluator is not None else None
        names = [type(m).__name__ for m in getattr(evaluator, 'metrics', [])]
        if keys:
            metrics.update({k: 0.0 for k in keys})
            runner.logger.warning(f'the evaluation ({", ".join(names)}) returned no metric at all: the model made '
                                  f'no prediction the metric could score on the {len(dataset)} samples (e.g. a '
                                  f'detector with no detection above its score threshold). Reporting 0.0 for '
                                  f'{", ".join(keys)} instead of an empty result.')
        else:
            runner.logger.warning(f'the evaluation ({", ".join(names)}) returned no metric at all and the keys of '
                                  f'this metric are not known here; the result is empty: treat it as a failure.')

    def _flag_constant(self, runner, metrics):
        from mmengine.dist import all_gather_object, get_world_size
        preds, gts, count = self._preds, self._gts, self._count
        if get_world_size() > 1:
            gathered = all_gather_object((preds, gts, count))
            preds = set().union(*(g[0] for g in gathered))
            gts = set().union(*(g[1] for g in gathered))
            count = sum(g[2] for g in gathered)
        if not count or not metrics:
            return
        prefix = next(iter(metrics)).split('/', 1)[0] if '/' in next(iter(metrics)) else None
        key = f'{prefix}/degenerate' if prefix else 'degenerate'
        degenerate = count > 1 and len(preds) == 1 and len(gts) > 1
        metrics[key] = 1.0 if degenerate else 0.0
        if degenerate:
            runner.logger.warning(f'degenerate predictions: all {count} samples were predicted as class '
                                  f'{next(iter(preds))} while the labels have {len(gts)} classes (untrained, '
                                  f'collapsed or wrongly loaded model); the accuracy is only the share of that '
                                  f'class. {key} = 1.0.')
