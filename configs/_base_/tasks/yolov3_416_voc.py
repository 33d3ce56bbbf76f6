# yolov3_416 on PASCAL VOC07+12 trainval -> VOC2007 test, 11-point mAP (pascal_voc/mAP); AsymmNet Table 10 / MobileNeXt Table 8 / HBONet Table 8 protocol.
# Taps: out_indices=('s8', 's16', 's32'), the stage ends at strides 8/16/32 (upstream's MobileNetV2 layers 2/4/6;
# trailing widening 1x1 convs are never tapped; MobileNeXt's s32 is its last 1280-ch sandglass block).
# Model, taps (which backbone stage feeds the neck, and why) and schedule: ./yolov3_416_model.py.
# Data: ../datasets/voc0712_yolov3_416.py (data_root is a top-level variable: --cfg-options data_root=...).
# Use: configs/detection/yolov3_416_<backbone>_voc.py = this file + ../_base_/backbones/<backbone>.py.
_base_ = ['./yolov3_416_model.py', '../datasets/voc0712_yolov3_416.py']

model = dict(bbox_head=dict(num_classes=20))
