# HBONet x0.1 (official rounding divisor 4); taps are chosen by the task template
backbone = dict(type='backbones.HBONet', widen_factor=0.1)
backbone_name = 'hbonet_x0.1'
