# configs/detection/yolov3_416_asymmnet_small_x1.0_coco.py pointed at the six COCO val2017 images of
# tests/data/detection/coco (train = test) at 64 px, the way a user points a config at their own data with
# any OpenMMLab tool: a derived config that sets the settings (docs/settings.md) and re-states the fields they
# fill in, because mmengine filled those in when the base file was parsed (the suite's tools re-derive them from
# `--cfg-options` alone). Paths are relative to the repository root (run the tools from there). Used by
# tests/test_openmmlab_native.py.
_base_ = ['../../../configs/detection/yolov3_416_asymmnet_small_x1.0_coco.py']

data_root = 'tests/data/detection/coco/'
train_img_dir = val_img_dir = 'images/'
train_ann_file = val_ann_file = 'annotations.json'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomResize', scale=[(32, 32), (64, 64)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
_data = dict(data_root=data_root, ann_file=train_ann_file, data_prefix=dict(img=train_img_dir))
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(times=1, dataset=dict(_data, filter_cfg=dict(filter_empty_gt=True, min_size=0),
                                       pipeline=train_pipeline)))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(_data, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + val_ann_file)
test_evaluator = val_evaluator
# an untrained detector scores below the 0.05 threshold: keep every box so that the metric is computed
model = dict(test_cfg=dict(score_thr=0.0))
