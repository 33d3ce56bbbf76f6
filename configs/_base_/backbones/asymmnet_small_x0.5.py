# AsymmNet-S x0.5 (asymmetry rate 1); taps are chosen by the task template
backbone = dict(type='backbones.AsymmNet', arch='small', widen_factor=0.5, asymmetry_rate=1)
backbone_name = 'asymmnet_small_x0.5'
