# HBONet x0.25 (official rounding divisor 2); taps are chosen by the task template
backbone = dict(type='backbones.HBONet', widen_factor=0.25)
backbone_name = 'hbonet_x0.25'
