# yolov3_416 on COCO train2017 -> val2017, box AP (coco/bbox_mAP).
# Taps: out_indices=('s8', 's16', 's32'), the stage ends at strides 8/16/32 (upstream's MobileNetV2 layers 2/4/6;
# trailing widening 1x1 convs are never tapped; MobileNeXt's s32 is its last 1280-ch sandglass block).
# Model, taps (which backbone stage feeds the neck, and why) and schedule: ./yolov3_416_model.py.
# Data: ../datasets/coco_yolov3_416.py (data_root is a top-level variable: --cfg-options data_root=...).
# Use: configs/detection/yolov3_416_<backbone>_coco.py = this file + ../_base_/backbones/<backbone>.py.
_base_ = ['./yolov3_416_model.py', '../datasets/coco_yolov3_416.py']

model = dict(bbox_head=dict(num_classes=80))
