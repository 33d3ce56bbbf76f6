"""Foundation: the stack imports, registries resolve across toolboxes, tools train and test."""
import json
import os
import os.path as osp
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PY = sys.executable


def test_stack_imports_and_no_torchvision():
    code = 'import backbones, mobilebench, mmdet, mmpose, mmaction, insightface; import mmcv.ops; print("ok")'
    out = subprocess.run([PY, '-c', code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    out = subprocess.run([PY, '-c', 'import torchvision'], capture_output=True, text=True)
    assert out.returncode != 0 and 'torchvision' in out.stderr


def test_unknown_backbone_names_registry_and_lists_registered():
    import mmdet.models  # noqa: F401
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    with pytest.raises(KeyError) as err:
        MODELS.build(dict(type='backbones.Nope'))
    msg = str(err.value)
    assert 'backbones::model registry' in msg
    import backbones
    registered = sorted(backbones.MODELS.module_dict)
    assert registered, 'the backbones registry must not be empty'
    for name in registered:
        assert name in msg


def _write_tiny_coco(root, n=2, size=96, seed=0):
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    images, anns = [], []
    for i in range(n):
        img = np.full((size, size, 3), 40, np.uint8)
        x, y, w, h = (int(v) for v in rng.integers(8, 40, 4))
        cv2.rectangle(img, (x, y), (x + w, y + h), (0, 0, 255), -1)
        cv2.imwrite(osp.join(root, 'images', f'{i}.jpg'), img)
        images.append(dict(id=i + 1, file_name=f'{i}.jpg', height=size, width=size))
        anns.append(dict(id=i + 1, image_id=i + 1, category_id=1, bbox=[x, y, w, h], area=w * h, iscrowd=0))
    with open(osp.join(root, 'ann.json'), 'w') as f:
        json.dump(dict(images=images, annotations=anns, categories=[dict(id=1, name='box')]), f)


TINY_YOLO = '''
default_scope = 'mmdet'
custom_imports = dict(imports=['backbones'], allow_failed_imports=False)
data_root = {root!r}
model = dict(
    type='YOLOV3',
    data_preprocessor=dict(type='DetDataPreprocessor', mean=[0, 0, 0], std=[255., 255., 255.],
                           bgr_to_rgb=True, pad_size_divisor=32),
    backbone=dict(type='{backbone}', {backbone_args} out_indices=('s8', 's16', 's32')),
    neck=dict(type='YOLOV3Neck', num_scales=3, in_channels='@backbone.out_channels[::-1]',
              out_channels=[16, 16, 16]),
    bbox_head=dict(
        type='YOLOV3Head', num_classes=1, in_channels=[16, 16, 16], out_channels=[16, 16, 16],
        anchor_generator=dict(type='YOLOAnchorGenerator',
                              base_sizes=[[(116, 90), (156, 198), (373, 326)], [(30, 61), (62, 45), (59, 119)],
                                          [(10, 13), (16, 30), (33, 23)]], strides=[32, 16, 8]),
        bbox_coder=dict(type='YOLOBBoxCoder'), featmap_strides=[32, 16, 8],
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0, reduction='sum'),
        loss_conf=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0, reduction='sum'),
        loss_xy=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=2.0, reduction='sum'),
        loss_wh=dict(type='MSELoss', loss_weight=2.0, reduction='sum')),
    train_cfg=dict(assigner=dict(type='GridAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0)),
    test_cfg=dict(nms_pre=100, min_bbox_size=0, score_thr=0.0, conf_thr=0.0,
                  nms=dict(type='nms', iou_threshold=0.45), max_per_img=10))
pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
            dict(type='Resize', scale=(96, 96), keep_ratio=False), dict(type='PackDetInputs')]
dataset = dict(type='CocoDataset', data_root=data_root, ann_file='ann.json', metainfo=dict(classes=('box', )),
               data_prefix=dict(img='images/'), pipeline=pipeline)
train_dataloader = dict(batch_size=2, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True),
                        dataset=dataset)
test_dataloader = dict(batch_size=1, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                       dataset=dict(dataset, test_mode=True))
val_dataloader = test_dataloader
test_evaluator = dict(type='CocoMetric', ann_file=data_root + '/ann.json', metric='bbox')
val_evaluator = test_evaluator
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1, val_interval=100)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='LinearLR', start_factor=0.5, by_epoch=False, begin=0, end=4)]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False),
                     logger=dict(type='LoggerHook', interval=1))
randomness = dict(seed=0)
'''


def _project_backbone():
    import backbones
    if 'AsymmNet' in backbones.MODELS.module_dict:
        return 'backbones.AsymmNet', "arch='small', widen_factor=0.35,"
    return 'backbones.MobileNetV2', 'widen_factor=0.25,'


def test_train_one_iteration_then_test_checkpoint(tmp_path):
    """tools/train.py saves an mmengine checkpoint; tools/test.py loads it with weights_only=True."""
    _write_tiny_coco(str(tmp_path / 'data'))
    backbone, args = _project_backbone()
    cfg_path = tmp_path / 'tiny_yolo.py'
    cfg_path.write_text(textwrap.dedent(TINY_YOLO.format(root=str(tmp_path / 'data'), backbone=backbone,
                                                         backbone_args=args)))
    # run with torch's default weights_only=True even if the caller's environment forces a torch.load mode
    env = {k: v for k, v in os.environ.items() if not k.startswith('TORCH_FORCE_')}
    env['PYTHONPATH'] = ROOT
    work = tmp_path / 'work'
    out = subprocess.run([PY, 'tools/train.py', str(cfg_path), '--work-dir', str(work), '--seed', '0'],
                         capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    ckpt = work / 'iter_1.pth'
    assert ckpt.is_file()
    metrics_json = tmp_path / 'metrics.json'
    out = subprocess.run([PY, 'tools/test.py', str(cfg_path), str(ckpt), '--work-dir', str(work),
                          '--out-json', str(metrics_json)], capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    payload = json.loads(metrics_json.read_text())
    assert payload['checkpoint'] == str(ckpt)
    assert isinstance(payload['metrics'], dict)
    # the copy next to the logs
    logs = [p for p in work.rglob('metrics.json')]
    assert logs, 'tools/test.py must write metrics.json next to its logs'

    # resume from the checkpoint also goes through weights_only loading, and continues at iteration 2:
    # iteration 1 is not trained again (its checkpoint is left as it was), the optimizer state carries on
    import hashlib

    import torch

    import mobilebench  # noqa: F401  (checkpoint allow-list)
    digest = hashlib.sha256(ckpt.read_bytes()).hexdigest()
    first = torch.load(str(ckpt), map_location='cpu', weights_only=True)
    out = subprocess.run([PY, 'tools/train.py', str(cfg_path), '--work-dir', str(work), '--resume', str(ckpt),
                          '--cfg-options', 'train_cfg.max_iters=2'], capture_output=True, text=True, cwd=ROOT,
                         env=env)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert hashlib.sha256(ckpt.read_bytes()).hexdigest() == digest, 'resume retrained iteration 1'
    second = torch.load(str(work / 'iter_2.pth'), map_location='cpu', weights_only=True)
    assert (first['meta']['iter'], second['meta']['iter']) == (1, 2)
    # the LinearLR schedule continues: 2 steps taken, not 1 after a fresh start. mmengine's LinearLR spans
    # end - begin - 1 = 3 steps, so lr = 1e-3 * (0.5 + 0.5 * 2 / 3) (a restarted one: 1e-3 * (0.5 + 0.5 / 3))
    assert [s['last_step'] for s in second['param_schedulers']] == [2]
    assert second['optimizer']['param_groups'][0]['lr'] == pytest.approx(1e-3 * (0.5 + 0.5 * 2 / 3))
    assert set(second['optimizer']['state']) == set(first['optimizer']['state'])  # momentum buffers kept


def test_weights_only_rejects_arbitrary_globals(tmp_path):
    """The allow-list is narrow: a checkpoint carrying an arbitrary class still fails to load."""
    import torch

    import mobilebench  # noqa: F401
    from mmengine.runner.checkpoint import _load_checkpoint
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'x': subprocess.Popen}, path)
    with pytest.raises(Exception) as err:
        _load_checkpoint(str(path))
    assert 'Popen' in str(err.value) or 'weights_only' in str(err.value).lower()
