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
_base_ = 'mmdet::yolo/yolov3_mobilenetv2_8xb24-ms-416-300e_coco.py'

# mobilebench.compat: torch 2.13 / numpy 2 shims (checkpoint allow-list, ...); mobilebench.models: the mmdet
# 3.3.0 SSDHead fix; the datasets: the VOC / COCO wrappers with input validation
custom_imports = dict(
    imports=['mobilebench.compat', 'mobilebench.models', 'mobilebench.datasets.voc', 'mobilebench.datasets.coco'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(_delete_=True, out_indices=('s8', 's16', 's32')),
    neck=dict(in_channels='@backbone.out_channels[::-1]'))

dataset_type = 'mobilebench.CocoDataset'
train_dataloader = dict(dataset=dict(dataset=dict(type=dataset_type)))
val_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = val_dataloader
