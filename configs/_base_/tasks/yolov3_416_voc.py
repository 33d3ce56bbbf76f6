# YOLOv3-416 on PASCAL VOC07+12 trainval -> VOC2007 test, 11-point mAP (pascal_voc/mAP); the AsymmNet Table 10 /
# MobileNeXt Table 8 / HBONet Table 8 protocol. Model, taps and schedule: ./yolov3_416_coco.py (mmdet's
# YOLOv3-MobileNetV2 recipe, whose RepeatDataset x10 with 30 epochs is kept, so the schedule means the same
# number of passes over the training set). mmdet has no VOC config for this detector: the data are
# ../datasets/voc0712.py (mmdet 3.3.0 `configs/_base_/datasets/voc0712.py`) with the YOLOv3-416 pipelines.
_base_ = ['./yolov3_416_coco.py', '../datasets/voc0712.py']

model = dict(bbox_head=dict(num_classes=20))  # = len(classes)

dataset_type = _base_.voc_dataset_type
train_dataloader = dict(dataset=dict(dataset=dict(
    _delete_=True, **_base_.voc0712_trainval,
    datasets=[dict(d, pipeline=_base_.train_pipeline) for d in _base_.voc0712_trainval_datasets])))
val_dataloader = test_dataloader = dict(
    num_workers=2, dataset=dict(_delete_=True, **_base_.voc07_test, pipeline=_base_.test_pipeline))
val_evaluator = test_evaluator = dict(_delete_=True, **_base_.voc07_metric)

# ------------------------------------------------------------------------------------------------ settings
# What a user changes (docs/settings.md): `--cfg-options NAME=VALUE` with tools/train.py, tools/test.py or a
# benchmark's `overrides` re-derives every field of `setting_fields` (mobilebench.config). One VOC-style folder of
# your own (Annotations/, JPEGImages/, ImageSets/Main/*.txt directly under data_root): train_subsets="['']",
# val_subset=''. The COCO template's settings of the same names do not apply here: the record is replaced.
data_root = _base_.voc_data_root
train_subsets = _base_.voc_train_subsets  # one dataset per folder, concatenated
train_ann_file = _base_.voc_train_ann_file
val_subset = _base_.voc_val_subset  # val and test
val_ann_file = _base_.voc_val_ann_file
classes = _base_.voc_classes  # the head follows
setting_fields = {
    '_delete_': True,
    **_base_.voc_setting_fields,
    **{key: value for key, value in _base_.setting_fields.items() if key.startswith(('train_cfg.', 'param_sch'))},
}
