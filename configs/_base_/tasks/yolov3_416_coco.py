# yolov3_416 on COCO train2017 -> val2017, box AP (coco/bbox_mAP).
# Model, taps (which backbone stage feeds the neck, and why) and schedule: ./yolov3_416_model.py.
# Data: ../datasets/coco_yolov3_416.py (data_root is a top-level variable: --cfg-options data_root=...).
# Use: configs/detection/yolov3_416_<backbone>_coco.py = this file + ../_base_/backbones/<backbone>.py.
_base_ = ['./yolov3_416_model.py', '../datasets/coco_yolov3_416.py']

model = dict(bbox_head=dict(num_classes=80))
