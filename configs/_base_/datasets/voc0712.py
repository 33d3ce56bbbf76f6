# PASCAL VOC07+12 pieces for the detection VOC templates: mmdet 3.3.0 `configs/_base_/datasets/voc0712.py` (trainval
# of VOC2007 and VOC2012 -> VOC2007 test, VOC 11-point mAP) as datasets *without* pipelines, under names of their
# own, so that a template can list this file beside an upstream-derived base (mmengine forbids two bases that
# define the same key) and add its detector's pipelines:
#   train_dataloader = dict(dataset=dict(dataset=dict(_delete_=True, **_base_.voc0712_trainval,
#       datasets=[dict(d, pipeline=_base_.train_pipeline) for d in _base_.voc0712_trainval_datasets])))
#
# Expected layout under data_root:
#   VOC2007/{Annotations/*.xml, JPEGImages/*.jpg, ImageSets/Main/{trainval,test}.txt}
#   VOC2012/{Annotations/*.xml, JPEGImages/*.jpg, ImageSets/Main/trainval.txt}
# `mobilebench.VOCDataset` (mmdet's VOCDataset + input validation) raises FileNotFoundError naming the missing
# path and this layout.
voc_dataset_type = 'mobilebench.VOCDataset'
voc_data_root = 'data/VOCdevkit/'
voc_train_subsets = ('VOC2007', 'VOC2012')  # folders under data_root with Annotations/, JPEGImages/, ImageSets/
voc_train_ann_file = 'ImageSets/Main/trainval.txt'  # the image-id list inside each training folder
voc_val_subset = 'VOC2007'
voc_val_ann_file = 'ImageSets/Main/test.txt'
# the 20 PASCAL VOC class names in mmdet 3.3.0's order (`mmdet.datasets.VOCDataset.METAINFO['classes']`)
voc_classes = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable',
               'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')

voc0712_trainval_datasets = [
    dict(
        type=voc_dataset_type,
        data_root=voc_data_root,
        ann_file=f'{year}/{voc_train_ann_file}',
        data_prefix=dict(sub_data_root=f'{year}/'),
        metainfo=dict(classes=voc_classes),
        filter_cfg=dict(filter_empty_gt=True, min_size=32, bbox_min_size=32)) for year in voc_train_subsets
]
# mmdet's VOCDataset stores VOC2007/VOC2012 as `dataset_type` in its metainfo; the two differ, so ConcatDataset must
# ignore that key (as upstream voc0712.py does).
voc0712_trainval = dict(type='ConcatDataset', ignore_keys=['dataset_type'])
voc07_test = dict(
    type=voc_dataset_type,
    data_root=voc_data_root,
    ann_file=f'{voc_val_subset}/{voc_val_ann_file}',
    data_prefix=dict(sub_data_root=f'{voc_val_subset}/'),
    metainfo=dict(classes=voc_classes),
    test_mode=True)
# VOC2007 test is scored with the 11-point interpolated AP (VOC07 protocol); written as pascal_voc/mAP.
voc07_metric = dict(type='VOCMetric', metric='mAP', eval_mode='11points')

# The settings record of a detector on these data whose training set is wrapped once (mmdet's RepeatDataset):
# which fields follow data_root, train_subsets, train_ann_file, val_subset, val_ann_file and classes
# (mobilebench.config; used by the YOLOv3 and SSDLite VOC templates, docs/settings.md).
voc_setting_fields = {
    'model.bbox_head.num_classes': 'len(classes)',
    'train_dataloader.dataset.dataset.datasets': dict(for_each='train_subsets', fields={
        'data_root': 'data_root', 'ann_file': 'join(item, train_ann_file)',
        'data_prefix.sub_data_root': "join(item, '')", 'metainfo.classes': 'classes'}),
    **{f'{loader}.dataset.{key}': value for loader in ('val_dataloader', 'test_dataloader') for key, value in (
        ('data_root', 'data_root'), ('ann_file', 'join(val_subset, val_ann_file)'),
        ('data_prefix.sub_data_root', "join(val_subset, '')"), ('metainfo.classes', 'classes'))},
}
