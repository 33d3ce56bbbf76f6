_base_ = ['../_base_/tasks/ssdlite_320_voc.py', '../_base_/backbones/mobilenetv3_large_x1.0.py']
# widths: the backbone's out_channels at the template's taps (tools/misc/generate_task_configs.py)
model = dict(
    backbone={{_base_.backbone}},
    neck=dict(in_channels=[112, 960], out_channels=[112, 960, 512, 256, 256, 128]),
    bbox_head=dict(in_channels=[112, 960, 512, 256, 256, 128]))
