# HBONet x1.0 (official rounding divisor 8); taps are chosen by the task template
backbone = dict(type='backbones.HBONet', widen_factor=1.0)
backbone_name = 'hbonet_x1.0'
