# PASCAL VOC07+12 for YOLOv3-416: mmdet 3.3.0 `configs/_base_/datasets/voc0712.py` (trainval of VOC2007 and
# VOC2012 -> VOC2007 test, VOC 11-point mAP) with the YOLOv3-416 pipelines of `./pipelines/yolov3_416.py`.
# Repeat factor: the detector's COCO recipe (RepeatDataset x10 with 30 epochs = "300e") is kept, so the schedule in
# `../tasks/yolov3_416_model.py` means the same number of passes over the training set.
#
# Expected layout under `data_root` (override with --cfg-options data_root=/path/to/VOCdevkit/):
#   VOC2007/{Annotations/*.xml, JPEGImages/*.jpg, ImageSets/Main/{trainval,test}.txt}
#   VOC2012/{Annotations/*.xml, JPEGImages/*.jpg, ImageSets/Main/trainval.txt}
# `mobilebench.VOCDataset` raises FileNotFoundError naming the missing path and this layout.
_base_ = ['./pipelines/yolov3_416.py']

dataset_type = 'mobilebench.VOCDataset'
data_root = 'data/VOCdevkit/'

train_dataloader = dict(
    batch_size=24,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='RepeatDataset',
        times=10,
        dataset=dict(
            type='ConcatDataset',
            # mmdet's VOCDataset stores VOC2007/VOC2012 as `dataset_type` in its metainfo; the two
            # differ, so ConcatDataset must ignore that key (as upstream voc0712.py does).
            ignore_keys=['dataset_type'],
            datasets=[
                dict(
                    type=dataset_type,
                    data_root=data_root,
                    ann_file='VOC2007/ImageSets/Main/trainval.txt',
                    data_prefix=dict(sub_data_root='VOC2007/'),
                    filter_cfg=dict(filter_empty_gt=True, min_size=32, bbox_min_size=32),
                    pipeline={{_base_.train_pipeline}}),
                dict(
                    type=dataset_type,
                    data_root=data_root,
                    ann_file='VOC2012/ImageSets/Main/trainval.txt',
                    data_prefix=dict(sub_data_root='VOC2012/'),
                    filter_cfg=dict(filter_empty_gt=True, min_size=32, bbox_min_size=32),
                    pipeline={{_base_.train_pipeline}})
            ])))
val_dataloader = dict(
    batch_size=24,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='VOC2007/ImageSets/Main/test.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader

# VOC2007 test is scored with the 11-point interpolated AP (VOC07 protocol); written as pascal_voc/mAP.
val_evaluator = dict(type='VOCMetric', metric='mAP', eval_mode='11points')
test_evaluator = val_evaluator
