# ImageNet-1k classification, the AsymmNet paper's recipe (AsymmNet Tables 5-6; §4.1 and the released
# GluonCV training log): SGD (momentum 0.9, weight decay 3e-5, none on norms and biases), batch 256 per GPU on
# 8 GPUs, LR 2.6 with 5 linear warm-up epochs then cosine to 0, 360 epochs, label smoothing 0.1, GluonCV's
# augmentation (random-resized crop 224, flip, color jitter 0.4, PCA lighting 0.1) and the 224 single-crop
# evaluation (short side 256, center crop 224). Head: the backbone family's official ImageNet head
# (backbones.classifiers.OFFICIAL_HEADS; AsymmNet / MobileNetV3: 1x1 conv 1280 + h-swish, dropout 0.2).
# Use: configs/classification/<backbone>_8xb256-360e_in1k.py = this file + the backbone (generated).
_base_ = ['../datasets/imagenet_224.py', 'mmpretrain::_base_/default_runtime.py']

# settings (docs/settings.md; data_root: ../datasets/imagenet_224.py): --cfg-options NAME=VALUE with the suite's tools
# re-derives every field of `setting_fields` (mobilebench.config)
num_classes = 1000  # the head's outputs
max_epochs = 360  # the cosine decay ends with it (5 warm-up epochs first)

model = dict(
    type='mobilebench.MobileImageClassifier',
    backbone=dict(out_indices=('final', )),
    head=dict(num_classes=num_classes, loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
              topk=(1, 5)))

# ImageNet PCA lighting constants (eigenvalues on the 0-255 scale, RGB eigenvectors), as in GluonCV
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(type='Lighting', eigval=[55.4625, 4.7940, 1.1475],
         eigvec=[[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]],
         alphastd=0.1, to_rgb=True),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=256, num_workers=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=256, num_workers=8)
test_dataloader = val_dataloader

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=2.6, momentum=0.9, weight_decay=3e-5),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=355, eta_min=0.0, by_epoch=True, begin=5, end=360,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=2048)  # 8 GPUs x 256

default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3), logger=dict(interval=100))
setting_fields = {
    'model.head.num_classes': 'num_classes',
    'data_preprocessor.num_classes': 'num_classes',
    'train_cfg.max_epochs': 'max_epochs',
    'param_scheduler.1.T_max': 'max_epochs - 5',
    'param_scheduler.1.end': 'max_epochs',
}
