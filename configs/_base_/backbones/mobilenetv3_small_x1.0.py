# MobileNetV3-Small x1.0 = AsymmNet-S with asymmetry rate 0 (the AsymmNet paper's baseline bottleneck)
backbone = dict(type='backbones.AsymmNet', arch='small', widen_factor=1.0, asymmetry_rate=0)
backbone_name = 'mobilenetv3_small_x1.0'
