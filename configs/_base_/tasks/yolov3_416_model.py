# YOLOv3-416 with a mobile backbone: the model and schedule of mmdet 3.3.0
# `configs/yolo/yolov3_mobilenetv2_8xb24-ms-416-300e_coco.py` (box AP 23.9 with MobileNetV2), with the
# backbone left open. Inherited by `yolov3_416_voc.py` and `yolov3_416_coco.py`; the per-backbone configs in
# configs/detection/ add `../_base_/backbones/<bb>.py` (see mobilebench/config.py).
#
# Taps: the three stage ends at strides 8, 16 and 32 (`'s8', 's16', 's32'` = the last block of each
# stride, never a trailing widening 1x1 conv). This is exactly what upstream taps on MobileNetV2
# (out_indices=(2, 4, 6): 32@s8, 96@s16, 320@s32) and the natural C3-C5 of every other family:
#   AsymmNet-L / MobileNetV3-L: 40, 112, 160   (the 960-ch last conv is not tapped)
#   AsymmNet-S / MobileNetV3-S: 24, 48, 96     (the 576-ch last conv is not tapped)
#   HBONet: 96, 144, 400 (s16 = the linear 288->144 projection, the 1600-ch final conv is not tapped)
#   MobileNeXt: 192, 384, 1280 (MobileNeXt has no final conv: its stride-32 stage end IS its last
#   1280-ch sandglass block)
# The neck reads them deepest first, hence in_channels='@backbone.out_channels[::-1]' (resolved from the
# built backbone by mobilebench.config.load_config; no width is typed per backbone).
#
# Deliberate differences from upstream, for every backbone alike:
#   - the backbone keeps its own activations (upstream switches MobileNetV2 to LeakyReLU(0.1)); the papers
#     compare backbones with their native activations;
#   - no ImageNet checkpoint is loaded by default (offline suite): add
#     `init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')` to the backbone to fine-tune
#     as upstream does.
_base_ = ['../runtimes/mmdet_runtime.py']

custom_imports = dict(imports=['mobilebench.models', 'mobilebench.datasets.voc', 'mobilebench.datasets.coco'],
                      allow_failed_imports=False)

data_preprocessor = dict(
    type='DetDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_size_divisor=32)
model = dict(
    type='YOLOV3',
    data_preprocessor=data_preprocessor,
    backbone=dict(out_indices=('s8', 's16', 's32')),
    neck=dict(
        type='YOLOV3Neck',
        num_scales=3,
        in_channels='@backbone.out_channels[::-1]',
        out_channels=[96, 96, 96]),
    bbox_head=dict(
        type='YOLOV3Head',
        num_classes=80,
        in_channels=[96, 96, 96],
        out_channels=[96, 96, 96],
        anchor_generator=dict(
            type='YOLOAnchorGenerator',
            base_sizes=[[(116, 90), (156, 198), (373, 326)],
                        [(30, 61), (62, 45), (59, 119)],
                        [(10, 13), (16, 30), (33, 23)]],
            strides=[32, 16, 8]),
        bbox_coder=dict(type='YOLOBBoxCoder'),
        featmap_strides=[32, 16, 8],
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0, reduction='sum'),
        loss_conf=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0, reduction='sum'),
        loss_xy=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=2.0, reduction='sum'),
        loss_wh=dict(type='MSELoss', loss_weight=2.0, reduction='sum')),
    train_cfg=dict(assigner=dict(type='GridAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0)),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        conf_thr=0.005,
        nms=dict(type='nms', iou_threshold=0.45),
        max_per_img=100))

# schedule: 30 epochs over RepeatDataset(x10) = "300e"
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=30, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.003, momentum=0.9, weight_decay=0.0005),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.0001, by_epoch=False, begin=0, end=4000),
    dict(type='MultiStepLR', by_epoch=True, milestones=[24, 28], gamma=0.1)
]
find_unused_parameters = True
# base_batch_size = 8 GPUs x 24 images; enable with `--auto-scale-lr` / auto_scale_lr.enable=True
auto_scale_lr = dict(enable=False, base_batch_size=192)
