_base_ = ['../_base_/tasks/yolov3_416_voc_paper.py', '../_base_/backbones/asymmnet_small_x1.0.py']
model = dict(backbone={{_base_.backbone}})
