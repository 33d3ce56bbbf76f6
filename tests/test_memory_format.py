"""``mobilebench.MemoryFormatHook`` and the benchmark key ``memory_format`` that adds it to every run's config."""
import os
import os.path as osp
import sys

import pytest
import torch
from torch import nn

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOY = osp.join(ROOT, 'tests', 'data', 'benchmark')


class _Runner:
    """What the hook reads of a Runner: the model and a logger."""

    def __init__(self, model):
        import logging
        self.model = model
        self.logger = logging.getLogger('test_memory_format')


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.Conv2d(8, 8, 5, padding=2, groups=8), nn.Conv2d(8, 4, 1))


def test_hook_puts_weights_in_channels_last_and_the_outputs_follow():
    from mmengine.registry import HOOKS
    net = _net()
    x = torch.randn(2, 3, 12, 10)
    expected = net(x)
    # built by its registry name, as a config names it (mmengine imports mobilebench.registry on the prefix)
    hook = HOOKS.build(dict(type='mobilebench.MemoryFormatHook', memory_format='channels_last'))
    hook.before_run(_Runner(net))
    convs = [m for m in net if isinstance(m, nn.Conv2d)]
    assert all(conv.weight.is_contiguous(memory_format=torch.channels_last) for conv in convs)
    assert not convs[0].weight.is_contiguous()  # (8, 3, 3, 3): the one weight whose two layouts differ
    out = net(x)  # an NCHW input: the first conv's channels_last weight makes every output NHWC
    assert out.is_contiguous(memory_format=torch.channels_last) and not out.is_contiguous()
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)
    # back to PyTorch's default layout
    hook = HOOKS.build(dict(type='mobilebench.MemoryFormatHook', memory_format='contiguous'))
    hook.before_run(_Runner(net))
    assert all(conv.weight.is_contiguous() for conv in convs) and net(x).is_contiguous()


def test_hook_keeps_the_parameter_objects_the_optimizer_holds():
    from mobilebench.hooks import MemoryFormatHook
    net = _net()
    params = list(net.parameters())
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    MemoryFormatHook().before_run(_Runner(net))
    assert all(a is b for a, b in zip(params, net.parameters()))
    before = net[0].weight.detach().clone()
    net(torch.randn(2, 3, 8, 8)).sum().backward()
    opt.step()
    assert not torch.equal(net[0].weight, before)  # the optimizer updated the converted tensors


def test_hook_errors_name_the_fix():
    from mobilebench.hooks import MemoryFormatHook
    with pytest.raises(ValueError, match=r"memory_format must be one of \['channels_last', 'contiguous'\], got 'nhwc'"):
        MemoryFormatHook('nhwc')
    net = nn.Sequential(nn.Conv3d(3, 4, 3))
    with pytest.raises(ValueError, match=r"5-D tensors \(\['0.weight'\]...\); use memory_format='contiguous'"):
        MemoryFormatHook().before_run(_Runner(net))
    MemoryFormatHook('contiguous').before_run(_Runner(net))  # a 5-D model in the default layout is fine


def test_benchmark_key_adds_the_hook_to_each_run_and_the_run_trains_in_channels_last(tmp_path, monkeypatch):
    """``memory_format`` (top level, a task may override it) appends the hook once to the composed config; the
    Runner built from that config trains with channels_last weights and reaches the metric of the NCHW run."""
    from mmengine.runner import Runner

    from mobilebench.benchmark import load_benchmark, plan_runs
    from mobilebench.benchmark.spec import compose_run
    from mobilebench.config import load_config
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(TOY)
    bench_file = tmp_path / 'bench.py'
    bench_file.write_text(
        "_dir = 'tests/data/benchmark/'\nbackbones = [_dir + 'toy_backbone_w4.py']\n"
        "memory_format = 'channels_last'\n"
        "tasks = dict(\n"
        "    nhwc=dict(template=_dir + 'toy_task.py', metric='toy/accuracy', input_shape=(3, 16, 16),\n"
        "              overrides=dict(custom_hooks=[dict(type='EmptyCacheHook')])),\n"
        "    nchw=dict(template=_dir + 'toy_task.py', metric='toy/accuracy', input_shape=(3, 16, 16),\n"
        "              memory_format='contiguous'))\n")
    runs = {r.task: r for r in plan_runs(load_benchmark(str(bench_file)), str(bench_file))}
    cfgs = {task: compose_run(run) for task, run in runs.items()}
    assert cfgs['nhwc'].custom_hooks == [dict(type='EmptyCacheHook'),
                                         dict(type='mobilebench.MemoryFormatHook', memory_format='channels_last')]
    assert cfgs['nchw'].custom_hooks == [dict(type='mobilebench.MemoryFormatHook', memory_format='contiguous')]
    no_key = tmp_path / 'plain.py'
    no_key.write_text(bench_file.read_text().replace("memory_format = 'channels_last'\n", ''))
    plain = {r.task: compose_run(r) for r in plan_runs(load_benchmark(str(no_key)), str(no_key))}
    assert plain['nhwc'].custom_hooks == [dict(type='EmptyCacheHook')]  # no key anywhere: no hook
    assert plain['nchw'].custom_hooks == cfgs['nchw'].custom_hooks  # the task's own key

    results = {}
    for task, composed in cfgs.items():
        path = tmp_path / f'{task}.py'
        path.write_text(composed.pretty_text)  # as the sweep writes it and the run loads it
        cfg = load_config(str(path))
        cfg.work_dir = str(tmp_path / task)
        cfg.randomness = dict(seed=0)
        cfg.train_cfg.max_epochs = 2
        runner = Runner.from_cfg(cfg)
        runner.train()
        conv = runner.model.backbone.conv2.weight
        assert conv.is_contiguous(memory_format=torch.channels_last) == (task == 'nhwc')
        assert conv.is_contiguous() == (task == 'nchw')
        results[task] = (runner.test(), {k: v.detach().clone() for k, v in runner.model.state_dict().items()})
    assert results['nhwc'][0] == results['nchw'][0]
    for key, value in results['nchw'][1].items():
        torch.testing.assert_close(results['nhwc'][1][key], value, rtol=1e-4, atol=1e-5, msg=key)
