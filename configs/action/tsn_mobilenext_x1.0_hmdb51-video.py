_base_ = ['../_base_/tasks/tsn_hmdb51_video.py', '../_base_/backbones/mobilenext_x1.0.py']
model = dict(backbone={{_base_.backbone}})
