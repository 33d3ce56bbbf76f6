# MobileNetV3-Small x0.5 = AsymmNet-S x0.5 with asymmetry rate 0 (the paper's baseline bottleneck)
backbone = dict(type='backbones.AsymmNet', arch='small', widen_factor=0.5, asymmetry_rate=0)
backbone_name = 'mobilenetv3_small_x0.5'
