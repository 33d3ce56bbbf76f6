# SSDLite-320 on PASCAL VOC07+12 trainval -> VOC2007 test, 11-point mAP (pascal_voc/mAP); the AsymmNet Table 10 /
# MobileNeXt Table 8 / HBONet Table 8 protocol. Model, taps and schedule: ./ssdlite_320_coco.py (mmdet's
# SSDLite-MobileNetV2 recipe, whose RepeatDataset x5 with 120 epochs is kept, so the schedule means the same
# number of passes over the training set). mmdet has no VOC config for this detector: the data are mmdet 3.3.0
# `configs/_base_/datasets/voc0712.py` with the SSDLite-320 pipelines.
#
# Expected layout under data_root:
#   VOC2007/{Annotations/*.xml, JPEGImages/*.jpg, ImageSets/Main/{trainval,test}.txt}
#   VOC2012/{Annotations/*.xml, JPEGImages/*.jpg, ImageSets/Main/trainval.txt}
# `mobilebench.VOCDataset` raises FileNotFoundError naming the missing path and this layout.
_base_ = ['./ssdlite_320_coco.py']

model = dict(bbox_head=dict(num_classes=20))

dataset_type = 'mobilebench.VOCDataset'
data_root = 'data/VOCdevkit/'
voc_trainval = [
    dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=f'{year}/ImageSets/Main/trainval.txt',
        data_prefix=dict(sub_data_root=f'{year}/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32, bbox_min_size=32),
        pipeline={{_base_.train_pipeline}}) for year in ('VOC2007', 'VOC2012')
]
train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            _delete_=True,
            type='ConcatDataset',
            # mmdet's VOCDataset stores VOC2007/VOC2012 as `dataset_type` in its metainfo; the two
            # differ, so ConcatDataset must ignore that key (as upstream voc0712.py does).
            ignore_keys=['dataset_type'],
            datasets=voc_trainval)))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='VOC2007/ImageSets/Main/test.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader

# VOC2007 test is scored with the 11-point interpolated AP (VOC07 protocol); written as pascal_voc/mAP.
val_evaluator = dict(_delete_=True, type='VOCMetric', metric='mAP', eval_mode='11points')
test_evaluator = val_evaluator
