# ImageNet-1k classification, the HBONet paper's recipe (HBONet Tables 2-7, §4.1): SGD (momentum 0.9, weight
# decay 4e-5), batch 256 (8 GPUs x 32), LR 0.05 decayed to 0 by a cosine over 150 epochs (no warm-up),
# scale + aspect-ratio augmentation with horizontal flips (random-resized crop 224 + flip: mmpretrain's
# imagenet_bs32_pil_resize) and single-crop evaluation with the short side at 224 / 0.875 = 256, center crop
# 224. HBONet re-trained its MobileNetV2 baselines with this same schedule. Head: the backbone family's
# official ImageNet head (backbones.classifiers.OFFICIAL_HEADS; HBONet: Linear on its 1600-ch last conv).
# Use: configs/classification/<backbone>_8xb32-150e_in1k.py = this file + the backbone (generated).
_base_ = ['../datasets/imagenet_224.py', 'mmpretrain::_base_/default_runtime.py']

# settings (docs/settings.md; data_root: ../datasets/imagenet_224.py): --cfg-options NAME=VALUE with the suite's tools
# re-derives every field of `setting_fields` (mobilebench.config)
num_classes = 1000  # the head's outputs
max_epochs = 150  # the cosine decay ends with it

model = dict(
    type='mobilebench.MobileImageClassifier',
    backbone=dict(out_indices=('final', )),
    head=dict(num_classes=num_classes, loss=dict(type='CrossEntropyLoss', loss_weight=1.0), topk=(1, 5)))

train_dataloader = dict(batch_size=32, num_workers=8)
val_dataloader = dict(batch_size=32, num_workers=8)
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=4e-5))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=150, eta_min=0.0, by_epoch=True, begin=0, end=150,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)  # 8 GPUs x 32

default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3), logger=dict(interval=100))
setting_fields = {
    'model.head.num_classes': 'num_classes',
    'data_preprocessor.num_classes': 'num_classes',
    'train_cfg.max_epochs': 'max_epochs',
    'param_scheduler.0.T_max': 'max_epochs',
    'param_scheduler.0.end': 'max_epochs',
}
