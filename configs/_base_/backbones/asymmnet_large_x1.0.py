# AsymmNet-L x1.0 (asymmetry rate 1, the released 75.42 % model); taps are chosen by the task template
backbone = dict(type='backbones.AsymmNet', arch='large', widen_factor=1.0, asymmetry_rate=1)
backbone_name = 'asymmnet_large_x1.0'
