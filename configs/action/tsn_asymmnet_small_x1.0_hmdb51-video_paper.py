_base_ = ['../_base_/tasks/tsn_hmdb51_video_paper.py', '../_base_/backbones/asymmnet_small_x1.0.py']
model = dict(backbone={{_base_.backbone}})
