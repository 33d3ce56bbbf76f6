backbone = dict(type='MBToyBackbone', width=4)
backbone_name = 'toy_w4'
