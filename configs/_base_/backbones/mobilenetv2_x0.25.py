# mmdet's own MobileNetV2 x0.25 (same modules and state_dict keys) with the project's taps
backbone = dict(type='backbones.MobileNetV2', widen_factor=0.25)
backbone_name = 'mobilenetv2_x0.25'
