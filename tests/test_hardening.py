"""Issue 23, items 1, 2, 3, 7, 8: no code from data files, no silently wrong results, clear errors.

Attack files are built here with plain ``pickle`` / ``torch.save`` (never with suite code); their payload
would create a marker file, and every attack test checks that the marker does not exist. Each payload
is also run once on purpose (the "control") to show the test can fail.
"""
import json
import os
import os.path as osp
import pickle
import shutil
import struct

import numpy as np
import pytest
import torch
import torch.nn as nn

import mobilebench  # noqa: F401  (compat shims)
from log_capture import MMLogCapture

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
POSE = osp.join(ROOT, 'tests', 'data', 'pose', 'coco') + '/'
POSE_ANN = 'test_coco.json'
POSE_DET = 'test_coco_det_AP_H_56.json'
DET = osp.join(ROOT, 'tests', 'data', 'detection')
VOCDEVKIT = osp.join(DET, 'VOCdevkit')
COCO = osp.join(DET, 'coco')
# the variable torch reads to fall back to full unpickling; built so that the code base never spells it
UNSAFE_LOAD_ENV = 'TORCH_FORCE_' + 'NO_WEIGHTS_ONLY_LOAD'


class _Touch:
    """Pickle payload: unpickling runs ``os.system('touch <target>')``."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (os.system, (f'touch {self.target}', ))


class _TouchAndReturn:
    """Pickle payload that runs ``touch`` and then evaluates to ``value`` (the data looks normal)."""

    def __init__(self, target, value):
        self.target, self.value = str(target), value

    def __reduce__(self):
        return (eval, (f"__import__('os').system('touch {self.target}') or {self.value!r}", ))




def _pose_dataset(**kwargs):
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS
    init_default_scope('mmpose')
    cfg = dict(type='mobilebench.CocoKeypointDataset', data_root=POSE, ann_file=POSE_ANN,
               data_prefix=dict(img=''), pipeline=[], test_mode=True)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


# ============================================================================ 1. code from data files
def _det_list():
    return json.load(open(POSE + POSE_DET))[:3]


@pytest.mark.parametrize('variant', ['payload', 'payload_returning_valid_detections'])
def test_1_pose_bbox_pkl_is_not_unpickled(tmp_path, variant):
    marker = tmp_path / 'pwned'
    bbox = tmp_path / 'dets.pkl'
    if variant == 'payload':
        payload = [_Touch(marker)]
    else:  # the dataset would build normally from the returned list
        payload = [_TouchAndReturn(marker, det) for det in _det_list()]
    bbox.write_bytes(pickle.dumps(payload, protocol=2))
    with pytest.raises(ValueError, match=r'dets\.pkl.*not a \.json file.*unpickle'):
        _pose_dataset(bbox_file=str(bbox))
    assert not marker.exists()
    # second line of defence: mmengine.load, which picks pickle for .pkl, uses the restricted unpickler
    import mmengine
    from mobilebench.safe_pickle import UnsafePickleError
    with pytest.raises(UnsafePickleError, match=r'dets\.pkl.*refusing to load global (builtins|__builtin__)\.eval|'
                                                r'dets\.pkl.*refusing to load global (posix|os|nt)\.system'):
        mmengine.load(str(bbox))
    assert not marker.exists()
    # control: the file really is a working payload
    pickle.loads(bbox.read_bytes())
    assert marker.exists()


def test_1_pickle_renamed_to_json_is_not_unpickled(tmp_path):
    marker = tmp_path / 'pwned'
    bbox = tmp_path / 'dets.json'
    bbox.write_bytes(pickle.dumps([_Touch(marker)], protocol=2))
    with pytest.raises(ValueError, match=r'dets\.json.*not UTF-8.*looks like a pickle'):
        _pose_dataset(bbox_file=str(bbox))
    assert not marker.exists()


def test_1_yaml_data_file_runs_no_code(tmp_path):
    import mmengine
    import yaml
    marker = tmp_path / 'pwned'
    path = tmp_path / 'ann.yaml'
    path.write_text(f'images: [1, 2]\nhook: !!python/object/apply:os.system ["touch {marker}"]\n')
    with pytest.raises(yaml.YAMLError, match='python/object/apply:os.system'):
        mmengine.load(str(path))
    assert not marker.exists()
    (tmp_path / 'ok.yml').write_text('images: [1, 2]\nname: coco\n')
    assert mmengine.load(str(tmp_path / 'ok.yml')) == dict(images=[1, 2], name='coco')
    # control: PyYAML's full loader (mmengine's default) runs it
    yaml.load(path.read_text(), Loader=yaml.Loader)
    assert marker.exists()


def test_1_plain_data_pickles_still_load(tmp_path):
    import mmengine
    data = dict(boxes=np.arange(8, dtype=np.float32).reshape(2, 4), names=['a', 'b'], score=np.float64(0.5),
                raw=b'\x00\x01', nested=[(1, 2.5, None, True)])
    path = str(tmp_path / 'plain.pkl')
    with open(path, 'wb') as f:
        pickle.dump(data, f, protocol=2)
    back = mmengine.load(path)
    np.testing.assert_array_equal(back['boxes'], data['boxes'])
    assert back['names'] == ['a', 'b'] and back['score'] == 0.5 and back['raw'] == b'\x00\x01'
    assert back['nested'] == [(1, 2.5, None, True)]


# ============================================================================ 2. checkpoints, whatever the env
def test_2_checkpoint_payload_not_run_when_env_forces_unsafe_load(tmp_path, monkeypatch):
    from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint, load_checkpoint

    from backbones import MobileNetV2
    marker = tmp_path / 'pwned'
    ckpt = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'weight': torch.zeros(1, 1)}, 'meta': _Touch(marker)}, str(ckpt))
    monkeypatch.setenv(UNSAFE_LOAD_ENV, '1')
    with pytest.raises(pickle.UnpicklingError, match='system'):
        _load_checkpoint(str(ckpt), map_location='cpu')  # Runner load_from / resume
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(str(ckpt), map_location='cpu')
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(nn.Linear(1, 1), str(ckpt), map_location='cpu')
    with pytest.raises(pickle.UnpicklingError):  # init_cfg Pretrained (fine-tuning)
        MobileNetV2(widen_factor=0.35, init_cfg=dict(type='Pretrained', checkpoint=str(ckpt))).init_weights()
    assert not marker.exists()
    # control: torch's own default under this environment variable runs the payload
    with pytest.warns(UserWarning, match=UNSAFE_LOAD_ENV):
        torch.load.__wrapped__(str(ckpt))
    assert marker.exists()


def test_2_weights_only_default_is_explicit_and_real_checkpoints_load(tmp_path, monkeypatch):
    monkeypatch.setenv(UNSAFE_LOAD_ENV, '1')
    path = str(tmp_path / 'ok.pth')
    torch.save({'state_dict': {'w': torch.arange(3.)}, 'meta': dict(epoch=1)}, path)
    out = torch.load(path)
    assert torch.equal(out['state_dict']['w'], torch.arange(3.)) and out['meta'] == dict(epoch=1)
    assert getattr(torch.load, '_mobilebench_weights_only', False)


# ============================================================================ 3. checkpoints that do not fit
def _save_state(model, path, prefix=''):
    torch.save({'state_dict': {prefix + k: v for k, v in model.state_dict().items()}, 'meta': {}}, str(path))
    return str(path)


def test_3_checkpoint_of_another_width_is_an_error_listing_keys(tmp_path):
    from backbones import MobileNetV2
    from mobilebench.checkpoint import CheckpointMismatchError, check_checkpoint_fits, compare_state_dict
    wide, narrow = MobileNetV2(widen_factor=1.0), MobileNetV2(widen_factor=0.5)
    state = wide.state_dict()
    diff = compare_state_dict(narrow, state)
    # every conv / BN tensor of a x0.5 MobileNetV2 has other shapes than x1.0, except conv2's 1280 outputs
    # BN statistics: count the conv+BN tensors that differ independently of the suite
    expected = sum(1 for k, v in narrow.state_dict().items()
                   if not k.endswith('num_batches_tracked') and tuple(v.shape) != tuple(state[k].shape))
    assert len(diff.mismatched) == expected > 100 and not diff.missing and not diff.unexpected
    with pytest.raises(CheckpointMismatchError, match=rf'(?s)ckpt\.pth does not fit .*{expected} mis-shaped'
                                                      r'.*conv1\.conv\.weight: \(32, 3, 3, 3\) -> '
                                                      r'\(16, 3, 3, 3\).*partial_load') as err:
        check_checkpoint_fits(narrow, state, 'ckpt.pth')
    assert f'... and {expected - 8} more mis-shaped keys' in str(err.value)


def test_3_runner_load_from_is_strict_unless_partial_load(tmp_path):
    from mmengine.config import Config
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    from mobilebench.checkpoint import CheckpointMismatchError
    from mobilebench.runner_utils import register_checkpoint_fit_check

    class Toy(BaseModel):
        def __init__(self, width):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3)
            self.head = nn.Linear(8, width)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.head(self.stem(inputs).mean((2, 3)))

    src = Toy(5)
    ckpt = _save_state(src, tmp_path / 'toy5.pth')

    def runner(partial):
        r = Runner(model=Toy(3), work_dir=str(tmp_path / f'w{partial}'), load_from=ckpt)
        register_checkpoint_fit_check(r, Config(dict(partial_load=partial)))
        return r

    strict = runner(False)
    with pytest.raises(CheckpointMismatchError, match=r'(?s)2 mis-shaped.*head\.weight: \(5, 8\) -> \(3, 8\)'):
        strict.load_or_resume()
    assert not torch.equal(strict.model.stem.weight, src.stem.weight)  # nothing was copied
    partial = runner(True)
    with MMLogCapture() as rec:
        partial.load_or_resume()
    assert torch.equal(partial.model.stem.weight, src.stem.weight)  # the matching tensors are loaded
    assert any('partial_load=True: loading the 2 matching tensors' in m for m in rec.messages), rec.messages


def test_3_tools_test_refuses_a_checkpoint_of_another_backbone(tmp_path):
    """The review's case: tools/test.py with another architecture's checkpoint wrote metrics of a random model."""
    import sys
    sys.path.insert(0, osp.join(ROOT, 'tests'))
    from test_pose import fixture_cfg

    from mobilebench.checkpoint import CheckpointMismatchError
    from mobilebench.registry import MODELS  # noqa: F401
    from mmpose.registry import MODELS as POSE_MODELS
    from mmengine.registry import init_default_scope
    import importlib.util
    spec = importlib.util.spec_from_file_location('test_tool', osp.join(ROOT, 'tools', 'test.py'))
    test_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test_tool)

    init_default_scope('mmpose')
    other = POSE_MODELS.build(fixture_cfg('asymmnet_small_x1.0', bbox_file=None).model)
    ckpt = _save_state(other, tmp_path / 'asymmnet_small.pth')
    cfg = fixture_cfg('mobilenetv2_x1.0', bbox_file=None)
    cfg_path = str(tmp_path / 'mobilenetv2_pose.py')
    cfg.dump(cfg_path)
    with pytest.raises(CheckpointMismatchError, match=r'(?s)asymmnet_small\.pth does not fit the model of .*'
                                                      r'mobilenetv2_pose\.py.*missing from the checkpoint'
                                                      r'.*unexpected'):
        test_tool.main([cfg_path, ckpt, '--work-dir', str(tmp_path / 'test')])
    import glob
    assert not glob.glob(str(tmp_path / 'test' / '**' / 'metrics.json'), recursive=True)


def test_3_onnx_export_refuses_a_checkpoint_that_does_not_fit(tmp_path):
    import importlib.util

    from backbones import HBONet
    from mobilebench.checkpoint import CheckpointMismatchError
    spec = importlib.util.spec_from_file_location('export_onnx', osp.join(ROOT, 'tools', 'deploy', 'export_onnx.py'))
    export_onnx = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(export_onnx)
    ckpt = _save_state(HBONet(widen_factor=1.0), tmp_path / 'x1.pth', prefix='backbone.')
    out = tmp_path / 'x05.onnx'
    with pytest.raises(CheckpointMismatchError, match=r'(?s)x1\.pth does not fit backbone hbonet_x0\.5.*mis-shaped'):
        export_onnx.main(['hbonet_x0.5', str(out), '--checkpoint', ckpt, '--prefix', 'backbone.',
                          '--input-size', '64'])
    assert not out.exists()
    with pytest.raises(CheckpointMismatchError, match=r"no key starting with 'neck\.'"):
        export_onnx.main(['hbonet_x1.0', str(out), '--checkpoint', ckpt, '--prefix', 'neck.'])
    with pytest.raises(CheckpointMismatchError, match=r'Every checkpoint key starts with `backbone\.`'):
        export_onnx.main(['hbonet_x1.0', str(out), '--checkpoint', ckpt])  # forgot --prefix
    assert not out.exists()


def test_3_fine_tuning_from_backbone_checkpoint_with_prefix_still_works(tmp_path):
    from backbones import MobileNetV2
    from mobilebench.checkpoint import load_checkpoint_checked
    src = MobileNetV2(widen_factor=0.35)
    ckpt = _save_state(src, tmp_path / 'detector.pth', prefix='backbone.')
    dst = MobileNetV2(widen_factor=0.35, init_cfg=dict(type='Pretrained', checkpoint=ckpt, prefix='backbone.'))
    dst.init_weights()
    for key, value in src.state_dict().items():
        assert torch.equal(dst.state_dict()[key], value), key
    bare = MobileNetV2(widen_factor=0.35)
    load_checkpoint_checked(bare, ckpt, prefix='backbone.')
    assert torch.equal(bare.conv1.conv.weight, src.conv1.conv.weight)


def test_3_train_partial_load_flag_sets_the_config_key():
    import importlib.util
    spec = importlib.util.spec_from_file_location('train_tool', osp.join(ROOT, 'tools', 'train.py'))
    train_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train_tool)
    cfg_path = osp.join(ROOT, 'configs', 'pose', 'simplebaseline_mobilenetv2_x1.0_coco-256x192.py')
    assert train_tool.build_train_cfg(train_tool.parse_args([cfg_path, '--partial-load'])).partial_load is True
    assert not train_tool.build_train_cfg(train_tool.parse_args([cfg_path])).get('partial_load', False)


def _face_results(emb, issame):
    return [dict(bin_name='lfw', pair_index=i // 2, pair_pos=i % 2, issame=bool(issame[i // 2]), embedding=e)
            for i, e in enumerate(emb)]


def test_3_face_metric_reports_the_reached_far_of_collapsed_embeddings():
    from mobilebench.face.metrics import FaceVerificationMetric
    n = 40
    issame = np.arange(n) % 2 == 0
    collapsed = np.tile(np.array([0.6, 0.8, 0.0], np.float32), (2 * n, 1))
    metric = FaceVerificationMetric()
    with MMLogCapture() as rec:
        out = metric.compute_metrics(_face_results(collapsed, issame))
    # every pair has distance 0, so any threshold > 0 accepts every pair: TAR = FAR = 1, accuracy = chance
    assert out['lfw/tar@far1e-3'] == 1.0 and out['lfw/far@far1e-3'] == 1.0 and out['lfw/accuracy'] == 0.5
    assert any('collapsed' in m for m in rec.messages), rec.messages
    # any embeddings: the reported FAR is the held-out FAR of insightface's protocol (loop reference)
    from mobilebench.face.verification import evaluate_pairs
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(2 * n, 8))
    emb[1::2][issame] = emb[0::2][issame] + rng.normal(scale=0.5, size=(int(issame.sum()), 8))
    out = metric.compute_metrics(_face_results(emb, issame))
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    ref = evaluate_pairs(unit[0::2], unit[1::2], issame, vectorised=False)
    assert out['lfw/far@far1e-3'] == pytest.approx(ref['far']) and out['lfw/tar@far1e-3'] == pytest.approx(ref['tar_at_far'])


# ============================================================================ 7. silent data problems
def test_7_duplicate_image_ids_in_coco_keypoints(tmp_path):
    raw = json.load(open(POSE + POSE_ANN))
    first, second = raw['images'][0], raw['images'][1]
    second['id'] = first['id']
    (tmp_path / 'dup.json').write_text(json.dumps(raw))
    with pytest.raises(ValueError, match=rf"dup\.json.*1 image ids occur more than once \(first: id {first['id']} "
                                         rf"for files \['{first['file_name']}', '{second['file_name']}'\]\)"):
        _pose_dataset(data_root=str(tmp_path), ann_file='dup.json', data_prefix=dict(img=POSE))


def test_7_duplicate_ids_and_dangling_annotations_in_coco_detection(tmp_path):
    from mmengine.registry import DATASETS, init_default_scope
    init_default_scope('mmdet')
    root = tmp_path / 'coco'
    shutil.copytree(COCO, root)
    raw = json.load(open(root / 'annotations.json'))

    def build(data):
        (root / 'annotations.json').write_text(json.dumps(data))
        return DATASETS.build(dict(type='mobilebench.CocoDataset', data_root=str(root) + '/', pipeline=[],
                                   ann_file='annotations.json', data_prefix=dict(img='images/'), test_mode=True))

    dup = json.loads(json.dumps(raw))
    dup['images'][2]['id'] = dup['images'][0]['id']
    with pytest.raises(ValueError, match=r'image ids occur more than once'):
        build(dup)
    dangling = json.loads(json.dumps(raw))
    dangling['annotations'][0]['image_id'] = 987654321
    with pytest.raises(ValueError, match=rf"annotation id {raw['annotations'][0]['id']} with image_id 987654321"):
        build(dangling)


@pytest.mark.parametrize('value', ['False', 'True', 0.5, None])
def test_7_bin_issame_must_be_boolean(tmp_path, value):
    from mobilebench.face.bin_format import load_bin
    path = tmp_path / 'strings.bin'
    path.write_bytes(pickle.dumps(([b'a', b'b', b'c', b'd'], [True, value]), protocol=2))
    with pytest.raises(ValueError, match=r'strings\.bin: issame_list\[1\] is .*every entry must be a bool'):
        load_bin(str(path))
    path.write_bytes(pickle.dumps(([b'a', b'b', b'c', b'd'], np.array([1, 0], np.uint8)), protocol=2))
    assert load_bin(str(path))[1] == [True, False]


@pytest.mark.parametrize('factor', [-1, 0, float('nan'), float('inf'), True, '1.0'])
def test_7_widen_factor_must_be_a_positive_number(factor):
    from backbones import AsymmNet, HBONet, MobileNetV2, MobileNeXt
    with pytest.raises(ValueError, match='MobileNetV2: unsupported widen_factor'):
        MobileNetV2(widen_factor=factor)
    for cls in (AsymmNet, HBONet, MobileNeXt):
        with pytest.raises(ValueError, match=f'{cls.__name__}: unsupported widen_factor'):
            cls(widen_factor=factor)
    assert MobileNetV2(widen_factor=0.75).conv1.conv.out_channels == 24  # make_divisible(32 * 0.75, 8)


def _voc_copy(tmp_path):
    root = tmp_path / 'VOCdevkit'
    shutil.copytree(VOCDEVKIT, root)
    return root, root / 'VOC2007' / 'Annotations' / '000001.xml'


def _voc_build(root, **kwargs):
    from mmengine.registry import DATASETS, init_default_scope
    init_default_scope('mmdet')
    return DATASETS.build(dict(type='mobilebench.VOCDataset', pipeline=[], data_root=str(root) + '/',
                               ann_file='VOC2007/ImageSets/Main/test.txt', data_prefix=dict(sub_data_root='VOC2007/'),
                               test_mode=True, **kwargs))


@pytest.mark.parametrize('box,problem', [
    ((-5, 240, 195, 371), 'has a negative coordinate'),
    ((195, 240, 48, 371), r'is inverted or empty'),
    ((48, 240, 48, 371), r'is inverted or empty'),
    ((48, 240, 400, 371), r'extends outside the 353x500 image'),
    ((48, 240, 195, 501), r'extends outside the 353x500 image'),
])
def test_7_voc_boxes_negative_inverted_or_outside(tmp_path, box, problem):
    root, xml = _voc_copy(tmp_path)
    text = xml.read_text()
    new = ''.join(f'<{k}>{v}</{k}>' for k, v in zip(('xmin', 'ymin', 'xmax', 'ymax'), box))
    text = text.replace('<xmin>48</xmin>\n\t\t\t<ymin>240</ymin>\n\t\t\t<xmax>195</xmax>\n\t\t\t<ymax>371</ymax>', new)
    assert new in text
    xml.write_text(text)
    with pytest.raises(ValueError, match=rf'000001\.xml.*<object> #0 \(dog\) box .*{problem}'):
        _voc_build(root)


def test_7_voc_unknown_classes_are_counted(tmp_path):
    root, xml = _voc_copy(tmp_path)
    xml.write_text(xml.read_text().replace('<name>dog</name>', '<name>unicorn</name>'))
    with MMLogCapture() as rec:
        ds = _voc_build(root)
    assert [ds.metainfo['classes'][i['bbox_label']] for i in ds.get_data_info(0)['instances']] == ['person']
    assert any("skipped 1 objects of 1 classes that are not in metainfo[\"classes\"] ('unicorn': 1)" in m
               for m in rec.messages), rec.messages
    xml.write_text(xml.read_text().replace('<name>person</name>', '<name>wizard</name>'))
    with MMLogCapture() as rec:
        _voc_build(root)
    assert any('skipped 2 objects of 2 classes' in m and '1 of 1 images have no object left' in m
               for m in rec.messages), rec.messages


# ============================================================================ 8. unclear errors
def test_8_non_utf8_and_truncated_coco_json(tmp_path):
    from mmengine.registry import DATASETS, init_default_scope
    init_default_scope('mmdet')
    root = tmp_path / 'coco'
    shutil.copytree(COCO, root)
    ann = root / 'annotations.json'
    good = ann.read_bytes()

    def build():
        return DATASETS.build(dict(type='mobilebench.CocoDataset', data_root=str(root) + '/', pipeline=[],
                                   ann_file='annotations.json', data_prefix=dict(img='images/'), test_mode=True))

    at = good.index(b'"file_name"')
    ann.write_bytes(good[:at] + b'"x": "caf\xe9", ' + good[at:])  # latin-1 byte
    with pytest.raises(ValueError, match=rf'annotations\.json.*is not UTF-8 text \(invalid byte 0xe9 at byte '
                                         rf'{at + 9}\).*Re-export it as UTF-8 JSON'):
        build()
    ann.write_bytes(good[:len(good) // 2])
    with pytest.raises(ValueError, match=r'annotations\.json.*not valid JSON at line \d+, column \d+ .*ends in the '
                                         r'middle of the JSON \(truncated'):
        build()


def test_8_non_utf8_and_truncated_pose_json(tmp_path):
    good = open(POSE + POSE_ANN, 'rb').read()
    (tmp_path / 'latin1.json').write_bytes(good.replace(b'"file_name"', b'"fil\xe9_name"', 1))
    with pytest.raises(ValueError, match=r'latin1\.json.*is not UTF-8 text \(invalid byte 0xe9'):
        _pose_dataset(data_root=str(tmp_path), ann_file='latin1.json', data_prefix=dict(img=POSE))
    (tmp_path / 'cut.json').write_bytes(good[:len(good) * 2 // 3])
    with pytest.raises(ValueError, match=r'cut\.json.*truncated'):
        _pose_dataset(data_root=str(tmp_path), ann_file='cut.json', data_prefix=dict(img=POSE))
    dets = open(POSE + POSE_DET, 'rb').read()
    (tmp_path / 'dets.json').write_bytes(dets[:len(dets) // 2])
    with pytest.raises(ValueError, match=r'dets\.json.*truncated'):
        _pose_dataset(bbox_file=str(tmp_path / 'dets.json'))


@pytest.mark.parametrize('content,what', [(b'', r'empty \(0 bytes\)'),
                                          (b'\xff\xd8\xff\xe0 not really a jpeg', 'corrupt, truncated')])
def test_8_empty_or_corrupt_image_names_the_file(tmp_path, content, what):
    from mmcv.transforms import LoadImageFromFile
    from mmpose.datasets.transforms import LoadImage
    path = tmp_path / 'broken.jpg'
    path.write_bytes(content)
    with pytest.raises(ValueError, match=rf'broken\.jpg.*img_id 7.*is {what}.*Re-download'):
        LoadImageFromFile()(dict(img_path=str(path), img_id=7))
    with pytest.raises(ValueError, match=rf'broken\.jpg.*is {what}'):  # mmpose's subclass
        LoadImage()(dict(img_path=str(path), img_id=7))
    if not content:  # mmcv's ignore_empty skips files that fail to read or decode with an exception
        assert LoadImageFromFile(ignore_empty=True)(dict(img_path=str(path))) is None


def test_8_empty_face_image_and_voc_image_without_size(tmp_path):
    from mobilebench.face.transforms import LoadFaceImage
    with pytest.raises(ValueError, match=r'lfw\.bin\[3\]: cannot decode the face image \(empty, 0 bytes\)'):
        LoadFaceImage()(dict(img_bytes=b'', source='lfw.bin[3]'))
    root, xml = _voc_copy(tmp_path)
    text = xml.read_text()
    xml.write_text(text[:text.index('<size>')] + text[text.index('</size>') + len('</size>'):])
    (root / 'VOC2007' / 'JPEGImages' / '000001.jpg').write_bytes(b'')
    with pytest.raises(ValueError, match=r'000001\.jpg.*is empty \(0 bytes\).*000001\.xml.*has no <size>'):
        _voc_build(root)


def test_8_legacy_recordio_header_with_huge_count(tmp_path):
    from mobilebench.face.recordio import IRHeader, RecordIOError, RecordIOReader, image_keys, pack_record
    rec, idx = tmp_path / 'train.rec', tmp_path / 'train.idx'
    # written by hand (dmlc recordio framing): header record 0 claims 3e9 images, then one image record
    records = [pack_record(IRHeader(2, np.array([3e9, 3e9 + 10], np.float32)), b''),
               pack_record(IRHeader(0, 0.0, 1), b'\xff\xd8 jpeg bytes')]
    offsets, blob = [], b''
    for payload in records:
        offsets.append(len(blob))
        blob += struct.pack('<II', 0xCED7230A, len(payload)) + payload + b'\x00' * (-len(payload) % 4)
    rec.write_bytes(blob)
    idx.write_text(''.join(f'{k}\t{o}\n' for k, o in enumerate(offsets)))
    with pytest.raises(RecordIOError, match=r'train\.rec: record 0 is a legacy .*label\[0\] = 3e\+09 .*at most 1 '
                                            r'records.*re-pack'):
        image_keys(RecordIOReader(str(rec)))


def test_8_bin_array_larger_than_file_is_refused_before_allocating(tmp_path):
    from mobilebench.face.bin_format import UnsafeBinError, load_bin

    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy 1
        from numpy.core.multiarray import _reconstruct

    class Huge:  # numpy's own pickle opcodes for a 10**12-byte array (never built here)
        def __reduce__(self):
            return (_reconstruct, (np.ndarray, (10 ** 12, ), b'B'))

    path = tmp_path / 'huge.bin'
    path.write_bytes(pickle.dumps(([Huge(), b'x'], [True]), protocol=2))
    with pytest.raises(UnsafeBinError, match=r'huge\.bin: array of shape \(1000000000000,\) .* larger than the file'):
        load_bin(str(path))


def test_8_non_utf8_action_list_names_the_line(tmp_path):
    from mmaction.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    (tmp_path / 'a.avi').write_bytes(b'')
    (tmp_path / 'list.txt').write_bytes('\ufeffa.avi 0\n'.encode('utf-8') + b'caf\xe9.avi 0\n')
    cfg = dict(type='mobilebench.VideoListDataset', ann_file=str(tmp_path / 'list.txt'), pipeline=[],
               data_prefix=dict(video=str(tmp_path)), check_files=False)
    with pytest.raises(ValueError, match=r'list\.txt, line 2: not UTF-8 text \(invalid byte 0xe9 at column 4\)'):
        DATASETS.build(cfg)
    (tmp_path / 'list.txt').write_bytes('\ufeffa.avi 0\n'.encode('utf-8'))  # a BOM is not part of the name
    assert DATASETS.build(cfg).get_data_info(0)['filename'] == str(tmp_path / 'a.avi')


def test_8_truncated_pickle_data_file_names_the_file(tmp_path):
    import mmengine
    path = tmp_path / 'cut.pkl'
    path.write_bytes(pickle.dumps(dict(a=list(range(100))), protocol=2)[:40])
    with pytest.raises(ValueError, match=r'cut\.pkl: not a readable pickle .*truncated'):
        mmengine.load(str(path))
