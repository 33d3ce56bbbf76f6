_base_ = ['../_base_/tasks/ssdlite_320_voc.py', '../_base_/backbones/mobilenetv3_small_x1.0.py']
model = dict(backbone={{_base_.backbone}})
