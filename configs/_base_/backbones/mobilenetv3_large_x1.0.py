# MobileNetV3-Large x1.0 = AsymmNet-L with asymmetry rate 0 (the AsymmNet paper's baseline bottleneck)
backbone = dict(type='backbones.AsymmNet', arch='large', widen_factor=1.0, asymmetry_rate=0)
backbone_name = 'mobilenetv3_large_x1.0'
