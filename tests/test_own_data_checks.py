"""Start-up checks before any training (mobilebench/input_checks.py) and no quiet nonsense in the metrics
(mobilebench/metric_checks.py), through the Runner that tools/train.py, tools/test.py and the benchmark
runner build (mobilebench.runner_utils.build_runner). Real fixtures of tests/data."""
import glob
import os
import os.path as osp
import shutil
import tarfile

import pytest

import mobilebench.compat  # noqa: F401
from mobilebench.input_checks import InputCheckError

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FIXTURES = osp.join(ROOT, 'tests', 'data', 'configs')
PHOTOS = osp.join(ROOT, 'tests', 'data', 'face', 'lfw_unaligned')


def _runner(cfg):
    from mobilebench.runner_utils import build_runner
    return build_runner(cfg)


def test_pose_missing_image_fails_before_training(tmp_path):
    from mobilebench.config import load_config
    from short_runs import shorten_schedule
    shutil.copytree(osp.join(ROOT, 'tests', 'data', 'pose', 'coco'), tmp_path / 'coco')
    os.remove(tmp_path / 'coco' / '000000196141.jpg')
    cfg = shorten_schedule(load_config(osp.join(FIXTURES, 'simplebaseline_asymmnet_small_coco-fixture.py')),
                           str(tmp_path / 'work'))
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'coco') + '/'
    runner = _runner(cfg)
    from mobilebench.input_checks import InputCheckHook
    from mobilebench.metric_checks import MetricSanityHook
    assert {InputCheckHook, MetricSanityHook} <= {type(h) for h in runner.hooks}  # what the tools build
    expected = (r"train_dataloader.dataset \(CocoKeypointDataset, ann_file .*test_coco.json'\): 1 of the 4 files .* "
                r"do not exist, e.g. '.*000000196141.jpg' \(field 'img_path' of annotation entry \d+, img_id 196141\). "
                r"Fix: .*data_prefix")
    with pytest.raises(InputCheckError, match=expected):
        runner.train()
    assert runner.iter == 0 and not glob.glob(str(tmp_path / 'work' / '*.pth'))


def _face_cfg(tmp_path, bin_path, save_best):
    from mobilebench.config import load_config
    from short_runs import shorten_schedule
    with tarfile.open(osp.join(ROOT, 'tests', 'data', 'face', 'small_dataset.tar')) as tar:
        tar.extractall(tmp_path / 'raw', filter='data')
    base = tmp_path / 'raw' / 'small_dataset'
    for line in (base / 'label.txt').read_text().splitlines():
        rel, label = line.strip().split('\t')
        (tmp_path / 'ids' / label).mkdir(parents=True, exist_ok=True)
        shutil.copy(base / rel, tmp_path / 'ids' / label)
    cfg = load_config(osp.join(ROOT, 'configs', 'face', 'arcface_mobilenetv3_small_x1.0_ms1m-112.py'))
    cfg.model.loss.num_classes = 10
    cfg.train_dataloader.dataset = dict(type='FaceImageFolderDataset', data_root=str(tmp_path / 'ids'),
                                        pipeline=cfg.train_pipeline)
    val = dict(batch_size=10, num_workers=0, persistent_workers=False,
               sampler=dict(type='DefaultSampler', shuffle=False),
               dataset=dict(type='FaceVerificationBin', ann_file=bin_path, pipeline=cfg.test_pipeline))
    cfg = shorten_schedule(cfg, str(tmp_path / 'work'), max_iters=2, batch_size=5)
    cfg.val_dataloader, cfg.val_cfg, cfg.val_evaluator = val, dict(type='ValLoop'), dict(type='FaceVerificationMetric')
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=2, by_epoch=False, save_best=save_best,
                                        rule='greater')
    return cfg


def test_face_pair_count_and_save_best_fail_before_training(tmp_path):
    from mobilebench.face.build_bin import build_verification_bin
    lines = open(osp.join(PHOTOS, 'pairs.csv')).read().splitlines()
    (tmp_path / 'six.csv').write_text('\n'.join(lines[:7]) + '\n')
    six = str(tmp_path / 'six.bin')
    build_verification_bin(PHOTOS, str(tmp_path / 'six.csv'), six, 'none')
    runner = _runner(_face_cfg(tmp_path, six, 'six/accuracy'))
    with pytest.raises(InputCheckError, match=r"val_dataloader.dataset \(FaceVerificationBin, ann_file '.*six.bin'\): "
                                              r"6 pairs, but the 10-fold verification protocol .* needs at least 10"):
        runner.train()
    assert runner.iter == 0

    mine = str(tmp_path / 'mine.bin')
    build_verification_bin(PHOTOS, osp.join(PHOTOS, 'pairs.csv'), mine, 'none')
    runner = _runner(_face_cfg(tmp_path / 'b', mine, 'lfw/accuracy'))
    with pytest.raises(InputCheckError, match=r"default_hooks.checkpoint.save_best = 'lfw/accuracy', but the "
                                              r"validation metrics will be \['mine/accuracy', 'mine/accuracy_std', "
                                              r"'mine/tar@far1e-3', .*Fix: `--cfg-options "
                                              r"default_hooks.checkpoint.save_best=mine/accuracy`"):
        runner.train()
    assert runner.iter == 0 and not glob.glob(str(tmp_path / 'b' / 'work' / '*.pth'))


def test_empty_detection_result_is_zero_with_a_warning():
    """mmdet's CocoMetric on the real COCO fixture with a detector that found nothing returns {} ("The testing
    results of the whole dataset is empty."); the hook build_runner registers turns it into zeros + a warning."""
    import json
    import logging
    from types import SimpleNamespace

    import torch
    from mmdet.evaluation import CocoMetric
    from mmengine.evaluator import Evaluator

    from mobilebench.metric_checks import MetricSanityHook
    ann = osp.join(ROOT, 'tests', 'data', 'detection', 'coco', 'annotations.json')
    coco = json.load(open(ann))
    metric = CocoMetric(ann_file=ann, metric='bbox')
    metric.dataset_meta = dict(classes=tuple(c['name'] for c in coco['categories']))
    empty = dict(bboxes=torch.zeros(0, 4), scores=torch.zeros(0), labels=torch.zeros(0, dtype=torch.long))
    metric.process(None, [dict(img_id=im['id'], ori_shape=(im['height'], im['width']), pred_instances=empty)
                          for im in coco['images']])
    metrics = metric.evaluate(len(coco['images']))
    assert metrics == {}  # what tools/test.py wrote as "metrics": {} before
    records = []
    logger = logging.getLogger('empty_detection')
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    loop = SimpleNamespace(evaluator=Evaluator([metric]), dataloader=SimpleNamespace(dataset=coco['images']))
    MetricSanityHook().after_test_epoch(SimpleNamespace(logger=logger, test_loop=loop), metrics)
    assert metrics == {f'coco/bbox_{k}': 0.0 for k in ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l')}
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    assert 'returned no metric at all' in records[0].getMessage() and 'on the 6 samples' in records[0].getMessage()


def test_constant_predictions_are_flagged():
    """mmpretrain's Accuracy on real DataSamples; the hook sees the same outputs the test loop hands it."""
    import logging
    from types import SimpleNamespace

    from mmpretrain.evaluation import Accuracy
    from mmpretrain.structures import DataSample

    from mobilebench.metric_checks import MetricSanityHook
    records = []
    logger = logging.getLogger('constant_predictions')
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    runner = SimpleNamespace(logger=logger)
    for preds, flagged in (([2, 2, 2, 2], 1.0), ([0, 1, 2, 2], 0.0)):
        samples = [DataSample().set_gt_label(gt).set_pred_label(p).set_pred_score([0.1, 0.2, 0.7] if p == 2 else
                                                                                  [0.8, 0.1, 0.1] if p == 0 else
                                                                                  [0.1, 0.8, 0.1])
                   for gt, p in zip([0, 1, 2, 2], preds)]
        metric = Accuracy()
        metric.process(None, [s.to_dict() for s in samples])
        metrics = metric.evaluate(len(samples))
        hook = MetricSanityHook()
        hook.before_test_epoch(runner)
        hook.after_test_iter(runner, 0, outputs=samples)
        hook.after_test_epoch(runner, metrics)
        assert metrics['accuracy/top1'] == pytest.approx(50.0 if flagged else 100.0)
        assert metrics['accuracy/degenerate'] == flagged
    assert len(records) == 1
    assert 'all 4 samples were predicted as class 2 while the labels have 3 classes' in records[0].getMessage()


def test_video_that_does_not_decode_is_named(tmp_path):
    from mmaction.utils import register_all_modules
    from mmengine.registry import DATASETS

    from mobilebench.input_checks import check_dataset_files
    register_all_modules()
    for cls in ('ApplyEyeMakeup', 'Archery'):
        (tmp_path / 'videos' / cls).mkdir(parents=True)
    shutil.copy(osp.join(ROOT, 'tests', 'data', 'action', 'videos', 'ApplyEyeMakeup', 'test.avi'),
                tmp_path / 'videos' / 'ApplyEyeMakeup' / 'a.avi')
    (tmp_path / 'videos' / 'Archery' / 'b.mp4').write_bytes(b'\x00\x00\x00\x18ftypmp42' + b'\x00' * 100)
    (tmp_path / 'list.txt').write_text('ApplyEyeMakeup/a.avi 0\nArchery/b.mp4 1\n')
    ds = DATASETS.build(dict(type='mobilebench.VideoListDataset', ann_file=str(tmp_path / 'list.txt'),
                             data_prefix=dict(video=str(tmp_path / 'videos')), pipeline=[]))
    with pytest.raises(InputCheckError, match=r"val_dataloader.dataset \(VideoListDataset, .*\): '.*Archery/b.mp4' "
                                              r"\(field 'filename' of annotation entry 1\) exists but cannot be "
                                              r"decoded"):
        check_dataset_files(ds, 'val_dataloader.dataset')
    (tmp_path / 'list.txt').write_text('ApplyEyeMakeup/a.avi 0\n')
    ds = DATASETS.build(dict(type='mobilebench.VideoListDataset', ann_file=str(tmp_path / 'list.txt'),
                             data_prefix=dict(video=str(tmp_path / 'videos')), pipeline=[]))
    assert check_dataset_files(ds, 'val_dataloader.dataset') == dict(files=1, decoded=1)
