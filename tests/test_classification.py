"""ImageNet classification on mmpretrain: configs, the official heads, ImageNet folders, the pretrain chain.

The ImageNet-layout folder of these tests is built from real images of ``tests/data/`` (32x32 crops of the
fridge / COCO / COCO-pose fixture photos, one source per class), so labels are known from the folders.
"""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = osp.join(ROOT, 'tests', 'data')
FIXTURES = osp.join(DATA, 'fixtures')
CLS = osp.join(ROOT, 'configs', 'classification')
# class folder -> real source photos (sorted folder order = labels: coco 0, fridge 1, person 2)
SOURCES = {
    'coco': ['detection/coco/images/000000000089.jpg', 'detection/coco/images/000000128372.jpg',
             'detection/coco/images/000000194216.jpg'],
    'fridge': ['detection/fridge/images/10.jpg', 'detection/fridge/images/11.jpg', 'detection/fridge/images/12.jpg'],
    'person': ['pose/coco/000000000785.jpg', 'pose/coco/000000040083.jpg', 'pose/coco/000000196141.jpg'],
}
#: one config per family (the cheapest width of each) and the val images per class of the folder
FAMILY_CONFIGS = [
    'asymmnet_small_x0.35_8xb256-360e_in1k.py',
    'mobilenetv3_small_x0.35_8xb256-360e_in1k.py',
    'mobilenext_x0.35_4xb64-200e_in1k.py',
    'hbonet_x0.1_8xb32-150e_in1k.py',
    'mobilenetv2_x0.1_8xb32-150e_in1k.py',
]
VAL_PER_CLASS = {'coco': 2, 'fridge': 1, 'person': 2}


def _crops(path, n, rng, size=32):
    img = cv2.imread(osp.join(DATA, path))
    h, w = img.shape[:2]
    side = min(h, w) // 3
    out = []
    for _ in range(n):
        y, x = int(rng.integers(0, h - side)), int(rng.integers(0, w - side))
        out.append(cv2.resize(img[y:y + side, x:x + side], (size, size), interpolation=cv2.INTER_AREA))
    return out


def make_imagenet_folder(root, train_per_class=4):
    """train/<class>/*.JPEG + val/<class>/*.JPEG of real 32x32 crops; returns {split: [(path, label)]}."""
    rng = np.random.default_rng(0)
    truth = {'train': [], 'val': []}
    for label, (cls, photos) in enumerate(sorted(SOURCES.items())):
        for split, n in (('train', train_per_class), ('val', VAL_PER_CLASS[cls])):
            folder = osp.join(root, split, cls)
            os.makedirs(folder, exist_ok=True)
            for i, crop in enumerate(_crops(photos[0 if split == 'train' else 1], n, rng)):
                path = osp.join(folder, f'{cls}_{i:03d}.JPEG')
                cv2.imwrite(path, crop)
                truth[split].append((path, label))
    return truth


@pytest.fixture(scope='module')
def imagenet(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('imagenet'))
    return root, make_imagenet_folder(root)


def _tiny_cfg(config, data_root, work_dir, **extra):
    """A classification config shrunk to the 3-class, 32 px folder (what a benchmark's rewrite does)."""
    from mobilebench.benchmark.spec import apply_rewrites
    from mobilebench.config import load_config
    from mmengine.config import Config
    cfg = load_config(config, dict(data_root=data_root + '/'))
    plain = apply_rewrites(cfg.to_dict(), [
        dict(key='num_classes', old=1000, new=3), dict(key='topk', old=(1, 5), new=(1, )),
        dict(key='scale', old=224, new=32), dict(key='scale', old=256, new=36), dict(key='crop_size', old=224, new=32),
        dict(key='batch_size', new=4), dict(key='num_workers', new=0), dict(key='persistent_workers', new=False)])
    cfg = Config(plain, filename=config)
    cfg.train_dataloader.batch_size = 6
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[split]['dataset']['classes_from_folders'] = True
    cfg.merge_from_dict(dict(
        work_dir=str(work_dir), train_cfg=dict(max_epochs=1, val_interval=100),
        param_scheduler=[dict(type='ConstantLR', factor=1.0, by_epoch=True)],
        optim_wrapper=dict(optimizer=dict(lr=0.01)),
        default_hooks=dict(logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=1)),
        randomness=dict(seed=0), **extra))
    return cfg


# --------------------------------------------------------------------------------------------------
# configs
def _generator():
    spec = importlib.util.spec_from_file_location(
        'generate_classification_configs', osp.join(ROOT, 'tools', 'misc', 'generate_classification_configs.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_configs_are_committed_and_cover_the_tables():
    gen = _generator()
    files = gen.render_all()
    assert gen.stale_files(files, ROOT) == []
    on_disk = sorted(f for f in os.listdir(CLS) if f.endswith('.py'))
    assert on_disk == sorted(osp.basename(p) for p in files)
    names = {osp.basename(p) for p in files}
    # every family and width of AsymmNet Table 5, MobileNeXt Table 3 and HBONet Table 2
    for w in (0.35, 0.5, 0.75, 1.0, 1.25):
        for net in ('asymmnet_large', 'asymmnet_small', 'asymmnet-pruned_large', 'mobilenetv3_small'):
            assert f'{net}_x{w}_8xb256-360e_in1k.py' in names
    for w in (0.35, 0.5, 0.75, 1.0, 1.4):
        assert f'mobilenext_x{w}_4xb64-200e_in1k.py' in names and f'mobilenetv2_x{w}_4xb64-200e_in1k.py' in names
    for w in (1.0, 0.8, 0.5, 0.35, 0.25, 0.1):
        assert f'hbonet_x{w}_8xb32-150e_in1k.py' in names
    text = open(osp.join(CLS, 'asymmnet_large_x0.35_8xb256-360e_in1k.py')).read()
    assert "widen_factor=0.35" in text and "_base_ = '../_base_/tasks/imagenet_asymmnet_recipe.py'" in text


def test_recipes_are_the_papers():
    from mmengine.config import Config
    a = Config.fromfile(osp.join(CLS, 'asymmnet_large_x1.0_8xb256-360e_in1k.py'))
    assert a.optim_wrapper.optimizer.lr == 2.6 and a.optim_wrapper.optimizer.weight_decay == 3e-5
    assert a.train_cfg.max_epochs == 360 and a.train_dataloader.batch_size == 256
    assert a.param_scheduler[0].end == 5 and a.param_scheduler[1].end == 360
    assert a.auto_scale_lr.base_batch_size == 2048 and a.default_scope == 'mmpretrain'
    m = Config.fromfile(osp.join(CLS, 'mobilenext_x1.0_4xb64-200e_in1k.py'))
    assert (m.optim_wrapper.optimizer.lr, m.train_cfg.max_epochs, m.param_scheduler[0].end) == (0.05, 200, 3)
    h = Config.fromfile(osp.join(CLS, 'hbonet_x1.0_8xb32-150e_in1k.py'))
    assert (h.optim_wrapper.optimizer.lr, h.optim_wrapper.optimizer.weight_decay, h.train_cfg.max_epochs) == (
        0.05, 4e-5, 150)
    assert h.train_dataloader.batch_size * 8 == 256
    for cfg in (a, m, h):  # 224 single-crop evaluation: short side 256, center crop 224
        steps = {s['type']: s for s in cfg.test_dataloader.dataset.pipeline}
        assert steps['ResizeEdge']['scale'] == 256 and steps['CenterCrop']['crop_size'] == 224
        assert cfg.test_evaluator.topk == (1, 5)


def test_mmpretrain_imports_without_torchvision():
    """mobilebench.compat lets mmpretrain's datasets / models / metrics import; torchvision stays absent and
    its stand-ins refuse to compute."""
    import mobilebench  # noqa: F401
    import mmpretrain.datasets  # noqa: F401
    import mmpretrain.evaluation  # noqa: F401
    import mmpretrain.models  # noqa: F401
    from mmpretrain.datasets.transforms import processing
    assert importlib.util.find_spec('torchvision') is None and 'torchvision' not in sys.modules
    with pytest.raises(ImportError):
        import torchvision  # noqa: F401
    with pytest.raises(ImportError, match='resized_crop needs torchvision'):
        processing.F.resized_crop(None, 0, 0, 1, 1, 1)


# --------------------------------------------------------------------------------------------------
# the official heads inside mmpretrain: converted fixture checkpoints give the official logits
@pytest.mark.parametrize('family,fixture,config', [
    ('asymmnet', 'asymmnet_small_x1.0', 'asymmnet_small_x1.0_8xb256-360e_in1k.py'),
    ('mobilenext', 'mobilenext_x0.35', 'mobilenext_x0.35_4xb64-200e_in1k.py'),
    ('hbonet', 'hbonet_x0.1', 'hbonet_x0.1_8xb32-150e_in1k.py'),
])
def test_converted_fixture_checkpoint_reproduces_logits(tmp_path, family, fixture, config):
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS

    from backbones.convert.common import fill_official_state_dict, load_fixture, make_fixture_input
    import mobilebench  # noqa: F401
    spec = importlib.util.spec_from_file_location(f'{family}_converter',
                                                  osp.join(ROOT, 'tools', 'model_converters', f'{family}.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    fx = load_fixture(osp.join(FIXTURES, f'{fixture}.json'))
    official = fill_official_state_dict(fx['state_dict'], fx['seed'])
    # the converter CLI writes what a user gets: {'state_dict': {backbone.*, head.*}, 'meta': ...}
    src, dst = tmp_path / 'official.pth', tmp_path / 'converted.pth'
    torch.save(official, src)
    argv = ['convert', str(src), str(dst)] + {
        'asymmnet': ['--arch', 'small', '--widen-factor', '1.0'], 'mobilenext': ['--widen-factor', '0.35'],
        'hbonet': ['--widen-factor', '0.1']}[family]
    assert tool.converter_main(family, tool.build_model, tool.convert, tool.build_model_from_args,
                               tool.add_model_args, argv) == 0
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')
    model = MODELS.build(Config.fromfile(osp.join(CLS, config)).model)
    assert type(model).__name__ == 'MobileImageClassifier' and type(model.head).__name__ == 'MobileImageNetHead'
    load_checkpoint(model, str(dst), map_location='cpu', strict=True)
    model.eval()
    with torch.no_grad():
        logits = model(make_fixture_input(fx), mode='tensor')
    ref = torch.tensor(fx['logits'])
    err = float((logits.flatten().double() - ref.double()).abs().max() / ref.abs().max())
    assert err < 1e-4, f'{fixture}: max relative logit error {err}'


def test_head_keys_match_the_converter_layout():
    from backbones.classifiers import build_imagenet_model
    from mobilebench.classification import MobileImageClassifier
    import mobilebench  # noqa: F401
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')
    bb = dict(type='backbones.AsymmNet', arch='large', widen_factor=0.35)
    ours = MobileImageClassifier(backbone=bb, head=dict(num_classes=10))
    ref = build_imagenet_model(bb, num_classes=10)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert ours.head.conv.out_channels == 1280 and ours.head.dropout.p == 0.2
    with pytest.raises(ValueError, match='remove `neck`'):
        MobileImageClassifier(backbone=bb, neck=dict(type='GlobalAveragePooling'))
    with pytest.raises(ValueError, match='no official ImageNet head'):
        MobileImageClassifier(backbone=dict(type='mmdet.ResNet', depth=18))


# --------------------------------------------------------------------------------------------------
# ImageNet as users have it
def test_imagenet_layout_errors(tmp_path):
    from mobilebench.classification import ImageNetFolder, check_imagenet_layout
    root = str(tmp_path / 'in')
    with pytest.raises(FileNotFoundError, match=r'data_root .*in.* does not exist'):
        check_imagenet_layout(root, 'train')
    make_imagenet_folder(root, train_per_class=1)
    assert check_imagenet_layout(root, 'train', num_classes=3) == ['coco', 'fridge', 'person']
    with pytest.raises(ValueError, match='has 3 class folders, expected 1000.*classes_from_folders=True'):
        check_imagenet_layout(root, 'val')
    with pytest.raises(FileNotFoundError, match=r'test folder .*test does not exist'):
        check_imagenet_layout(root, 'test')
    # an empty class folder is an error naming it (mmpretrain only warns)
    os.makedirs(osp.join(root, 'train', 'zebra'))
    with pytest.raises(ValueError, match=r'empty class folder\(s\): .*train/zebra'):
        check_imagenet_layout(root, 'train', num_classes=None)
    os.rmdir(osp.join(root, 'train', 'zebra'))
    # val classes must be train's
    os.rename(osp.join(root, 'val', 'person'), osp.join(root, 'val', 'people'))
    with pytest.raises(ValueError, match=r"only in val: \['people'\], only in train: \['person'\]"):
        check_imagenet_layout(root, 'val', num_classes=None)
    # the raw ILSVRC2012 val download: flat images, no meta/val.txt
    flat = str(tmp_path / 'flat')
    os.makedirs(osp.join(flat, 'val'))
    cv2.imwrite(osp.join(flat, 'val', 'ILSVRC2012_val_00000001.JPEG'), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match=r'holds 1 images directly but no class folders.*valprep.sh'):
        check_imagenet_layout(flat, 'val')
    # ... which mmpretrain's annotation-file variant reads
    os.makedirs(osp.join(flat, 'meta'))
    with open(osp.join(flat, 'meta', 'val.txt'), 'w') as f:
        f.write('ILSVRC2012_val_00000001.JPEG 65\n')
    assert check_imagenet_layout(flat, 'val') is None
    ds = ImageNetFolder(data_root=flat, split='val', pipeline=[])
    assert len(ds) == 1 and ds[0]['gt_label'] == 65 and ds[0]['img_path'].endswith('val/ILSVRC2012_val_00000001.JPEG')
    with open(osp.join(flat, 'meta', 'val.txt'), 'w') as f:
        f.write('ILSVRC2012_val_00000001.JPEG\n')
    with pytest.raises(ValueError, match=r'val.txt:1: .* is not "<image path> <integer label>"'):
        ImageNetFolder(data_root=flat, split='val')
    with open(osp.join(flat, 'meta', 'val.txt'), 'w') as f:
        f.write('ILSVRC2012_val_00000002.JPEG 3\n')
    with pytest.raises(FileNotFoundError, match='its first image .*ILSVRC2012_val_00000002.JPEG does not exist'):
        ImageNetFolder(data_root=flat, split='val')


def test_folder_dataset_labels(imagenet):
    from mobilebench.classification import ImageNetFolder
    root, truth = imagenet
    ds = ImageNetFolder(data_root=root, split='val', classes_from_folders=True, pipeline=[])
    assert ds.metainfo['classes'] == ('coco', 'fridge', 'person')
    assert sorted((d['img_path'], d['gt_label']) for d in ds) == sorted(truth['val'])


def test_demo_imagenet_data(tmp_path):
    spec = importlib.util.spec_from_file_location('make_demo_data', osp.join(ROOT, 'tools', 'data', 'make_demo_data.py'))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    from mobilebench.classification import check_imagenet_layout
    digests = []
    for out in ('a', 'b'):
        demo.make_imagenet(str(tmp_path / out), np.random.default_rng([0, 4]))
        root = tmp_path / out / 'imagenet'
        assert check_imagenet_layout(str(root), 'train', num_classes=6) == sorted(demo.IMAGENET_DEMO_CLASSES)
        assert check_imagenet_layout(str(root), 'val', num_classes=6) == sorted(demo.IMAGENET_DEMO_CLASSES)
        files = sorted(p for p in root.rglob('*.JPEG'))
        assert len(files) == 6 * (40 + 50) and cv2.imread(str(files[0])).shape == (32, 32, 3)
        digests.append([p.read_bytes() for p in files])
    assert digests[0] == digests[1]


# --------------------------------------------------------------------------------------------------
# train a few iterations + evaluate, per family. In the fast selection MobileNetV3 (AsymmNet's code with
# asymmetry_rate=0) is covered by the AsymmNet case and HBONet by the `stage1` fixture (trained through the
# same Runner) + test_tools_test_writes_top1_top5 (evaluated): both cases run in the slow selection.
@pytest.mark.parametrize('config', [
    pytest.param(c, marks=pytest.mark.slow) if c.startswith(('mobilenetv3', 'hbonet')) else c
    for c in FAMILY_CONFIGS])
def test_family_trains_and_evaluates(imagenet, tmp_path, config):
    from mobilebench.runner_utils import build_runner
    root, truth = imagenet
    cfg = _tiny_cfg(osp.join(CLS, config), root, tmp_path)
    runner = build_runner(cfg)
    runner.train()
    assert runner.iter == 2  # 12 train images, batch 6, 1 epoch
    metrics = runner.test()
    # the evaluator's top-1 against an accuracy computed here from the model's scores and the folder labels
    labels = dict(truth['val'])
    model = runner.model.eval()
    hits = n = 0
    with torch.no_grad():
        for batch in runner.test_dataloader:
            data = model.data_preprocessor(batch, False)
            pred = model(data['inputs'], mode='tensor').argmax(1)
            for p, sample in zip(pred.tolist(), data['data_samples']):
                hits += int(p == labels[sample.img_path])
                n += 1
    assert n == sum(VAL_PER_CLASS.values())
    assert metrics['accuracy/top1'] == pytest.approx(100.0 * hits / n)


@pytest.fixture(scope='module')
def stage1(imagenet, tmp_path_factory):
    """One trained ImageNet-stage run (HBONet x0.1, 2 iterations): (config, work_dir, backbone state)."""
    from mobilebench.runner_utils import build_runner
    root, _ = imagenet
    work_dir = tmp_path_factory.mktemp('imagenet__hb')
    cfg = _tiny_cfg(osp.join(CLS, 'hbonet_x0.1_8xb32-150e_in1k.py'), root, work_dir)
    runner = build_runner(cfg)
    runner.train()
    return cfg, str(work_dir), {k: v.clone() for k, v in runner.model.backbone.state_dict().items()}


def test_tools_test_writes_top1_top5(stage1, tmp_path):
    """tools/test.py on the trained checkpoint writes metrics.json with accuracy/top1 and top-k (3 classes: the
    top-3 always holds the truth, so it must be exactly 100)."""
    cfg, work_dir, _ = stage1
    ckpt = open(osp.join(work_dir, 'last_checkpoint')).read().strip()
    cfg = cfg.copy()
    cfg.test_evaluator = dict(type='Accuracy', topk=(1, 3))
    cfg.dump(str(tmp_path / 'tiny.py'))
    spec = importlib.util.spec_from_file_location('tools_test', osp.join(ROOT, 'tools', 'test.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / 'metrics.json'
    tool.main([str(tmp_path / 'tiny.py'), ckpt, '--work-dir', str(tmp_path / 'test'), '--out-json', str(out)])
    payload = json.load(open(out))
    assert payload['checkpoint'] == ckpt
    assert payload['metrics']['accuracy/top3'] == 100.0
    # top-1: what the Runner's own test loop gives on the same checkpoint
    from mobilebench.runner_utils import build_runner
    cfg.load_from, cfg.work_dir = ckpt, str(tmp_path / 'again')
    assert payload['metrics']['accuracy/top1'] == pytest.approx(build_runner(cfg).test()['accuracy/top1'])


# --------------------------------------------------------------------------------------------------
# the pretrain -> downstream chain
def test_chain_planning():
    from mobilebench.benchmark import chain
    tasks = dict(imagenet=dict(), det=dict(pretrain='imagenet'), pose=dict(pretrain='imagenet'), face=dict())

    class R:
        def __init__(self, task, backbone='b'):
            self.task, self.backbone = task, backbone
    runs = [R('det'), R('face'), R('imagenet'), R('pose')]
    waves = chain.stage_waves(runs, tasks)
    assert [[r.task for r in w] for w in waves] == [['face', 'imagenet'], ['det', 'pose']]
    assert chain.upstream_run_id(tasks, 'det', 'hbonet_x1.0') == 'imagenet__hbonet_x1.0'
    assert chain.upstream_run_id(tasks, 'face', 'hbonet_x1.0') is None
    with pytest.raises(ValueError, match=r"tasks.det.pretrain = 'imagenet1k' is not a task"):
        chain.check_tasks(dict(imagenet=dict(), det=dict(pretrain='imagenet1k')))
    with pytest.raises(ValueError, match='a -> b -> a is a cycle'):
        chain.check_tasks(dict(a=dict(pretrain='b'), b=dict(pretrain='a')))


def test_paper_benchmark_uses_the_chain():
    from mmengine.config import Config
    from mobilebench.benchmark import chain
    bench = Config.fromfile(osp.join(ROOT, 'configs', 'benchmark', 'paper.py'))
    chain.check_tasks(bench.tasks)
    for task in ('voc_yolov3', 'voc_ssdlite', 'coco_pose', 'hmdb51_tsn'):
        assert bench.tasks[task].pretrain == 'imagenet'
    assert chain.pretrain_task(bench.tasks, 'face_arcface') is None  # AsymmNet Table 7: from scratch
    assert bench.tasks.imagenet.published_key == 'imagenet_224'


def _record(path, **fields):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(fields, f)


def test_detector_backbone_starts_from_the_stage1_checkpoint(stage1, tmp_path):
    """Stage 1 trained a classifier; the chain points the detector's backbone at its checkpoint and every
    backbone tensor of the built detector equals the classifier's (checked by value)."""
    from mmengine.config import Config
    from mobilebench.benchmark import chain
    from mobilebench.config import compose_config, resolve_backbone_placeholders
    _, work_dir, trained = stage1
    tasks = dict(imagenet=dict(), voc=dict(pretrain='imagenet'))
    runs = tmp_path / 'runs'
    _record(str(runs / 'imagenet__hb.json'), status='ok', work_dir=work_dir, meta={})

    class Run:
        task, backbone = 'voc', 'hb'
    det = compose_config(osp.join(ROOT, 'configs', '_base_', 'tasks', 'ssdlite_320_voc.py'),
                         osp.join(ROOT, 'configs', '_base_', 'backbones', 'hbonet_x1.0.py'),
                         {'model.backbone.widen_factor': 0.1})
    resolve_backbone_placeholders(det)  # widths of the backbone finally built (as load_config does, last)
    link = chain.link_pretrained(Run, det, tasks, lambda rid: str(runs / f'{rid}.json'))
    assert link.blocked is None and link.kind == 'trained' and link.upstream == 'imagenet__hb'
    assert link.checkpoint == open(osp.join(work_dir, 'last_checkpoint')).read().strip()
    assert det.model.backbone.init_cfg == dict(type='Pretrained', checkpoint=link.checkpoint, prefix='backbone.')
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    import mobilebench.models  # noqa: F401  (SSDLite head fix)
    detector = MODELS.build(Config(det.to_dict()).model)
    detector.init_weights()
    state = detector.backbone.state_dict()
    assert set(state) == set(trained)
    for key, value in trained.items():
        assert torch.equal(state[key], value), key
    report = chain.loaded_keys_report(detector.backbone, link.checkpoint)
    assert report['loaded'] == report['backbone_keys'] == len(trained) and report['n_missing'] == 0

    # a stage-1 checkpoint of another backbone loads nothing: the run fails instead of training from scratch
    class FakeRunner:
        model = MODELS.build(Config(det.to_dict()).model)
    other = tmp_path / 'other.pth'
    torch.save({'state_dict': {'backbone.layer0.conv.weight': torch.zeros(1)}}, other)
    chain.set_backbone_init(det, str(other))
    FakeRunner.model.backbone.init_cfg = det.model.backbone.init_cfg
    FakeRunner._init_model_weights = lambda self=FakeRunner: FakeRunner.model.init_weights()
    with pytest.raises(RuntimeError, match='loaded none of the .* backbone tensors'):
        chain.pretrained_report(FakeRunner, det)


def test_downstream_of_a_failed_pretraining_is_blocked(tmp_path, monkeypatch):
    """A downstream run whose stage-1 run failed gets status 'blocked' (no process is started), and is
    decided again by the next sweep."""
    from mobilebench.benchmark import Sweep
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(osp.join(DATA, 'benchmark'))  # the toy task's custom_imports
    bench = tmp_path / 'bench.py'
    bench.write_text(
        "backbones = ['tests/data/benchmark/toy_backbone_w4.py']\n"
        "tasks = dict(\n"
        "    stage1=dict(template='tests/data/benchmark/toy_task.py', metric='toy/accuracy', input_shape=(3, 16, 16)),\n"
        "    stage2=dict(template='tests/data/benchmark/toy_task.py', metric='toy/accuracy', input_shape=(3, 16, 16),\n"
        "                pretrain='stage1'))\n")
    sweep = Sweep(str(bench), str(tmp_path / 'res'), progress=False)
    run1, run2 = sweep.runs
    _record(sweep.record_path(run1), status='failed', error='KeyError: boom', task='stage1')
    from mobilebench.benchmark import launch
    monkeypatch.setattr(launch, '_launch', lambda *a, **k: pytest.fail('a blocked run must not start'))
    assert launch.execute_run(sweep.settings, run2) == 'blocked'
    rec = json.load(open(sweep.record_path(run2)))
    assert rec['status'] == 'blocked' and rec['blocked_by'] == run1.run_id
    assert 'pretraining run stage1__toy_w4 is failed: KeyError: boom' in rec['error']
    assert run2 in sweep.pending()  # not a finished state
    from mobilebench.benchmark.leaderboard import gather
    problems = {p['run_id']: p for p in gather(str(tmp_path / 'res'))['problems']}
    assert problems[run2.run_id]['kind'] == 'blocked'
    # no record at all for stage 1: blocked too, saying how to run it
    os.unlink(sweep.record_path(run1))
    assert launch.execute_run(sweep.settings, run2) == 'blocked'
    assert '--only stage1/toy_w4' in json.load(open(sweep.record_path(run2)))['error']


@pytest.mark.slow
def test_two_stage_mini_sweep(imagenet, tmp_path):
    """A real sweep: classification (stage 1) -> SSDLite on VOC (stage 2); the detector's record states the
    stage-1 checkpoint and that every backbone tensor was loaded from it."""
    root, _ = imagenet
    voc = osp.join(DATA, 'detection', 'VOCdevkit') + '/'
    bench = tmp_path / 'bench.py'
    bench.write_text(f"""
backbones = [dict(file='configs/_base_/backbones/hbonet_x1.0.py', name='hbonet_x0.1', widen_factor=0.1)]
threads = 1
measure_untrained = False
latency = dict(warmup=1, repeats=2, threads=1)
_small = [dict(key='num_workers', new=0), dict(key='persistent_workers', new=False),
          dict(key='batch_size', new=2), dict(key='val_interval', new=1000)]
tasks = dict(
    imagenet=dict(template='configs/_base_/tasks/imagenet_hbonet_recipe.py', metric='accuracy/top1',
                  input_shape=(3, 32, 32),
                  overrides=dict(train_cfg=dict(max_epochs=1),
                                 train_dataloader=dict(dataset=dict(classes_from_folders=True)),
                                 val_dataloader=dict(dataset=dict(classes_from_folders=True)),
                                 test_dataloader=dict(dataset=dict(classes_from_folders=True))),
                  rewrite=_small + [dict(prefix='data/imagenet/', new={root + '/'!r}),
                                    dict(key='num_classes', old=1000, new=3), dict(key='topk', old=(1, 5), new=(1, )),
                                    dict(key='scale', old=224, new=32), dict(key='scale', old=256, new=36),
                                    dict(key='crop_size', old=224, new=32)]),
    voc=dict(template='configs/_base_/tasks/ssdlite_320_voc.py', metric='pascal_voc/mAP', input_shape=(3, 64, 64),
             pretrain='imagenet', overrides=dict(train_cfg=dict(max_epochs=1)),
             rewrite=_small + [dict(prefix='data/VOCdevkit/', new={voc!r}), dict(key='times', new=1),
                               dict(key='scale', old=(320, 320), new=(64, 64))]),
)
""")
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    subprocess.run([sys.executable, 'tools/benchmark.py', str(bench), '--results', str(tmp_path / 'res'),
                    '--no-progress'], cwd=ROOT, env=env, check=True, timeout=600)
    recs = {f: json.load(open(tmp_path / 'res' / 'runs' / f)) for f in os.listdir(tmp_path / 'res' / 'runs')}
    cls, det = recs['imagenet__hbonet_x0.1.json'], recs['voc__hbonet_x0.1.json']
    assert cls['status'] == 'ok', cls.get('error')
    assert det['status'] == 'ok', det.get('error')
    ckpt = open(osp.join(cls['work_dir'], 'last_checkpoint')).read().strip()
    assert det['pretrained_from'] == dict(run='imagenet__hbonet_x0.1', checkpoint=ckpt, kind='trained',
                                          prefix='backbone.')
    rep = det['pretrained']
    assert rep['checkpoint'] == ckpt and rep['loaded'] == rep['backbone_keys'] > 100 and rep['n_mismatched'] == 0
