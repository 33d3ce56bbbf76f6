# SimpleBaseline (backbone + 3 deconvolutions + heatmaps), top-down, COCO keypoints, 256x192: mmpose 1.3.2
# `body_2d_keypoint/topdown_heatmap/coco/td-hm_mobilenetv2_8xb64-210e_coco-256x192.py` (0.648 AP with
# MobileNetV2; codec, model, pipelines, Adam 210-epoch schedule, CocoMetric with flip test) with the backbone
# left open. Only the differences are written here. Per-backbone configs:
# configs/pose/simplebaseline_<backbone>_coco-256x192.py = this file + ../backbones/<backbone>.py + the head width.
#
# Deliberate differences from upstream:
#   - the backbone comes from the backbone file and is tapped at its last layer ('final', the widest stride-32
#     features, as upstream's MobileNetV2 out_indices=(7,)); no ImageNet checkpoint by default (offline suite):
#     add init_cfg=dict(type='Pretrained', checkpoint=<imagenet ckpt>, prefix='backbone.') to fine-tune;
#   - the dataset is `mobilebench.CocoKeypointDataset` (mmpose's CocoDataset + input validation), whose
#     `bbox_file` (the person detections used at val/test time, as upstream) is relative to data_root; the
#     setting `bbox_file=None` evaluates on ground-truth boxes;
#   - randomness.seed = 0.
#
# Dataset root (the settings below): <data_root>/annotations/person_keypoints_{train,val}2017.json,
# <data_root>/{train,val}2017/, <data_root>/person_detection_results/COCO_val2017_detections_AP_H_56_person.json
_base_ = 'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_mobilenetv2_8xb64-210e_coco-256x192.py'

# torch 2.13 / numpy 2 shims (checkpoint allow-list, mmpose's torchvision-only SimCC visualizer) for any tool
custom_imports = dict(imports=['mobilebench.compat', 'mobilebench.datasets.coco_keypoints'], allow_failed_imports=False)

randomness = dict(seed=0)

model = dict(
    backbone=dict(_delete_=True, out_indices=('final', )),
    head=dict(in_channels='@backbone.out_channels[-1]'))

# ------------------------------------------------------------------------------------------------ settings
# What a user changes (docs/settings.md). tools/train.py, tools/test.py and a benchmark's `overrides` take them as
# `--cfg-options NAME=VALUE` and re-derive every field that `setting_fields` lists (mobilebench.config); with
# OpenMMLab's own tools, save the derived config first (tools/misc/print_config.py CONFIG --cfg-options ...
# --save-path FILE.py). Paths are relative to data_root unless absolute.
data_root = 'data/coco/'
train_img_dir = 'train2017/'
train_ann_file = 'annotations/person_keypoints_train2017.json'
val_img_dir = 'val2017/'  # val and test
val_ann_file = 'annotations/person_keypoints_val2017.json'  # val and test datasets and the CocoMetric
bbox_file = 'person_detection_results/COCO_val2017_detections_AP_H_56_person.json'  # None: ground-truth boxes
max_epochs = 210  # upstream's MultiStepLR steps at 170 and 200 (81 %, 95 %)

dataset_type = 'mobilebench.CocoKeypointDataset'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, ann_file=train_ann_file,
                                     data_prefix=dict(img=train_img_dir)))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, ann_file=val_ann_file,
                                   data_prefix=dict(img=val_img_dir), bbox_file=bbox_file))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + val_ann_file)
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=max_epochs)
setting_fields = {
    'train_dataloader.dataset.data_root': 'data_root',
    'train_dataloader.dataset.ann_file': 'train_ann_file',
    'train_dataloader.dataset.data_prefix.img': 'train_img_dir',
    **{f'{loader}.dataset.{key}': value for loader in ('val_dataloader', 'test_dataloader') for key, value in (
        ('data_root', 'data_root'), ('ann_file', 'val_ann_file'), ('data_prefix.img', 'val_img_dir'),
        ('bbox_file', 'bbox_file'))},
    'val_evaluator.ann_file': 'join(data_root, val_ann_file)',
    'test_evaluator.ann_file': 'join(data_root, val_ann_file)',
    'train_cfg.max_epochs': 'max_epochs',
    'param_scheduler.1.end': 'max_epochs',
    'param_scheduler.1.milestones': '[max_epochs * 17 // 21, max_epochs * 20 // 21]',
}
