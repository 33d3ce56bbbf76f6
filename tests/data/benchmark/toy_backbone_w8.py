backbone = dict(type='MBToyBackbone', width=8)
backbone_name = 'toy_w8'
