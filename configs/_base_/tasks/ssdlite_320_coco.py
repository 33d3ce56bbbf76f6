# ssdlite_320 on COCO train2017 -> val2017, box AP (coco/bbox_mAP).
# Model, taps (which backbone stage feeds the neck, and why) and schedule: ./ssdlite_320_model.py.
# Data: ../datasets/coco_ssdlite_320.py (data_root is a top-level variable: --cfg-options data_root=...).
# Use: configs/detection/ssdlite_320_<backbone>_coco.py = this file + ../_base_/backbones/<backbone>.py.
_base_ = ['./ssdlite_320_model.py', '../datasets/coco_ssdlite_320.py']

model = dict(bbox_head=dict(num_classes=80))
