_base_ = ['../_base_/tasks/reid_256x128_market1501.py', '../_base_/backbones/hbonet_x0.5.py']
model = dict(backbone={{_base_.backbone}}, head=dict(in_channels=1600))
