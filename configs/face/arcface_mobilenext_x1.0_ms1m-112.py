_base_ = ['../_base_/tasks/arcface_112_ms1m.py', '../_base_/backbones/mobilenext_x1.0.py']
model = dict(backbone={{_base_.backbone}})
