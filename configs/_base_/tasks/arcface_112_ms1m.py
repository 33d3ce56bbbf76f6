# ArcFace face recognition at 112x112: the insightface `recognition/arcface_torch` recipe
# (configs/base.py + ms1mv3_mbf.py) as an mmengine config, with the backbone left open.
#   model: backbone -> MobileFaceNet GDC head -> 512-d embedding; CombinedMarginLoss s=64,
#          margin_list=(1.0, 0.5, 0.0) = ArcFace m=0.5 (CosFace: (1.0, 0.0, 0.4)).
#   data:  MS1MV3 (ms1m-retinaface-t1: 93431 ids, 5179510 aligned 112x112 faces) as train.rec/train.idx,
#          decoded RGB -> random horizontal flip -> (x - 127.5) / 127.5 (insightface's Normalize(0.5, 0.5)).
#   val:   lfw.bin, cfp_fp.bin, agedb_30.bin in data_root; flip-sum, 10-fold accuracy (mean/std) and
#          TAR@FAR=1e-3 per file (keys `lfw/accuracy`, `lfw/accuracy_std`, `lfw/tar@far1e-3`, ...).
#   optim: SGD lr 0.1, momentum 0.9, wd 5e-4, batch 128 per GPU, polynomial decay (power 2) with warm-up
#          (insightface: PolynomialLRWarmup; ms1mv3_mbf: 40 epochs, wd 1e-4 for MobileFaceNet).
#
# Backbone tap: out_indices=('s16',), the end of the stride-16 stage. At 112x112 it is a 7x7 map, the
# resolution MobileFaceNet feeds its GDC (MobileFaceNet has stride 16 in total). Tapping 's32' would give
# a 4x4 map (112/32 = 3.5, rounded up by the padded convs) that keeps little spatial structure for the
# position-specific depthwise kernel, and the stride-32 stage + final 1x1 conv of the ImageNet networks
# would add most of the parameters (e.g. AsymmNet-L's 960-ch conv) for no resolution benefit. The GDC head
# adds a 1x1 conv to 512 channels (+BN+PReLU) when the tapped width is not 512 (MobileFaceNet's conv_sep).
default_scope = 'mobilebench'
# torch 2.13 / numpy 2 shims for any tool; mobilebench.face: the recognizer, GDC head, margin loss, datasets, metric
custom_imports = dict(imports=['mobilebench.compat', 'mobilebench.face'], allow_failed_imports=False)

# ------------------------------------------------------------------------------------------------ settings
# What a user changes (docs/settings.md). tools/train.py, tools/test.py and a benchmark's `overrides` take them as
# `--cfg-options NAME=VALUE` and re-derive every field that `setting_fields` (end of file) lists
# (mobilebench.config); with OpenMMLab-style tools of their own, save the derived config first
# (tools/misc/print_config.py CONFIG --cfg-options ... --save-path FILE.py).
data_root = 'data/ms1m-retinaface-t1/'  # train.rec, train.idx, property, lfw.bin, cfp_fp.bin, agedb_30.bin
num_classes = 93431  # identities of train.rec: the margin loss's class centres
val_targets = ['lfw', 'cfp_fp', 'agedb_30']  # <data_root>/<name>.bin each; checkpoints keep the best <first>/accuracy
embedding_size = 512
batch_size = 128  # train, val and test
max_epochs = 40
warmup_epochs = 2
image_size = (112, 112)
input_size = 112  # read by tools/analysis/complexity.py

model = dict(
    type='FaceRecognizer',
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[127.5] * 3, std=[127.5] * 3),
    backbone=dict(out_indices=('s16', )),
    head=dict(type='GDCHead', in_channels='@backbone.out_channels[-1]', embedding_size=embedding_size,
              mid_channels=512, feat_size=7),
    loss=dict(type='CombinedMarginLoss', num_classes=num_classes, embedding_size=embedding_size, scale=64.0,
              margin_list=(1.0, 0.5, 0.0)),
    flip_test=True)

train_pipeline = [
    dict(type='LoadFaceImage', image_size=image_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackFaceInputs'),
]
test_pipeline = [
    dict(type='LoadFaceImage', image_size=image_size),
    dict(type='PackFaceInputs'),
]

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='FaceRecordIODataset', data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ConcatDataset', datasets=[
        dict(type='FaceVerificationBin', data_root=data_root, ann_file=f'{name}.bin', pipeline=test_pipeline)
        for name in val_targets]))
test_dataloader = val_dataloader
val_evaluator = dict(type='FaceVerificationMetric', n_folds=10, far_target=1e-3)
test_evaluator = val_evaluator

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='PolyLR', power=2.0, eta_min=0.0, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
auto_scale_lr = dict(base_batch_size=128 * 8)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3, save_best='lfw/accuracy', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(cudnn_benchmark=True, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='nccl'))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)

_val_datasets = dict(for_each='val_targets', fields={'data_root': 'data_root', 'ann_file': "item + '.bin'"})
setting_fields = {
    'train_dataloader.dataset.data_root': 'data_root',
    'val_dataloader.dataset.datasets': _val_datasets,
    'test_dataloader.dataset.datasets': _val_datasets,
    'default_hooks.checkpoint.save_best': "val_targets[0] + '/accuracy'",
    'model.loss.num_classes': 'num_classes',
    'model.head.embedding_size': 'embedding_size',
    'model.loss.embedding_size': 'embedding_size',
    'train_dataloader.batch_size': 'batch_size',
    'val_dataloader.batch_size': 'batch_size',
    'test_dataloader.batch_size': 'batch_size',
    'train_cfg.max_epochs': 'max_epochs',
    'param_scheduler.0.end': 'warmup_epochs',
    'param_scheduler.1.begin': 'warmup_epochs',
    'param_scheduler.1.end': 'max_epochs',
}
