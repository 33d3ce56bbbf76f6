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
#     `bbox_file` (the person detections used at val/test time, as upstream) is relative to data_root; set it to
#     None for ground-truth boxes:
#       --cfg-options val_dataloader.dataset.bbox_file=None test_dataloader.dataset.bbox_file=None
#   - randomness.seed = 0.
#
# Dataset root: <data_root>/annotations/person_keypoints_{train,val}2017.json, <data_root>/{train,val}2017/,
# <data_root>/person_detection_results/COCO_val2017_detections_AP_H_56_person.json
_base_ = 'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_mobilenetv2_8xb64-210e_coco-256x192.py'

# torch 2.13 / numpy 2 shims (checkpoint allow-list, mmpose's torchvision-only SimCC visualizer) for any tool
custom_imports = dict(imports=['mobilebench.compat', 'mobilebench.datasets.coco_keypoints'], allow_failed_imports=False)

randomness = dict(seed=0)

model = dict(
    backbone=dict(_delete_=True, out_indices=('final', )),
    head=dict(in_channels='@backbone.out_channels[-1]'))

dataset_type = 'mobilebench.CocoKeypointDataset'
bbox_file = 'person_detection_results/COCO_val2017_detections_AP_H_56_person.json'
train_dataloader = dict(dataset=dict(type=dataset_type))
val_dataloader = dict(dataset=dict(type=dataset_type, bbox_file=bbox_file))
test_dataloader = val_dataloader
