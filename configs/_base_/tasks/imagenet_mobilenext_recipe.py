# ImageNet-1k classification, the MobileNeXt paper's recipe (MobileNeXt Tables 3-7, §4.1): SGD (momentum 0.9,
# weight decay 4e-5), batch 256 on 4 GPUs (64 each), LR 0.05 with 3 linear warm-up epochs then cosine to 0,
# 200 epochs, the basic augmentation (random-resized crop 224 + flip: mmpretrain's imagenet_bs32_pil_resize)
# and the 224 single-crop evaluation (short side 256, center crop 224). Head: the backbone family's official
# ImageNet head (backbones.classifiers.OFFICIAL_HEADS; MobileNeXt: dropout 0.2 + Linear).
# Use: configs/classification/<backbone>_4xb64-200e_in1k.py = this file + the backbone (generated).
_base_ = ['../datasets/imagenet_224.py', 'mmpretrain::_base_/default_runtime.py']

# settings (docs/settings.md; data_root: ../datasets/imagenet_224.py): --cfg-options NAME=VALUE with the suite's tools
# re-derives every field of `setting_fields` (mobilebench.config)
num_classes = 1000  # the head's outputs
max_epochs = 200  # the cosine decay ends with it (3 warm-up epochs first)

model = dict(
    type='mobilebench.MobileImageClassifier',
    backbone=dict(out_indices=('final', )),
    head=dict(num_classes=num_classes, loss=dict(type='CrossEntropyLoss', loss_weight=1.0), topk=(1, 5)))

train_dataloader = dict(batch_size=64, num_workers=8)
val_dataloader = dict(batch_size=64, num_workers=8)
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=4e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=3, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=197, eta_min=0.0, by_epoch=True, begin=3, end=200,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)  # 4 GPUs x 64

default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3), logger=dict(interval=100))
setting_fields = {
    'model.head.num_classes': 'num_classes',
    'data_preprocessor.num_classes': 'num_classes',
    'train_cfg.max_epochs': 'max_epochs',
    'param_scheduler.1.T_max': 'max_epochs - 3',
    'param_scheduler.1.end': 'max_epochs',
}
