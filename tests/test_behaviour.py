"""Behaviour tests: features that must do what they say, checked by their effect (not by a flag)."""
import pytest
import torch
import torch.utils.checkpoint

import backbones  # noqa: F401
from mmengine.registry import MODELS

FAMILIES = [
    dict(type='backbones.AsymmNet', arch='small', widen_factor=0.35),
    dict(type='backbones.MobileNeXt', widen_factor=0.35, out_indices=('s16_expand', 20)),  # both forward paths
    dict(type='backbones.HBONet', widen_factor=0.35),
    dict(type='backbones.MobileNetV2', widen_factor=0.35),
]


@pytest.mark.parametrize('cfg', FAMILIES, ids=lambda c: c['type'].split('.')[-1])
def test_with_cp_runs_layers_under_activation_checkpointing(cfg, monkeypatch):
    """with_cp=True: the training forward goes through torch.utils.checkpoint (counted by a wrapper)
    and gives the same output and gradients as with_cp=False; in eval mode / without grad it is not used."""
    calls = []
    real = torch.utils.checkpoint.checkpoint

    def counting(fn, *args, **kwargs):
        calls.append(fn)
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(torch.utils.checkpoint, 'checkpoint', counting)
    torch.manual_seed(0)
    plain = MODELS.build(dict(cfg, with_cp=False))
    ckpt = MODELS.build(dict(cfg, with_cp=True))
    ckpt.load_state_dict(plain.state_dict())
    plain.train(), ckpt.train()
    x = torch.randn(2, 3, 32, 32)
    outs = []
    for model in (plain, ckpt):
        calls.clear()
        out = model(x.clone().requires_grad_(True))
        out = out if isinstance(out, (tuple, list)) else [out]
        sum(o.sum() for o in out).backward()
        outs.append(([o.detach() for o in out], [p.grad.clone() for p in model.parameters() if p.grad is not None],
                     list(calls)))
    assert outs[0][2] == [], 'with_cp=False must not checkpoint'
    ckpt_calls = outs[1][2]
    if hasattr(ckpt, 'layer_names'):  # the suite's families: every layer that runs goes through checkpoint
        ran = [getattr(ckpt, n) for n in ckpt.layer_names[:ckpt.out_indices[-1] + 1]]
        assert [getattr(f, '__self__', f) for f in ckpt_calls] == ran, 'a layer ran without checkpointing'
    else:  # mmdet's MobileNetV2: checkpointing inside each InvertedResidual block
        blocks = [m for m in ckpt.modules() if type(m).__name__ == 'InvertedResidual']
        assert len(ckpt_calls) == len(blocks) > 0
    for a, b in zip(outs[0][0], outs[1][0]):
        torch.testing.assert_close(a, b)
    assert len(outs[0][1]) == len(outs[1][1])
    for a, b in zip(outs[0][1], outs[1][1]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    calls.clear()
    with torch.no_grad():
        ckpt.eval()(x)
    assert not calls, 'no checkpointing without gradients'


def test_latency_timer_pins_then_restores_threads():
    """measure_latency runs the model with the requested thread count and restores the caller's."""
    from mobilebench.latency import measure_latency
    seen = []

    class Probe(torch.nn.Module):
        def forward(self, x):
            seen.append(torch.get_num_threads())
            return x

    before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        measure_latency(Probe(), (1, 3, 8, 8), warmup=1, repeats=2, threads=1)
        assert set(seen) == {1}
        assert torch.get_num_threads() == 3
        seen.clear()
        with pytest.raises(RuntimeError):
            class Boom(Probe):
                def forward(self, x):
                    super().forward(x)
                    raise RuntimeError('boom')
            measure_latency(Boom(), (1, 3, 8, 8), warmup=1, repeats=2, threads=2)
        assert seen == [2] and torch.get_num_threads() == 3, 'threads restored after an error too'
    finally:
        torch.set_num_threads(before)
