# TSN on HMDB51 from videos (decord), split 1 by default; 8 segments, 224 training crops.
# Lists: `<class>/<video>.avi <label>` (mmaction2 `VideoDataset` format), built by
# `tools/data/hmdb51/build_lists.py` from the official split files; labels index
# `tools/data/hmdb51/label_map.txt`. `split` (1, 2, 3) selects the list files; mmengine substitutes
# top-level variables when the file is parsed, so change `split` in a derived config (`_base_` this file,
# `split = 2`, and re-state the three `ann_file`s) or override the dataloaders' `ann_file`s directly.
_base_ = ['../models/tsn_mobile.py']

dataset_name = 'hmdb51'
split = 1  # official train/test splits: 1, 2, 3
data_root = 'data/hmdb51/'
data_prefix_videos = data_root + 'videos'
ann_file_train = f'{data_root}{dataset_name}_train_split_{split}_videos.txt'
ann_file_val = f'{data_root}{dataset_name}_val_split_{split}_videos.txt'
ann_file_test = ann_file_val
dataset_type = 'mobilebench.VideoListDataset'  # mmaction2 VideoDataset + list validation
crop_size = 224
test_crop_size = 256  # the 0.x HMDB51 recipe tests on a 256 centre crop

train_pipeline = [
    dict(type='mobilebench.CheckedDecordInit'),
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips={{_base_.num_segments}}),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop'),
    dict(type='Resize', scale=(crop_size, crop_size), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs'),
]
val_pipeline = [
    dict(type='mobilebench.CheckedDecordInit'),
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips={{_base_.num_segments}}, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=test_crop_size),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs'),
]
test_pipeline = val_pipeline

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, ann_file=ann_file_train, data_prefix=dict(video=data_prefix_videos),
                 num_classes={{_base_.num_classes}}, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=ann_file_val, data_prefix=dict(video=data_prefix_videos),
                 num_classes={{_base_.num_classes}}, pipeline=val_pipeline, test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=ann_file_test, data_prefix=dict(video=data_prefix_videos),
                 num_classes={{_base_.num_classes}}, pipeline=test_pipeline, test_mode=True))
