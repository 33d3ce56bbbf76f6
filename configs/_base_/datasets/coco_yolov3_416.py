# COCO 2017 for YOLOv3-416: the dataloaders of mmdet 3.3.0 `configs/yolo/yolov3_mobilenetv2_8xb24-ms-416-300e_coco.py` (train2017 -> val2017, box AP),
# with the YOLOv3-416 pipelines of `./pipelines/yolov3_416.py`.
#
# Expected layout under `data_root` (override with --cfg-options data_root=/path/to/coco/):
#   annotations/instances_train2017.json, annotations/instances_val2017.json,
#   train2017/*.jpg, val2017/*.jpg
# `mobilebench.CocoDataset` raises FileNotFoundError naming the missing path and this layout.
_base_ = ['./pipelines/yolov3_416.py']

dataset_type = 'mobilebench.CocoDataset'
data_root = 'data/coco/'

train_dataloader = dict(
    batch_size=24,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='RepeatDataset',  # RepeatDataset x10 with 30 epochs = "300e"
        times=10,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            ann_file='annotations/instances_train2017.json',
            data_prefix=dict(img='train2017/'),
            filter_cfg=dict(filter_empty_gt=True, min_size=32),
            pipeline={{_base_.train_pipeline}})))
val_dataloader = dict(
    batch_size=24,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader

# box AP on val2017; written as coco/bbox_mAP (+ _50, _75, _s, _m, _l).
val_evaluator = dict(type='CocoMetric', ann_file=data_root + 'annotations/instances_val2017.json', metric='bbox')
test_evaluator = val_evaluator
