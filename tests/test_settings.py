"""Settings (docs/settings.md): the names of a task template that a user changes really move every field.

Each task is pointed at a real fixture of tests/data laid out differently from the template's default (tmp_path
copies / symlinks under other folder and file names) through the settings alone, as ``--cfg-options`` gives them;
the built dataset, evaluator and model are checked against facts read from the fixture files here (image paths,
instance counts, class count of the head), not against the config. Misspelled names fail with the list of
settings; every committed config is consistent with its record.
"""
import glob
import importlib.util
import json
import os
import os.path as osp
import shutil

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = osp.join(ROOT, 'tests', 'data')
TASKS = osp.join(ROOT, 'configs', '_base_', 'tasks')
COCO_DETECTION = ('classes', 'data_root', 'max_epochs', 'train_ann_file', 'train_img_dir', 'val_ann_file',
                  'val_img_dir')


def _config(*parts):
    return osp.join(ROOT, 'configs', *parts)


def _link_files(src_dir, dst_dir, pattern='*'):
    os.makedirs(dst_dir, exist_ok=True)
    for path in sorted(glob.glob(osp.join(src_dir, pattern))):
        os.symlink(path, osp.join(dst_dir, osp.basename(path)))


def _load(path, options, misspelled, settings):
    """The config of ``path`` with ``options`` applied as tools/train.py applies ``--cfg-options``, parsed once:
    first the file's own consistency with its record, then a misspelled setting (``misspelled`` -> the right
    name) that must fail with the list ``settings`` (written here by hand), then the options."""
    import copy

    from mmengine.config import Config

    from mobilebench.config import SettingsError, apply_overrides, check_settings, resolve_backbone_placeholders
    cfg = Config.fromfile(path)
    assert check_settings(cfg) == []
    _assert_record_covers(cfg)
    wrong, right = misspelled
    with pytest.raises(SettingsError) as info:
        apply_overrides(copy.deepcopy(cfg), {wrong: 1})
    assert f'Did you mean {right!r}' in str(info.value)
    assert f'{osp.basename(path)}: {", ".join(settings)} (docs/settings.md)' in str(info.value)
    return resolve_backbone_placeholders(apply_overrides(cfg, options))


def _items(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def _build(cfg_node, scope):
    from mmengine.registry import DATASETS, MODELS, init_default_scope
    init_default_scope(scope)
    registry = DATASETS if 'pipeline' in cfg_node or 'dataset' in cfg_node or 'datasets' in cfg_node else MODELS
    return registry.build(cfg_node)


# ------------------------------------------------------------------------------------------------ records
#: every task template, the x1.0 re-ID configs (a record entry of their own: tools/misc/generate_reid_configs.py)
#: and the fixture configs of tests/data/configs (derived configs as a user writes them for OpenMMLab's tools)
RECORD_CONFIGS = sorted(glob.glob(osp.join(TASKS, '*.py'))) + [
    _config('reid', 'reid_hbonet_x1.0_market1501-256x128.py')] + sorted(glob.glob(osp.join(DATA, 'configs', '*.py')))


def _leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, path + (key, ))
    elif isinstance(node, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in node):
        for i, value in enumerate(node):
            yield from _leaves(value, path + (i, ))
    else:
        yield path, node


def _assert_record_covers(cfg):
    """Every field read at run time that holds the data root, a class count or the epoch count is in the record
    (so a setting cannot leave a copy of its old value behind)."""
    from mobilebench.config import RUNTIME_KEYS, settings_record
    covered = [tuple(int(k) if k.isdigit() else k for k in key.split('.')) for key in settings_record(cfg)]
    missing = []
    for top in RUNTIME_KEYS & set(cfg.keys()):
        node = cfg[top].to_dict() if hasattr(cfg[top], 'to_dict') else cfg[top]
        for where, value in _leaves(node, (top, )):
            uses = (isinstance(value, str) and value.startswith(cfg.data_root)) \
                or where[-1] in ('num_classes', 'max_epochs') or (where[-1] == 'classes' and 'metainfo' in where)
            if uses and not any(where[:len(c)] == c for c in covered):
                missing.append('.'.join(map(str, where)))
    assert missing == []


@pytest.mark.parametrize('path', RECORD_CONFIGS, ids=lambda p: osp.basename(p)[:-3])
def test_config_follows_and_covers_its_record(path):
    """Every template (the task tests below check one config per task): what mmengine parsed from the file is
    what the record derives from the file's own settings, and the record covers every use."""
    from mmengine.config import Config

    from mobilebench.config import check_settings, setting_names
    cfg = Config.fromfile(path)
    assert 'data_root' in setting_names(cfg)
    assert check_settings(cfg) == []
    _assert_record_covers(cfg)


# ------------------------------------------------------------------------------------------------ detection
def test_detection_coco_settings_move_every_path(tmp_path):
    """COCO in `pics/` + `labels/instances.json` instead of train2017/ + annotations/, three classes."""
    src = osp.join(DATA, 'detection', 'coco')
    root = tmp_path / 'my_coco'
    _link_files(osp.join(src, 'images'), str(root / 'pics'))
    os.makedirs(root / 'labels')
    shutil.copy(osp.join(src, 'annotations.json'), root / 'labels' / 'instances.json')
    classes = ('person', 'dog', 'car')
    cfg = _load(_config('detection', 'yolov3_416_asymmnet_small_x1.0_coco.py'), {
        'data_root': str(root), 'train_img_dir': 'pics/', 'val_img_dir': 'pics/',
        'train_ann_file': 'labels/instances.json', 'val_ann_file': 'labels/instances.json',
        'classes': classes, 'max_epochs': 5}, ('val_ann_fle', 'val_ann_file'), COCO_DETECTION)
    # the known answer, from the JSON: instances of the three classes (not crowd) and the images holding them
    coco = json.load(open(osp.join(src, 'annotations.json')))
    names = {c['id']: c['name'] for c in coco['categories']}
    want = [a for a in coco['annotations'] if names[a['category_id']] in classes and not a.get('iscrowd')]
    files = {i['id']: i['file_name'] for i in coco['images']}
    val = _build(cfg.test_dataloader.dataset, 'mmdet')
    got = [(d['img_path'], len(d['instances'])) for d in _items(val) if d['instances']]
    assert sorted(p for p, _ in got) == sorted({str(root / 'pics' / files[a['image_id']]) for a in want})
    assert sum(n for _, n in got) == len(want)
    assert val.metainfo['classes'] == classes
    item = _build(cfg.train_dataloader.dataset, 'mmdet')[0]  # RepeatDataset -> CocoDataset -> the train pipeline
    assert item['data_samples'].img_path.startswith(str(root / 'pics') + '/')
    assert max(item['data_samples'].gt_instances.labels.tolist()) < 3
    assert cfg.test_evaluator.ann_file == str(root / 'labels' / 'instances.json')
    assert cfg.train_cfg.max_epochs == 5 and cfg.param_scheduler[1].milestones == [4, 4]
    model = _build(cfg.model, 'mmdet')
    # YOLOv3's prediction convs: 3 anchors x (4 box + 1 objectness + classes) per level
    assert {conv.out_channels for conv in model.bbox_head.convs_pred} == {3 * (5 + 3)}


def test_detection_voc_single_folder(tmp_path):
    """A VOC-style folder of one's own (no VOC2007/VOC2012 level), two classes, with SSDLite."""
    src = osp.join(DATA, 'detection', 'VOCdevkit', 'VOC2007')
    root = tmp_path / 'boxes'
    for sub in ('Annotations', 'JPEGImages'):
        _link_files(osp.join(src, sub), str(root / sub))
    os.makedirs(root / 'lists')
    shutil.copy(osp.join(src, 'ImageSets', 'Main', 'trainval.txt'), root / 'lists' / 'train.txt')
    shutil.copy(osp.join(src, 'ImageSets', 'Main', 'test.txt'), root / 'lists' / 'val.txt')
    cfg = _load(_config('detection', 'ssdlite_320_asymmnet_small_x1.0_voc.py'), {
        'data_root': str(root), 'train_subsets': [''], 'train_ann_file': 'lists/train.txt', 'val_subset': '',
        'val_ann_file': 'lists/val.txt', 'classes': ('dog', 'person')}, ('train_subset', 'train_subsets'),
        ('classes', 'data_root', 'max_epochs', 'train_ann_file', 'train_subsets', 'val_ann_file', 'val_subset'))
    concat = _build(cfg.train_dataloader.dataset.dataset, 'mmdet')
    assert len(concat.datasets) == 1
    val = _build(cfg.val_dataloader.dataset, 'mmdet')
    (info, ) = _items(val)
    assert info['img_path'] == str(root / 'JPEGImages' / '000001.jpg')
    # 000001.xml holds one dog and one person
    assert sorted(i['bbox_label'] for i in info['instances']) == [0, 1]
    model = _build(cfg.model, 'mmdet')
    assert model.bbox_head.num_classes == 2 and model.bbox_head.cls_out_channels == 3  # + background


# ------------------------------------------------------------------------------------------------ pose
def test_pose_settings_move_every_path(tmp_path):
    """Keypoints in `img/`, `ann/kp.json` and person boxes in `det/boxes.json`: datasets, metric and boxes follow."""
    src = osp.join(DATA, 'pose', 'coco')
    root = tmp_path / 'people'
    _link_files(src, str(root / 'img'), '*.jpg')
    os.makedirs(root / 'ann')
    os.makedirs(root / 'det')
    shutil.copy(osp.join(src, 'test_coco.json'), root / 'ann' / 'kp.json')
    shutil.copy(osp.join(src, 'test_coco_det_AP_H_56.json'), root / 'det' / 'boxes.json')
    config = _config('pose', 'simplebaseline_asymmnet_small_x1.0_coco-256x192.py')
    settings = {'data_root': str(root), 'train_img_dir': 'img/', 'val_img_dir': 'img/',
                'train_ann_file': 'ann/kp.json', 'val_ann_file': 'ann/kp.json', 'bbox_file': 'det/boxes.json'}
    cfg = _load(config, settings, ('bbox_files', 'bbox_file'), (
        'bbox_file', 'data_root', 'max_epochs', 'train_ann_file', 'train_img_dir', 'val_ann_file', 'val_img_dir'))
    dets = json.load(open(osp.join(src, 'test_coco_det_AP_H_56.json')))
    kps = json.load(open(osp.join(src, 'test_coco.json')))
    val = _build(cfg.test_dataloader.dataset, 'mmpose')
    assert len(val) == len(dets)  # one sample per person detection of the boxes file
    assert {d['img_path'] for d in _items(val)} == {str(root / 'img' / i['file_name']) for i in kps['images']}
    assert cfg.val_evaluator.ann_file == cfg.test_evaluator.ann_file == str(root / 'ann' / 'kp.json')
    from mmpose.evaluation import CocoMetric
    assert len(CocoMetric(ann_file=cfg.val_evaluator.ann_file).coco.getImgIds()) == len(kps['images'])
    train = _build(cfg.train_dataloader.dataset, 'mmpose')
    assert len(train) == sum(1 for a in kps['annotations'] if a['num_keypoints'] > 0)
    assert train[0]['data_samples'].img_path.startswith(str(root / 'img') + '/')
    from mobilebench.config import apply_overrides
    gt = apply_overrides(cfg, {'bbox_file': None})  # ground-truth boxes
    assert gt.val_dataloader.dataset.bbox_file is None and gt.test_dataloader.dataset.bbox_file is None


# ------------------------------------------------------------------------------------------------ action
def test_action_settings_move_every_path(tmp_path):
    """Clips in `clips/<class>/`, the list in `lists/`, 3 classes: the head has 3 outputs, the clip decodes."""
    src = osp.join(DATA, 'action')
    root = tmp_path / 'my_actions'
    _link_files(osp.join(src, 'videos'), str(root / 'clips'))
    os.makedirs(root / 'lists')
    shutil.copy(osp.join(src, 'ucf101_videos.txt'), root / 'lists' / 'all.txt')
    cfg = _load(_config('action', 'tsn_asymmnet_small_x1.0_hmdb51-video.py'), {
        'data_root': str(root), 'video_dir': 'clips', 'train_ann_file': 'lists/all.txt',
        'val_ann_file': 'lists/all.txt', 'num_classes': 3, 'max_epochs': 10}, ('num_clases', 'num_classes'),
        ('data_root', 'dataset_name', 'max_epochs', 'num_classes', 'split', 'train_ann_file', 'val_ann_file',
         'video_dir'))
    lines = open(osp.join(src, 'ucf101_videos.txt')).read().split('\n')
    want = [str(root / 'clips' / line.split()[0]) for line in lines if line.strip()]
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = _build(cfg[key].dataset, 'mmaction')
        assert [d['filename'] for d in _items(ds)] == want
    item = ds[0]
    assert item['inputs'].shape[0] == 8  # the 8 TSN segments of the clip, decoded from clips/
    assert cfg.param_scheduler[0].milestones == [4, 8] and cfg.param_scheduler[0].end == 10
    model = _build(cfg.model, 'mmaction')
    assert model.cls_head.fc_cls.out_features == 3


# ------------------------------------------------------------------------------------------------ face
def test_face_settings_move_every_path(tmp_path):
    """A verification file of one's own name in another root: the datasets, checkpoint key and loss follow."""
    root = tmp_path / 'faces'
    os.makedirs(root)
    os.symlink(osp.join(DATA, 'face', 'small_lfw.bin'), root / 'my_pairs.bin')
    cfg = _load(_config('face', 'arcface_asymmnet_small_x1.0_ms1m-112.py'), {
        'data_root': str(root), 'val_targets': ['my_pairs'], 'num_classes': 3, 'embedding_size': 128,
        'batch_size': 4}, ('val_target', 'val_targets'), ('batch_size', 'data_root', 'embedding_size', 'max_epochs',
                                                        'num_classes', 'val_targets', 'warmup_epochs'))
    assert cfg.train_dataloader.dataset.data_root == str(root) + '/'
    assert cfg.default_hooks.checkpoint.save_best == 'my_pairs/accuracy'
    assert cfg.train_dataloader.batch_size == cfg.test_dataloader.batch_size == 4
    val = _build(cfg.val_dataloader.dataset, 'mobilebench')
    assert len(val.datasets) == 1
    assert len(val) == 20  # small_lfw.bin: 10 pairs = 20 faces
    item = val[0]
    assert tuple(item['inputs'].shape) == (3, 112, 112)
    model = _build(cfg.model, 'mobilebench')
    assert tuple(model.loss_module.weight.shape) == (3, 128)  # one class centre per identity


# ------------------------------------------------------------------------------------------------ re-ID
def test_reid_settings_move_every_path(tmp_path):
    root = tmp_path / 'people'
    os.symlink(osp.join(DATA, 'market1501_tiny'), root)
    cfg = _load(_config('reid', 'reid_mobilenetv2_x0.25_market1501-256x128.py'), {
        'data_root': str(root), 'num_classes': 5, 'input_size': (32, 64), 'max_epochs': 6, 'warmup_epochs': 1},
        ('data_rot', 'data_root'),
        ('batch_size', 'data_root', 'input_size', 'max_epochs', 'num_classes', 'warmup_epochs'))
    train = _build(cfg.train_dataloader.dataset, 'mmdet')
    want = sorted(f for f in os.listdir(osp.join(DATA, 'market1501_tiny', 'bounding_box_train'))
                  if f.endswith('.jpg') and not f.startswith(('-1', '0000')))
    assert sorted(osp.basename(d['img_path']) for d in _items(train)) == want
    assert all(d['img_path'].startswith(str(root) + '/') for d in _items(train))
    assert tuple(train[0]['inputs'].shape)[-2:] == (64, 32)  # (h, w) of input_size (w, h)
    assert cfg.param_scheduler[0].milestones == [4] and cfg.custom_hooks[0].warmup == 1
    model = _build(cfg.model, 'mmdet')
    assert model.head.classifier.out_features == 5


# ------------------------------------------------------------------------------------------------ classification
def test_classification_settings(tmp_path):
    root = tmp_path / 'shapes'
    cfg = _load(_config('classification', 'hbonet_x1.0_8xb32-150e_in1k.py'),
                {'data_root': str(root), 'num_classes': 4, 'max_epochs': 12}, ('max_epoch', 'max_epochs'),
                ('data_root', 'max_epochs', 'num_classes'))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[key].dataset.data_root == str(root) + '/'
    assert cfg.param_scheduler[0].T_max == cfg.param_scheduler[0].end == cfg.train_cfg.max_epochs == 12
    assert cfg.data_preprocessor.num_classes == 4
    model = _build(cfg.model, 'mmpretrain')
    assert model.head.fc.out_features == 4


# ------------------------------------------------------------------------------------------------ errors
def test_substituted_variable_and_stale_field_are_errors():
    from mobilebench.config import SettingsError, load_config
    config = _config('action', 'tsn_mobilenetv2_x1.0_hmdb51-video.py')
    with pytest.raises(SettingsError, match=r"'crop_size' is a variable that the config file substituted"):
        load_config(config, {'crop_size': 112})
    # a field the user edits directly wins over its setting, given together
    cfg = load_config(config, {'data_root': '/d/', 'val_dataloader.dataset.ann_file': '/elsewhere/val.txt'})
    assert cfg.val_dataloader.dataset.ann_file == '/elsewhere/val.txt'
    assert cfg.test_dataloader.dataset.ann_file == '/d/hmdb51_val_split_1_videos.txt'


def test_derived_setting_follows_unless_given():
    from mobilebench.config import load_config
    config = _config('action', 'tsn_mobilenetv2_x1.0_ucf101-video.py')
    cfg = load_config(config, {'split': 3})
    assert cfg.train_dataloader.dataset.ann_file == 'data/ucf101/ucf101_train_split_3_videos.txt'
    cfg = load_config(config, {'split': 3, 'train_ann_file': 'mine.txt'})
    assert cfg.train_dataloader.dataset.ann_file == 'data/ucf101/mine.txt'
    assert cfg.val_dataloader.dataset.ann_file == 'data/ucf101/ucf101_val_split_3_videos.txt'


def test_benchmark_overrides_are_settings():
    """A benchmark's `overrides` go through the same editor (compose_config)."""
    from mobilebench.config import SettingsError, backbone_file, compose_config
    template = osp.join(TASKS, 'tsn_ucf101_video.py')
    cfg = compose_config(template, backbone_file('mobilenetv2_x1.0'), {'num_classes': 7, 'data_root': '/u'})
    assert cfg.model.cls_head.num_classes == cfg.train_dataloader.dataset.num_classes == 7
    assert cfg.test_dataloader.dataset.data_prefix.video == '/u/videos'
    with pytest.raises(SettingsError, match="Did you mean 'num_classes'"):
        compose_config(template, backbone_file('mobilenetv2_x1.0'), {'num_class': 7})


# ------------------------------------------------------------------------------------------------ tools
def _tool(name):
    spec = importlib.util.spec_from_file_location(f'_mb_tool_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_train_and_test_tools_take_settings(tmp_path, monkeypatch):
    import mobilebench.runner_utils as runner_utils
    from mobilebench.config import SettingsError
    config = _config('pose', 'simplebaseline_mobilenetv2_x1.0_coco-256x192.py')
    options = ['--cfg-options', 'data_root=/p', 'val_ann_file=a/v.json', 'bbox_file=None', 'max_epochs=7']
    train = _tool('train')
    cfg = train.build_train_cfg(train.parse_args([config, '--work-dir', str(tmp_path)] + options))
    assert cfg.val_evaluator.ann_file == '/p/a/v.json' and cfg.val_dataloader.dataset.bbox_file is None
    assert cfg.train_cfg.max_epochs == 7 and cfg.train_dataloader.dataset.data_root == '/p/'

    built = {}

    class Built(Exception):
        pass

    def fake_runner(cfg):
        built['cfg'] = cfg
        raise Built

    monkeypatch.setattr(runner_utils, 'build_runner', fake_runner)
    ckpt = tmp_path / 'model.pth'
    ckpt.write_bytes(b'')
    test = _tool('test')
    with pytest.raises(Built):
        test.main([config, str(ckpt), '--work-dir', str(tmp_path)] + options)
    assert built['cfg'].test_evaluator.ann_file == '/p/a/v.json'
    assert built['cfg'].test_dataloader.dataset.bbox_file is None
    with pytest.raises(SettingsError, match="Did you mean 'bbox_file'"):
        test.main([config, str(ckpt), '--cfg-options', 'bbox_fil=None'])
