_base_ = ['../_base_/tasks/reid_256x128_market1501.py', '../_base_/backbones/hbonet_x1.0.py']
model = dict(backbone={{_base_.backbone}}, head=dict(in_channels=1600))
# the x1.0 models fine-tune another 30 epochs with a decayed learning rate (HBONet sec. 4.4)
train_cfg = dict(max_epochs=120)
param_scheduler = [dict(type='MultiStepLR', begin=0, end=120, by_epoch=True, milestones=[60, 90], gamma=0.1)]
