"""Known-answer tests for every metric path of the suite.

Predictions are constructed, not trained, so that the expected value is computed by hand (written out
below) or by the reference library called directly (pycocotools / xtcocotools), outside the suite's code.
A perfect predictor must score 1.0 and a known-wrong one its hand value.
"""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

import mobilebench  # noqa: F401  (registers the suite's datasets and metrics)
import mobilebench.datasets.voc  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _build_metric(config, **overrides):
    """The ``test_evaluator`` of a task config built through the registry of its ``default_scope``, as the
    toolbox's Runner builds it (``overrides`` replace entries such as ``ann_file``)."""
    from mmengine.config import Config
    from mmengine.registry import METRICS, init_default_scope
    cfg = Config.fromfile(osp.join(REPO, 'configs', config))
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    return METRICS.build(dict(cfg.test_evaluator, **overrides))


# ----------------------------------------------------------------------------- face verification
def _reference_verification(dist, issame, n_folds=10):
    """insightface ``eval/verification.py`` ``calculate_roc`` written out plainly: squared L2 distance,
    ``dist`` is the per-pair distance; contiguous 10-fold split (sklearn KFold, shuffle=False), thresholds 0:4:0.01, best train-fold
    threshold applied to the held-out fold; returns the mean fold accuracy."""
    thresholds = np.arange(0, 4, 0.01)
    n = len(issame)
    fold_sizes = [n // n_folds + (1 if f < n % n_folds else 0) for f in range(n_folds)]
    starts = np.cumsum([0] + fold_sizes)
    accs = []
    for f in range(n_folds):
        test = np.arange(starts[f], starts[f + 1])
        train = np.setdiff1d(np.arange(n), test)
        train_acc = [np.mean((dist[train] < t) == issame[train]) for t in thresholds]
        best = thresholds[int(np.argmax(train_acc))]
        accs.append(np.mean((dist[test] < best) == issame[test]))
    return float(np.mean(accs))


def _metric_on(emb, issame, order=None):
    """Run ``mobilebench.FaceVerificationMetric`` on embeddings of ``2N`` images (pair i = rows 2i, 2i+1),
    fed as data samples in ``order`` (the metric must rebuild the pairs from the metainfo)."""
    from mobilebench.face.metrics import FaceVerificationMetric
    metric = FaceVerificationMetric()
    metric.dataset_meta = {}
    order = range(len(emb)) if order is None else order
    samples = [dict(pred_embedding=torch.as_tensor(emb[i], dtype=torch.float32), bin_name='toy',
                    pair_index=i // 2, pair_pos=i % 2, issame=bool(issame[i // 2])) for i in order]
    for k in range(0, len(samples), 7):  # several batches
        metric.process({}, samples[k:k + 7])
    return metric.compute_metrics(metric.results)


def _unit(v):
    v = np.asarray(v, np.float64)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_verification_hand_values():
    """20 pairs (2 per fold): same pairs identical (distance 0), different pairs orthogonal
    (distance 2). Perfect: 1.0. Then 3 same pairs made orthogonal: every threshold in (0, 2] still wins
    on the training folds, so exactly those 3 pairs are wrong: 17/20 = 0.85."""
    rng = np.random.default_rng(0)
    n = 20
    issame = np.array([i % 2 == 0 for i in range(n)])
    basis = np.linalg.qr(rng.normal(size=(64, 64)))[0]  # orthonormal rows
    emb = np.zeros((2 * n, 64))
    for i in range(n):
        emb[2 * i] = basis[2 * i]
        emb[2 * i + 1] = basis[2 * i] if issame[i] else basis[2 * i + 1]
    shuffled = rng.permutation(2 * n)
    assert _metric_on(emb * 3.0, issame, shuffled)['toy/accuracy'] == pytest.approx(1.0)
    wrong = emb.copy()
    for i in (0, 6, 12):  # same pairs whose partners are now orthogonal
        wrong[2 * i + 1] = basis[2 * i + 1]
    assert _metric_on(wrong, issame, shuffled)['toy/accuracy'] == pytest.approx(17 / 20)


def test_verification_pairs_each_image_with_its_partner():
    """Image 2i pairs with 2i+1, not with a neighbour: same pairs are identical, different pairs and
    every cross-pair neighbour are orthogonal, so any other pairing loses accuracy."""
    rng = np.random.default_rng(1)
    n = 40
    issame = rng.random(n) < 0.5
    basis = np.linalg.qr(rng.normal(size=(128, 128)))[0]
    emb = np.stack([basis[2 * (k // 2)] if (k % 2 == 1 and issame[k // 2]) else basis[k] for k in range(2 * n)])
    res = _metric_on(emb, issame, rng.permutation(2 * n))
    assert res['toy/accuracy'] == pytest.approx(1.0)


def _pairs_at_distance(d2, dim=32, seed=0):
    """Unit-vector pairs whose squared distance is ``d2`` (|a - b|^2 = 2 - 2 cos(theta))."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.normal(size=(dim, dim)))[0]
    theta = np.arccos(1 - np.asarray(d2) / 2)
    a = np.repeat(basis[:1], len(d2), 0)
    b = np.cos(theta)[:, None] * basis[0] + np.sin(theta)[:, None] * basis[1]
    emb = np.empty((2 * len(d2), dim))
    emb[0::2], emb[1::2] = a, b
    return emb


def test_verification_uses_squared_distance_on_the_threshold_grid():
    """Same pairs at squared distance 1.005, different pairs at 1.015: the threshold 1.01 of insightface's
    grid (0:4:0.01, applied to the *squared* distance) separates them, so the accuracy is 1.0. On the plain
    distance (1.0025 vs 1.0075) no grid threshold lies between the two, so a plain-distance metric cannot
    reach 1.0."""
    issame = np.array([i % 2 == 0 for i in range(40)])
    d2 = np.where(issame, 1.005, 1.015)
    res = _metric_on(_pairs_at_distance(d2), issame)
    assert res['toy/accuracy'] == pytest.approx(1.0)
    assert _reference_verification(np.sqrt(d2), issame) < 0.9  # what the plain distance would give


def test_verification_matches_insightface_definition():
    """Noisy pairs: the metric equals the plain re-implementation of insightface's protocol above."""
    rng = np.random.default_rng(3)
    n = 300
    issame = rng.random(n) < 0.5
    d2 = np.where(issame, rng.uniform(0.3, 1.3, n), rng.uniform(0.9, 2.2, n))
    expected = _reference_verification(d2, issame)
    assert 0.6 < expected < 0.95
    assert _metric_on(_pairs_at_distance(d2, seed=4), issame)['toy/accuracy'] == pytest.approx(expected, abs=1e-12)


# ----------------------------------------------------------------------------- classification (action)
def test_action_accuracy_hand_values():
    """mmaction2's AccMetric as the TSN configs use it: 6 clips, 3 classes. Scores constructed so that
    top-1 hits clips 0, 1, 3 (3/6), top-5 (all 3 classes) every clip, mean class accuracy = mean of the
    per-class recalls (class 0: 2/2, class 1: 1/3, class 2: 0/1 -> 4/9)."""
    from mmaction.evaluation import AccMetric
    metric = _build_metric('action/tsn_asymmnet_small_x1.0_hmdb51-video.py')
    metric.dataset_meta = {}
    labels = [0, 0, 1, 1, 1, 2]
    scores = torch.tensor([[.8, .1, .1], [.5, .3, .2], [.6, .3, .1], [.1, .7, .2], [.2, .3, .5], [.4, .35, .25]])
    metric.process({}, [dict(pred_score=s, gt_label=torch.tensor([l])) for s, l in zip(scores, labels)])
    res = metric.compute_metrics(metric.results)
    assert res['top1'] == pytest.approx(3 / 6)
    assert res['mean1'] == pytest.approx(4 / 9)
    if 'top5' in res:
        assert res['top5'] == pytest.approx(1.0)
    # top-2: clip 2 (label 1: second best .3) and clip 4 (label 1: .3 second) and clip 5 (label 2 third) -> 5/6
    metric2 = AccMetric(metric_list=('top_k_accuracy',), metric_options=dict(top_k_accuracy=dict(topk=(2, ))))
    metric2.dataset_meta = {}
    metric2.process({}, [dict(pred_score=s, gt_label=torch.tensor([l])) for s, l in zip(scores, labels)])
    assert metric2.compute_metrics(metric2.results)['top2'] == pytest.approx(5 / 6)


# ----------------------------------------------------------------------------- VOC 11-point mAP
_XML = """<annotation>
  <folder>VOC2007</folder><filename>{id}.jpg</filename>
  <source><database>The VOC2007 Database</database></source>
  <size><width>100</width><height>80</height><depth>3</depth></size>
  <segmented>0</segmented>
{objects}
</annotation>"""
_OBJ = """  <object><name>{name}</name><pose>Unspecified</pose><truncated>{trunc}</truncated>
    <difficult>{diff}</difficult>
    <bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>"""


def _voc_root(tmp_path):
    """Two images. 'dog': 2 normal GT boxes (one truncated) and 1 difficult one; 'cat': 1 GT box."""
    root = tmp_path / 'VOCdevkit'
    year = root / 'VOC2007'
    for sub in ('Annotations', 'JPEGImages', 'ImageSets/Main'):
        (year / sub).mkdir(parents=True)
    objs = {
        '000001': [('dog', 0, 0, (11, 11, 41, 41)), ('dog', 0, 1, (51, 11, 91, 71)), ('cat', 0, 0, (5, 50, 30, 75))],
        '000002': [('dog', 1, 0, (21, 21, 61, 61))],
    }
    for img_id, items in objs.items():
        text = '\n'.join(_OBJ.format(name=n, diff=d, trunc=t, x1=b[0], y1=b[1], x2=b[2], y2=b[3])
                         for n, d, t, b in items)
        (year / 'Annotations' / f'{img_id}.xml').write_text(_XML.format(id=img_id, objects=text))
        cv2.imwrite(str(year / 'JPEGImages' / f'{img_id}.jpg'), np.full((80, 100, 3), 128, np.uint8))
    (year / 'ImageSets' / 'Main' / 'test.txt').write_text('000001\n000002\n')
    return str(root) + '/'


def _voc_samples(root):
    from mmdet.datasets.transforms import PackDetInputs
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    from mobilebench.datasets.voc import VOCDataset
    ds = VOCDataset(data_root=root, ann_file='VOC2007/ImageSets/Main/test.txt',
                    data_prefix=dict(sub_data_root='VOC2007/'), test_mode=True,
                    metainfo=dict(classes=('cat', 'dog')),
                    pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
                              dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape'))])
    assert isinstance(PackDetInputs, type)
    return ds, [ds[i]['data_samples'] for i in range(len(ds))]


def _with_preds(sample, boxes, scores, labels):
    d = sample.to_dict()
    d['pred_instances'] = dict(bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                               scores=torch.tensor(scores, dtype=torch.float32),
                               labels=torch.tensor(labels, dtype=torch.long))
    return d


def _voc_map(ds, preds):
    metric = _build_metric('detection/yolov3_416_asymmnet_small_x1.0_voc.py')
    metric.dataset_meta = ds.metainfo
    metric.process({}, preds)
    return metric.compute_metrics(metric.results)


def test_voc_11point_map_with_difficult_and_truncated(tmp_path):
    """Hand computation (VOC07 11-point AP, difficult boxes ignored, truncated ones counted):

    dog: 2 counted GT (one truncated) + 1 difficult. Detections by score: GT1 (.9), the difficult box (.8,
    ignored: neither TP nor FP), a false positive (.7), GT2 (.6). Ranked TP, FP, TP: recall/precision
    (.5, 1), (.5, .5), (1, 2/3). 11-point AP = (6 * 1 + 5 * 2/3) / 11 = 0.848484...
    (Were the difficult box counted: 3 GT, TP TP FP TP -> (7 * 1 + 4 * .75) / 11 = 0.909.)
    cat: 1 GT, detected exactly: AP 1. mAP = (1 + 0.848484) / 2.
    """
    ds, samples = _voc_samples(_voc_root(tmp_path))
    gt1 = samples[0].gt_instances.bboxes.tensor.numpy()
    ign = samples[1].ignored_instances.bboxes.tensor.numpy()
    assert len(ign) == 1 and len(samples[1].gt_instances) == 0, 'the difficult box must be an ignored instance'
    dog1, dog2, cat = gt1[0], gt1[1], gt1[2]
    preds = [_with_preds(samples[0], [dog1, [70, 0, 99, 20], dog2, cat], [.9, .7, .6, .95], [1, 1, 1, 0]),
             _with_preds(samples[1], [ign[0]], [.8], [1])]
    res = _voc_map(ds, preds)
    dog_ap = (6 * 1 + 5 * 2 / 3) / 11
    assert res['mAP'] == pytest.approx((1 + dog_ap) / 2, abs=1e-3)  # mmdet rounds the AP to 3 decimals
    perfect = [_with_preds(samples[0], [dog1, dog2, cat], [.9, .8, .7], [1, 1, 0]),
               _with_preds(samples[1], np.zeros((0, 4)), [], [])]
    assert _voc_map(ds, perfect)['mAP'] == pytest.approx(1.0)


# ----------------------------------------------------------------------------- COCO box AP
def _coco_bbox_gt(tmp_path):
    images = [dict(id=i, file_name=f'{i:012d}.jpg', height=120, width=160) for i in (1, 2, 3)]
    anns, k = [], 1
    rng = np.random.default_rng(0)
    for img in images:
        for _ in range(3):
            x, y = rng.uniform(0, 80), rng.uniform(0, 50)
            w, h = rng.uniform(20, 70), rng.uniform(20, 60)
            anns.append(dict(id=k, image_id=img['id'], category_id=int(rng.integers(1, 3)), bbox=[x, y, w, h],
                             area=w * h, iscrowd=0))
            k += 1
    gt = dict(images=images, annotations=anns, categories=[dict(id=1, name='a'), dict(id=2, name='b')])
    path = tmp_path / 'instances.json'
    path.write_text(json.dumps(gt))
    return str(path), gt


def _pycocotools_ap(ann_file, dets):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    gt = COCO(ann_file)
    dt = gt.loadRes(dets)
    ev = COCOeval(gt, dt, 'bbox')
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    return ev.stats[0]


def test_coco_box_ap_matches_pycocotools(tmp_path):
    """The detection configs' CocoMetric against pycocotools called directly on the same detections:
    perfect boxes give 1.0; shifted boxes with a false positive give pycocotools' own value."""
    ann_file, gt = _coco_bbox_gt(tmp_path)
    rng = np.random.default_rng(1)

    def run(dets):
        metric = _build_metric('detection/ssdlite_320_asymmnet_small_x1.0_coco.py', ann_file=ann_file)
        metric.dataset_meta = dict(classes=('a', 'b'))
        by_img = {}
        for d in dets:
            by_img.setdefault(d['image_id'], []).append(d)
        for img in gt['images']:
            ds = by_img.get(img['id'], [])
            boxes = [[d['bbox'][0], d['bbox'][1], d['bbox'][0] + d['bbox'][2], d['bbox'][1] + d['bbox'][3]] for d in ds]
            metric.process({}, [dict(img_id=img['id'], ori_shape=(120, 160), pred_instances=dict(
                bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                scores=torch.tensor([d['score'] for d in ds], dtype=torch.float32),
                labels=torch.tensor([d['category_id'] - 1 for d in ds], dtype=torch.long)))])
        return metric.compute_metrics(metric.results)['bbox_mAP']

    perfect = [dict(image_id=a['image_id'], category_id=a['category_id'], bbox=a['bbox'], score=0.9)
               for a in gt['annotations']]
    assert run(perfect) == pytest.approx(1.0)
    noisy = []
    for a in gt['annotations']:
        x, y, w, h = a['bbox']
        noisy.append(dict(image_id=a['image_id'], category_id=a['category_id'], score=float(rng.uniform(.3, 1)),
                          bbox=[x + float(rng.uniform(-6, 6)), y + float(rng.uniform(-6, 6)), w, h]))
    noisy.append(dict(image_id=1, category_id=1, bbox=[0.0, 0.0, 30.0, 30.0], score=0.99))
    expected = _pycocotools_ap(ann_file, noisy)
    assert 0.05 < expected < 0.95
    assert run(noisy) == pytest.approx(round(expected, 3), abs=1e-3)  # mmdet reports 3 decimals


# ----------------------------------------------------------------------------- COCO keypoint OKS AP
def _keypoint_gt(tmp_path):
    rng = np.random.default_rng(2)
    images, anns = [], []
    for i in (1, 2):
        images.append(dict(id=i, file_name=f'{i:012d}.jpg', height=200, width=200))
        for j in range(2):
            x0, y0 = rng.uniform(10, 90), rng.uniform(10, 90)
            kpts = []
            for _ in range(17):
                kpts += [float(x0 + rng.uniform(0, 80)), float(y0 + rng.uniform(0, 90)), 2]
            xs, ys = kpts[0::3], kpts[1::3]
            bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
            anns.append(dict(id=len(anns) + 1, image_id=i, category_id=1, iscrowd=0, keypoints=kpts,
                             num_keypoints=17, bbox=bbox, area=bbox[2] * bbox[3]))
    gt = dict(images=images, annotations=anns, categories=[dict(
        id=1, name='person', keypoints=[f'k{i}' for i in range(17)], skeleton=[])])
    path = tmp_path / 'person_keypoints.json'
    path.write_text(json.dumps(gt))
    return str(path), gt


def test_coco_oks_ap_matches_xtcocotools(tmp_path):
    """mmpose's CocoMetric (as the pose configs build it) against xtcocotools' COCOeval called directly:
    exact keypoints give AP 1.0; jittered keypoints give xtcocotools' own value."""
    from mmengine.registry import init_default_scope
    from xtcocotools.coco import COCO
    from xtcocotools.cocoeval import COCOeval
    init_default_scope('mmpose')
    ann_file, gt = _keypoint_gt(tmp_path)
    rng = np.random.default_rng(5)

    def run(kpt_by_ann, outfile_prefix):
        metric = _build_metric('pose/simplebaseline_asymmnet_small_x1.0_coco-256x192.py', ann_file=ann_file,
                               outfile_prefix=outfile_prefix)
        metric.dataset_meta = _coco_meta()
        for a in gt['annotations']:
            k = np.asarray(kpt_by_ann[a['id']], np.float32).reshape(1, 17, 2)
            metric.process({}, [dict(id=a['id'], img_id=a['image_id'], category_id=1, ori_shape=(200, 200),
                                     raw_ann_info=a, gt_instances=dict(bbox_scales=np.array([[a['bbox'][2], a['bbox'][3]]]),
                                                                        bbox_scores=np.ones(1)),
                                     pred_instances=dict(keypoints=k, keypoint_scores=np.full(
                                         (1, 17), score[a['id']], np.float32)))])
        return metric.compute_metrics(metric.results)['AP']

    # distinct instance scores (mmpose: bbox score 1 x mean keypoint score), so the ranking has no ties
    score = {a['id']: 0.9 - 0.1 * i for i, a in enumerate(gt['annotations'])}
    exact = {a['id']: np.asarray(a['keypoints']).reshape(17, 3)[:, :2] for a in gt['annotations']}
    assert run(exact, str(tmp_path / 'exact')) == pytest.approx(1.0)
    jitter = {k: v + rng.normal(0, 4.0, size=v.shape) for k, v in exact.items()}
    # xtcocotools directly, on the same detections and scores
    coco = COCO(ann_file)
    dets = [dict(image_id=a['image_id'], category_id=1, score=score[a['id']],
                 keypoints=np.concatenate([jitter[a['id']], np.ones((17, 1))], 1).ravel().tolist())
            for a in gt['annotations']]
    ev = COCOeval(coco, coco.loadRes(dets), 'keypoints', np.array(_coco_meta()['sigmas']), use_area=True)
    ev.params.useSegm = None
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    expected = float(ev.stats[0])
    assert 0.05 < expected < 0.95
    assert run(jitter, str(tmp_path / 'jitter')) == pytest.approx(expected, abs=1e-6)


def _coco_meta():
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    import mmpose
    path = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', '_base_', 'datasets', 'coco.py')
    return parse_pose_metainfo(dict(from_file=path))
