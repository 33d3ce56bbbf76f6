# TSN with a mobile backbone: model + schedule shared by the action task templates (`configs/_base_/tasks/tsn_*.py`).
# mmaction2 1.2.0 `_base_/models/tsn_r50.py` + `_base_/schedules/sgd_50e.py` + `_base_/default_runtime.py`, with
# the 0.x HMDB51 recipe (`tsn_r50_1x1x8_50e_hmdb51_imagenet_rgb.py`: 8 segments, 50 epochs, SGD lr 0.025 for
# 8 GPUs x 32 videos, num_classes 51). Only the differences are written here.
_base_ = [
    'mmaction::_base_/models/tsn_r50.py', 'mmaction::_base_/schedules/sgd_50e.py',
    'mmaction::_base_/default_runtime.py'
]

# torch 2.13 / numpy 2 shims (checkpoint allow-list, the mmaction2 1.2.0 wheel's missing `drn` package) for any
# tool; the datasets: the video / rawframe list wrappers with input validation
custom_imports = dict(imports=['mobilebench.compat', 'mobilebench.datasets.action'], allow_failed_imports=False)

# settings (docs/settings.md; the data templates add theirs): --cfg-options num_classes=N / max_epochs=N with the
# suite's tools re-derive every field of `setting_fields` (mobilebench.config)
num_classes = 51  # the head and the datasets' label check
max_epochs = 50  # sgd_50e's MultiStepLR steps at 40 % and 80 % of it
num_segments = 8

model = dict(
    # type/arch from the backbone file. mmaction2's Recognizer2D + TSNHead need one Tensor, not the
    # tuple mmdet/mmpose need: the backbone's `tensor_output=True` option returns the 'final' features
    # (the widest, stride 32) as a Tensor. Offline default: no pretrained weights.
    backbone=dict(_delete_=True, out_indices=('final', ), tensor_output=True),
    cls_head=dict(num_classes=num_classes, in_channels='@backbone.out_channels[-1]'))

# schedule: sgd_50e (MultiStep [20, 40], clip_grad 40) with the HMDB51 recipe's lr 0.025
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=0.025))
auto_scale_lr = dict(enable=False, base_batch_size=256)  # 8 GPUs x 32 videos
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=3))
randomness = dict(seed=0)

# top-1 / top-5 / mean class accuracy -> acc/top1, acc/top5, acc/mean1
val_evaluator = dict(type='AccMetric', metric_list=('top_k_accuracy', 'mean_class_accuracy'),
                     metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))
test_evaluator = val_evaluator

setting_fields = {
    'model.cls_head.num_classes': 'num_classes',
    'train_cfg.max_epochs': 'max_epochs',
    'param_scheduler.0.end': 'max_epochs',
    'param_scheduler.0.milestones': '[max_epochs * 2 // 5, max_epochs * 4 // 5]',
}
