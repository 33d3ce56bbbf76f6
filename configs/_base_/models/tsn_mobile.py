# TSN with a mobile backbone: model + schedule shared by the action task templates
# (`configs/_base_/tasks/tsn_*.py`). Mirrors mmaction2 1.2.0 `_base_/models/tsn_r50.py` and
# `_base_/schedules/sgd_50e.py` with the 0.x HMDB51 recipe (`tsn_r50_1x1x8_50e_hmdb51_imagenet_rgb.py`:
# 8 segments, 50 epochs, SGD lr 0.025 for 8 GPUs x 32 videos, num_classes 51).
_base_ = ['../runtimes/mmaction_runtime.py']

num_classes = 51
num_segments = 8

model = dict(
    type='Recognizer2D',
    # type/arch from the backbone file. mmaction2's Recognizer2D + TSNHead need one Tensor, not the
    # tuple mmdet/mmpose need: the backbone's `tensor_output=True` option returns the 'final' features
    # (the widest, stride 32) as a Tensor. Offline default: no pretrained weights.
    backbone=dict(out_indices=('final', ), tensor_output=True),
    cls_head=dict(
        type='TSNHead',
        num_classes=num_classes,
        in_channels='@backbone.out_channels[-1]',
        spatial_type='avg',
        consensus=dict(type='AvgConsensus', dim=1),
        dropout_ratio=0.4,
        init_std=0.01,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCHW'))

# schedule: sgd_50e (MultiStep [20, 40], clip_grad 40) with the HMDB51 recipe's lr 0.025
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=50, by_epoch=True, milestones=[20, 40], gamma=0.1)
]
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.025, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=40, norm_type=2))
auto_scale_lr = dict(enable=False, base_batch_size=256)  # 8 GPUs x 32 videos
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=3))
randomness = dict(seed=0)

# top-1 / top-5 / mean class accuracy -> acc/top1, acc/top5, acc/mean1
val_evaluator = dict(type='AccMetric', metric_list=('top_k_accuracy', 'mean_class_accuracy'),
                     metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))
test_evaluator = val_evaluator
