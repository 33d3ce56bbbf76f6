# Person re-identification on Market-1501: HBONet Table 9's protocol with the backbone left open.
# Inherits mmdet 3.3.0's re-ID config (runtime, loops, optimizer wrapper) and replaces the model, data and
# schedule. See docs/reid.md.
#
# HBONet (Li et al., ICCV 2019) sec. 4.4, as the paper states it:
#   optimizer  AMSGrad, weight decay 5e-4, batch 32, 90 epochs, lr 1e-3 x0.1 at epoch 60
#   loss       softmax identity classification with label smoothing
#   warm-up    the new fully-connected classifier trains alone for 10 epochs, all other layers fixed
#   augment    horizontal flip and normalization
#   x1.0       HBONet (1.0) and MobileNetV2 (1.0) fine-tune another 30 epochs with a decayed lr (the
#              per-backbone x1.0 configs add this stage: 120 epochs, lr x0.1 at 60 and 90)
# Where the text is silent (or its numbers were lost), the common re-ID baseline (torchreid's softmax
# recipe, which the paper's wording follows) is used, and said so:
#   input 256x128 (h x w) resized without keeping the aspect ratio; Adam betas (0.9, 0.999); label-smoothing
#   eps 0.1; the warm-up epochs count inside the 90 (torchreid's fixbase_epoch); embedding = the globally
#   average-pooled last backbone feature (no extra fc), classifier Linear(width, 751); retrieval by
#   Euclidean distance of un-normalised embeddings; ImageNet-normalised RGB input.
# Evaluation: the official Market-1501 single-query protocol (3,368 queries vs. the bounding_box_test
# gallery; junk (-1) boxes and same-identity same-camera gallery images excluded per query, distractors
# (0000) kept) by mobilebench.Market1501Metric: market1501/mAP, market1501/rank1, rank5, rank10.
#
# The head reads the last output of the backbone (out_indices=('final', ): the widest, stride-32 map,
# e.g. MobileNetV2's 1280-ch and HBONet's 1600-ch last 1x1 conv). The per-backbone configs in
# configs/reid/ write its width literally (head.in_channels); here it is left to the backbone
# ('@backbone.out_channels[-1]', resolved by mobilebench.config when the benchmark composes a run).
# Offline default: no ImageNet weights (the paper fine-tunes ImageNet-pretrained backbones); add
# init_cfg=dict(type='Pretrained', checkpoint=<imagenet ckpt>, prefix='backbone.') to the backbone.
_base_ = 'mmdet::reid/reid_r50_8xb32-6e_mot17train80_test-mot17val20.py'

custom_imports = dict(imports=['mobilebench.reid', 'mobilebench.datasets.market1501'],
                      allow_failed_imports=False)

# ------------------------------------------------------------------------------------------------ settings
# What a user changes (docs/settings.md). tools/train.py, tools/test.py and a benchmark's `overrides` take them as
# `--cfg-options NAME=VALUE` and re-derive every field that `setting_fields` (end of file) lists
# (mobilebench.config); with OpenMMLab's own tools, save the derived config first (tools/misc/print_config.py
# CONFIG --cfg-options ... --save-path FILE.py).
# <data_root>/bounding_box_train/, query/, bounding_box_test/ (Market-1501-v15.09.15 as released)
data_root = 'data/market1501/'
num_classes = 751  # identities of bounding_box_train: the classifier's outputs
input_size = (128, 256)  # (w, h) of the resized crops (train and test); also read by tools/analysis/complexity.py
max_epochs = 90  # the LR drops x0.1 at 2/3 of it (epoch 60 of 90)
warmup_epochs = 10  # classifier-only epochs at the start
batch_size = 32  # training batch (auto_scale_lr keeps the paper's 32 as its base)

model = dict(
    _delete_=True,
    type='mobilebench.ReIDClassifier',
    data_preprocessor=dict(
        type='mobilebench.ReIDImgDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(out_indices=('final', )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='mobilebench.ReIDClsHead',
        in_channels='@backbone.out_channels[-1]',
        num_classes=num_classes,
        loss_cls=dict(type='mobilebench.CrossEntropyLabelSmoothLoss', label_smoothing=0.1)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=input_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackReIDInputs', meta_keys=('flip', 'flip_direction')),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=input_size, keep_ratio=False),
    dict(type='PackReIDInputs', meta_keys=('pid', 'camid', 'split')),
]
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_delete_=True, type='mobilebench.Market1501Dataset', data_root=data_root, split='train',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=100,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_delete_=True, type='mobilebench.Market1501Dataset', data_root=data_root, split='test',
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='mobilebench.Market1501Metric', ranks=(1, 5, 10))
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='Adam', lr=1e-3, betas=(0.9, 0.999), weight_decay=5e-4, amsgrad=True))
param_scheduler = [dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[60], gamma=0.1)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
auto_scale_lr = dict(base_batch_size=32)  # the paper's batch
custom_hooks = [dict(type='mobilebench.ClassifierWarmupHook', warmup=warmup_epochs, open_layers=('head', ))]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3, save_best='market1501/mAP',
                    rule='greater'))
randomness = dict(seed=0)

setting_fields = {
    'train_dataloader.dataset.data_root': 'data_root',
    'val_dataloader.dataset.data_root': 'data_root',
    'test_dataloader.dataset.data_root': 'data_root',
    'model.head.num_classes': 'num_classes',
    'train_dataloader.dataset.pipeline.1.scale': 'input_size',
    'val_dataloader.dataset.pipeline.1.scale': 'input_size',
    'test_dataloader.dataset.pipeline.1.scale': 'input_size',
    'train_dataloader.batch_size': 'batch_size',
    'train_cfg.max_epochs': 'max_epochs',
    'param_scheduler.0.end': 'max_epochs',
    'param_scheduler.0.milestones': '[max_epochs * 2 // 3]',
    'custom_hooks.0.warmup': 'warmup_epochs',
}
