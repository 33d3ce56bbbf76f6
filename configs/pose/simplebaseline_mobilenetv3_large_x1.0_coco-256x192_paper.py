_base_ = ['../_base_/tasks/simplebaseline_256x192_coco_paper.py', '../_base_/backbones/mobilenetv3_large_x1.0.py']
# widths: the backbone's out_channels at the template's taps (tools/misc/generate_task_configs.py)
model = dict(
    backbone={{_base_.backbone}},
    head=dict(in_channels=960))
