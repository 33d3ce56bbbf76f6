# ssdlite_320 on PASCAL VOC07+12 trainval -> VOC2007 test, 11-point mAP (pascal_voc/mAP); AsymmNet Table 10 / MobileNeXt Table 8 / HBONet Table 8 protocol.
# Taps: out_indices=('s16', 'final'), the stride-16 stage end + the last layer (upstream's MobileNetV2 4/7 = 96 + 1280;
# MobileNeXt has no final conv, so 'final' is its last 1280-ch sandglass block; the authors' expanded taps
# are available as ('s16_expand', 's32_expand'), see ./ssdlite_320_model.py).
# Model, taps (which backbone stage feeds the neck, and why) and schedule: ./ssdlite_320_model.py.
# Data: ../datasets/voc0712_ssdlite_320.py (data_root is a top-level variable: --cfg-options data_root=...).
# Use: configs/detection/ssdlite_320_<backbone>_voc.py = this file + ../_base_/backbones/<backbone>.py.
_base_ = ['./ssdlite_320_model.py', '../datasets/voc0712_ssdlite_320.py']

model = dict(bbox_head=dict(num_classes=20))
