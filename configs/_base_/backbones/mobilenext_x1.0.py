# MobileNeXt x1.0, full identity (the official 74.02 % model); taps are chosen by the task template
backbone = dict(type='backbones.MobileNeXt', widen_factor=1.0, identity_tensor_multiplier=1.0)
backbone_name = 'mobilenext_x1.0'
