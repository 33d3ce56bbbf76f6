# MobileNetV1 x1.0 (the baseline of AsymmNet Table 10 and MobileNeXt Table 6); taps are chosen by the task template
backbone = dict(type='backbones.MobileNetV1', widen_factor=1.0)
backbone_name = 'mobilenetv1_x1.0'
