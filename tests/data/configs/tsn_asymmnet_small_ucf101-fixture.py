# configs/action/tsn_asymmnet_small_x1.0_ucf101-video.py pointed at the UCF101-style clip of tests/data/action
# (train = test) with 2 segments of 32 px, as a derived config any OpenMMLab tool loads (see
# ./yolov3_asymmnet_small_coco-fixture.py). Used by tests/test_openmmlab_native.py.
_base_ = ['../../../configs/action/tsn_asymmnet_small_x1.0_ucf101-video.py']

data_root = 'tests/data/action/'  # the settings (docs/settings.md), then the fields they fill in
train_ann_file = val_ann_file = 'ucf101_videos.txt'
train_pipeline = [
    dict(type='mobilebench.CheckedDecordInit'),
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=2),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs'),
]
test_pipeline = [
    dict(type='mobilebench.CheckedDecordInit'),
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=2, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs'),
]
_data = dict(ann_file=data_root + train_ann_file, data_prefix=dict(video=data_root + _base_.video_dir))
train_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                        dataset=dict(_data, pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                      dataset=dict(_data, pipeline=test_pipeline))
test_dataloader = val_dataloader
