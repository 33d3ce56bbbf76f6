_base_ = ['../_base_/tasks/yolov3_416_voc_paper.py', '../_base_/backbones/mobilenetv3_small_x1.0.py']
# widths: the backbone's out_channels at the template's taps (tools/misc/generate_task_configs.py)
model = dict(
    backbone={{_base_.backbone}},
    neck=dict(in_channels=[576, 48, 24]))
