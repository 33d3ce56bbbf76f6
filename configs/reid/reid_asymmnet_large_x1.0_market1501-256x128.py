_base_ = ['../_base_/tasks/reid_256x128_market1501.py', '../_base_/backbones/asymmnet_large_x1.0.py']
model = dict(backbone={{_base_.backbone}}, head=dict(in_channels=960))
# the x1.0 models fine-tune another 30 epochs with a decayed learning rate (HBONet sec. 4.4): the
# setting max_epochs (docs/settings.md) is 120 and the LR drops at 1/2 and 3/4 of it
max_epochs = 120
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
                        milestones=[max_epochs // 2, max_epochs * 3 // 4], gamma=0.1)]
setting_fields = {'param_scheduler.0.milestones': '[max_epochs // 2, max_epochs * 3 // 4]'}
