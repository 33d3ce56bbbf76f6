"""Face recognition pipeline: RecordIO, safe .bin loading, protocol, end-to-end train/test, ONNX export."""
import json
import os
import os.path as osp
import pickle
import struct
import tarfile

import numpy as np
import pytest
import torch

import mobilebench.face  # noqa: F401
from mobilebench.face import verification as V
from mobilebench.face.bin_format import UnsafeBinError, load_bin, write_bin
from mobilebench.face.recordio import (MAGIC, IRHeader, RecordIOError, RecordIOReader, RecordIOWriter, image_keys,
                                       pack_record, read_property, unpack_record, write_face_recordio)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = osp.join(ROOT, 'tests', 'data', 'face')
SMALL_LFW = osp.join(DATA, 'small_lfw.bin')
CONFIG = osp.join(ROOT, 'configs', 'face', 'arcface_mobilenetv3_small_x1.0_ms1m-112.py')


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope='module')
def face_folder(tmp_path_factory):
    """Image folder (one folder per identity) of real aligned faces: the 10 identities of
    small_dataset.tar plus the 10 LFW pairs of small_lfw.bin (2 images each) = 20 ids, 30 images."""
    root = tmp_path_factory.mktemp('faces')
    with tarfile.open(osp.join(DATA, 'small_dataset.tar')) as tar:
        tar.extractall(root / 'raw', filter='data')
    base = root / 'raw' / 'small_dataset'
    out = root / 'folder'
    for line in (base / 'label.txt').read_text().splitlines():
        rel, label = line.strip().split('\t')
        d = out / f'id{int(label):03d}'
        d.mkdir(parents=True, exist_ok=True)
        (d / osp.basename(rel)).write_bytes((base / rel).read_bytes())
    images, _ = load_bin(SMALL_LFW)
    for i, img in enumerate(images):
        d = out / f'lfw{i // 2:03d}'
        d.mkdir(parents=True, exist_ok=True)
        (d / f'{i % 2}.jpg').write_bytes(img)
    return str(out)


@pytest.fixture(scope='module')
def packed(face_folder, tmp_path_factory):
    import importlib.util
    spec = importlib.util.spec_from_file_location('pack_face_recordio',
                                                  osp.join(ROOT, 'tools', 'data', 'pack_face_recordio.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = str(tmp_path_factory.mktemp('rec'))
    info = mod.main([face_folder, out])
    return out, info


@pytest.fixture(scope='module')
def pairs_bin(tmp_path_factory):
    """A .bin with negative pairs: the 10 real LFW positive pairs + 10 negatives made by pairing the
    first image of LFW pair i with the second image of pair i+1 (different people)."""
    images, issame = load_bin(SMALL_LFW)
    n = len(issame)
    out_imgs, out_same = [], []
    for i in range(n):
        out_imgs += [images[2 * i], images[2 * i + 1]]
        out_same.append(True)
        out_imgs += [images[2 * i], images[2 * ((i + 1) % n) + 1]]
        out_same.append(False)
    path = str(tmp_path_factory.mktemp('bins') / 'lfw_mixed.bin')
    return write_bin(path, out_imgs, out_same)


# ----------------------------------------------------------------------------- RecordIO
def test_recordio_roundtrip_and_magic_split(tmp_path):
    rec = str(tmp_path / 'x.rec')
    magic = struct.pack('<I', MAGIC)
    payloads = [b'abc', b'', b'1234' + magic + b'tail!', magic + magic + b'zz', bytes(range(256)) * 3]
    with RecordIOWriter(rec) as w:
        for k, p in enumerate(payloads):
            w.write_idx(k, p)
    raw = open(rec, 'rb').read()
    assert len(raw) % 4 == 0
    # the payload with an aligned magic was split into parts (cflag 1 then 3)
    offset = RecordIOReader(rec).index[2]
    assert struct.unpack('<I', raw[offset + 4:offset + 8])[0] >> 29 == 1
    reader = RecordIOReader(rec)
    assert [reader.read_idx(k) for k in range(len(payloads))] == payloads


def test_irheader_pack_unpack():
    h, body = unpack_record(pack_record(IRHeader(0, 7.0, 3), b'JPEG'))
    assert (h.flag, h.label, h.id, body) == (0, 7.0, 3, b'JPEG')
    h, body = unpack_record(pack_record(IRHeader(2, np.array([5, 9], np.float32)), b''))
    assert h.flag == 2 and h.label.tolist() == [5.0, 9.0] and body == b''


def test_recordio_legacy_header(tmp_path):
    files = write_face_recordio(str(tmp_path), [(b'a', 0), (b'b', 1), (b'c', 1)], legacy_header=True)
    reader = RecordIOReader(files['rec'])
    assert image_keys(reader) == [1, 2, 3]
    assert [reader.read_image_record(k)[0].label for k in (1, 2, 3)] == [0.0, 1.0, 1.0]
    assert read_property(files['property']) == (2, 112, 112)


def test_recordio_truncated_names_offset(tmp_path):
    files = write_face_recordio(str(tmp_path), [(b'x' * 100, 0), (b'y' * 100, 1)])
    size = os.path.getsize(files['rec'])
    with open(files['rec'], 'r+b') as f:
        f.truncate(size - 50)
    reader = RecordIOReader(files['rec'])
    second = reader.index[1]
    assert reader.read_image_record(0)[1] == b'x' * 100
    with pytest.raises(RecordIOError) as err:
        reader.read_idx(1)
    msg = str(err.value)
    assert f'byte offset {second + 8}' in msg and files['rec'] in msg and 'truncated' in msg
    with open(files['rec'], 'r+b') as f:
        f.truncate(second + 3)  # inside the header
    with pytest.raises(RecordIOError, match=f'byte offset {second}'):
        RecordIOReader(files['rec']).read_idx(1)


def test_recordio_dataset(packed):
    from mobilebench.face.datasets import FaceRecordIODataset
    out, info = packed
    assert info['num_classes'] == 20 and info['num_images'] == 30
    ds = FaceRecordIODataset(out, pipeline=[dict(type='mobilebench.LoadFaceImage'),
                                            dict(type='mobilebench.PackFaceInputs')])
    assert len(ds) == 30 and ds.metainfo['num_classes'] == 20
    item = ds[29]
    assert item['inputs'].shape == (3, 112, 112) and item['inputs'].dtype == torch.uint8
    assert int(item['data_samples'].gt_label) == 19


def test_image_folder_dataset_rgb(face_folder):
    import cv2

    from mobilebench.face.datasets import FaceImageFolderDataset
    ds = FaceImageFolderDataset(face_folder, pipeline=[dict(type='mobilebench.LoadFaceImage'),
                                                       dict(type='mobilebench.PackFaceInputs')])
    assert len(ds) == 30 and ds.metainfo['num_classes'] == 20
    info = ds.get_data_info(0)
    bgr = cv2.imread(info['img_path'])
    assert torch.equal(ds[0]['inputs'], torch.from_numpy(bgr[:, :, ::-1].transpose(2, 0, 1).copy()))


# ----------------------------------------------------------------------------- .bin safety
def test_load_real_small_lfw():
    images, issame = load_bin(SMALL_LFW)
    assert len(images) == 20 and issame == [True] * 10
    assert all(img[:2] == b'\xff\xd8' for img in images)  # JPEG


class _Evil:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.system, (f'touch {self.target}', ))


def test_malicious_bin_rejected_without_executing(tmp_path):
    target = tmp_path / 'pwned'
    path = tmp_path / 'evil.bin'
    with open(path, 'wb') as f:
        pickle.dump(([b'x', _Evil(target)], [True]), f, protocol=2)
    with pytest.raises(UnsafeBinError, match='refusing to load global') as err:
        load_bin(str(path))
    assert str(path) in str(err.value)
    assert not target.exists()
    # control: the same payload *does* execute with plain pickle, so the test can fail
    pickle.loads(path.read_bytes())
    assert target.exists()


def test_bin_rejects_eval_and_object_arrays(tmp_path):
    evil = tmp_path / 'eval.bin'
    evil.write_bytes(b"cbuiltins\neval\n(S'1+1'\ntR.")
    with pytest.raises(UnsafeBinError, match='builtins.eval'):
        load_bin(str(evil))
    obj = tmp_path / 'obj.bin'
    obj.write_bytes(pickle.dumps(([np.array([b'a'], dtype=object)] * 2, [True])))
    with pytest.raises(UnsafeBinError, match='object dtype'):
        load_bin(str(obj))


# ----------------------------------------------------------------------------- protocol
@pytest.mark.parametrize('n', [10, 37, 600])
def test_vectorised_protocol_equals_loop(n):
    rng = np.random.default_rng(n)
    issame = rng.random(n) < 0.5
    dist = np.where(issame, rng.normal(1.0, 0.35, n), rng.normal(1.7, 0.3, n)).clip(0, 4)
    dist[::3] = np.round(dist[::3], 2)  # ties with the thresholds
    vec, loop = V.calculate_roc(dist, issame), V.calculate_roc_loop(dist, issame)
    for key in ('accuracy', 'best_thresholds', 'tpr', 'fpr'):
        np.testing.assert_allclose(vec[key], loop[key], rtol=0, atol=1e-12)
    assert V.calculate_val(dist, issame) == pytest.approx(V.calculate_val_loop(dist, issame))


def test_kfold_matches_sklearn_layout():
    splits = V.kfold_splits(23, 10)
    assert [len(t) for _, t in splits] == [3, 3, 3, 2, 2, 2, 2, 2, 2, 2]
    assert np.concatenate([t for _, t in splits]).tolist() == list(range(23))


def test_protocol_perfect_separation():
    issame = np.array([True, False] * 50)
    dist = np.where(issame, 0.5, 2.5)
    res = V.evaluate_pairs(np.zeros((100, 1)), np.sqrt(dist)[:, None], issame)
    assert res['accuracy'] == 1.0 and res['accuracy_std'] == 0.0 and res['tar_at_far'] == 1.0


# ----------------------------------------------------------------------------- model parts
def test_margin_loss_variants():
    from mobilebench.face.models import CombinedMarginLoss
    cos = torch.tensor([0.9, 0.3, -0.5])
    arc = CombinedMarginLoss(4, 8, margin_list=(1.0, 0.5, 0.0))
    torch.testing.assert_close(arc.target_logit(cos), torch.cos(torch.acos(cos) + 0.5))
    cosface = CombinedMarginLoss(4, 8, margin_list=(1.0, 0.0, 0.4))
    torch.testing.assert_close(cosface.target_logit(cos), cos - 0.4)
    grid = torch.linspace(-1, 1, 201)
    assert (arc.target_logit(grid).diff() > 0).all()  # monotonic, also past pi - m2
    emb = torch.randn(6, 8, requires_grad=True)
    loss = arc(emb, torch.tensor([0, 1, 2, 3, 0, 1]))
    loss.backward()
    assert torch.isfinite(loss) and emb.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='labels must be in'):
        arc(emb, torch.tensor([0, 1, 2, 3, 4, 1]))


def test_gdc_head_shape_check():
    from mobilebench.face.models import GDCHead
    head = GDCHead(48, 512, feat_size=7).eval()
    assert head(torch.randn(2, 48, 7, 7)).shape == (2, 512)
    with pytest.raises(ValueError, match='feat_size'):
        head(torch.randn(2, 48, 4, 4))


def test_face_configs_build_7x7(repo_root):
    from mobilebench.config import load_config
    for bb, width in [('asymmnet_small_x1.0', 48), ('mobilenetv2_x1.0', 96)]:
        cfg = load_config(osp.join(ROOT, 'configs', 'face', f'arcface_{bb}_ms1m-112.py'))
        assert cfg.model.head.in_channels == width
        assert cfg.default_scope == 'mobilebench'


# ----------------------------------------------------------------------------- end to end
def _e2e_cfg(rec_dir, bins, work_dir):
    from mobilebench.config import load_config
    cfg = load_config(CONFIG)
    cfg.model.loss.num_classes = 20
    cfg.train_dataloader.dataset.data_root = rec_dir
    cfg.train_dataloader.batch_size = 10
    test_pipeline = cfg.test_pipeline
    cfg.test_dataloader = dict(
        batch_size=10, num_workers=0, persistent_workers=False, sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(type='ConcatDataset', datasets=[dict(type='FaceVerificationBin', ann_file=b,
                                                          pipeline=test_pipeline) for b in bins]))
    cfg.val_dataloader = cfg.test_dataloader
    cfg.work_dir = work_dir
    return cfg


def _capture_hook():
    """An mmengine hook type (registered once) that keeps the data samples of every test iteration in
    ``CAPTURED``: what the evaluator saw, for a config run by tools/test.py in this process."""
    from mmengine.hooks import Hook
    from mmengine.registry import HOOKS
    if 'TestsCapturePredictions' not in HOOKS.module_dict:
        @HOOKS.register_module(name='TestsCapturePredictions')
        class _Capture(Hook):
            def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None):
                CAPTURED.extend(outputs)
    return dict(type='TestsCapturePredictions', priority='LOWEST')


CAPTURED = []


def check_verification_against_reference(metrics, samples):
    """Each .bin's accuracy equals insightface's 10-fold protocol (squared L2 distance of the L2-normalised
    embeddings, thresholds 0:4:0.01) written out plainly in test_known_answers, on the embeddings the test
    loop produced; every image of every pair was evaluated."""
    from test_known_answers import _reference_verification
    groups = {}
    for s in samples:
        groups.setdefault(s.get('bin_name'), {})[(int(s.get('pair_index')), int(s.get('pair_pos')))] = s
    assert groups
    for name, items in groups.items():
        n = max(i for i, _ in items) + 1
        assert len(items) == 2 * n, f'{name}: {2 * n - len(items)} images not evaluated'
        emb = [np.stack([items[(i, p)].get('pred_embedding').cpu().double().numpy() for i in range(n)])
               for p in (0, 1)]
        a, b = (e / np.linalg.norm(e, axis=1, keepdims=True) for e in emb)
        issame = np.array([bool(items[(i, 0)].get('issame')) for i in range(n)])
        expected = _reference_verification(((a - b) ** 2).sum(1), issame)
        assert metrics[f'{name}/accuracy'] == pytest.approx(expected, abs=1e-9), (name, metrics, expected)


def test_train_and_verify_end_to_end(packed, pairs_bin, tmp_path):
    """Pack real faces -> train 3 iterations -> tools/test.py on the real small_lfw.bin and a .bin
    with negative pairs -> metrics JSON with per-file accuracy."""
    import importlib.util

    from mmengine.config import Config

    from mobilebench.runner_utils import build_runner
    from short_runs import shorten_schedule
    rec_dir, _ = packed
    cfg = shorten_schedule(_e2e_cfg(rec_dir, [SMALL_LFW, pairs_bin], str(tmp_path / 'work')),
                           str(tmp_path / 'work'), max_iters=3, batch_size=10)
    runner = build_runner(cfg)
    runner.train()
    losses = [v for k, v in runner.message_hub.log_scalars.items() if k == 'train/loss']
    assert losses and np.isfinite(losses[0].current())
    ckpt = osp.join(str(tmp_path / 'work'), 'iter_3.pth')
    assert osp.isfile(ckpt)
    cfg_path = str(tmp_path / 'face_e2e.py')
    cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [_capture_hook()]
    Config(cfg.to_dict()).dump(cfg_path)
    CAPTURED.clear()
    spec = importlib.util.spec_from_file_location('face_test_tool', osp.join(ROOT, 'tools', 'test.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out_json = str(tmp_path / 'metrics.json')
    tool.main([cfg_path, ckpt, '--work-dir', str(tmp_path / 'test'), '--out-json', out_json])
    metrics = json.load(open(out_json))['metrics']
    print('face e2e metrics:', metrics)
    # the tool's accuracies equal insightface's protocol recomputed here from the embeddings its test loop
    # produced (both .bin files, every image)
    check_verification_against_reference(metrics, CAPTURED)
    assert {s.get('bin_name') for s in CAPTURED} == {'small_lfw', 'lfw_mixed'}
    for name in ('small_lfw', 'lfw_mixed'):
        assert f'{name}/tar@far1e-3' in metrics
    # all-positive file: TAR@FAR is undefined (no negatives), the mixed file has a real figure
    assert np.isnan(metrics['small_lfw/tar@far1e-3'])
    assert np.isfinite(metrics['lfw_mixed/tar@far1e-3'])
    # the Runner checkpoint (weights_only=True load) exports to ONNX
    spec = importlib.util.spec_from_file_location('export_face_onnx_e2e',
                                                  osp.join(ROOT, 'tools', 'deploy', 'export_face_onnx.py'))
    export_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(export_tool)
    onnx_path = str(tmp_path / 'trained.onnx')
    export_tool.main([cfg_path, ckpt, onnx_path])
    assert osp.getsize(onnx_path) > 100_000


# ----------------------------------------------------------------------------- alignment and ONNX
def test_align_face_recovers_aligned_crop():
    import cv2

    from mobilebench.face.align import align_face, template_landmarks
    face = cv2.imread(osp.join(DATA, 'Tom_Hanks_54745.png'))
    assert face.shape == (112, 112, 3)
    canvas = np.zeros((400, 300, 3), np.uint8)  # unaligned: the face scaled x2 and shifted
    canvas[50:274, 30:254] = cv2.resize(face, (224, 224), interpolation=cv2.INTER_LINEAR)
    lmk = template_landmarks(112) * 2 + np.array([30, 50])
    aligned = align_face(canvas, lmk)
    assert aligned.shape == (112, 112, 3)
    assert np.abs(aligned.astype(float) - face.astype(float)).mean() < 12


def test_onnx_roundtrip_insightface(tmp_path):
    import importlib.util

    import cv2
    from insightface.model_zoo import get_model
    from insightface.model_zoo.arcface_onnx import ArcFaceONNX
    spec = importlib.util.spec_from_file_location('export_face_onnx',
                                                  osp.join(ROOT, 'tools', 'deploy', 'export_face_onnx.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    torch.manual_seed(0)
    model, _ = tool.build_model(CONFIG)
    for m in model.modules():  # non-trivial BN statistics so that eval-mode folding is exercised
        if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    ckpt = str(tmp_path / 'model.pth')
    torch.save({'state_dict': model.state_dict()}, ckpt)
    onnx_path = str(tmp_path / 'face.onnx')
    tool.main([CONFIG, ckpt, onnx_path])

    bgr = cv2.imread(osp.join(DATA, 'Tom_Hanks_54745.png'))
    crops = [bgr, bgr[:, ::-1].copy()]
    rgb = torch.from_numpy(np.stack([c[:, :, ::-1] for c in crops]).transpose(0, 3, 1, 2).copy()).float()
    with torch.no_grad():
        ref = model((rgb - 127.5) / 127.5, mode='tensor').numpy()
    rec = ArcFaceONNX(onnx_path)
    assert rec.input_mean == 127.5 and rec.input_std == 127.5
    feat = rec.get_feat(crops)
    assert feat.shape == (2, 512)
    np.testing.assert_allclose(feat, ref, rtol=1e-3, atol=1e-3)
    routed = get_model(onnx_path)
    assert isinstance(routed, ArcFaceONNX)
    np.testing.assert_allclose(routed.get_feat(crops), ref, rtol=1e-3, atol=1e-3)


def test_face_complexity_matches_paper_table7():
    """AsymmNet-s/L recognizers at 112x112 (s16 tap + GDC): MAdds within 3 % of Table 7."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('face_complexity',
                                                  osp.join(ROOT, 'tools', 'analysis', 'face_complexity.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    for bb in ('asymmnet_small_x1.0', 'asymmnet_large_x1.0'):
        row = tool.face_complexity(osp.join(ROOT, 'configs', 'face', f'arcface_{bb}_ms1m-112.py'))
        assert abs(row['madds'] / row['paper_madds'] - 1) < 0.03, row
        # the class centres (93431 x 512) are training-only and never counted
        assert row['params'] < 2e6
