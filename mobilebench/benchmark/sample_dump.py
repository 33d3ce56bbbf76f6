"""Write a test's per-sample results (:mod:`mobilebench.benchmark.samples`) from the metrics that computed it.

    with capture_metric_inputs(runner) as captured:
        metrics = runner.test()
    dump_samples('results/samples/run.npz', captured, runner.test_dataloader.dataset)

:func:`capture_metric_inputs` records, for every metric of the runner's test evaluator, the list of processed
results its ``compute_metrics`` received (after mmengine collected them from every rank, in dataset order) and the
metrics it returned; for COCO-style metrics also the result JSON it evaluated. The converters below turn each
toolbox's processed results into the per-item arrays of a :class:`~mobilebench.benchmark.samples.Section`, using
the metric's own settings, so the file reproduces exactly what was reported.

Why not mmengine's ``DumpResults`` (``tools/test.py --out`` of the toolboxes): it pickles the raw data samples
(torch tensors and ``InstanceData``: code to unpickle), and they lack what a metric adds (VOC ignore flags as the
metric reads them, OKS NMS and rescoring of mmpose, the verification pairs of a ``.bin``).
"""
from __future__ import annotations

import contextlib
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import numpy as np

from .samples import Section, json_blob, write_samples

# mmdet CocoMetric: metric item -> index in COCOeval.stats (pycocotools' summarize order)
_MMDET_COCO_STATS = {'mAP': 0, 'mAP_50': 1, 'mAP_75': 2, 'mAP_s': 3, 'mAP_m': 4, 'mAP_l': 5}
# mmpose CocoMetric: the names it gives COCOeval.stats (xtcocotools' summarize order)
_MMPOSE_STATS = {'keypoints': ['AP', 'AP .5', 'AP .75', 'AP (M)', 'AP (L)', 'AR', 'AR .5', 'AR .75', 'AR (M)',
                               'AR (L)'],
                 'keypoints_crowd': ['AP', 'AP .5', 'AP .75', 'AR', 'AR .5', 'AR .75', 'AP(E)', 'AP(M)', 'AP(H)']}


class UnsupportedMetric(NotImplementedError):
    """A metric (or metric setting) without a per-sample format; the test's metrics are unaffected."""


class Captured:
    """What one metric computed from: its processed ``results``, the ``metrics`` it returned, extras."""

    def __init__(self, metric):
        self.metric = metric
        self.results: Optional[list] = None
        self.metrics: Optional[Dict] = None
        self.result_json = None  # COCO-style metrics: the detections / keypoints they evaluated


@contextlib.contextmanager
def capture_metric_inputs(runner_or_metrics):
    """Record what every metric computes from during the block: the metrics of a Runner's test evaluator, or a
    list of metrics (main process: mmengine runs ``compute_metrics`` only there). Yields a list of
    :class:`Captured`, one per metric."""
    if hasattr(runner_or_metrics, 'test_loop'):
        metrics = runner_or_metrics.test_loop.evaluator.metrics  # builds the test loop if needed
    else:
        metrics = list(runner_or_metrics)
    captured = [Captured(m) for m in metrics]
    for cap in captured:
        metric = cap.metric
        original = metric.compute_metrics

        def compute(results, _cap=cap, _orig=original):
            _cap.results = list(results)
            out = _orig(results)
            _cap.metrics = dict(out)
            return out

        metric.compute_metrics = compute
        if type(metric).__name__ == 'CocoMetric' and hasattr(metric, 'results2json'):
            metric.results2json = _json_recorder(cap, metric.results2json)
    try:
        yield captured
    finally:
        for cap in captured:  # back to the class methods
            for name in ('compute_metrics', 'results2json'):
                cap.metric.__dict__.pop(name, None)


def _json_recorder(cap: Captured, original):
    def results2json(results, outfile_prefix):
        out = original(results, outfile_prefix)
        path = out.get('bbox') if isinstance(out, dict) else f'{outfile_prefix}.keypoints.json'  # mmdet / mmpose
        if path is not None:
            with open(path) as f:
                cap.result_json = json.load(f)
        return out
    return results2json


def dump_samples(path: str, captured: List[Captured], dataset=None, source: Optional[Dict] = None) -> str:
    """Convert the captured metric inputs to sections and write them to ``path`` (``.npz``, atomic).

    Args:
        path: output file.
        captured: from :func:`capture_metric_inputs` after ``runner.test()``.
        dataset: the test dataset (item ids; its length is checked against the results).
        source: provenance recorded in the file (config, checkpoint, ...).
    """
    sections = []
    for cap in captured:
        if cap.results is None:
            raise RuntimeError(f'--samples: metric {type(cap.metric).__name__} computed nothing (was the test run '
                               f'in this process?)')
        convert = _CONVERTERS.get(_metric_kind(cap.metric))
        if convert is None:
            raise UnsupportedMetric(f'--samples: no per-sample format for metric {type(cap.metric).__module__}.'
                                      f'{type(cap.metric).__name__}; supported: mmpretrain Accuracy, mmaction2 '
                                      f'AccMetric, mmdet VOCMetric / CocoMetric (bbox), mmpose CocoMetric, '
                                      f'FaceVerificationMetric, Market1501Metric')
        sections.extend(convert(cap, dataset))
    info = dict(source or {})
    if dataset is not None:
        info.setdefault('dataset', type(dataset).__name__)
        info.setdefault('dataset_len', len(dataset))
    return write_samples(path, sections, info)


def _metric_kind(metric) -> str:
    cls = type(metric)
    return f'{cls.__module__.split(".")[0]}.{cls.__name__}'


def _prefix(metric) -> str:
    return metric.prefix or ''


def _reported(cap: Captured) -> Dict[str, float]:
    """The metric's returned values under the keys the evaluator reports (``prefix/name``)."""
    pre = _prefix(cap.metric)
    out = {}
    for k, v in cap.metrics.items():
        try:
            out[f'{pre}/{k}' if pre else k] = float(v)
        except (TypeError, ValueError):
            continue
    return out


def _dataset_ids(dataset, n: int, key: str) -> np.ndarray:
    """The ``key`` of the dataset's ``n`` items in order (results come back in dataset order), or ``0..n-1``."""
    if dataset is None:
        return np.arange(n)
    if len(dataset) != n:
        raise ValueError(f'--samples: the metric received {n} results but the test dataset '
                         f'{type(dataset).__name__} has {len(dataset)} items; per-item results would be misaligned')
    values = [dataset.get_data_info(i).get(key) for i in range(n)]
    if any(v is None for v in values):
        return np.arange(n)
    return np.asarray(values)


# ----------------------------------------------------------------------------------------------- converters
def _mmpretrain_accuracy(cap: Captured, dataset) -> List[Section]:
    metric, results = cap.metric, cap.results
    if 'pred_score' not in results[0]:
        raise ValueError('--samples: mmpretrain Accuracy got predicted labels without scores; per-item top-k '
                         'needs pred_score')
    thrs = tuple(metric.thrs)
    if len(thrs) != 1:
        raise UnsupportedMetric(f'--samples: mmpretrain Accuracy with several thresholds {thrs} is not supported')
    scores = np.stack([r['pred_score'].float().numpy() for r in results])
    labels = np.concatenate([r['gt_label'].numpy().reshape(-1) for r in results]).astype(np.int64)
    return [Section(kind='topk', metric='mmpretrain.Accuracy', prefix=_prefix(metric), reported=_reported(cap),
                    item='image', params=dict(toolbox='mmpretrain', topk=[int(k) for k in metric.topk],
                                              thr=thrs[0]),
                    arrays=dict(ids=np.arange(len(labels)), scores=scores, labels=labels))]


def _mmaction_accuracy(cap: Captured, dataset) -> List[Section]:
    metric, results = cap.metric, cap.results
    if isinstance(results[0]['pred'], dict) or np.ndim(results[0]['label']) > 0:
        raise UnsupportedMetric('--samples: mmaction2 AccMetric with multi-stream or multi-label results is not '
                                  'supported')
    topk = metric.metric_options.get('top_k_accuracy', {}).get('topk', (1, 5))
    topk = (topk, ) if isinstance(topk, int) else tuple(topk)
    scores = np.stack([np.asarray(r['pred']) for r in results])
    labels = np.array([int(r['label']) for r in results], np.int64)
    return [Section(kind='topk', metric='mmaction.AccMetric', prefix=_prefix(metric), reported=_reported(cap),
                    item='clip', params=dict(toolbox='mmaction', topk=[int(k) for k in topk]),
                    arrays=dict(ids=np.arange(len(labels)), scores=scores, labels=labels))]


def _face_verification(cap: Captured, dataset) -> List[Section]:
    from mobilebench.face.verification import l2_normalize, pair_distances
    groups = defaultdict(dict)
    for r in cap.results:
        groups[r['bin_name']][(r['pair_index'], r['pair_pos'])] = r
    reported = _reported(cap)
    sections = []
    for name, items in groups.items():  # as FaceVerificationMetric.compute_metrics pairs them
        n_pairs = max(k[0] for k in items) + 1
        emb = l2_normalize(np.stack([items[(i, p)]['embedding'] for i in range(n_pairs) for p in (0, 1)]))
        issame = np.array([items[(i, 0)]['issame'] for i in range(n_pairs)], bool)
        pre = _prefix(cap.metric)
        keys = {k: v for k, v in reported.items() if k.startswith(f'{pre}/{name}/' if pre else f'{name}/')}
        sections.append(Section(kind='verification', metric='mobilebench.FaceVerificationMetric', prefix=pre,
                                reported=keys, item='pair',
                                params=dict(set=name, n_folds=int(cap.metric.n_folds)),
                                arrays=dict(ids=np.arange(n_pairs), distances=pair_distances(emb[0::2], emb[1::2]),
                                            issame=issame)))
    return sections


def _market1501(cap: Captured, dataset) -> List[Section]:
    from mobilebench.reid.ranking import evaluate_ranking, pairwise_distance
    metric = cap.metric
    query = [(i, r) for i, r in enumerate(cap.results) if r['split'] == 'query']
    gallery = [r for r in cap.results if r['split'] == 'gallery']
    qf = np.stack([r['feature'] for _, r in query])
    gf = np.stack([r['feature'] for r in gallery])
    if metric.normalize_feature:  # as Market1501Metric.compute_metrics
        qf = qf / np.maximum(np.linalg.norm(qf, axis=1, keepdims=True), 1e-12)
        gf = gf / np.maximum(np.linalg.norm(gf, axis=1, keepdims=True), 1e-12)
    dist = pairwise_distance(qf, gf, metric.dist_metric)
    q_pids, q_cams = [r['pid'] for _, r in query], [r['camid'] for _, r in query]
    g_pids, g_cams = [r['pid'] for r in gallery], [r['camid'] for r in gallery]
    full = evaluate_ranking(dist, q_pids, g_pids, q_cams, g_cams, metric.ranks)
    ranks = list(metric.ranks)
    hits = np.zeros((len(query), len(ranks)), bool)
    for i in np.flatnonzero(~np.isnan(full['ap'])):  # each valid query alone: its CMC is 0 or 1 at every rank
        one = evaluate_ranking(dist[i:i + 1], q_pids[i:i + 1], g_pids, q_cams[i:i + 1], g_cams, ranks)
        hits[i] = [one['cmc'][r] == 1.0 for r in ranks]
    ids = [osp.basename(str(i)) for i in _dataset_ids(dataset, len(cap.results), 'img_path')]  # Market-1501 names
    return [Section(kind='ranking', metric='mobilebench.Market1501Metric', prefix=_prefix(metric),
                    reported=_reported(cap), item='query', params=dict(ranks=ranks),
                    arrays=dict(ids=np.asarray(ids)[[i for i, _ in query]], ap=full['ap'], cmc_hits=hits,
                                pid=np.asarray(q_pids, np.int64), camid=np.asarray(q_cams, np.int64)))]


def _voc(cap: Captured, dataset) -> List[Section]:
    metric = cap.metric
    if metric.metric != 'mAP':
        raise UnsupportedMetric(f'--samples: VOCMetric(metric={metric.metric!r}) is not supported (only mAP)')
    if metric.scale_ranges is not None:
        raise UnsupportedMetric('--samples: VOCMetric with scale_ranges is not supported')
    det_b, det_s, det_l, det_i = [], [], [], []
    gt_b, gt_l, gt_i, gt_ign = [], [], [], []
    num_classes = len(cap.results[0][1])
    for i, (ann, dets) in enumerate(cap.results):
        for c, d in enumerate(dets):
            det_b.append(d[:, :4])
            det_s.append(d[:, 4])
            det_l.append(np.full(len(d), c, np.int64))
            det_i.append(np.full(len(d), i, np.int64))
        for boxes, labels, ignore in ((ann['bboxes'], ann['labels'], False),
                                      (ann['bboxes_ignore'], ann['labels_ignore'], True)):
            boxes = np.asarray(boxes).reshape(-1, 4)
            gt_b.append(boxes)
            gt_l.append(np.asarray(labels, np.int64).reshape(-1))
            gt_i.append(np.full(len(boxes), i, np.int64))
            gt_ign.append(np.full(len(boxes), ignore))
    ids = _dataset_ids(dataset, len(cap.results), 'img_id')
    if dataset is not None:
        _check_voc_ground_truth(cap.results, dataset, ids)
    return [Section(kind='voc', metric='mmdet.VOCMetric', prefix=_prefix(metric), reported=_reported(cap),
                    item='image', params=dict(num_classes=num_classes, iou_thrs=[float(t) for t in metric.iou_thrs],
                                              eval_mode=metric.eval_mode, scale_ranges=None),
                    arrays=dict(ids=ids, det_bboxes=np.concatenate(det_b), det_scores=np.concatenate(det_s),
                                det_labels=np.concatenate(det_l), det_image=np.concatenate(det_i),
                                gt_bboxes=np.concatenate(gt_b), gt_labels=np.concatenate(gt_l),
                                gt_image=np.concatenate(gt_i), gt_ignore=np.concatenate(gt_ign)))]


def _check_voc_ground_truth(results, dataset, ids) -> None:
    """Each image's ground truth as the metric received it must be the dataset's annotation of that image (same
    boxes, labels and ignore flags): the per-image results are aligned with the dataset they claim to come from."""
    def rows(boxes, labels, ignore):
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        out = np.hstack([boxes, np.asarray(labels, np.float32).reshape(-1, 1), np.full((len(boxes), 1), ignore)])
        return out[np.lexsort(out.T[::-1])]

    for i, (ann, _) in enumerate(results):
        got = np.vstack([rows(ann['bboxes'], ann['labels'], 0), rows(ann['bboxes_ignore'], ann['labels_ignore'], 1)])
        inst = dataset.get_data_info(i).get('instances', [])
        want = np.vstack([rows([x['bbox'] for x in inst if not x.get('ignore_flag', 0)],
                               [x['bbox_label'] for x in inst if not x.get('ignore_flag', 0)], 0),
                          rows([x['bbox'] for x in inst if x.get('ignore_flag', 0)],
                               [x['bbox_label'] for x in inst if x.get('ignore_flag', 0)], 1)])
        if got.shape != want.shape or not np.allclose(got, want, atol=1e-3):
            raise ValueError(f'--samples: the ground truth the VOC metric received for image "{ids[i]}" (result {i}) '
                             f'is not the dataset\'s annotation of it ({len(got)} vs {len(want)} boxes); the results '
                             f'are not in dataset order, or the test pipeline changes the boxes')


def _coco_gt(coco) -> Dict:
    """The ground truth a COCO api object evaluates (its annotations as indexed, e.g. after mmpose's converter)."""
    return dict(images=coco.dataset['images'], annotations=list(coco.anns.values()),
                categories=coco.dataset.get('categories', []))


def _mmdet_coco(cap: Captured, dataset) -> List[Section]:
    metric = cap.metric
    if list(metric.metrics) != ['bbox'] or metric.use_mp_eval or metric.format_only:
        raise UnsupportedMetric(f'--samples: mmdet CocoMetric(metric={metric.metrics}) is supported for bbox only')
    if cap.result_json is None:
        raise RuntimeError('--samples: the mmdet CocoMetric wrote no bbox results')
    items = metric.metric_items or list(_MMDET_COCO_STATS)
    img_ids = np.unique(np.asarray(metric.img_ids))
    return [Section(kind='coco', metric='mmdet.CocoMetric', prefix=_prefix(metric), reported=_reported(cap),
                    item='image', params=dict(evaluator='pycocotools', iou_type='bbox', round3=True,
                                              catIds=[int(c) for c in metric.cat_ids],
                                              imgIds=[int(i) for i in metric.img_ids],
                                              maxDets=[int(m) for m in metric.proposal_nums],
                                              iouThrs=[float(t) for t in metric.iou_thrs],
                                              stat_index={f'bbox_{k}': _MMDET_COCO_STATS[k] for k in items}),
                    arrays=dict(ids=img_ids, gt_json=json_blob(_coco_gt(metric._coco_api)),
                                dt_json=json_blob(cap.result_json)))]


def _mmpose_coco(cap: Captured, dataset) -> List[Section]:
    metric = cap.metric
    if cap.result_json is None:
        raise RuntimeError('--samples: the mmpose CocoMetric wrote no keypoint results')
    names = _MMPOSE_STATS[metric.iou_type]
    img_ids = np.unique(np.asarray(metric.coco.getImgIds()))
    return [Section(kind='coco', metric='mmpose.CocoMetric', prefix=_prefix(metric), reported=_reported(cap),
                    item='image', params=dict(evaluator='xtcocotools', iou_type=metric.iou_type, round3=False,
                                              sigmas=[float(s) for s in metric.dataset_meta['sigmas']],
                                              use_area=bool(metric.use_area),
                                              stat_index={k: i for i, k in enumerate(names)}),
                    arrays=dict(ids=img_ids, gt_json=json_blob(_coco_gt(metric.coco)),
                                dt_json=json_blob(cap.result_json)))]


_CONVERTERS = {
    'mmpretrain.Accuracy': _mmpretrain_accuracy,
    'mmaction.AccMetric': _mmaction_accuracy,
    'mobilebench.FaceVerificationMetric': _face_verification,
    'mobilebench.Market1501Metric': _market1501,
    'mmdet.VOCMetric': _voc,
    'mmdet.CocoMetric': _mmdet_coco,
    'mmpose.CocoMetric': _mmpose_coco,
}
