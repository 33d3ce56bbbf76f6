# 2 backbones x 2 tasks of the toy task (tests/test_sweep_*.py): two sweeps sharing one folder, Slurm jobs.
_dir = 'tests/data/benchmark/'
backbones = [_dir + 'toy_backbone_w4.py', _dir + 'toy_backbone_w8.py']
tasks = dict(
    colours=dict(template=_dir + 'toy_task.py', metric='toy/accuracy', input_shape=(3, 16, 16)),
    colours_short=dict(template=_dir + 'toy_task.py', metric='toy/accuracy', input_shape=(3, 16, 16),
                       overrides=dict(train_cfg=dict(max_epochs=2))),
)
seed = 0
latency = dict(warmup=1, repeats=3, threads=1)
threads = 1
slurm = dict(nodes=1, gpus_per_node=0, cpus_per_task=1, mem='1G', timeout_min=10)
