# SSDLite-320 with a mobile backbone: the model and schedule of mmdet 3.3.0
# `configs/ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py` (box AP 21.3 with MobileNetV2, trained from
# scratch), with the backbone left open. Inherited by `ssdlite_320_voc.py` and `ssdlite_320_coco.py`.
#
# Taps: `('s16', 'final')` = the stride-16 stage end and the backbone's last layer, as upstream taps
# MobileNetV2 (out_indices=(4, 7): 96@s16 + the 1280-ch final conv @s32). The neck adds four extra levels
# (512, 256, 256, 128) on top of the deepest tap, so widths are '@backbone.out_channels + (512, 256, 256, 128)'.
#   MobileNetV2: 96 + 1280        AsymmNet-L / MobileNetV3-L: 112 + 960   AsymmNet-S / MobileNetV3-S: 48 + 576
#   HBONet: 144 (linear projection, s16) + 1600 (final conv)
#   MobileNeXt: 384 + 1280. MobileNeXt has no final 1x1 conv: 'final' is its last sandglass block (1280 ch).
# The MobileNeXt authors' own SSDLite (ssdlite-pytorch-mobilenext) taps the *expanded* features instead:
# inside the first stride-32 block after its 1x1 expansion (576 ch at stride 16) and inside the last block
# after its expansion (1280 ch at stride 32), the analogue of MobileNetV2-SSDLite's expansion-layer taps in
# the MobileNetV2 paper. We use the same block-output taps for every family so that the comparison isolates
# the backbone; the authors' variant is one override away (widths follow automatically):
#   --cfg-options "model.backbone.out_indices=('s16_expand','s32_expand')"   (MobileNeXt only)
#
# Deliberate differences from upstream, for every backbone alike: the backbone keeps its own norm settings
# and init (upstream sets BN eps=1e-3 / momentum=0.03 and TruncNormal(0.03) on MobileNetV2); neck and head
# use upstream's.
_base_ = ['../runtimes/mmdet_runtime.py']

custom_imports = dict(imports=['mobilebench.models', 'mobilebench.datasets.voc', 'mobilebench.datasets.coco'],
                      allow_failed_imports=False)

data_preprocessor = dict(
    type='DetDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_size_divisor=1)
model = dict(
    type='SingleStageDetector',
    data_preprocessor=data_preprocessor,
    backbone=dict(out_indices=('s16', 'final')),
    neck=dict(
        type='SSDNeck',
        in_channels='@backbone.out_channels',
        out_channels='@backbone.out_channels + (512, 256, 256, 128)',
        level_strides=(2, 2, 2, 2),
        level_paddings=(1, 1, 1, 1),
        l2_norm_scale=None,
        use_depthwise=True,
        norm_cfg=dict(type='BN', eps=0.001, momentum=0.03),
        act_cfg=dict(type='ReLU6'),
        init_cfg=dict(type='TruncNormal', layer='Conv2d', std=0.03)),
    bbox_head=dict(
        type='SSDHead',
        in_channels='@backbone.out_channels + (512, 256, 256, 128)',
        num_classes=80,
        use_depthwise=True,
        norm_cfg=dict(type='BN', eps=0.001, momentum=0.03),
        act_cfg=dict(type='ReLU6'),
        init_cfg=dict(type='Normal', layer='Conv2d', std=0.001),
        # anchors set by hand for 320 input (not the SSD300 basesize_ratio_range rule)
        anchor_generator=dict(
            type='SSDAnchorGenerator',
            scale_major=False,
            strides=[16, 32, 64, 107, 160, 320],
            ratios=[[2, 3], [2, 3], [2, 3], [2, 3], [2, 3], [2, 3]],
            min_sizes=[48, 100, 150, 202, 253, 304],
            max_sizes=[100, 150, 202, 253, 304, 320]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[0.1, 0.1, 0.2, 0.2])),
    train_cfg=dict(
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.5,
            min_pos_iou=0.,
            ignore_iof_thr=-1,
            gt_max_assign_all=False),
        sampler=dict(type='PseudoSampler'),
        smoothl1_beta=1.,
        allowed_border=-1,
        pos_weight=-1,
        neg_pos_ratio=3,
        debug=False),
    test_cfg=dict(
        nms_pre=1000,
        nms=dict(type='nms', iou_threshold=0.45),
        min_bbox_size=0,
        score_thr=0.02,
        max_per_img=200))
env_cfg = dict(cudnn_benchmark=True)

# schedule: 120 epochs over RepeatDataset(x5) = "600e"
max_epochs = 120
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='CosineAnnealingLR', begin=0, T_max=max_epochs, end=max_epochs, by_epoch=True, eta_min=0)
]
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.015, momentum=0.9, weight_decay=4.0e-5))
custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='CheckInvalidLossHook', interval=50, priority='VERY_LOW')
]
# base_batch_size = 8 GPUs x 24 images
auto_scale_lr = dict(enable=False, base_batch_size=192)
