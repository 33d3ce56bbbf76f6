"""Pose: SimpleBaseline top-down heatmap configs on the real COCO keypoint fixture (mmpose)."""
import copy
import glob
import json
import os.path as osp

import numpy as np
import pytest

from mobilebench.config import SUITE_BACKBONES

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
COCO = osp.join(ROOT, 'tests', 'data', 'pose', 'coco') + '/'
ANN = 'test_coco.json'  # 4 real COCO val2017 images, 14 persons (2 with num_keypoints == 0)
DET = 'test_coco_det_AP_H_56.json'  # 118 real person detections for those images
POSE_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'pose', 'simplebaseline_*_coco-256x192.py')))
BACKBONES = list(SUITE_BACKBONES)
FAST = ['asymmnet_small_x1.0', 'mobilenetv2_x1.0']  # the rest run under -m slow


def _config(bb):
    return osp.join(ROOT, 'configs', 'pose', f'simplebaseline_{bb}_coco-256x192.py')


def _available(bb):
    base = osp.join(ROOT, 'configs', '_base_', 'backbones', f'{bb}.py')
    if not osp.isfile(base):
        pytest.fail(f'backbone file {base} is missing (every suite backbone has one)')


def fixture_cfg(bb, bbox_file=DET, input_size=(64, 96)):
    """The config pointed at the fixture, with a small input (w, h; multiples of 32) for CPU speed."""
    from mobilebench.config import load_config
    cfg = load_config(_config(bb))
    codec = dict(cfg.codec)
    codec.update(input_size=input_size, heatmap_size=(input_size[0] // 4, input_size[1] // 4))
    cfg.model.head.decoder = codec
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = cfg[loader].dataset
        ds.data_root = COCO
        ds.ann_file = ANN
        ds.data_prefix = dict(img='')
        for step in ds.pipeline:
            if step['type'] == 'TopdownAffine':
                step['input_size'] = input_size
            if step['type'] == 'GenerateTarget':
                step['encoder'] = codec
        if loader != 'train_dataloader':
            ds.bbox_file = bbox_file
    cfg.val_evaluator = dict(type='CocoMetric', ann_file=COCO + ANN)
    cfg.test_evaluator = cfg.val_evaluator
    # no validation during the short training: mmengine's IterBasedTrainLoop validates at the last
    # iteration even when val_interval > max_iters; the test loop evaluates instead
    cfg.val_cfg = None
    cfg.val_dataloader = None
    cfg.val_evaluator = None
    return cfg


def test_every_backbone_has_a_pose_config():
    names = {osp.basename(p) for p in POSE_CONFIGS}
    for bb in BACKBONES:
        assert f'simplebaseline_{bb}_coco-256x192.py' in names
    for path in POSE_CONFIGS:  # generated: template + backbone file + the head width as a literal
        text = open(path).read()
        assert 'head=dict(in_channels=' in text and '@backbone' not in text
        assert '_base_/tasks/simplebaseline_256x192_coco.py' in text


@pytest.mark.parametrize('bb', BACKBONES)
def test_pose_config_builds(bb):
    _available(bb)
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS

    from mobilebench.config import load_config
    cfg = load_config(_config(bb))
    assert cfg.default_scope == 'mmpose'
    assert cfg.model.backbone.out_indices == ('final', )
    assert cfg.model.test_cfg.flip_test is True
    assert cfg.codec.input_size == (192, 256) and cfg.codec.heatmap_size == (48, 64)
    init_default_scope('mmpose')
    model = MODELS.build(cfg.model)
    assert model.head.in_channels == model.backbone.out_channels[-1] == cfg.model.head.in_channels
    assert model.backbone.out_strides == (32, )


def test_fixture_dataset_gt_and_det_boxes():
    _available('mobilenetv2_x1.0')
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS
    init_default_scope('mmpose')
    cfg = fixture_cfg('mobilenetv2_x1.0')
    train = DATASETS.build(cfg.train_dataloader.dataset)
    raw = json.load(open(COCO + ANN))
    zero = [a['id'] for a in raw['annotations'] if a['num_keypoints'] == 0]
    assert len(zero) == 2  # the fixture's annotations without keypoints are skipped for training
    assert len(train) == len(raw['annotations']) - len(zero) == 12
    assert {train.get_data_info(i)['id'] for i in range(len(train))}.isdisjoint(zero)
    det = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(det) == len(json.load(open(COCO + DET))) == 118
    gt_cfg = fixture_cfg('mobilenetv2_x1.0', bbox_file=None)
    gt = DATASETS.build(gt_cfg.test_dataloader.dataset)
    assert len(gt) == 12
    sample = det[0]
    assert tuple(sample["inputs"].shape) == (3, 96, 64)


def test_missing_data_root_is_a_clear_error(tmp_path):
    _available('mobilenetv2_x1.0')
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS
    init_default_scope('mmpose')
    cfg = fixture_cfg('mobilenetv2_x1.0')
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'nope') + '/'
    with pytest.raises(FileNotFoundError, match=r"data_root .*nope.* does not exist.*--cfg-options data_root="):
        DATASETS.build(cfg.train_dataloader.dataset)
    cfg = fixture_cfg('mobilenetv2_x1.0', bbox_file='missing_dets.json')
    with pytest.raises(FileNotFoundError, match='bbox_file .*missing_dets.json'):
        DATASETS.build(cfg.test_dataloader.dataset)


def test_wrong_number_of_keypoint_values_names_the_annotation(tmp_path):
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS
    init_default_scope('mmpose')
    raw = json.load(open(COCO + ANN))
    bad = raw['annotations'][3]
    bad['keypoints'] = bad['keypoints'][:-3]  # 16 joints instead of 17
    (tmp_path / 'bad.json').write_text(json.dumps(raw))
    ds = dict(type='mobilebench.CocoKeypointDataset', data_root=str(tmp_path), ann_file='bad.json',
              data_prefix=dict(img=COCO), pipeline=[])
    with pytest.raises(ValueError, match=rf'annotation id {bad["id"]} \(image_id {bad["image_id"]}\) has 48 '
                                         r'keypoint values, expected 51'):
        DATASETS.build(ds)


# the COCO keypoint sigmas (cocodataset.org keypoint evaluation; the constant of the COCO API)
COCO_SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89,
                        .89]) / 10.0


def check_against_xtcocotools(metrics, samples, ann_file, n_instances):
    """The pipeline's coco/AP and coco/AR equal xtcocotools' COCOeval called here on the test loop's own
    keypoints, each scored as mmpose's ``bbox_keypoint`` mode defines it (box score x mean of the keypoint
    scores above 0.2); the test evaluator runs without OKS-NMS so that no instance is dropped."""
    from xtcocotools.coco import COCO
    from xtcocotools.cocoeval import COCOeval
    gt = COCO(ann_file)
    results = []
    for s in samples:
        pred = s.pred_instances
        for kpts, kscores, box_score in zip(np.asarray(pred.keypoints), np.asarray(pred.keypoint_scores),
                                            np.asarray(s.gt_instances.bbox_scores)):
            kept = kscores[kscores > 0.2]
            results.append(dict(image_id=int(s.img_id), category_id=1, score=float(box_score * kept.mean())
                                if kept.size else 0.0,
                                keypoints=np.concatenate([kpts, kscores[:, None]], 1).reshape(-1).tolist()))
    assert len(results) == n_instances
    ev = COCOeval(gt, gt.loadRes(results), 'keypoints', COCO_SIGMAS, True)
    ev.params.useSegm = None
    ev.evaluate(), ev.accumulate(), ev.summarize()
    assert metrics['coco/AP'] == pytest.approx(ev.stats[0], abs=1e-9), (metrics, ev.stats)
    assert metrics['coco/AR'] == pytest.approx(ev.stats[5], abs=1e-9), (metrics, ev.stats)
    return ev.stats[0]


def _train_test(bb, tmp_path, bbox_file=DET, num_test=None, cfg=None):
    _available(bb)
    from short_runs import run_train_test
    cfg = cfg or fixture_cfg(bb, bbox_file=bbox_file)
    if num_test:  # the first detections of the real results file (CPU time on 2 shared cores)
        cfg.test_dataloader.dataset.indices = num_test
    cfg.test_evaluator = dict(cfg.test_evaluator, nms_mode='none')
    samples = []
    metrics = run_train_test(cfg, str(tmp_path / bb), max_iters=2, batch_size=4, predictions=samples)
    n = num_test or len([d for d in json.load(open(COCO + bbox_file)) if d['category_id'] == 1])
    check_against_xtcocotools(metrics, samples, COCO + ANN, n)
    return metrics


@pytest.mark.parametrize('bb', FAST)
def test_pose_trains_and_tests_on_fixture(bb, tmp_path):
    _train_test(bb, tmp_path, num_test=24)


def test_pose_gt_boxes_through_test_tool(tmp_path):
    """tools/test.py on a 2-iteration checkpoint with ground-truth boxes writes metrics.json."""
    bb = 'mobilenetv2_x1.0'
    _available(bb)
    import subprocess
    import sys
    from short_runs import shorten_schedule
    from mobilebench.runner_utils import build_runner
    cfg = shorten_schedule(fixture_cfg(bb, bbox_file=None), str(tmp_path / 'train'), max_iters=2, batch_size=4)
    build_runner(cfg).train()
    ckpt = str(tmp_path / 'train' / 'iter_2.pth')
    assert osp.isfile(ckpt)
    dumped = tmp_path / 'cfg.py'
    cfg.dump(str(dumped))
    out = subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'test.py'), str(dumped), ckpt,
                          '--work-dir', str(tmp_path / 'test')], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    found = glob.glob(str(tmp_path / 'test' / '**' / 'metrics.json'), recursive=True)
    assert found, out.stdout[-2000:]
    metrics = json.load(open(found[0]))['metrics']
    assert 'coco/AP' in metrics and 'coco/AR' in metrics


@pytest.mark.slow
@pytest.mark.parametrize('bb', [b for b in BACKBONES if b not in FAST])
def test_pose_trains_and_tests_full_matrix(bb, tmp_path):
    _train_test(bb, tmp_path)


def test_data_root_override_reaches_datasets_and_metric():
    _available('mobilenetv2_x1.0')
    from mobilebench.config import load_config
    cfg = load_config(_config('mobilenetv2_x1.0'), {'data_root': '/datasets/coco/'})
    assert cfg.train_dataloader.dataset.data_root == '/datasets/coco/'
    assert cfg.test_dataloader.dataset.data_root == '/datasets/coco/'
    assert cfg.test_evaluator.ann_file == '/datasets/coco/annotations/person_keypoints_val2017.json'
