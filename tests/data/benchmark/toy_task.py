# A tiny task template for tests/test_benchmark.py (same conventions as configs/_base_/tasks/).
custom_imports = dict(imports=['mb_toy_task'], allow_failed_imports=False)
default_scope = 'mmengine'
model = dict(type='MBToyClassifier', backbone=dict(out_indices=('final', )),
             in_channels='@backbone.out_channels[-1]', num_classes=3)
_loader = dict(batch_size=8, num_workers=0, collate_fn=dict(type='default_collate'))
train_dataloader = dict(**_loader, sampler=dict(type='DefaultSampler', shuffle=True),
                        dataset=dict(type='MBToyColors', n=48, seed=0))
test_dataloader = dict(**_loader, sampler=dict(type='DefaultSampler', shuffle=False),
                       dataset=dict(type='MBToyColors', n=24, seed=1))
test_evaluator = dict(type='MBToyAccuracy')
# epoch-based: mmengine's IterBasedTrainLoop sleeps 2 s at every epoch end of a small dataset
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=4, val_interval=1000)
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1000),
                     logger=dict(type='LoggerHook', interval=10))
log_level = 'WARNING'
