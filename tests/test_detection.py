"""Detection: YOLOv3-416 / SSDLite-320 configs for every backbone on PASCAL VOC and COCO.

Real fixtures in tests/data/detection/ (see tests/data/README.md): the mmdetection/mmyolo VOCdevkit sample
(VOC2007 + the VOC2012 quirk), icevision's VOC export without ImageSets, icevision's fridge set
(annotations/ + images/, own classes) and six COCO val2017 images. Runs use 128 px inputs to stay fast.
"""
import importlib.util
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

import mobilebench.datasets.coco  # noqa: F401  (registers mobilebench.CocoDataset)
import mobilebench.datasets.voc  # noqa: F401  (registers mobilebench.VOCDataset)
from mobilebench.config import load_config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = osp.join(REPO, 'tests', 'data', 'detection')
VOCDEVKIT = osp.join(DATA, 'VOCdevkit') + '/'
ICEVISION_VOC = osp.join(DATA, 'icevision_voc') + '/'
FRIDGE = osp.join(DATA, 'fridge') + '/'
COCO = osp.join(DATA, 'coco') + '/'
FRIDGE_CLASSES = ('carton', 'milk_bottle', 'water_bottle', 'can')

_spec = importlib.util.spec_from_file_location('generate_task_configs',
                                               osp.join(REPO, 'tools', 'misc', 'generate_task_configs.py'))
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
DET_CONFIGS = sorted(gen.config_paths(['yolov3_416_voc', 'yolov3_416_coco', 'ssdlite_320_voc', 'ssdlite_320_coco']))


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _shrink(node, size):
    """Replace the 320/416 input sizes of every pipeline by ``size`` (tiny CPU runs)."""
    if isinstance(node, dict):
        if node.get('type') == 'Resize':
            node['scale'] = (size, size)
        elif node.get('type') == 'RandomResize':
            node['scale'] = [(size - 32, size - 32), (size, size)]
        for value in node.values():
            _shrink(value, size)
    elif isinstance(node, list):
        for value in node:
            _shrink(value, size)


def _fixture_cfg(config, layout, size=128):
    """The config pointed at a real fixture (``layout`` in voc / icevision / fridge / coco)."""
    dataset = 'coco' if config.endswith('_coco.py') else 'voc'
    if layout == 'coco':
        assert dataset == 'coco'
        cfg = load_config(config, {'data_root': COCO})
        for ds in (cfg.train_dataloader.dataset.dataset, cfg.val_dataloader.dataset, cfg.test_dataloader.dataset):
            ds.ann_file = 'annotations.json'
            ds.data_prefix = dict(img='images/')
        cfg.val_evaluator.ann_file = cfg.test_evaluator.ann_file = osp.join(COCO, 'annotations.json')
    else:
        assert dataset == 'voc'
        if layout == 'voc':  # the upstream VOC07+12 dataloaders, only data_root changed
            cfg = load_config(config, {'data_root': VOCDEVKIT})
        else:  # a folder without ImageSets: every XML of the annotation folder, train = test
            cfg = load_config(config)
            train_pipeline = cfg.train_dataloader.dataset.dataset.datasets[0].pipeline
            test_pipeline = cfg.test_dataloader.dataset.pipeline
            extra = dict(metainfo=dict(classes=FRIDGE_CLASSES), ann_subdir='annotations', img_subdir='images') \
                if layout == 'fridge' else {}
            root = FRIDGE if layout == 'fridge' else ICEVISION_VOC
            base = dict(type='mobilebench.VOCDataset', data_root=root, ann_file='', **extra)
            cfg.train_dataloader.dataset.dataset = dict(base, pipeline=train_pipeline,
                                                        filter_cfg=dict(filter_empty_gt=True, min_size=32))
            cfg.val_dataloader.dataset = cfg.test_dataloader.dataset = dict(base, pipeline=test_pipeline,
                                                                            test_mode=True)
            if layout == 'fridge':
                cfg.model.bbox_head.num_classes = len(FRIDGE_CLASSES)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        _shrink(cfg[key], size)
    # an untrained detector scores below the 0.02/0.05 thresholds; keep every box so the metric runs
    cfg.model.test_cfg.score_thr = 0.0
    return cfg


def _train_test(cfg, tmp_path, predictions=None):
    from short_runs import run_train_test
    return run_train_test(cfg, str(tmp_path / 'work'), max_iters=2, batch_size=2, predictions=predictions)


def _voc_ground_truth(img_path, classes):
    """An image's boxes read here from its VOC XML (next to the image folder: Annotations/ or annotations/),
    in mmdet's VOC convention (``int(float(v)) - 1``); ``difficult`` objects are ignored boxes."""
    import xml.etree.ElementTree as ET
    folder, name = osp.split(img_path)
    for sub in ('Annotations', 'annotations'):
        xml = osp.join(osp.dirname(folder), sub, osp.splitext(name)[0] + '.xml')
        if osp.isfile(xml):
            break
    boxes, labels, ignored, ignored_labels = [], [], [], []
    for obj in ET.parse(xml).findall('object'):
        cls = obj.find('name').text.strip()
        if cls not in classes:
            continue
        box = [int(float(obj.find('bndbox').find(k).text)) - 1 for k in ('xmin', 'ymin', 'xmax', 'ymax')]
        difficult = obj.find('difficult') is not None and int(obj.find('difficult').text or 0)
        (ignored if difficult else boxes).append(box)
        (ignored_labels if difficult else labels).append(classes.index(cls))
    as_boxes = lambda b: np.array(b, np.float32).reshape(-1, 4)  # noqa: E731
    return dict(bboxes=as_boxes(boxes), labels=np.array(labels, np.int64), bboxes_ignore=as_boxes(ignored),
                labels_ignore=np.array(ignored_labels, np.int64))


def check_voc_against_reference(metrics, samples, classes, n_images):
    """The pipeline's pascal_voc/mAP equals mmdet's ``eval_map`` (11 points, legacy coordinates, as the VOC07
    protocol) called here on the same predictions, with the ground truth read here from the XML files."""
    from mmdet.evaluation.functional import eval_map
    assert len(samples) == n_images and len({s.img_path for s in samples}) == n_images
    dets, gts = [], []
    for s in samples:
        pred = s.pred_instances
        boxes, scores, labels = pred.bboxes.numpy(), pred.scores.numpy(), pred.labels.numpy()
        dets.append([np.hstack([boxes[labels == c], scores[labels == c, None]]) for c in range(len(classes))])
        gts.append(_voc_ground_truth(s.img_path, list(classes)))
    expected, _ = eval_map(dets, gts, iou_thr=0.5, eval_mode='11points', use_legacy_coordinate=True,
                           logger='silent')
    assert metrics['pascal_voc/mAP'] == pytest.approx(expected, abs=1e-6), (metrics, expected)
    return expected


def check_coco_against_reference(metrics, samples, ann_file):
    """The pipeline's coco/bbox_mAP equals pycocotools' COCOeval called here on the same predictions
    (mmdet reports it rounded to 3 decimals, with maxDets 100/300/1000)."""
    from mmdet.datasets import CocoDataset
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    gt = COCO(ann_file)
    name_to_id = {c['name']: c['id'] for c in gt.dataset['categories']}
    cat_ids = [name_to_id[n] for n in CocoDataset.METAINFO['classes']]
    results = []
    for s in samples:
        pred = s.pred_instances
        for (x1, y1, x2, y2), score, label in zip(pred.bboxes.tolist(), pred.scores.tolist(), pred.labels.tolist()):
            results.append(dict(image_id=int(s.img_id), category_id=cat_ids[label], bbox=[x1, y1, x2 - x1, y2 - y1],
                                score=score))
    assert {int(s.img_id) for s in samples} == set(gt.getImgIds())
    ev = COCOeval(gt, gt.loadRes(results), 'bbox')
    ev.params.catIds = cat_ids
    ev.params.maxDets = [100, 300, 1000]
    ev.evaluate(), ev.accumulate(), ev.summarize()
    assert metrics['coco/bbox_mAP'] == pytest.approx(ev.stats[0], abs=5e-4 + 1e-9), (metrics, ev.stats[0])
    return ev.stats[0]


# ---------------------------------------------------------------------------------------- configs
def test_committed_configs_match_generator():
    files = gen.render_all()
    # 4 templates x 7 backbones + the paper variants (AsymmNet Table 10: 5 rows; MobileNeXt Table 8: 1)
    assert len([p for p in files if p.startswith('configs/detection/')]) == 28 + 6
    assert gen.stale_files(files, REPO) == [], 'run python tools/misc/generate_task_configs.py'
    assert gen.main(['--check', '--tasks', 'ssdlite_320_voc']) == 0


def test_generator_check_detects_stale_file(tmp_path):
    files = gen.render_all(['yolov3_416_voc'])
    assert set(gen.stale_files(files, str(tmp_path))) == set(files)  # nothing written there yet


@pytest.mark.parametrize('config', DET_CONFIGS)
def test_every_detection_config_builds(config):
    from mmengine.registry import MODELS, init_default_scope
    cfg = load_config(osp.join(REPO, config))
    assert cfg.default_scope == 'mmdet'
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model)
    widths = tuple(model.backbone.out_channels)
    if 'yolov3' in config:
        assert len(widths) == 3 and list(cfg.model.neck.in_channels) == list(widths[::-1])
        assert model.backbone.out_strides == (8, 16, 32)
    else:
        assert len(widths) == 2 and list(cfg.model.neck.in_channels) == list(widths)
        assert list(cfg.model.bbox_head.in_channels) == list(widths) + [512, 256, 256, 128]
    assert cfg.model.bbox_head.num_classes == (20 if config.endswith('_voc.py') else 80)
    if config.endswith('_voc.py'):
        assert cfg.test_evaluator.type == 'VOCMetric' and cfg.test_evaluator.eval_mode == '11points'
    else:
        assert cfg.test_evaluator.type == 'CocoMetric'


def test_upstream_mobilenetv2_widths():
    """MobileNetV2 gets exactly mmdet's hand-typed widths: YOLOv3 [320, 96, 32], SSDLite (96, 1280)."""
    yolo = load_config(osp.join(REPO, 'configs/detection/yolov3_416_mobilenetv2_x1.0_coco.py'))
    assert list(yolo.model.neck.in_channels) == [320, 96, 32]
    ssd = load_config(osp.join(REPO, 'configs/detection/ssdlite_320_mobilenetv2_x1.0_coco.py'))
    assert list(ssd.model.neck.out_channels) == [96, 1280, 512, 256, 256, 128]


def test_data_root_override_reaches_every_path():
    cfg = load_config(osp.join(REPO, 'configs/detection/yolov3_416_hbonet_x1.0_coco.py'),
                      {'data_root': '/datasets/coco'})
    assert cfg.train_dataloader.dataset.dataset.data_root == '/datasets/coco/'
    assert cfg.test_dataloader.dataset.data_root == '/datasets/coco/'
    assert cfg.test_evaluator.ann_file == '/datasets/coco/annotations/instances_val2017.json'
    voc = load_config(osp.join(REPO, 'configs/detection/ssdlite_320_hbonet_x1.0_voc.py'), {'data_root': '/v/'})
    assert [d.data_root for d in voc.train_dataloader.dataset.dataset.datasets] == ['/v/', '/v/']


# ---------------------------------------------------------------------------------------- SSDHead fix
def test_ssdlite_predicts():
    """mmdet 3.3.0 SSDHead raises AttributeError (no loss_cls) in predict; mobilebench.models fixes it."""
    from mmdet.structures import DetDataSample
    from mmengine.registry import MODELS, init_default_scope
    cfg = load_config(osp.join(REPO, 'configs/detection/ssdlite_320_mobilenext_x1.0_voc.py'))
    from mmdet.models.dense_heads import SSDHead
    assert SSDHead.loss_cls is None  # applied by custom_imports=['mobilebench.models']
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model).eval()
    sample = DetDataSample(metainfo=dict(img_shape=(128, 128), ori_shape=(128, 128), scale_factor=(1., 1.)))
    with torch.no_grad():
        results = model.predict(torch.rand(1, 3, 128, 128), [sample])
    assert results[0].pred_instances.bboxes.shape[1] == 4
    assert len(results[0].pred_instances.scores) <= cfg.model.test_cfg.max_per_img


# ---------------------------------------------------------------------------------------- train + test
@pytest.mark.parametrize('config,layout,key', [
    ('configs/detection/ssdlite_320_mobilenext_x1.0_voc.py', 'voc', 'pascal_voc/mAP'),
    ('configs/detection/yolov3_416_asymmnet_small_x1.0_voc.py', 'icevision', 'pascal_voc/mAP'),
    ('configs/detection/ssdlite_320_hbonet_x1.0_voc.py', 'fridge', 'pascal_voc/mAP'),
    ('configs/detection/yolov3_416_asymmnet_large_x1.0_coco.py', 'coco', 'coco/bbox_mAP'),
])
def test_train_test_on_real_fixtures(config, layout, key, tmp_path):
    """Two training iterations, then the test loop; its metric equals the reference library's on the test
    loop's own predictions (every fixture image evaluated once)."""
    cfg = _fixture_cfg(osp.join(REPO, config), layout)
    samples = []
    metrics = _train_test(cfg, tmp_path, predictions=samples)
    check_predictions(cfg, metrics, samples, layout)


def check_predictions(cfg, metrics, samples, layout):
    """Compare the test loop's metric with the reference library's on its predictions (see above)."""
    if layout == 'coco':
        check_coco_against_reference(metrics, samples, cfg.test_evaluator.ann_file)
        return
    from mmdet.datasets import VOCDataset
    classes = FRIDGE_CLASSES if layout == 'fridge' else VOCDataset.METAINFO['classes']
    if layout == 'voc':
        n_images = len(open(osp.join(VOCDEVKIT, 'VOC2007', 'ImageSets', 'Main', 'test.txt')).read().split())
    else:
        root = FRIDGE + 'annotations' if layout == 'fridge' else ICEVISION_VOC + 'Annotations'
        n_images = len([f for f in os.listdir(root) if f.endswith('.xml')])
    check_voc_against_reference(metrics, samples, classes, n_images)


def _slow_matrix():
    for config in DET_CONFIGS:
        for layout in (('coco', ) if config.endswith('_coco.py') else ('voc', 'icevision', 'fridge')):
            yield config, layout


@pytest.mark.slow
@pytest.mark.parametrize('config,layout', list(_slow_matrix()))
def test_train_test_full_matrix(config, layout, tmp_path):
    cfg = _fixture_cfg(osp.join(REPO, config), layout)
    samples = []
    metrics = _train_test(cfg, tmp_path, predictions=samples)
    check_predictions(cfg, metrics, samples, layout)


def test_tools_test_writes_metrics_json(tmp_path):
    """tools/train.py-style checkpoint -> tools/test.py -> metrics JSON holding pascal_voc/mAP."""
    from short_runs import run_train_test
    cfg = _fixture_cfg(osp.join(REPO, 'configs/detection/ssdlite_320_mobilenetv2_x1.0_voc.py'), 'voc')
    run_train_test(cfg, str(tmp_path / 'train'), max_iters=1, batch_size=2)
    ckpt = tmp_path / 'train' / 'iter_1.pth'
    assert ckpt.is_file()
    out = tmp_path / 'metrics.json'
    opts = ['data_root=' + VOCDEVKIT, 'model.test_cfg.score_thr=0.0', 'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=False', 'default_hooks.visualization.draw=False']
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'test.py'),
                           osp.join(REPO, 'configs/detection/ssdlite_320_mobilenetv2_x1.0_voc.py'), str(ckpt),
                           '--work-dir', str(tmp_path / 'test'), '--out-json', str(out),
                           '--samples', str(tmp_path / 'samples.npz'), '--cfg-options', *opts],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads(out.read_text())
    metrics = metrics.get('metrics', metrics)
    # the real config (320 px) through the tool: its value is checked against the reference library in
    # test_train_test_on_real_fixtures; here the tool must run and report it
    assert isinstance(metrics['pascal_voc/mAP'], float)
    # --samples: the per-image results reproduce the reported mAP (mobilebench.benchmark.samples)
    from mobilebench.benchmark.samples import load_item_metric
    item = load_item_metric(str(tmp_path / 'samples.npz'), 'pascal_voc/mAP')
    assert item(list(range(item.n))) == metrics['pascal_voc/mAP'] and list(item.ids) == ['000001']


# ---------------------------------------------------------------------------------------- datasets
def _voc(**kwargs):
    from mmengine.registry import DATASETS, init_default_scope
    init_default_scope('mmdet')
    return DATASETS.build(dict(type='mobilebench.VOCDataset', pipeline=[], **kwargs))


def test_voc2012_quirk_path_from_imageset_id():
    ds = _voc(data_root=VOCDEVKIT, ann_file='VOC2012/ImageSets/Main/trainval.txt',
              data_prefix=dict(sub_data_root='VOC2012/'))
    info = ds.get_data_info(0)
    assert info['img_path'].endswith(osp.join('VOC2012', 'JPEGImages', '000001.jpg'))  # not 000002.jpg
    assert [ds.metainfo['classes'][i['bbox_label']] for i in info['instances']] == ['train']
    assert ds.metainfo['dataset_type'] == 'VOC2012'
    voc07 = _voc(data_root=VOCDEVKIT, ann_file='VOC2007/ImageSets/Main/test.txt',
                 data_prefix=dict(sub_data_root='VOC2007/'), test_mode=True)
    labels = sorted(voc07.metainfo['classes'][i['bbox_label']] for i in voc07.get_data_info(0)['instances'])
    assert labels == ['dog', 'person']


def test_icevision_layout_float_coordinates():
    ds = _voc(data_root=ICEVISION_VOC, ann_file='', test_mode=True)
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == ['2007_000063', '2011_003353']
    person = ds.get_data_info(1)['instances']
    assert len(person) == 1 and person[0]['bbox'] == [129, 44, 374, 469]  # ymin 45.70000076293945
    assert (ds.get_data_info(1)['width'], ds.get_data_info(1)['height']) == (375, 500)


def test_fridge_layout_own_classes():
    ds = _voc(data_root=FRIDGE, ann_file='', ann_subdir='annotations', img_subdir='images',
              metainfo=dict(classes=FRIDGE_CLASSES), test_mode=True)
    assert len(ds) == 6
    assert all(len(ds.get_data_info(i)['instances']) == 2 for i in range(6))
    assert ds.get_data_info(0)['img_path'].endswith(osp.join('images', '10.jpg'))


def _copy_voc(tmp_path):
    root = tmp_path / 'VOCdevkit'
    shutil.copytree(VOCDEVKIT, root)
    return root


def test_missing_dataset_error_names_path_and_layout(tmp_path):
    missing = str(tmp_path / 'no_such_VOCdevkit') + '/'
    with pytest.raises(FileNotFoundError, match='no_such_VOCdevkit.*Expected layout.*ImageSets/Main'):
        _voc(data_root=missing, ann_file='VOC2007/ImageSets/Main/test.txt',
             data_prefix=dict(sub_data_root='VOC2007/'))
    with pytest.raises(FileNotFoundError, match='VOC2007/ImageSets/Main/trainval.txt.*Expected layout'):
        _voc(data_root=str(tmp_path) + '/', ann_file='VOC2007/ImageSets/Main/trainval.txt',
             data_prefix=dict(sub_data_root='VOC2007/'))


def test_missing_dataset_from_config(tmp_path, monkeypatch):
    """The shipped configs point at data/VOCdevkit/ and data/coco/; without them the error says so."""
    from mmengine.registry import DATASETS, init_default_scope
    monkeypatch.chdir(tmp_path)
    init_default_scope('mmdet')
    voc = load_config(osp.join(REPO, 'configs/detection/yolov3_416_mobilenext_x1.0_voc.py'))
    with pytest.raises(FileNotFoundError, match=r"data/VOCdevkit/.*Expected layout"):
        DATASETS.build(voc.test_dataloader.dataset)
    coco = load_config(osp.join(REPO, 'configs/detection/ssdlite_320_mobilenext_x1.0_coco.py'))
    with pytest.raises(FileNotFoundError, match=r"data/coco/.*Expected layout"):
        DATASETS.build(coco.test_dataloader.dataset)


def test_malformed_xml_names_file(tmp_path):
    root = _copy_voc(tmp_path)
    xml = root / 'VOC2007' / 'Annotations' / '000001.xml'
    xml.write_text(xml.read_text()[:200])  # truncated mid-element
    with pytest.raises(ValueError, match=r'malformed VOC XML .*000001\.xml'):
        _voc(data_root=str(root) + '/', ann_file='VOC2007/ImageSets/Main/test.txt',
             data_prefix=dict(sub_data_root='VOC2007/'), test_mode=True)


def test_object_without_box_names_file_and_field(tmp_path):
    root = _copy_voc(tmp_path)
    xml = root / 'VOC2007' / 'Annotations' / '000001.xml'
    xml.write_text(xml.read_text().replace('<xmax>', '<xmaxx>', 1).replace('</xmax>', '</xmaxx>', 1))
    with pytest.raises(ValueError, match=r'000001\.xml.*no <xmax>'):
        _voc(data_root=str(root) + '/', ann_file='VOC2007/ImageSets/Main/test.txt',
             data_prefix=dict(sub_data_root='VOC2007/'), test_mode=True)


def test_missing_image_names_file(tmp_path):
    root = _copy_voc(tmp_path)
    (root / 'VOC2007' / 'JPEGImages' / '000001.jpg').unlink()
    with pytest.raises(FileNotFoundError, match=r'JPEGImages/000001\.jpg.*not found'):
        _voc(data_root=str(root) + '/', ann_file='VOC2007/ImageSets/Main/test.txt',
             data_prefix=dict(sub_data_root='VOC2007/'), test_mode=True)


def test_empty_annotation_files_name_file(tmp_path):
    root = _copy_voc(tmp_path)
    (root / 'VOC2007' / 'Annotations' / '000001.xml').write_text('')
    with pytest.raises(ValueError, match=r'000001\.xml.* is empty'):
        _voc(data_root=str(root) + '/', ann_file='VOC2007/ImageSets/Main/test.txt',
             data_prefix=dict(sub_data_root='VOC2007/'), test_mode=True)
    (root / 'VOC2012' / 'ImageSets' / 'Main' / 'test.txt').write_text('\n')
    with pytest.raises(ValueError, match=r'VOC2012/ImageSets/Main/test\.txt.* is empty'):
        _voc(data_root=str(root) + '/', ann_file='VOC2012/ImageSets/Main/test.txt',
             data_prefix=dict(sub_data_root='VOC2012/'), test_mode=True)


def _coco(root, **kwargs):
    from mmengine.registry import DATASETS, init_default_scope
    init_default_scope('mmdet')
    return DATASETS.build(dict(type='mobilebench.CocoDataset', data_root=str(root) + '/', pipeline=[],
                               ann_file='annotations.json', data_prefix=dict(img='images/'), **kwargs))


def test_coco_fixture_and_errors(tmp_path):
    ds = _coco(COCO.rstrip('/'), test_mode=True)
    assert len(ds) == 6
    assert sum(len(ds.get_data_info(i)['instances']) for i in range(6)) == 36
    root = tmp_path / 'coco'
    shutil.copytree(COCO, root)
    (root / 'images' / '000000000089.jpg').unlink()
    with pytest.raises(FileNotFoundError, match=r'000000000089\.jpg.*annotations\.json'):
        _coco(root, test_mode=True)
    (root / 'annotations.json').write_text('')
    with pytest.raises(ValueError, match=r'annotations\.json.* is empty'):
        _coco(root, test_mode=True)
    (root / 'annotations.json').write_text('{"images": [')
    with pytest.raises(ValueError, match=r'annotations\.json.*not valid JSON'):
        _coco(root, test_mode=True)

