# A benchmark config over the toy task (tests/test_benchmark.py).
_dir = 'tests/data/benchmark/'
backbones = [
    _dir + 'toy_backbone_w4.py',
    _dir + 'toy_backbone_w8.py',
    dict(file=_dir + 'toy_backbone_w8.py', name='toy_broken', width=-1),  # fails in the run: recorded
]
tasks = dict(
    colours=dict(template=_dir + 'toy_task.py', metric='toy/accuracy', input_shape=(3, 16, 16)),
    colours_long=dict(template=_dir + 'toy_task.py', metric='toy/accuracy', input_shape=(3, 16, 16),
                      overrides=dict(train_cfg=dict(max_epochs=6))),
)
seed = 0
latency = dict(warmup=1, repeats=3, threads=1)
