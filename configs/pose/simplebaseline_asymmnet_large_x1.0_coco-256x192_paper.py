_base_ = ['../_base_/tasks/simplebaseline_256x192_coco_paper.py', '../_base_/backbones/asymmnet_large_x1.0.py']
model = dict(backbone={{_base_.backbone}})
