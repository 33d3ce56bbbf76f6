_base_ = ['../_base_/tasks/simplebaseline_256x192_coco.py', '../_base_/backbones/mobilenetv2_x1.0.py']
model = dict(backbone={{_base_.backbone}})
