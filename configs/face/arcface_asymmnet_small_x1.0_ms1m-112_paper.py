_base_ = ['../_base_/tasks/arcface_112_ms1m_paper.py', '../_base_/backbones/asymmnet_small_x1.0.py']
# widths: the backbone's out_channels at the template's taps (tools/misc/generate_task_configs.py)
model = dict(
    backbone={{_base_.backbone}},
    head=dict(in_channels=48))
