# configs/pose/simplebaseline_asymmnet_small_x1.0_coco-256x192.py pointed at the four COCO val2017 images of
# tests/data/pose/coco (train = test, ground-truth boxes) at 64x96 (w x h, multiples of the stride 32), as a
# derived config any OpenMMLab tool loads (see ./yolov3_asymmnet_small_coco-fixture.py). Used by
# tests/test_openmmlab_native.py.
_base_ = ['../../../configs/pose/simplebaseline_asymmnet_small_x1.0_coco-256x192.py']

data_root = 'tests/data/pose/coco/'  # the settings (docs/settings.md), then the fields they fill in
train_img_dir = val_img_dir = ''
train_ann_file = val_ann_file = 'test_coco.json'
bbox_file = None
codec = dict(type='MSRAHeatmap', input_size=(64, 96), heatmap_size=(16, 24), sigma=2)
model = dict(head=dict(decoder=codec))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]
_data = dict(data_root=data_root, ann_file=train_ann_file, data_prefix=dict(img=train_img_dir))
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(_data, pipeline=train_pipeline))
val_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                      dataset=dict(_data, bbox_file=bbox_file, pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + val_ann_file)
test_evaluator = val_evaluator
