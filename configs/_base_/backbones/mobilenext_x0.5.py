# MobileNeXt x0.5, full identity; taps are chosen by the task template
backbone = dict(type='backbones.MobileNeXt', widen_factor=0.5, identity_tensor_multiplier=1.0)
backbone_name = 'mobilenext_x0.5'
