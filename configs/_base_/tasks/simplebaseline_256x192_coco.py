# SimpleBaseline (backbone + 3 deconvolutions + heatmaps), top-down, COCO keypoints, 256x192.
# Mirrors mmpose 1.3.2 `body_2d_keypoint/topdown_heatmap/coco/td-hm_mobilenetv2_8xb64-210e_coco-256x192.py`
# (0.648 AP with MobileNetV2); the backbone comes from `configs/_base_/backbones/<name>.py`.
# Evaluation: mmpose CocoMetric (OKS AP/AP50/AP75/AR), flip test on. `bbox_file` (relative to data_root)
# selects the person-detection results used at val/test time, as upstream; set it to None for
# ground-truth boxes:
#   --cfg-options val_dataloader.dataset.bbox_file=None test_dataloader.dataset.bbox_file=None
_base_ = ['../runtimes/mmpose_runtime.py']

# dataset root: <data_root>/annotations/person_keypoints_{train,val}2017.json, <data_root>/{train,val}2017/,
# <data_root>/person_detection_results/COCO_val2017_detections_AP_H_56_person.json
data_root = 'data/coco/'
bbox_file = 'person_detection_results/COCO_val2017_detections_AP_H_56_person.json'
train_ann_file = 'annotations/person_keypoints_train2017.json'
val_ann_file = 'annotations/person_keypoints_val2017.json'
dataset_type = 'mobilebench.CocoKeypointDataset'  # mmpose CocoDataset + input validation
data_mode = 'topdown'

# runtime
train_cfg = dict(max_epochs=210, val_interval=10)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-4))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),  # warm-up
    dict(type='MultiStepLR', begin=0, end=210, milestones=[170, 200], gamma=0.1, by_epoch=True),
]
auto_scale_lr = dict(base_batch_size=512)  # 8 GPUs x 64
default_hooks = dict(checkpoint=dict(save_best='coco/AP', rule='greater'))
randomness = dict(seed=0)

# codec: 192x256 input (w, h) -> 48x64 heatmaps (stride 4)
codec = dict(type='MSRAHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2)

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    # type/arch from the backbone file; the head reads the last (widest, stride-32) features.
    # Offline default: no pretrained weights; add
    # init_cfg=dict(type='Pretrained', checkpoint=<imagenet ckpt>, prefix='backbone.') to fine-tune.
    backbone=dict(out_indices=('final', )),
    head=dict(
        type='HeatmapHead',
        in_channels='@backbone.out_channels[-1]',
        out_channels=17,
        deconv_out_channels=(256, 256, 256),
        deconv_kernel_sizes=(4, 4, 4),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file=train_ann_file,
        data_prefix=dict(img='train2017/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file=val_ann_file,
        bbox_file=bbox_file,
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='CocoMetric', ann_file=data_root + val_ann_file)
test_evaluator = val_evaluator
