# mmdet's own MobileNetV2 x1.0 (same modules and state_dict keys) with the project's taps
backbone = dict(type='backbones.MobileNetV2', widen_factor=1.0)
backbone_name = 'mobilenetv2_x1.0'
