# mmdet's own MobileNetV2 x0.25 (mmdet's rounding: multiples of 8; the 1280-ch last conv is not narrowed)
backbone = dict(type='backbones.MobileNetV2', widen_factor=0.25)
backbone_name = 'mobilenetv2_x0.25'
