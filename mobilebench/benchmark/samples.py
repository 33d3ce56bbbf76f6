"""Per-sample test results: the file a run writes next to its metrics, and the task metric on any resample.

A paired test of two models ("is AsymmNet really better than MobileNetV3 here?") needs more than the one number a
test reports: it recomputes both models' metric on the same resamples of the test items
(:mod:`mobilebench.significance`). This module defines the file that holds what a task's metric was computed from,
item by item, and turns it back into that metric::

    m = load_item_metric('results/samples/voc_yolov3__asymmnet_small_x0.5__s0.npz')   # or name='pascal_voc/AP50'
    m.name, m.n, m.ids[:3], m.higher_is_better      # 'pascal_voc/mAP', 4952, ['000001', ...], True
    m(np.arange(m.n)) == m.reported                 # exactly the value the test reported
    m(rng.integers(0, m.n, m.n))                    # VOC mAP on a bootstrap resample of the test images

Items are what the metric averages over or is matched within: images (classification, detection, keypoints: OKS
matching is per image, so a resample draws images with all their instances), clips (action), pairs (face, one
verification set per metric), queries (re-ID, against the fixed gallery). A resample may repeat items; an item
drawn twice counts twice, exactly as if the test set held two copies of it.

Each metric is recomputed with its toolbox's own functions on precomputed per-item results, so a resample costs
one accumulation, not one evaluation:

=============================  ==========================================================================
kind (``metric`` of the file)   per item / recomputation
=============================  ==========================================================================
``topk`` (mmpretrain           per-item top-k hit from the toolbox's own accuracy on that item (its tie
``Accuracy``, mmaction2         rules and score threshold); resample: the hit rate, in the toolbox's unit
``AccMetric``)                  and arithmetic (mmpretrain: percent in float32); ``acc/mean1``: mmaction2's
                                ``mean_class_accuracy`` on the resampled scores
``verification`` (suite's       per-pair squared distance of the L2-normalised embeddings and ``issame``, one
``FaceVerificationMetric``)     section per ``.bin``; resample: insightface's 10-fold accuracy
                                (:func:`mobilebench.significance.verification_metric`)
``voc`` (mmdet ``VOCMetric``)   per-image detections and ground truth (with ignore flags); per detection its
                                TP/FP from mmdet's ``tpfp_default`` (it depends on its own image only);
                                resample: concatenate, sort by score as ``eval_map`` does, mmdet's
                                ``average_precision`` per class, mean over classes with ground truth
``coco`` (mmdet / mmpose        the ground truth (images, annotations, categories) and the result JSON the
``CocoMetric``)                 metric evaluated; ``COCOeval.evaluateImg`` of every (category, area, image)
                                once (pycocotools / xtcocotools, with the metric's parameters); resample:
                                ``accumulate`` + ``summarize`` on the resampled images' entries
``ranking`` (suite's            per query its AP and whether its first valid match is within each CMC rank
``Market1501Metric``)           (:func:`mobilebench.reid.ranking.evaluate_ranking`); resample: mean AP and
                                CMC over the resampled valid queries
=============================  ==========================================================================

File format: an ``.npz`` (numpy, loaded with ``allow_pickle=False``: nothing in it can run code). ``format`` holds
:data:`FORMAT`, ``meta`` a JSON object ``{"sections": [...], "source": {...}}``, and section ``i``'s arrays are
``s<i>.<field>``. A section is one metric object of the test evaluator: ``kind``, ``metric`` (its class),
``prefix``, ``reported`` (metric key -> the value the test reported), ``item`` (what an item is), ``params`` (the
metric's settings the recomputation needs) and its arrays, always including ``ids`` (one key per item). JSON blobs
(COCO ground truth and results) are stored as UTF-8 bytes (``uint8`` arrays). :func:`load_item_metric` checks the
identity resample against ``reported`` and refuses a file whose recomputation does not reproduce the test.
Files are written by :mod:`mobilebench.benchmark.sample_dump` (``run_one --samples`` / ``tools/test.py
--samples``).
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import numpy as np

from ..fileio import atomic_write_bytes

FORMAT = 'mobilebench.samples/1'
SUFFIX = '.npz'
KINDS = ('topk', 'verification', 'voc', 'coco', 'ranking')

__all__ = ['FORMAT', 'ItemMetric', 'SamplesFileError', 'Section', 'available_metrics', 'load_item_metric',
           'read_samples', 'write_samples']


class SamplesFileError(ValueError):
    """A per-sample file that is missing, malformed or does not reproduce its reported metric."""


@dataclass
class Section:
    """One metric object's per-item results.

    Args:
        kind: one of :data:`KINDS`.
        metric: the metric class that computed it (e.g. ``'VOCMetric'``).
        prefix: the metric's key prefix (``'pascal_voc'``; ``''`` for none).
        reported: metric key -> the value the test reported.
        item: what one item is (``'image'``, ``'pair'``, ...).
        params: the metric settings the recomputation needs (JSON).
        arrays: field -> array; ``ids`` (one key per item) is required.
    """
    kind: str
    metric: str
    prefix: str
    reported: Dict[str, float]
    item: str
    params: Dict = field(default_factory=dict)
    arrays: Dict[str, np.ndarray] = field(default_factory=dict)

    def key(self, name: str) -> str:
        return f'{self.prefix}/{name}' if self.prefix else name


@dataclass(frozen=True, eq=False)
class ItemMetric:
    """A task's metric as a function of a resample of its test items.

    Attributes:
        name: the metric key it reproduces (``'pascal_voc/mAP'``).
        ids: (n,) item keys (image id, pair index, ...): two files are paired only if their ids are equal.
        higher_is_better: direction of the metric.
        reported: the value the test reported (``self(np.arange(n)) == reported``).
        item: what an item is (``'image'``, ``'instance image'``, ``'clip'``, ``'pair'``, ``'query'``).
        path: the file it was loaded from.
    """
    name: str
    ids: np.ndarray
    higher_is_better: bool
    reported: float
    item: str
    path: str
    _fn: Callable[[np.ndarray], float] = field(repr=False, compare=False)

    @property
    def n(self) -> int:
        """Number of test items."""
        return int(len(self.ids))

    def __call__(self, indices) -> float:
        """The metric on the items at ``indices`` (integers in ``[0, n)``, repeats allowed)."""
        idx = np.asarray(indices)
        if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):  # a list of ints is fine
            raise ValueError(f'{self.name}: indices must be a non-empty 1-D integer array, got {idx.dtype} '
                             f'{idx.shape}')
        if idx.min() < 0 or idx.max() >= self.n:
            raise IndexError(f'{self.name}: indices must lie in [0, {self.n}), got [{idx.min()}, {idx.max()}]')
        return float(self._fn(idx.astype(np.int64, copy=False)))


# ----------------------------------------------------------------------------------------------- file I/O
def json_blob(data) -> np.ndarray:
    """``data`` as a JSON ``uint8`` array (how COCO ground truth and results are stored)."""
    return np.frombuffer(json.dumps(data, separators=(',', ':'), default=_plain).encode(), np.uint8)


def _plain(obj):
    """numpy scalars / arrays in COCO dicts (e.g. the ``ignore`` flags COCOeval sets) as JSON values."""
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f'{type(obj).__name__} is not JSON serialisable')


def _from_blob(array: np.ndarray):
    return json.loads(np.asarray(array, np.uint8).tobytes().decode())


def write_samples(path: str, sections: List[Section], source: Optional[Dict] = None) -> str:
    """Write ``sections`` to ``path`` (``.npz``) atomically. Returns ``path``."""
    if not sections:
        raise ValueError(f'{path}: no per-sample results to write')
    arrays, meta = {}, []
    for i, sec in enumerate(sections):
        if sec.kind not in KINDS:
            raise ValueError(f'{path}: unknown kind {sec.kind!r}; one of {KINDS}')
        if 'ids' not in sec.arrays:
            raise ValueError(f'{path}: section {sec.metric} has no ids')
        meta.append(dict(kind=sec.kind, metric=sec.metric, prefix=sec.prefix, item=sec.item,
                         reported={k: float(v) for k, v in sec.reported.items()}, params=sec.params,
                         fields=sorted(sec.arrays)))
        for name, value in sec.arrays.items():
            value = np.asarray(value)
            if value.dtype.hasobject:
                raise TypeError(f'{path}: field {name} of {sec.metric} has dtype object; store plain arrays')
            arrays[f's{i}.{name}'] = value
    buf = io.BytesIO()
    np.savez_compressed(buf, format=np.array(FORMAT),
                        meta=np.array(json.dumps(dict(sections=meta, source=source or {}))), **arrays)
    return atomic_write_bytes(path, buf.getvalue())


def read_samples(path: str) -> List[Section]:
    """The sections of a per-sample file (no code is run: ``np.load(allow_pickle=False)``)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'per-sample file not found: {path} (written by `run_one --samples` / '
                                f'`tools/test.py --samples`)')
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
    except Exception as exc:  # not a zip / truncated / object arrays
        raise SamplesFileError(f'{path}: not a readable per-sample .npz ({type(exc).__name__}: {exc}); re-run '
                               f'the test with --samples') from exc
    if 'format' not in data or str(data['format']) != FORMAT:
        raise SamplesFileError(f'{path}: field `format` is {data.get("format")!r}, expected {FORMAT!r}; not a '
                               f'mobilebench per-sample file (or one of another version)')
    try:
        meta = json.loads(str(data['meta']))
        sections = []
        for i, sec in enumerate(meta['sections']):
            arrays = {name: data[f's{i}.{name}'] for name in sec['fields']}
            sections.append(Section(kind=sec['kind'], metric=sec['metric'], prefix=sec['prefix'],
                                    reported=sec['reported'], item=sec['item'], params=sec['params'],
                                    arrays=arrays))
    except (KeyError, TypeError, ValueError) as exc:
        raise SamplesFileError(f'{path}: field `meta` or a section array is malformed ({type(exc).__name__}: '
                               f'{exc}); re-run the test with --samples') from exc
    return sections


def available_metrics(path: str) -> List[str]:
    """The metric keys a per-sample file can recompute, in the order of the test's metrics."""
    return [name for sec in read_samples(path) for name in _builders(sec)]


def load_item_metric(path: str, name: Optional[str] = None, check: bool = True) -> ItemMetric:
    """The metric ``name`` of a per-sample file as a function of a resample of the test items.

    Args:
        path: a file written by ``--samples``.
        name: the metric key (``'pascal_voc/mAP'``, ``'cfp_fp/accuracy'``); default: the file's first metric
            (:func:`available_metrics`).
        check: verify that the identity resample reproduces the reported value exactly (cost: one
            evaluation).

    Raises:
        KeyError: ``name`` is not in the file (the message lists what is).
        SamplesFileError: the file is malformed, or its recomputation does not reproduce the reported value.
    """
    sections = read_samples(path)
    available = [(n, sec) for sec in sections for n in _builders(sec)]
    if not available:
        raise SamplesFileError(f'{path}: no metric can be recomputed from this file')
    if name is None:
        name, section = available[0]
    else:
        matches = [sec for n, sec in available if n == name]
        if not matches:
            raise KeyError(f'{path}: no per-sample metric {name!r}; the file has {[n for n, _ in available]}')
        section = matches[0]
    fn = _builders(section)[name]()
    ids = np.asarray(section.arrays['ids'])
    metric = ItemMetric(name=name, ids=ids, higher_is_better=True, reported=float(section.reported[name]),
                        item=section.item, path=path, _fn=fn)
    if check:
        value = metric(np.arange(metric.n))
        if not (value == metric.reported or (math.isnan(value) and math.isnan(metric.reported))):
            raise SamplesFileError(f'{path}: {name} recomputed from the per-sample results is {value!r}, the test '
                                   f'reported {metric.reported!r}; the file is corrupt or from another version')
    return metric


# ----------------------------------------------------------------------------------------------- builders
def _builders(sec: Section) -> Dict[str, Callable[[], Callable]]:
    """metric key -> factory of its resample function, for the keys this section reproduces."""
    make = dict(topk=_topk, verification=_verification, voc=_voc, coco=_coco, ranking=_ranking)[sec.kind]
    return {k: v for k, v in make(sec).items() if k in sec.reported}


def _topk(sec: Section):
    scores = np.asarray(sec.arrays['scores'])
    labels = np.asarray(sec.arrays['labels'], np.int64)
    toolbox = sec.params['toolbox']
    out = {}
    for k in sec.params['topk']:
        out[sec.key(f'top{k}')] = (lambda k=k: _topk_fn(toolbox, scores, labels, int(k), sec.params))
    if toolbox == 'mmaction':
        out[sec.key('mean1')] = lambda: _mean_class_fn(scores, labels)
    return out


def _topk_fn(toolbox: str, scores: np.ndarray, labels: np.ndarray, k: int, params: Dict):
    if toolbox == 'mmpretrain':
        import torch
        from mmpretrain.evaluation import Accuracy
        thr = params.get('thr', 0.0)
        pred, target = torch.from_numpy(scores), torch.from_numpy(labels)
        # the toolbox's own decision per item (torch.topk's tie order, the score threshold)
        hits = np.array([Accuracy.calculate(pred[i:i + 1], target[i:i + 1], (k, ), (thr, ))[0][0].item() > 0
                         for i in range(len(labels))])

        def metric(idx):  # Accuracy.calculate: float32 count of hits times 100 / num
            return torch.tensor([float(hits[idx].sum())], dtype=torch.float32).mul_(100. / len(idx)).item()

        return metric
    if toolbox == 'mmaction':
        from mmaction.evaluation.functional import top_k_accuracy
        hits = np.array([top_k_accuracy([scores[i]], [labels[i]], (k, ))[0] == 1.0 for i in range(len(labels))])
        return lambda idx: hits[idx].sum() / len(idx)  # top_k_accuracy: match_array.sum() / N
    raise SamplesFileError(f'unknown classification toolbox {toolbox!r} in a topk section')


def _mean_class_fn(scores: np.ndarray, labels: np.ndarray):
    from mmaction.evaluation.functional import mean_class_accuracy
    return lambda idx: mean_class_accuracy(scores[idx], labels[idx])


def _verification(sec: Section):
    from ..significance import verification_metric
    dist, issame = sec.arrays['distances'], sec.arrays['issame']
    return {sec.key(f'{sec.params["set"]}/accuracy'):
            lambda: verification_metric(dist, issame, n_folds=int(sec.params['n_folds']))}


def _ranking(sec: Section):
    ap = np.asarray(sec.arrays['ap'], np.float64)  # NaN: query without a valid match (not counted)
    hits = np.asarray(sec.arrays['cmc_hits'], bool)  # (Q, len(ranks)): first valid match within rank r
    valid = ~np.isnan(ap)

    def valid_of(idx):
        v = valid[idx]
        if not v.any():
            raise ValueError('none of the resampled queries has a valid gallery match')
        return v

    def mean_ap(idx):  # evaluate_ranking: aps[valid].mean()
        return float(ap[idx][valid_of(idx)].mean())

    def cmc(j):  # evaluate_ranking: (valid queries matched within rank r) / num_valid
        return lambda idx: float(np.count_nonzero(hits[idx, j] & valid[idx]) / np.count_nonzero(valid_of(idx)))

    out = {sec.key('mAP'): lambda: mean_ap}
    for j, r in enumerate(sec.params['ranks']):
        out[sec.key(f'rank{r}')] = (lambda j=j: cmc(j))
    return out


# ----------------------------------------------------------------------------------------------- VOC
class _VOCMatches:
    """Per-detection TP/FP of mmdet's ``tpfp_default`` (per image, per class, per IoU threshold), computed once."""

    def __init__(self, sec: Section):
        from mmdet.evaluation.functional.mean_ap import tpfp_default
        a = sec.arrays
        p = sec.params
        if p.get('scale_ranges') is not None:
            raise SamplesFileError('VOC per-sample metric: scale_ranges are not supported')
        n = len(a['ids'])
        self.n, self.num_classes, self.iou_thrs = n, int(p['num_classes']), [float(t) for t in p['iou_thrs']]
        self.eval_mode = p['eval_mode']
        det_img, det_lab = a['det_image'], a['det_labels']
        det = np.hstack([a['det_bboxes'], a['det_scores'][:, None]])  # (D, 5) like VOCMetric's per-class dets
        gt_img, gt_lab, gt_ign, gt_box = a['gt_image'], a['gt_labels'], a['gt_ignore'].astype(bool), a['gt_bboxes']
        # per class: dets in image order (VOCMetric keeps each image's detections of a class in their order)
        # classes without a ground-truth box in the whole set are left out: eval_map averages only classes
        # with a box, and no resample of the images can give them one (VOC-format subsets often use a few
        # of the 20 classes; the bootstrap then loops over those only)
        self.cls = []
        for c in np.unique(gt_lab[~gt_ign]).tolist():
            d_sel = np.flatnonzero(det_lab == c)
            d_sel = d_sel[np.argsort(det_img[d_sel], kind='stable')]
            counts = np.bincount(det_img[d_sel], minlength=n)
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            num_gts = np.bincount(gt_img[(gt_lab == c) & ~gt_ign], minlength=n)
            tps, fps = [], []
            for thr in self.iou_thrs:
                tp_c, fp_c = [], []
                for i in range(n):
                    dets_i = det[d_sel[starts[i]:starts[i] + counts[i]]]
                    g = (gt_img == i) & (gt_lab == c)
                    tp, fp = tpfp_default(dets_i, gt_box[g & ~gt_ign], gt_box[g & gt_ign], thr, None, True)
                    tp_c.append(tp)
                    fp_c.append(fp)
                tps.append(np.hstack(tp_c)[0])
                fps.append(np.hstack(fp_c)[0])
            self.cls.append(dict(scores=det[d_sel, -1].copy(), counts=counts, starts=starts, num_gts=num_gts,
                                 tp=tps, fp=fps))

    def mean_ap(self, idx: np.ndarray, t: int) -> float:
        """mmdet ``eval_map``'s mean AP at IoU threshold ``t`` on the images ``idx`` (same arithmetic)."""
        aps = []
        eps = np.finfo(np.float32).eps
        for c in self.cls:
            num_gts = int(c['num_gts'][idx].sum())
            counts = c['counts'][idx]
            # positions of the resampled images' detections, image after image (eval_map's np.vstack order)
            pos = np.repeat(c['starts'][idx] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) \
                + np.arange(int(counts.sum()))
            order = pos[np.argsort(-c['scores'][pos])]  # eval_map: np.argsort(-cls_dets[:, -1])
            tp = np.cumsum(c['tp'][t][order])  # float32, as eval_map's cumsum of tpfp_default's float32 arrays
            fp = np.cumsum(c['fp'][t][order])
            recalls = tp / np.maximum(np.array([num_gts]), eps)[0]
            precisions = tp / np.maximum((tp + fp), eps)
            if num_gts > 0:
                aps.append(average_precision(recalls, precisions, self.eval_mode))
        return np.array(aps).mean().item() if aps else 0.0


def average_precision(recalls: np.ndarray, precisions: np.ndarray, mode: str = 'area') -> np.float32:
    """``mmdet.evaluation.functional.average_precision`` of one recall/precision curve, vectorised: the same float32
    result (its per-threshold and per-detection Python loops become a suffix maximum; the tests compare the two).

    Args:
        recalls: (N,) non-decreasing recalls of the detections ranked by score.
        precisions: (N,) precisions.
        mode: ``'area'`` (area under the interpolated curve) or ``'11points'`` (VOC07: mean of the interpolated
            precision at recall 0, 0.1, ..., 1).
    """
    if mode == 'area':
        mrec = np.concatenate([[0.], recalls, [1.]]).astype(recalls.dtype, copy=False)
        mpre = np.concatenate([[0.], precisions, [0.]]).astype(recalls.dtype, copy=False)
        mpre = np.maximum.accumulate(mpre[::-1])[::-1]  # the running maximum from the right
        ind = np.where(mrec[1:] != mrec[:-1])[0]
        return np.float32(np.sum((mrec[ind + 1] - mrec[ind]) * mpre[ind + 1]))
    if mode == '11points':
        # max precision over recall >= thr: recalls are non-decreasing, so a suffix starting at searchsorted
        suffix_max = np.maximum.accumulate(precisions[::-1])[::-1] if len(precisions) else precisions
        ap = np.zeros(1, dtype=np.float32)
        for thr in np.arange(0, 1 + 1e-3, 0.1):
            start = np.searchsorted(recalls, thr, side='left')
            ap[0] += suffix_max[start] if start < len(recalls) else 0
        ap /= 11
        return ap[0]
    raise ValueError(f'Unrecognized mode {mode!r}, only "area" and "11points" are supported')


def _voc(sec: Section):
    cache = {}

    def matches():
        if 'm' not in cache:
            cache['m'] = _VOCMatches(sec)
        return cache['m']

    def mean_over_thrs():
        m = matches()
        return lambda idx: sum(m.mean_ap(idx, t) for t in range(len(m.iou_thrs))) / len(m.iou_thrs)

    def at_thr(t):
        m = matches()
        return lambda idx: round(m.mean_ap(idx, t), 3)  # VOCMetric rounds AP<thr> to 3 decimals

    out = {sec.key('mAP'): mean_over_thrs}
    for t, thr in enumerate(sec.params['iou_thrs']):
        out[sec.key(f'AP{int(thr * 100):02d}')] = (lambda t=t: at_thr(t))
    return out


# ----------------------------------------------------------------------------------------------- COCO
# COCOeval.summarize's AP entries: stats index -> (iouThr, areaRng, maxDets); 'M2' is params.maxDets[2]
_COCO_AP_STATS = {
    'bbox': {0: (None, 'all', 100), 1: (.5, 'all', 'M2'), 2: (.75, 'all', 'M2'), 3: (None, 'small', 'M2'),
             4: (None, 'medium', 'M2'), 5: (None, 'large', 'M2')},
    'keypoints': {0: (None, 'all', 20), 1: (.5, 'all', 20), 2: (.75, 'all', 20), 3: (None, 'medium', 20),
                  4: (None, 'large', 20)},
    'keypoints_crowd': {0: (None, 'all', 20), 1: (.5, 'all', 20), 2: (.75, 'all', 20)},
}


class _CocoImages:
    """``COCOeval.evaluateImg`` of every (category, area range, image) once (pycocotools / xtcocotools, with the
    metric's parameters); a resample then only accumulates the resampled images' entries.

    AP statistics take the fast path :meth:`ap`: ``accumulate`` + ``summarize`` for one (area range, max
    detections), in numpy over precomputed per-image arrays, with the library's arithmetic (the same concatenation,
    ``mergesort`` by score, cumulative sums, interpolated precision at the recall thresholds and mean over the
    entries > -1). Other statistics (AR) run the library's own ``accumulate`` + ``summarize`` on the resampled
    entries (:meth:`stats`). Both equal the library on the identity and on duplicated images (tests).
    """

    def __init__(self, sec: Section):
        p = sec.params
        gt, dt = _from_blob(sec.arrays['gt_json']), _from_blob(sec.arrays['dt_json'])
        self.xtcoco = p['evaluator'] == 'xtcocotools'
        if self.xtcoco:
            from xtcocotools.coco import COCO
            from xtcocotools.cocoeval import COCOeval
        else:
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval
        with contextlib.redirect_stdout(io.StringIO()):
            coco = COCO()
            coco.dataset = gt
            coco.createIndex()
            coco_dt = coco.loadRes(dt) if dt else COCO()
            if self.xtcoco:
                ev = COCOeval(coco, coco_dt, p['iou_type'], np.asarray(p['sigmas'], np.float64), p['use_area'])
                ev.params.useSegm = None
            else:
                ev = COCOeval(coco, coco_dt, p['iou_type'])
            for key in ('catIds', 'imgIds', 'maxDets', 'iouThrs'):
                if p.get(key) is not None:
                    setattr(ev.params, key, np.asarray(p[key]) if key == 'iouThrs' else list(p[key]))
            ev.evaluate()
        self.ev = ev
        self.iou_type = p['iou_type']
        self.evalImgs = ev.evalImgs
        self.img_ids = list(ev._paramsEval.imgIds)  # sorted unique: the order of evaluateImg's entries
        self.n_cats = len(ev._paramsEval.catIds) if ev._paramsEval.useCats else 1
        self.n_areas = len(ev._paramsEval.areaRng)
        self.params = ev.params
        self.per_image = {}
        self.last = (None, None)

    # ------------------------------------------------------------------ library path (any statistic)
    def stats(self, idx: np.ndarray) -> np.ndarray:
        if self.last[0] is not None and np.array_equal(self.last[0], idx):
            return self.last[1]
        n, m = len(self.img_ids), len(idx)
        base = (np.arange(self.n_cats * self.n_areas) * n)[:, None]
        ev = self.ev
        ev.evalImgs = [self.evalImgs[j] for j in (base + idx[None, :]).ravel()]
        fake = list(range(m))  # distinct ids: accumulate selects images by id
        ev.params.imgIds = fake
        ev._paramsEval.imgIds = fake
        with contextlib.redirect_stdout(io.StringIO()):
            ev.accumulate()
            ev.summarize()
        stats = np.array(ev.stats, copy=True)
        self.last = (idx.copy(), stats)
        return stats

    # ------------------------------------------------------------------ fast path (AP statistics)
    def _arrays(self, a: int, max_det: int):
        """Per category: every image's top-``max_det`` scores, TP / FP flags (T, d) and non-ignored gt count."""
        key = (a, max_det)
        if key not in self.per_image:
            n = len(self.img_ids)
            T = len(self.params.iouThrs)
            cats = []
            for k in range(self.n_cats):
                entries = self.evalImgs[k * self.n_areas * n + a * n:k * self.n_areas * n + (a + 1) * n]
                present = np.array([e is not None for e in entries])
                counts = np.array([min(len(e['dtScores']), max_det) if e is not None else 0 for e in entries])
                npig = np.array([np.count_nonzero(np.asarray(e['gtIgnore']) == 0) if e is not None else 0
                                 for e in entries])
                scores = np.concatenate([np.asarray(e['dtScores'][0:max_det], np.float64) for e in entries
                                         if e is not None] or [np.zeros(0)])
                dtm = np.concatenate([e['dtMatches'][:, 0:max_det] for e in entries if e is not None]
                                     or [np.zeros((T, 0))], axis=1)
                dtig = np.concatenate([e['dtIgnore'][:, 0:max_det] for e in entries if e is not None]
                                      or [np.zeros((T, 0), bool)], axis=1).astype(bool)
                matched = dtm >= 0 if self.xtcoco else dtm.astype(bool)  # xtcocotools: -1 = unmatched
                cats.append(dict(present=present, counts=counts, npig=npig,
                                 starts=np.concatenate([[0], np.cumsum(counts)[:-1]]), scores=scores,
                                 tps=matched & ~dtig, fps=~matched & ~dtig))
            self.per_image[key] = cats
        return self.per_image[key]

    def ap(self, idx: np.ndarray, iou_thr, area: str, max_dets) -> float:
        """``summarize``'s ``_summarize(1, iouThr, areaRng, maxDets)`` after ``accumulate`` on the images ``idx``."""
        p = self.params
        aind = [i for i, lbl in enumerate(p.areaRngLbl) if lbl == area]
        mind = [i for i, m in enumerate(p.maxDets) if m == max_dets]
        if not aind or not mind:
            return -1.0
        rec_thrs = p.recThrs
        T, R = len(p.iouThrs), len(rec_thrs)
        precision = -np.ones((T, R, self.n_cats))
        for k, c in enumerate(self._arrays(aind[0], p.maxDets[mind[0]])):
            if not c['present'][idx].any():
                continue
            npig = int(c['npig'][idx].sum())
            if npig == 0:
                continue
            counts = c['counts'][idx]
            pos = np.repeat(c['starts'][idx] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) \
                + np.arange(int(counts.sum()))
            order = pos[np.argsort(-c['scores'][pos], kind='mergesort')]
            tp_sum = np.cumsum(c['tps'][:, order], axis=1).astype(np.float64)
            fp_sum = np.cumsum(c['fps'][:, order], axis=1).astype(np.float64)
            nd = tp_sum.shape[1]
            rc = tp_sum / npig
            pr = tp_sum / (fp_sum + tp_sum + np.spacing(1))
            pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]  # the library's right-to-left maximum
            for t in range(T):
                inds = np.searchsorted(rc[t], rec_thrs, side='left')
                q = np.zeros(R)
                ok = inds < nd
                q[ok] = pr[t, inds[ok]]
                precision[t, :, k] = q
        s = precision
        if iou_thr is not None:
            s = s[np.where(iou_thr == p.iouThrs)[0]]
        s = s[s > -1]
        return float(np.mean(s)) if len(s) else -1.0


def _coco(sec: Section):
    cache = {}

    def images():
        if 'c' not in cache:
            cache['c'] = _CocoImages(sec)
        return cache['c']

    rounded = sec.params['round3']

    def stat(i):
        c = images()
        spec = _COCO_AP_STATS.get(sec.params['iou_type'], {}).get(i)
        if spec is not None:
            iou_thr, area, max_dets = spec
            max_dets = c.params.maxDets[2] if max_dets == 'M2' else max_dets
            value = lambda idx: c.ap(idx, iou_thr, area, max_dets)  # noqa: E731
        else:
            value = lambda idx: c.stats(idx)[i]  # noqa: E731
        if rounded:  # mmdet's CocoMetric: float(f'{round(val, 3)}')
            return lambda idx: float(f'{round(value(idx), 3)}')
        return lambda idx: float(value(idx))

    return {sec.key(name): (lambda i=i: stat(i)) for name, i in sec.params['stat_index'].items()}
