_base_ = ['../_base_/tasks/yolov3_416_voc.py', '../_base_/backbones/asymmnet_large_x1.0.py']
model = dict(backbone={{_base_.backbone}})
