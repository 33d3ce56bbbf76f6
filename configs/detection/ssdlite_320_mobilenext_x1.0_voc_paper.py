_base_ = ['../_base_/tasks/ssdlite_320_voc_paper.py', '../_base_/backbones/mobilenext_x1.0.py']
# widths: the backbone's out_channels at the template's taps (tools/misc/generate_task_configs.py)
model = dict(
    backbone={{_base_.backbone}})
