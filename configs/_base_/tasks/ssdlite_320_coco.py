# SSDLite-320 with a mobile backbone on COCO train2017 -> val2017, box AP (coco/bbox_mAP): mmdet 3.3.0
# `configs/ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py` (box AP 21.3 with MobileNetV2, trained from
# scratch; model, data, "600e" schedule = 120 epochs over RepeatDataset x5) with the backbone left open. Only
# the differences are written here. Per-backbone configs: configs/detection/ssdlite_320_<backbone>_coco.py =
# this file + ../backbones/<backbone>.py + the neck / head widths (tools/misc/generate_task_configs.py).
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
# use upstream's. The COCO dataset is `mobilebench.CocoDataset` (mmdet's + input validation).
_base_ = ['mmdet::ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py', '../datasets/coco_classes.py']

# mobilebench.compat: torch 2.13 / numpy 2 shims (checkpoint allow-list, ...); mobilebench.models: the mmdet
# 3.3.0 SSDHead fix; the datasets: the VOC / COCO wrappers with input validation
custom_imports = dict(
    imports=['mobilebench.compat', 'mobilebench.models', 'mobilebench.datasets.voc', 'mobilebench.datasets.coco'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(_delete_=True, out_indices=('s16', 'final')),
    neck=dict(
        in_channels='@backbone.out_channels',
        out_channels='@backbone.out_channels + (512, 256, 256, 128)'),
    bbox_head=dict(in_channels='@backbone.out_channels + (512, 256, 256, 128)', num_classes=80))  # = len(classes)

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
max_epochs = 120  # epochs over RepeatDataset x5; the cosine decay spans them

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
train_cfg = dict(max_epochs=max_epochs)  # upstream's cosine spans max_epochs (the record moves it)
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
    'param_scheduler.1.T_max': 'max_epochs',
    'param_scheduler.1.end': 'max_epochs',
}
