"""Per-sample test results (mobilebench.benchmark.samples / sample_dump): every task's metric is reproduced exactly
from the file on the identity resample, and equals the toolbox's own evaluation of the resampled test set.

The metrics are the toolboxes' own metric objects fed constructed predictions (``process`` + ``evaluate``, as a
test loop does); references are the toolboxes' functions run on the duplicated / subset data.
"""
import json
import os.path as osp
import zipfile

import numpy as np
import pytest
import torch

import mobilebench.compat  # noqa: F401
from mobilebench import significance as sig
from mobilebench.benchmark.sample_dump import UnsupportedMetric, capture_metric_inputs, dump_samples
from mobilebench.benchmark.samples import SamplesFileError, available_metrics, load_item_metric


def _evaluate_and_dump(metric, data_samples, path, dataset=None, batch=8):
    """Feed ``data_samples`` to ``metric`` in batches, evaluate it while capturing, write the per-sample file."""
    for i in range(0, len(data_samples), batch):
        metric.process(None, data_samples[i:i + batch])
    with capture_metric_inputs([metric]) as captured:
        reported = metric.evaluate(len(data_samples))
    dump_samples(str(path), captured, dataset)
    return reported


def _resamples(n, rng, count=3):
    """A subset, a resample with repeats, and a reversed order."""
    return [np.sort(rng.choice(n, n // 2, replace=False)), rng.integers(0, n, n), np.arange(n)[::-1].copy()][:count]


# ----------------------------------------------------------------------------------------------- classification
def _mmpretrain_samples(rng, n=60, classes=5):
    logits = np.round(rng.normal(size=(n, classes)), 1)  # rounded: ties in the scores exercise torch.topk's order
    labels = rng.integers(0, classes, n)
    return [dict(pred_score=torch.softmax(torch.tensor(l, dtype=torch.float32), 0), gt_label=torch.tensor([y]))
            for l, y in zip(logits, labels)]


def test_mmpretrain_top1_identity_and_resamples(tmp_path):
    from mmpretrain.evaluation import Accuracy
    rng = np.random.default_rng(0)
    samples = _mmpretrain_samples(rng)
    reported = _evaluate_and_dump(Accuracy(topk=(1, 2)), samples, tmp_path / 'cls.npz')
    assert available_metrics(str(tmp_path / 'cls.npz')) == ['accuracy/top1', 'accuracy/top2']
    pred = torch.stack([s['pred_score'] for s in samples])
    target = torch.cat([s['gt_label'] for s in samples])
    for k, name in ((1, 'accuracy/top1'), (2, 'accuracy/top2')):
        m = load_item_metric(str(tmp_path / 'cls.npz'), name=name)
        assert (m.name, m.n, m.item, m.higher_is_better) == (name, 60, 'image', True)
        assert m(np.arange(60)) == reported[name] == m.reported  # exactly, percent as mmpretrain reports it
        for idx in _resamples(60, rng):
            ref = Accuracy.calculate(pred[idx], target[idx], (k, ), (0., ))[0][0].item()
            assert m(idx) == ref
    assert load_item_metric(str(tmp_path / 'cls.npz')).name == 'accuracy/top1'  # default: the first metric


def test_mmaction_top1_mean1_identity_and_resamples(tmp_path):
    from mmaction.evaluation import AccMetric
    from mmaction.evaluation.functional import mean_class_accuracy, top_k_accuracy
    rng = np.random.default_rng(1)
    n, classes = 48, 4
    scores = np.round(rng.random((n, classes)), 1).astype(np.float32)  # ties: mmaction2's argsort order decides
    labels = rng.integers(0, classes, n)
    samples = [dict(pred_score=torch.from_numpy(s), gt_label=torch.tensor([y])) for s, y in zip(scores, labels)]
    metric = AccMetric(metric_options=dict(top_k_accuracy=dict(topk=(1, 2))))
    reported = _evaluate_and_dump(metric, samples, tmp_path / 'act.npz')
    path = str(tmp_path / 'act.npz')
    assert available_metrics(path) == ['acc/top1', 'acc/top2', 'acc/mean1']
    top1, mean1 = load_item_metric(path, 'acc/top1'), load_item_metric(path, 'acc/mean1')
    assert top1(np.arange(n)) == reported['acc/top1'] and mean1(np.arange(n)) == reported['acc/mean1']
    assert top1.item == 'clip'
    for idx in _resamples(n, rng):
        assert top1(idx) == top_k_accuracy(list(scores[idx]), list(labels[idx]), (1, ))[0]
        assert mean1(idx) == mean_class_accuracy(list(scores[idx]), list(labels[idx]))


# ----------------------------------------------------------------------------------------------- face
def _face_samples(rng, sets=(('lfw', 60, 0.6), ('cfp_fp', 40, 0.9), ('agedb_30', 50, 1.2)), dim=16):
    """Data samples of three verification sets as FaceVerificationBin + FaceRecognizer produce them."""
    out, pairs = [], {}
    for name, n, noise in sets:
        a = rng.normal(size=(n, dim))
        b = a + rng.normal(scale=noise, size=(n, dim))
        issame = rng.random(n) < 0.5
        b[~issame] = rng.normal(size=(int((~issame).sum()), dim))
        pairs[name] = (a, b, issame)
        for i in range(n):
            for pos, emb in ((0, a[i]), (1, b[i])):
                out.append(dict(pred_embedding=torch.tensor(emb * (1 + i % 3), dtype=torch.float32),
                                bin_name=name, pair_index=i, pair_pos=pos, issame=bool(issame[i])))
    return out, pairs


def test_face_verification_three_sets_identity_and_resamples(tmp_path):
    from mobilebench.face.metrics import FaceVerificationMetric
    from mobilebench.face.verification import evaluate_pairs, l2_normalize
    rng = np.random.default_rng(2)
    samples, pairs = _face_samples(rng)
    rng.shuffle(samples)  # the metric pairs images by (pair_index, pair_pos), whatever the order
    reported = _evaluate_and_dump(FaceVerificationMetric(), samples, tmp_path / 'face.npz')
    path = str(tmp_path / 'face.npz')
    # in the order the metric reports its sets
    assert available_metrics(path) == [k for k in reported if k.endswith('/accuracy')]
    assert sorted(available_metrics(path)) == ['agedb_30/accuracy', 'cfp_fp/accuracy', 'lfw/accuracy']
    for name, (a, b, issame) in pairs.items():
        m = load_item_metric(path, name=f'{name}/accuracy')
        assert m.n == len(issame) and m.item == 'pair' and np.array_equal(m.ids, np.arange(len(issame)))
        assert m(np.arange(m.n)) == reported[f'{name}/accuracy']
        # the embeddings as the metric saw them (float32, then normalised)
        ea = l2_normalize(np.float32(a * (1 + np.arange(len(a)) % 3)[:, None]))
        eb = l2_normalize(np.float32(b * (1 + np.arange(len(b)) % 3)[:, None]))
        for idx in _resamples(m.n, rng):
            assert m(idx) == evaluate_pairs(ea[idx], eb[idx], issame[idx])['accuracy']


# ----------------------------------------------------------------------------------------------- verdicts
def test_paired_verdicts_from_files(tmp_path):
    """A large known gap between two prediction files is 'better'; two identical files 'no significant
    difference' (paired bootstrap on the recomputed metric, mobilebench.significance)."""
    from mmpretrain.evaluation import Accuracy
    rng = np.random.default_rng(3)
    n, classes = 300, 5
    labels = rng.integers(0, classes, n)

    def write(name, hit_rate):
        logits = rng.normal(size=(n, classes))
        right = rng.random(n) < hit_rate
        logits[right, labels[right]] += 10  # right on ~hit_rate of the items
        samples = [dict(pred_score=torch.softmax(torch.tensor(l, dtype=torch.float32), 0), gt_label=torch.tensor([y]))
                   for l, y in zip(logits, labels)]
        _evaluate_and_dump(Accuracy(), samples, tmp_path / name, batch=64)
        return load_item_metric(str(tmp_path / name))

    good, bad = write('good.npz', 0.9), write('bad.npz', 0.4)
    again = load_item_metric(str(tmp_path / 'good.npz'))
    assert np.array_equal(good.ids, bad.ids)
    res = sig.paired_difference(n, good, bad, n_resamples=300)
    assert res['verdict'] == 'better' and res['diff'] == good.reported - bad.reported and res['low'] > 30
    assert sig.paired_difference(n, bad, good, n_resamples=300)['verdict'] == 'worse'
    same = sig.paired_difference(n, good, again, n_resamples=300)
    assert same['diff'] == 0 and same['verdict'] == 'no significant difference'
    ci = sig.bootstrap_interval(n, good, n_resamples=300)
    assert ci['value'] == good.reported and ci['low'] < ci['value'] < ci['high']


# ----------------------------------------------------------------------------------------------- file
def test_file_is_plain_data_and_checked(tmp_path):
    from mmpretrain.evaluation import Accuracy
    rng = np.random.default_rng(4)
    path = tmp_path / 'cls.npz'
    _evaluate_and_dump(Accuracy(), _mmpretrain_samples(rng, n=20), path)
    with np.load(path, allow_pickle=False) as npz:  # no object arrays: loads without unpickling anything
        assert str(npz['format']) == 'mobilebench.samples/1'
        meta = json.loads(str(npz['meta']))
        assert meta['sections'][0]['kind'] == 'topk' and npz['s0.scores'].shape == (20, 5)
        arrays = {k: npz[k] for k in npz.files}
    with pytest.raises(KeyError, match=r"'accuracy/top1'"):
        load_item_metric(str(path), name='accuracy/top5')
    m = load_item_metric(str(path))
    with pytest.raises(IndexError):
        m(np.array([0, 20]))
    # a file whose recomputation does not give the reported value is refused
    meta['sections'][0]['reported']['accuracy/top1'] += 5.0
    arrays['meta'] = np.array(json.dumps(meta))
    np.savez(tmp_path / 'tampered.npz', **arrays)
    with pytest.raises(SamplesFileError, match='recomputed'):
        load_item_metric(str(tmp_path / 'tampered.npz'))
    with zipfile.ZipFile(tmp_path / 'other.npz', 'w') as z:
        z.writestr('x.npy', b'not an array')
    with pytest.raises(SamplesFileError, match='other.npz'):
        load_item_metric(str(tmp_path / 'other.npz'))
    with pytest.raises(FileNotFoundError, match='missing.npz'):
        load_item_metric(str(tmp_path / 'missing.npz'))


def test_unsupported_metric_is_named(tmp_path):
    from mmengine.evaluator import BaseMetric

    class MyMetric(BaseMetric):
        def process(self, data_batch, data_samples):
            self.results.extend(data_samples)

        def compute_metrics(self, results):
            return dict(acc=1.0)

    metric = MyMetric()
    metric.process(None, [1, 2])
    with capture_metric_inputs([metric]) as captured:
        metric.evaluate(2)
    with pytest.raises(UnsupportedMetric, match='MyMetric'):
        dump_samples(str(tmp_path / 'x.npz'), captured)
    assert not osp.exists(tmp_path / 'x.npz')
    assert 'compute_metrics' not in metric.__dict__  # the capture is undone


# ----------------------------------------------------------------------------------------------- wiring
def test_sweep_passes_samples_path_and_records_it(tmp_path, monkeypatch):
    """launch: every run gets ``--samples <results>/samples/<run_id>.npz``; the record names the file relative to
    the results folder (and a metric without a per-sample format is recorded as such, the run still ok)."""
    import subprocess

    from mobilebench.benchmark import Sweep
    from mobilebench.benchmark.launch import _finish, build_command
    from mobilebench.benchmark.records import read_record, record_problems
    from toy_sweeps import BENCH_2X2, ROOT, sweep_cmd, toy_env
    monkeypatch.chdir(ROOT)
    results = tmp_path / 'res'
    sweep = Sweep(BENCH_2X2, str(results), progress=False, only=['colours/toy_w4'])
    run = sweep.runs[0]
    cmd = build_command(sweep.settings, run, 'cfg.py', 'out.json', 'p.json')
    assert cmd[cmd.index('--samples') + 1] == str(results / 'samples' / f'{run.run_id}.npz')
    samples = results / 'samples' / f'{run.run_id}.npz'
    samples.parent.mkdir(parents=True)
    samples.write_bytes(b'')
    record = dict(run_id=run.run_id, task=run.task, backbone=run.backbone, status='running', meta={})
    _finish(sweep.settings, run, record, 0.0, 'ok', result=dict(metrics={'toy/accuracy': 1.0}, samples=str(samples)))
    rec = read_record(sweep.record_path(run))
    assert rec['samples'] == osp.join('samples', f'{run.run_id}.npz') and record_problems(rec) == []
    assert record_problems(dict(rec, samples='/abs/x.npz')) and record_problems(dict(rec, samples='../x.npz'))


@pytest.mark.slow
def test_toy_sweep_records_unsupported_metric(tmp_path, monkeypatch):
    import subprocess

    from mobilebench.benchmark.records import read_record
    from toy_sweeps import BENCH_2X2, ROOT, sweep_cmd, toy_env
    monkeypatch.chdir(ROOT)
    # a real toy run: its metric (MBToyAccuracy) has no per-sample format: said in the record, run ok
    out = subprocess.run(sweep_cmd(BENCH_2X2, tmp_path / 'toy', '--only', 'colours/toy_w4'), cwd=ROOT,
                         env=toy_env(), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    rec = read_record(str(tmp_path / 'toy' / 'runs' / 'colours__toy_w4.json'))
    assert rec['status'] == 'ok' and 'samples' not in rec and 'MBToyAccuracy' in rec['samples_error']


# ----------------------------------------------------------------------------------------------- detection
def _voc_samples(rng, n=30, classes=3):
    """Detections near (or not near) random ground truth, some ignored (difficult) boxes, tied scores, empty
    images; boxes in float32 as mmdet's tensors."""
    samples = []
    for i in range(n):
        k = int(rng.integers(0, 4))
        xy = rng.uniform(0, 200, (k, 2))
        gt = np.hstack([xy, xy + rng.uniform(20, 80, (k, 2))]).astype(np.float32)
        labels = rng.integers(0, classes, k)
        ignore = rng.random(k) < 0.2
        dets, dlabels = [], []
        for box, lab in zip(gt, labels):
            if rng.random() < 0.7:
                dets.append(box + rng.normal(scale=6, size=4))
                dlabels.append(lab if rng.random() < 0.85 else (lab + 1) % classes)
        for _ in range(int(rng.integers(0, 3))):  # false positives
            p = rng.uniform(0, 200, 2)
            dets.append(np.concatenate([p, p + 30]))
            dlabels.append(int(rng.integers(0, classes)))
        dets = np.asarray(dets, np.float32).reshape(-1, 4)
        scores = np.round(rng.random(len(dets)), 1).astype(np.float32)  # ties across images
        samples.append(dict(
            gt_instances=dict(bboxes=torch.from_numpy(gt[~ignore]), labels=torch.from_numpy(labels[~ignore])),
            ignored_instances=dict(bboxes=torch.from_numpy(gt[ignore]), labels=torch.from_numpy(labels[ignore])),
            pred_instances=dict(bboxes=torch.from_numpy(dets), scores=torch.from_numpy(scores),
                                labels=torch.tensor(dlabels, dtype=torch.int64))))
    return samples


@pytest.mark.parametrize('eval_mode', ['11points', 'area'])
def test_voc_map_identity_and_resamples_equal_mmdet_eval_map(tmp_path, eval_mode):
    from mmdet.evaluation import VOCMetric, eval_map
    rng = np.random.default_rng(5)
    samples = _voc_samples(rng)
    # two classes without a counted ground-truth box: 'd' only among the detections (false positives), 'e' only
    # as an ignored box; eval_map leaves both out of the mean, and so must every resample
    for i in (3, 11):
        p = samples[i]['pred_instances']
        p['bboxes'] = torch.cat([p['bboxes'], torch.tensor([[5., 5., 60., 60.]])])
        p['scores'] = torch.cat([p['scores'], torch.tensor([0.9])])
        p['labels'] = torch.cat([p['labels'], torch.tensor([3])])
        ign = samples[i + 1]['ignored_instances']
        ign['bboxes'] = torch.cat([ign['bboxes'].reshape(-1, 4), torch.tensor([[10., 10., 50., 50.]])])
        ign['labels'] = torch.cat([ign['labels'].reshape(-1).long(), torch.tensor([4])])
    metric = VOCMetric(iou_thrs=[0.5, 0.75], eval_mode=eval_mode)
    metric.dataset_meta = dict(classes=('a', 'b', 'c', 'd', 'e'),
                               dataset_type='VOC2007' if eval_mode == '11points' else 'x')
    reported = _evaluate_and_dump(metric, samples, tmp_path / 'voc.npz')
    path = str(tmp_path / 'voc.npz')
    assert available_metrics(path) == ['pascal_voc/mAP', 'pascal_voc/AP50', 'pascal_voc/AP75']
    m = load_item_metric(path)
    assert m.name == 'pascal_voc/mAP' and m.n == 30 and m(np.arange(30)) == reported['pascal_voc/mAP']
    ap50 = load_item_metric(path, 'pascal_voc/AP50')
    assert ap50(np.arange(30)) == reported['pascal_voc/AP50']
    anns, dets = zip(*metric_results(samples, 5))
    for idx in _resamples(30, rng, count=2):  # each eval_map call starts a process pool: few calls
        ref = [eval_map([dets[i] for i in idx], [anns[i] for i in idx], iou_thr=t, eval_mode=eval_mode,
                        use_legacy_coordinate=True, nproc=1, logger='silent')[0] for t in (0.5, 0.75)]
        assert m(idx) == sum(ref) / 2 and ap50(idx) == round(ref[0], 3)


def metric_results(samples, classes):
    """(ann, per-class dets) of each sample, built from the samples as the VOC protocol defines them."""
    out = []
    for s in samples:
        ann = dict(bboxes=s['gt_instances']['bboxes'].numpy(), labels=s['gt_instances']['labels'].numpy(),
                   bboxes_ignore=s['ignored_instances']['bboxes'].numpy(),
                   labels_ignore=s['ignored_instances']['labels'].numpy())
        p = s['pred_instances']
        det = np.hstack([p['bboxes'].numpy(), p['scores'].numpy()[:, None]])
        out.append((ann, [det[p['labels'].numpy() == c] for c in range(classes)]))
    return out


# ----------------------------------------------------------------------------------------------- COCO
COCO_DET = osp.join(osp.dirname(osp.abspath(__file__)), 'data', 'detection', 'coco', 'annotations.json')
COCO_POSE = osp.join(osp.dirname(osp.abspath(__file__)), 'data', 'pose', 'coco', 'test_coco.json')


def _duplicate_coco(gt, img_ids):
    """A COCO ground truth holding a copy of each image of ``img_ids`` (repeats allowed): image ``j`` of the
    result is a copy of ``img_ids[j]`` with id ``j + 1``; annotations renumbered."""
    images = {im['id']: im for im in gt['images']}
    out = dict(gt, images=[], annotations=[])
    for j, img_id in enumerate(img_ids):
        out['images'].append(dict(images[img_id], id=j + 1))
        for ann in gt['annotations']:
            if ann['image_id'] == img_id:
                out['annotations'].append(dict(ann, image_id=j + 1, id=len(out['annotations']) + 1))
    return out


def test_coco_bbox_identity_and_resamples_equal_mmdet_coco_metric(tmp_path):
    from mmdet.evaluation import CocoMetric
    rng = np.random.default_rng(6)
    gt = json.load(open(COCO_DET))
    cats = sorted(gt['categories'], key=lambda c: c['id'])
    classes = tuple(c['name'] for c in cats)
    label_of = {c['id']: i for i, c in enumerate(cats)}
    preds = {}  # image id -> (boxes xyxy, scores, labels): noisy ground truth, some wrong, some missed, FPs
    for im in gt['images']:
        boxes, labels = [], []
        for a in gt['annotations']:
            if a['image_id'] == im['id'] and rng.random() < 0.8:
                x, y, w, h = a['bbox']
                boxes.append(np.array([x, y, x + w, y + h]) + rng.normal(scale=0.08 * max(w, h, 1), size=4))
                labels.append(label_of[a['category_id']] if rng.random() < 0.9 else int(rng.integers(0, 80)))
        for _ in range(2):
            p = rng.uniform(0, 300, 2)
            boxes.append(np.concatenate([p, p + 60]))
            labels.append(int(rng.integers(0, 80)))
        preds[im['id']] = (np.asarray(boxes, np.float32), np.round(rng.random(len(boxes)), 1).astype(np.float32),
                           np.asarray(labels))

    def run(ann_file, img_ids, path):
        metric = CocoMetric(ann_file=str(ann_file), metric='bbox')
        metric.dataset_meta = dict(classes=classes)
        samples = [dict(img_id=new_id, ori_shape=(480, 640), pred_instances=dict(
            bboxes=torch.from_numpy(preds[old][0]), scores=torch.from_numpy(preds[old][1]),
            labels=torch.from_numpy(preds[old][2]))) for new_id, old in img_ids]
        return _evaluate_and_dump(metric, samples, path)

    ids = sorted(im['id'] for im in gt['images'])
    reported = run(COCO_DET, [(i, i) for i in ids], tmp_path / 'coco.npz')
    path = str(tmp_path / 'coco.npz')
    assert available_metrics(path)[:2] == ['coco/bbox_mAP', 'coco/bbox_mAP_50']
    m = load_item_metric(path)
    assert m.name == 'coco/bbox_mAP' and list(m.ids) == ids and m(np.arange(m.n)) == reported['coco/bbox_mAP']
    assert 0.1 < m.reported < 0.9
    every = {name: load_item_metric(path, name) for name in available_metrics(path)}  # each checks the identity
    assert set(every) == {f'coco/bbox_{k}' for k in ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l')}
    for idx in ([0, 0, 2, 5, 5, 5], [1, 3, 4], [5, 4, 3, 2, 1, 0]):
        dup = tmp_path / 'dup.json'
        dup.write_text(json.dumps(_duplicate_coco(gt, [ids[i] for i in idx])))
        ref = run(dup, [(j + 1, ids[i]) for j, i in enumerate(idx)], tmp_path / 'ref.npz')
        assert {name: f(np.array(idx)) for name, f in every.items()} == {name: ref[name] for name in every}


def _pose_meta():
    import mmpose
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    return parse_pose_metainfo(dict(from_file=osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', '_base_',
                                                       'datasets', 'coco.py')))


def test_coco_keypoints_identity_and_resamples_equal_mmpose_coco_metric(tmp_path):
    from mmpose.evaluation import CocoMetric
    rng = np.random.default_rng(7)
    gt = json.load(open(COCO_POSE))
    meta = _pose_meta()
    preds = {}  # annotation id -> (keypoints (17, 2), scores (17,)): ground truth + noise of the person's size
    for a in gt['annotations']:
        kpt = np.asarray(a['keypoints'], np.float32).reshape(17, 3)[:, :2]
        preds[a['id']] = (kpt + rng.normal(scale=0.04 * np.sqrt(a['area']), size=(17, 2)).astype(np.float32),
                          rng.uniform(0.1, 1.0, 17).astype(np.float32))

    def run(ann_file, gt_now, path):
        metric = CocoMetric(ann_file=str(ann_file))
        metric.dataset_meta = meta
        samples = [dict(id=a['id'], img_id=a['image_id'], category_id=1, gt_instances=dict(),
                        pred_instances=dict(keypoints=preds[a['orig']][0][None],
                                            keypoint_scores=preds[a['orig']][1][None]))
                   for a in gt_now['annotations']]
        return _evaluate_and_dump(metric, samples, path, batch=4)

    base = dict(gt, annotations=[dict(a, orig=a['id']) for a in gt['annotations']])
    ann_file = tmp_path / 'gt.json'
    ann_file.write_text(json.dumps(base))
    reported = run(ann_file, base, tmp_path / 'pose.npz')
    path = str(tmp_path / 'pose.npz')
    assert available_metrics(path)[:3] == ['coco/AP', 'coco/AP .5', 'coco/AP .75']
    m = load_item_metric(path, 'coco/AP')
    ids = sorted(im['id'] for im in gt['images'])
    assert list(m.ids) == ids and m.item == 'image' and m(np.arange(m.n)) == reported['coco/AP']
    assert 0.1 < m.reported < 0.95
    # AP statistics take the fast path, AR ones the library's accumulate: all equal the library
    every = {name: load_item_metric(path, name) for name in available_metrics(path)}
    assert len(every) == 10
    for idx in ([0, 0, 1, 3], [2, 3], [3, 2, 1, 0, 0]):
        dup = _duplicate_coco(base, [ids[i] for i in idx])
        dup_file = tmp_path / 'dup.json'
        dup_file.write_text(json.dumps(dup))
        ref = run(dup_file, dup, tmp_path / 'ref.npz')
        assert {name: f(np.array(idx)) for name, f in every.items()} == {name: float(ref[name]) for name in every}


# ----------------------------------------------------------------------------------------------- re-ID
def test_market1501_identity_and_resamples_equal_evaluate_ranking(tmp_path):
    from mobilebench.reid.metrics import Market1501Metric
    from mobilebench.reid.ranking import evaluate_ranking, pairwise_distance
    rng = np.random.default_rng(8)
    centres = rng.normal(size=(12, 8))
    samples = []
    for split, count in (('query', 30), ('gallery', 80)):
        for _ in range(count):
            pid = int(rng.integers(0, 12))
            feat = centres[pid] + rng.normal(scale=1.0, size=8)
            pid = -1 if split == 'gallery' and rng.random() < 0.1 else pid  # junk gallery images
            samples.append(dict(pred_feature=torch.tensor(feat, dtype=torch.float32), pid=pid,
                                camid=int(rng.integers(0, 3)), split=split))
    reported = _evaluate_and_dump(Market1501Metric(), samples, tmp_path / 'reid.npz')
    path = str(tmp_path / 'reid.npz')
    assert available_metrics(path) == ['market1501/mAP', 'market1501/rank1', 'market1501/rank5',
                                       'market1501/rank10']
    m, r1 = load_item_metric(path), load_item_metric(path, 'market1501/rank1')
    assert m.n == 30 and m.item == 'query' and m(np.arange(30)) == reported['market1501/mAP']
    assert r1(np.arange(30)) == reported['market1501/rank1']
    q = [s for s in samples if s['split'] == 'query']
    g = [s for s in samples if s['split'] == 'gallery']
    dist = pairwise_distance(np.stack([s['pred_feature'].numpy() for s in q]),
                             np.stack([s['pred_feature'].numpy() for s in g]))
    for idx in _resamples(30, rng):
        ref = evaluate_ranking(dist[idx], [q[i]['pid'] for i in idx], [s['pid'] for s in g],
                               [q[i]['camid'] for i in idx], [s['camid'] for s in g])
        assert m(idx) == ref['mAP'] and r1(idx) == ref['cmc'][1]


def test_voc_file_ground_truth_is_the_datasets(tmp_path):
    """The ground truth in the file is the dataset's annotation of each image (a real VOC XML through mmdet's
    LoadAnnotations); results that do not match their dataset image are refused."""
    import xml.etree.ElementTree as ET

    from mmdet.evaluation import VOCMetric
    from mmengine.registry import init_default_scope

    from mobilebench.datasets.voc import VOCDataset
    init_default_scope('mmdet')
    root = osp.join(osp.dirname(osp.abspath(__file__)), 'data', 'detection', 'VOCdevkit')
    classes = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable',
               'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')
    ds = VOCDataset(data_root=root + '/', ann_file='VOC2007/ImageSets/Main/test.txt',
                    data_prefix=dict(sub_data_root='VOC2007/'), test_mode=True, metainfo=dict(classes=classes),
                    pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
                              dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape'))])
    samples = []
    for i in range(len(ds)):
        d = ds[i]['data_samples'].to_dict()
        gt = d['gt_instances']
        d['pred_instances'] = dict(bboxes=gt['bboxes'].tensor + 2, scores=torch.linspace(0.9, 0.5, len(gt['labels'])),
                                   labels=gt['labels'])
        samples.append(d)
    metric = VOCMetric(eval_mode='11points')
    metric.dataset_meta = ds.metainfo
    _evaluate_and_dump(metric, samples, tmp_path / 'voc.npz', dataset=ds)
    with np.load(tmp_path / 'voc.npz', allow_pickle=False) as npz:
        ids, boxes, labels, ignore = npz['s0.ids'], npz['s0.gt_bboxes'], npz['s0.gt_labels'], npz['s0.gt_ignore']
    assert list(ids) == ['000001']
    objects = ET.parse(osp.join(root, 'VOC2007', 'Annotations', '000001.xml')).findall('object')
    want = sorted((classes.index(o.find('name').text), int(o.find('difficult').text),
                   *[float(o.find('bndbox').find(k).text) for k in ('xmin', 'ymin', 'xmax', 'ymax')]) for o in objects)
    got = sorted((int(l), int(g), *b) for l, g, b in zip(labels, ignore, boxes.tolist()))
    assert [w[:2] for w in want] == [g[:2] for g in got]  # class and difficult flag of every XML object
    # boxes: the XML's (VOCDataset keeps VOC's 1-based pixel coordinates as mmdet does: x - 1)
    assert np.allclose([g[2:] for g in got], [[v - 1 for v in w[2:]] for w in want])
    metric = VOCMetric(eval_mode='11points')
    metric.dataset_meta = ds.metainfo
    samples[0]['gt_instances']['bboxes'] = samples[0]['gt_instances']['bboxes'].tensor + 5  # not the dataset's
    with pytest.raises(ValueError, match='image "000001"'):
        _evaluate_and_dump(metric, samples, tmp_path / 'bad.npz', dataset=ds)


@pytest.mark.parametrize('mode', ['11points', 'area'])
def test_vectorised_average_precision_equals_mmdet(mode):
    from mmdet.evaluation.functional import average_precision as mmdet_ap

    from mobilebench.benchmark.samples import average_precision
    rng = np.random.default_rng(9)
    for n in (0, 1, 7, 300):
        tp = np.cumsum(rng.random(n) < 0.6).astype(np.float32)
        fp = np.cumsum(np.ones(n, np.float32)) - tp
        eps = np.finfo(np.float32).eps
        num_gts = np.array([max(int(tp[-1]) if n else 1, 1) + int(rng.integers(0, 3))])
        recalls = (tp[None] / np.maximum(num_gts[:, None], eps))[0]
        precisions = (tp[None] / np.maximum(tp[None] + fp[None], eps))[0]
        assert average_precision(recalls, precisions, mode) == mmdet_ap(recalls, precisions, mode)
