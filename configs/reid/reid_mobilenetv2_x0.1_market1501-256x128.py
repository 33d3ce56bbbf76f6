_base_ = ['../_base_/tasks/reid_256x128_market1501.py', '../_base_/backbones/mobilenetv2_x0.1.py']
model = dict(backbone={{_base_.backbone}}, head=dict(in_channels=1280))
