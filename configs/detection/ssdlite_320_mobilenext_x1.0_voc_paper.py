_base_ = ['../_base_/tasks/ssdlite_320_voc_paper.py', '../_base_/backbones/mobilenext_x1.0.py']
model = dict(backbone={{_base_.backbone}})
