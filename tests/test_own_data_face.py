"""A verification .bin built from real unaligned photos + a pairs CSV, evaluated by the suite's metric.

The photos are five original LFW images (250x250, not aligned; tests/data/face/lfw_unaligned/); their
5 landmarks were placed by hand (tests/data/README.md). Known answers come from outside the code under
test: the file is read with plain ``pickle``, the expected aligned faces from a least-squares similarity
fit written here with the ArcFace template's published coordinates, and the expected accuracy from a
direct implementation of insightface's 10-fold rule below.
"""
import importlib.util
import os
import os.path as osp
import pickle

import cv2
import numpy as np
import pytest
import torch

import mobilebench.face  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PHOTOS = osp.join(ROOT, 'tests', 'data', 'face', 'lfw_unaligned')
PAIRS = osp.join(PHOTOS, 'pairs.csv')
LANDMARKS = osp.join(PHOTOS, 'landmarks.csv')
# insightface arcface_dst (recognition/common/face_align.py), 112x112
ARCFACE_DST = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
                        [70.7299, 92.2041]])


def _tool():
    spec = importlib.util.spec_from_file_location('build_face_bin',
                                                  osp.join(ROOT, 'tools', 'data', 'build_face_bin.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _similarity(src, dst):
    """Least-squares 2-D similarity (x' = a x - b y + tx, y' = b x + a y + ty) as a 2x3 matrix."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst):
        rows += [[x, -y, 1, 0], [y, x, 0, 1]]
        rhs += [u, v]
    a, b, tx, ty = np.linalg.lstsq(np.array(rows, float), np.array(rhs, float), rcond=None)[0]
    return np.array([[a, -b, tx], [b, a, ty]])


def _reference_accuracy(dist, issame, n_folds=10):
    """insightface calculate_roc, written out: contiguous folds, thresholds arange(0, 4, 0.01), the first
    threshold with the best accuracy on the other folds applied to the held-out fold, mean over folds."""
    thresholds = np.arange(0, 4, 0.01)
    folds = np.array_split(np.arange(len(dist)), n_folds)
    accs = []
    for test in folds:
        train = np.setdiff1d(np.arange(len(dist)), test)
        train_acc = [np.mean((dist[train] < t) == issame[train]) for t in thresholds]
        t = thresholds[int(np.argmax(train_acc))]
        accs.append(np.mean((dist[test] < t) == issame[test]))
    return float(np.mean(accs))


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('bin') / 'mine.bin')
    report = _tool().main([PHOTOS, PAIRS, out, '--landmarks', LANDMARKS])
    return out, report


def test_bin_layout_is_insightface(built):
    out, report = built
    with open(out, 'rb') as f:
        bins, issame = pickle.load(f, encoding='bytes')  # what insightface's load_bin does
    assert isinstance(bins, list) and isinstance(issame, list)
    assert issame == [True] + [False] * 9  # pairs.csv
    assert len(bins) == 20 and all(type(b) is bytes for b in bins)
    assert all(type(v) is bool for v in issame)
    assert report.counts() == {'landmarks': 5} and report.not_aligned == []
    # pair 0 = Rob_Lowe_0001 / Rob_Lowe_0002: the stored faces are the template warps of the photos
    landmarks = {row.split(',')[0]: np.array(row.split(',')[1:], float).reshape(5, 2)
                 for row in open(LANDMARKS).read().splitlines()[1:]}
    for b, name in zip(bins[:2], ('Rob_Lowe_0001.jpg', 'Rob_Lowe_0002.jpg')):
        face = cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR)
        assert face.shape == (112, 112, 3)
        photo = cv2.imread(osp.join(PHOTOS, name))
        expected = cv2.warpAffine(photo, _similarity(landmarks[name], ARCFACE_DST), (112, 112))
        assert np.abs(face.astype(float) - expected).mean() < 3.0  # JPEG q95 + interpolation
        other = cv2.warpAffine(photo, _similarity(landmarks[name] + 8, ARCFACE_DST), (112, 112))
        assert np.abs(face.astype(float) - other).mean() > 3 * np.abs(face.astype(float) - expected).mean()
    rows = open(out + '.alignment.csv').read().splitlines()
    assert rows[0] == 'path,method,aligned,detail' and rows[1].startswith('Rob_Lowe_0001.jpg,landmarks,yes,')


def _evaluate(path, embed):
    """The suite's FaceVerificationBin + test pipeline + preprocessor + FaceVerificationMetric, with a fixed
    embedding function in place of a trained network."""
    from mmengine.model import ImgDataPreprocessor

    from mobilebench.face.datasets import FaceVerificationBin
    from mobilebench.face.metrics import FaceVerificationMetric
    ds = FaceVerificationBin(ann_file=path, pipeline=[dict(type='mobilebench.LoadFaceImage', image_size=(112, 112)),
                                                      dict(type='mobilebench.PackFaceInputs')])
    pre = ImgDataPreprocessor(mean=[127.5] * 3, std=[127.5] * 3)
    metric = FaceVerificationMetric()
    for i in range(0, len(ds), 8):
        batch = pre(dict(inputs=[ds[j]['inputs'] for j in range(i, min(i + 8, len(ds)))],
                         data_samples=[ds[j]['data_samples'] for j in range(i, min(i + 8, len(ds)))]))
        emb = embed(batch['inputs'])
        samples = []
        for s, e in zip(batch['data_samples'], emb):
            s.pred_embedding = e
            samples.append(s)
        metric.process(batch, samples)
    return metric.compute_metrics(metric.results)


def test_built_bin_evaluates_with_the_suites_metric(built):
    out, _ = built
    metrics = _evaluate(out, lambda x: x.flatten(1))  # fixed model: the normalised pixels
    with open(out, 'rb') as f:
        bins, issame = pickle.load(f)
    px = np.stack([(cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR).astype(np.float64) - 127.5) / 127.5
                   for b in bins]).reshape(len(bins), -1)
    px /= np.linalg.norm(px, axis=1, keepdims=True)
    dist = ((px[0::2] - px[1::2]) ** 2).sum(1)
    assert metrics['mine/accuracy'] == pytest.approx(_reference_accuracy(dist, np.array(issame)))
    unnormalised = np.stack([(cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR).astype(np.float64) - 127.5)
                             / 127.5 for b in bins]).reshape(len(bins), -1)
    assert metrics['mine/xnorm'] == pytest.approx(np.linalg.norm(unnormalised, axis=1).mean(), rel=1e-5)
    assert metrics['mine/degenerate'] == 0.0


def test_pair_order_survives_build_and_evaluation(tmp_path):
    """Each photo paired with itself (same = 1: distance exactly 0) and with another person (same = 0): with the
    pixel model every held-out pair is classified right, so any pairing or label mix-up lowers the accuracy."""
    names = sorted(n for n in os.listdir(PHOTOS) if n.endswith('.jpg'))
    rows = [f'{n},{n},1' for n in names] + [f'{names[i]},{names[(i + 2) % 5]},0' for i in range(5)]
    order = [rows[i // 2] if i % 2 == 0 else rows[5 + i // 2] for i in range(10)]  # same / different alternate
    (tmp_path / 'pairs.csv').write_text('path_a,path_b,same\n' + '\n'.join(order) + '\n')
    out = str(tmp_path / 'selfpairs.bin')
    _tool().main([PHOTOS, str(tmp_path / 'pairs.csv'), out, '--landmarks', LANDMARKS])
    metrics = _evaluate(out, lambda x: x.flatten(1))
    assert metrics['selfpairs/accuracy'] == 1.0 and metrics['selfpairs/degenerate'] == 0.0


def test_collapsed_embeddings_are_flagged(built):
    import logging

    from mmengine.logging import MMLogger
    out, _ = built
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        metrics = _evaluate(out, lambda x: torch.ones(len(x), 512))  # every cosine = 1.0
    finally:
        logger.removeHandler(handler)
    # 1 same, 9 different pairs: the 10-fold rule rejects everything; accuracy = share of "different" pairs
    assert metrics['mine/accuracy'] == pytest.approx(0.9)
    assert metrics['mine/degenerate'] == 1.0
    assert any('[mine] degenerate: all 10 pair distances are equal' in r.getMessage() and 'collapsed' in r.getMessage()
               for r in records)


def test_errors_name_file_line_and_field(tmp_path):
    tool = _tool()
    bad = tmp_path / 'pairs.csv'
    bad.write_text('path_a,path_b,same\nRob_Lowe_0001.jpg,Rob_Lowe_0002.jpg,yes\n')
    with pytest.raises(SystemExit, match=r'pairs.csv, line 2, field same: \'yes\''):
        tool.main([PHOTOS, str(bad), str(tmp_path / 'x.bin'), '--no-align'])
    bad.write_text('path_a,path_b,same\nRob_Lowe_0001.jpg,Nobody_0001.jpg,0\n')
    with pytest.raises(SystemExit, match=r"line 2, field path_b: image 'Nobody_0001.jpg' not found"):
        tool.main([PHOTOS, str(bad), str(tmp_path / 'x.bin'), '--no-align'])
    bad.write_text('a,b,same\n')
    with pytest.raises(SystemExit, match=r"line 1: the header .* lacks the column\(s\) \['path_a', 'path_b'\]"):
        tool.main([PHOTOS, str(bad), str(tmp_path / 'x.bin'), '--no-align'])
    lmk = tmp_path / 'lmk.csv'
    lmk.write_text(open(LANDMARKS).read().replace('Rob_Lowe_0002.jpg,100,', 'Rob_Lowe_0002.jpg,abc,'))
    with pytest.raises(SystemExit, match=r'lmk.csv, line 3, field left_eye_x: \'abc\' is not a number'):
        tool.main([PHOTOS, PAIRS, str(tmp_path / 'x.bin'), '--landmarks', str(lmk)])
    with pytest.raises(SystemExit, match=r'--detector .*missing.onnx.* does not exist'):
        tool.main([PHOTOS, PAIRS, str(tmp_path / 'x.bin'), '--detector', str(tmp_path / 'missing.onnx')])
    assert not (tmp_path / 'x.bin').exists()


def test_no_align_and_boxes_say_they_are_not_aligned(tmp_path):
    tool = _tool()
    rep = tool.main([PHOTOS, PAIRS, str(tmp_path / 'r.bin'), '--no-align'])
    assert rep.counts() == {'resize': 5} and len(rep.not_aligned) == 5
    assert 'NOT aligned (resize): 5 images' in rep.summary()
    boxes = tmp_path / 'boxes.csv'
    boxes.write_text('path,x1,y1,x2,y2\n' + ''.join(f'{n},70,70,180,190\n' for n in (
        'Rob_Lowe_0001.jpg', 'Rob_Lowe_0002.jpg', 'Nathalie_Baye_0002.jpg', 'Mary_Katherine_Smart_0001_5k.jpg',
        'Teresa_Williams_0001_1k.jpg')))
    rep = tool.main([PHOTOS, PAIRS, str(tmp_path / 'b.bin'), '--boxes', str(boxes)])
    assert rep.counts() == {'box': 5} and 'NOT aligned (box)' in rep.summary()
    with open(tmp_path / 'b.bin', 'rb') as f:
        bins, _ = pickle.load(f)
    face = cv2.imdecode(np.frombuffer(bins[0], np.uint8), cv2.IMREAD_COLOR)
    photo = cv2.imread(osp.join(PHOTOS, 'Rob_Lowe_0001.jpg'))
    # box 110x120 centred at (125, 130): square 120x120 from (65, 70), scaled by 112/120
    expected = cv2.resize(photo[70:190, 65:185], (112, 112), interpolation=cv2.INTER_LINEAR)
    assert np.abs(face.astype(float) - expected).mean() < 4.0
