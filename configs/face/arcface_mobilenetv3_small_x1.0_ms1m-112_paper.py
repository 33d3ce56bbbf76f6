_base_ = ['../_base_/tasks/arcface_112_ms1m_paper.py', '../_base_/backbones/mobilenetv3_small_x1.0.py']
model = dict(backbone={{_base_.backbone}})
