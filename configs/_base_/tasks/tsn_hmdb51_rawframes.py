# TSN on HMDB51 from extracted RGB frames (the 0.x recipe), split 1 by default; 8 segments.
# Lists: `<class>/<video> <num_frames> <label>` (mmaction2 `RawframeDataset` format), frames named
# img_00001.jpg...; built by `tools/data/hmdb51/build_lists.py --format rawframes`.
_base_ = ['../models/tsn_mobile.py']

# ------------------------------------------------------------------------------------------------ settings
# What a user changes (docs/settings.md; num_classes and max_epochs: ../models/tsn_mobile.py). tools/train.py,
# tools/test.py and a benchmark's `overrides` take them as `--cfg-options NAME=VALUE` and re-derive every field of
# `setting_fields` (mobilebench.config); with OpenMMLab's own tools, save the derived config first
# (tools/misc/print_config.py CONFIG --cfg-options ... --save-path FILE.py). Paths are relative to data_root.
dataset_name = 'hmdb51'
split = 1  # official train/test splits: 1, 2, 3 (the list files follow unless given)
data_root = 'data/hmdb51/'
frame_dir = 'rawframes'
train_ann_file = f'{dataset_name}_train_split_{split}_rawframes.txt'
val_ann_file = f'{dataset_name}_val_split_{split}_rawframes.txt'  # val and test
dataset_type = 'mobilebench.RawframeListDataset'  # mmaction2 RawframeDataset + list validation
crop_size = 224
test_crop_size = 256

train_pipeline = [
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips={{_base_.num_segments}}),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop'),
    dict(type='Resize', scale=(crop_size, crop_size), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs'),
]
val_pipeline = [
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips={{_base_.num_segments}}, test_mode=True),
    dict(type='RawFrameDecode'),
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
    dataset=dict(type=dataset_type, ann_file=data_root + train_ann_file,
                 data_prefix=dict(img=data_root + frame_dir),
                 num_classes=_base_.num_classes, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=data_root + val_ann_file,
                 data_prefix=dict(img=data_root + frame_dir),
                 num_classes=_base_.num_classes, pipeline=val_pipeline, test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=data_root + val_ann_file,
                 data_prefix=dict(img=data_root + frame_dir),
                 num_classes=_base_.num_classes, pipeline=test_pipeline, test_mode=True))
_data_fields = (('data_prefix.img', 'join(data_root, frame_dir)'), ('num_classes', 'num_classes'))
setting_fields = {
    'train_ann_file': "f'{dataset_name}_train_split_{split}_rawframes.txt'",
    'val_ann_file': "f'{dataset_name}_val_split_{split}_rawframes.txt'",
    'train_dataloader.dataset.ann_file': 'join(data_root, train_ann_file)',
    'val_dataloader.dataset.ann_file': 'join(data_root, val_ann_file)',
    'test_dataloader.dataset.ann_file': 'join(data_root, val_ann_file)',
    **{f'{loader}.dataset.{k}': v for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
       for k, v in _data_fields},
}
