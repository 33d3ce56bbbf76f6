# ImageNet-1k at 224: mmpretrain 1.2.0's own `_base_/datasets/imagenet_bs32_pil_resize.py` (RandomResizedCrop
# 224 + horizontal flip for training; short side to 256 = 224 / 0.875 + center crop 224 for the single-crop
# evaluation, top-1 / top-5 accuracy) read through the suite's checked ImageNet dataset.
# Layout (docs/classification.md): data_root/train/<wnid>/*.JPEG + data_root/val/<wnid>/*.JPEG, or
# data_root/meta/{train,val}.txt annotation files. data_root is a setting (docs/settings.md):
# --cfg-options data_root=...
_base_ = 'mmpretrain::_base_/datasets/imagenet_bs32_pil_resize.py'

data_root = 'data/imagenet/'
train_dataloader = dict(dataset=dict(type='mobilebench.ImageNetFolder', data_root=data_root))
val_dataloader = dict(dataset=dict(type='mobilebench.ImageNetFolder', data_root=data_root))
test_dataloader = val_dataloader
# the settings record (mobilebench.config; the recipes add num_classes and max_epochs)
setting_fields = {f'{loader}.dataset.data_root': 'data_root'
                  for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')}
