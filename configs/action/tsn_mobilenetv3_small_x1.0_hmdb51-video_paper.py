_base_ = ['../_base_/tasks/tsn_hmdb51_video_paper.py', '../_base_/backbones/mobilenetv3_small_x1.0.py']
# widths: the backbone's out_channels at the template's taps (tools/misc/generate_task_configs.py)
model = dict(
    backbone={{_base_.backbone}},
    cls_head=dict(in_channels=576))
