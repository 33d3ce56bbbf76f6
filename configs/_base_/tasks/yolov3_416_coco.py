# YOLOv3-416 with a mobile backbone on COCO train2017 -> val2017, box AP (coco/bbox_mAP): mmdet 3.3.0
# `configs/yolo/yolov3_mobilenetv2_8xb24-ms-416-300e_coco.py` (box AP 23.9 with MobileNetV2; model, data,
# "300e" schedule = 30 epochs over RepeatDataset x10) with the backbone left open. Only the differences are
# written here. Per-backbone configs: configs/detection/yolov3_416_<backbone>_coco.py = this file +
# ../backbones/<backbone>.py + the neck widths (tools/misc/generate_task_configs.py).
#
# Taps: the three stage ends at strides 8, 16 and 32 (`'s8', 's16', 's32'` = the last block of each
# stride, never a trailing widening 1x1 conv). This is exactly what upstream taps on MobileNetV2
# (out_indices=(2, 4, 6): 32@s8, 96@s16, 320@s32) and the natural C3-C5 of every other family:
#   AsymmNet-L / MobileNetV3-L: 40, 112, 160   (the 960-ch last conv is not tapped)
#   AsymmNet-S / MobileNetV3-S: 24, 48, 96     (the 576-ch last conv is not tapped)
#   HBONet: 96, 144, 400 (s16 = the linear 288->144 projection, the 1600-ch final conv is not tapped)
#   MobileNeXt: 192, 384, 1280 (MobileNeXt has no final conv: its stride-32 stage end IS its last
#   1280-ch sandglass block)
# The neck reads them deepest first: in_channels='@backbone.out_channels[::-1]'.
#
# Deliberate differences from upstream, for every backbone alike:
#   - the backbone keeps its own activations (upstream switches MobileNetV2 to LeakyReLU(0.1)); the papers
#     compare backbones with their native activations;
#   - no ImageNet checkpoint is loaded by default (offline suite): add
#     `init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')` to the backbone to fine-tune
#     as upstream does;
#   - the COCO dataset is `mobilebench.CocoDataset` (mmdet's CocoDataset + input validation: a missing file or
#     a broken annotation raises an error naming it).
_base_ = ['mmdet::yolo/yolov3_mobilenetv2_8xb24-ms-416-300e_coco.py', '../datasets/coco_classes.py']

# mobilebench.compat: torch 2.13 / numpy 2 shims (checkpoint allow-list, ...); mobilebench.models: the mmdet
# 3.3.0 SSDHead fix; the datasets: the VOC / COCO wrappers with input validation
custom_imports = dict(
    imports=['mobilebench.compat', 'mobilebench.models', 'mobilebench.datasets.voc', 'mobilebench.datasets.coco'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(_delete_=True, out_indices=('s8', 's16', 's32')),
    neck=dict(in_channels='@backbone.out_channels[::-1]'),
    bbox_head=dict(num_classes=80))  # = len(classes)

# ------------------------------------------------------------------------------------------------ settings
# What a user changes (docs/settings.md). tools/train.py, tools/test.py and a benchmark's `overrides` take them as
# `--cfg-options NAME=VALUE` and re-derive every field that `setting_fields` lists (mobilebench.config); with
# OpenMMLab's own tools, save the derived config first (tools/misc/print_config.py CONFIG --cfg-options ...
# --save-path FILE.py). Paths are relative to data_root unless absolute.
data_root = 'data/coco/'
train_img_dir = 'train2017/'
train_ann_file = 'annotations/instances_train2017.json'
val_img_dir = 'val2017/'  # val and test
val_ann_file = 'annotations/instances_val2017.json'  # val and test datasets and the CocoMetric
classes = _base_.coco_classes  # category names of the annotation file to train on; the head follows
max_epochs = 30  # epochs over RepeatDataset x10; the LR steps at 80 % and 93 % of them

dataset_type = 'mobilebench.CocoDataset'
_train_data = dict(type=dataset_type, data_root=data_root, ann_file=train_ann_file,
                   data_prefix=dict(img=train_img_dir), metainfo=dict(classes=classes))
_val_data = dict(type=dataset_type, data_root=data_root, ann_file=val_ann_file, data_prefix=dict(img=val_img_dir),
                 metainfo=dict(classes=classes))
train_dataloader = dict(dataset=dict(dataset=_train_data))
val_dataloader = dict(dataset=_val_data)
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + val_ann_file)
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=max_epochs)  # upstream's MultiStepLR steps at 24 and 28 (= 80 %, 93 %)
_train = 'train_dataloader.dataset.dataset.'
setting_fields = {
    'model.bbox_head.num_classes': 'len(classes)',
    _train + 'data_root': 'data_root',
    _train + 'ann_file': 'train_ann_file',
    _train + 'data_prefix.img': 'train_img_dir',
    _train + 'metainfo.classes': 'classes',
    **{f'{loader}.dataset.{key}': value for loader in ('val_dataloader', 'test_dataloader') for key, value in (
        ('data_root', 'data_root'), ('ann_file', 'val_ann_file'), ('data_prefix.img', 'val_img_dir'),
        ('metainfo.classes', 'classes'))},
    'val_evaluator.ann_file': 'join(data_root, val_ann_file)',
    'test_evaluator.ann_file': 'join(data_root, val_ann_file)',
    'train_cfg.max_epochs': 'max_epochs',
    'param_scheduler.1.milestones': '[max_epochs * 4 // 5, max_epochs * 14 // 15]',
}
