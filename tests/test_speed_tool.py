"""tools/analysis/speed.py and mobilebench.speed: what the variants change, and what the JSON holds.

Timings themselves are never asserted (they belong in docs/benchmarks/); the tests check the bookkeeping:
batch sizes, samples/s = batch / median, the device and version fields, that both variants start from the
same weights (equal first-step losses on the same batch), and the config edits of the fast variant.
"""
import json
import os.path as osp
import sys

import pytest

from mobilebench.config import compose_config, load_config, resolve_backbone_placeholders
from mobilebench.speed import apply_variant

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOY = osp.join(REPO, 'tests', 'data', 'benchmark')


@pytest.fixture
def toy_cfg():
    sys.path.insert(0, TOY)
    try:
        yield resolve_backbone_placeholders(compose_config(osp.join(TOY, 'toy_task.py'),
                                                           osp.join(TOY, 'toy_backbone_w8.py')))
    finally:
        sys.path.remove(TOY)


@pytest.mark.parametrize('config, head', [('yolov3_416_asymmnet_small_x1.0_coco.py', 'mobilebench.FastYOLOV3Head'),
                                          ('ssdlite_320_mobilenetv2_x1.0_voc.py', 'mobilebench.FastSSDHead')])
def test_fast_variant_swaps_only_the_head_and_the_optimizer_kernels(config, head):
    cfg = load_config(osp.join(REPO, 'configs', 'detection', config))
    before = cfg.to_dict()
    assert apply_variant(cfg, 'upstream') == [] and cfg.to_dict() == before
    changes = apply_variant(cfg, 'fast', 'cpu')
    assert cfg.model.bbox_head.type == head
    assert cfg.optim_wrapper.optimizer.fused is True
    assert len(changes) == 2 and 'channels_last' not in ' '.join(changes)  # channels_last only on CUDA
    after = cfg.to_dict()
    after['model']['bbox_head']['type'] = before['model']['bbox_head']['type']
    del after['optim_wrapper']['optimizer']['fused']
    assert after == before
    assert any('channels_last' in c for c in apply_variant(load_config(osp.join(REPO, 'configs', 'detection', config)),
                                                           'fast', 'cuda'))
    cpu_cl = apply_variant(load_config(osp.join(REPO, 'configs', 'detection', config)), 'fast', 'cpu', True)
    assert cpu_cl[-1] == 'channels_last memory format (model and inputs)'
    with pytest.raises(ValueError, match='unknown variant'):
        apply_variant(cfg, 'turbo')


def _toy_params(cfg):
    from mmengine.registry import MODELS, init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    return [p for p in MODELS.build(cfg.model).parameters() if p.requires_grad]


def test_measure_speed_json(toy_cfg, tmp_path):
    from mobilebench.speed import measure_speed
    res = measure_speed(toy_cfg, variants=('upstream', 'fast'), modes=('model_step', 'inference'), batch_size=4,
                        warmup=1, repeats=3, threads=1, progress=False)
    assert res['batch_size'] == 4 and res['variants'] == ['upstream', 'fast']
    for variant in ('upstream', 'fast'):
        for mode in ('model_step', 'inference'):
            r = res['results'][variant][mode]
            assert r['repeats'] == 3 and r['batch_size'] == 4
            assert r['samples_per_s'] == pytest.approx(4 / r['median_s'])
            assert r['min_s'] <= r['median_s'] <= r['p90_s']
    assert res['speedup']['model_step'] == pytest.approx(
        res['results']['fast']['model_step']['samples_per_s'] / res['results']['upstream']['model_step']['samples_per_s'])
    # same weights, same batch, first step: the optimizer implementation cannot change the first loss
    assert res['first_step_losses']['upstream'] == res['first_step_losses']['fast']
    assert res['first_step_max_rel_loss_diff'] == 0.0
    # ... nor the gradients of the first batch (same kernels): every element equal to upstream's
    agree = res['gradient_agreement']['fast']
    assert agree['outside'] == 0 and agree['worst_rel_to_max'] == 0.0
    assert agree['elements'] == sum(p.numel() for p in _toy_params(toy_cfg)) and agree['tensors'] > 0
    assert res['changes']['fast'] == ['optim_wrapper.optimizer.fused=True (SGD: one fused kernel per update)']
    info = res['device_info']
    assert info['device'] == 'cpu' and info['torch'] and info['mmengine'] and info['cpu_count'] >= 1
    assert info['torch_threads'] == 1  # the threads of the measurement, not the caller's


def test_speed_cli_writes_json(toy_cfg, tmp_path):
    sys.path.insert(0, osp.join(REPO, 'tools', 'analysis'))
    try:
        import speed as speed_tool
    finally:
        sys.path.remove(osp.join(REPO, 'tools', 'analysis'))
    cfg_file = tmp_path / 'toy.py'
    toy_cfg.dump(str(cfg_file))
    out = tmp_path / 'speed.json'
    sys.path.insert(0, TOY)
    try:
        speed_tool.main([str(cfg_file), '--variants', 'upstream', '--modes', 'model_step', '--batch-size', '2',
                         '--warmup', '0', '--repeats', '2', '--threads', '1', '--out', str(out)])
        with pytest.raises(ValueError, match='fewer than --batch-size 64'):
            speed_tool.main([str(cfg_file), '--variants', 'upstream', '--modes', 'model_step', '--batch-size', '64',
                             '--repeats', '1'])
    finally:
        sys.path.remove(TOY)
    data = json.loads(out.read_text())
    assert data['results']['upstream']['model_step']['batch_size'] == 2
    assert data['command'].startswith('python tools/analysis/speed.py ') and '--batch-size 2' in data['command']
    assert 'speedup' not in data  # one variant: nothing to compare


def test_gradient_agreement_counts_elements_outside_the_tolerance():
    import torch

    from mobilebench.speed import gradient_agreement
    ref = [torch.tensor([1.0, 2.0, 3.0]), None, torch.tensor([[0.0, 4.0]])]
    # 2.0001 is within 1e-6 + 1e-4 * 2 of 2; 3.1 and 1e-5 (vs 0) are not
    grads = [torch.tensor([1.0, 2.0001, 3.1]), None, torch.tensor([[1e-5, 4.0]])]
    agree = gradient_agreement(grads, ref)
    assert agree['elements'] == 5 and agree['tensors'] == 2 and agree['outside'] == 2
    assert agree['worst_rel_to_max'] == pytest.approx(0.1 / 3.0, rel=1e-5)
    assert gradient_agreement(ref, ref)['outside'] == 0
    with pytest.raises(ValueError, match='not the same model'):
        gradient_agreement(grads[:2], ref)
    with pytest.raises(ValueError, match='in one variant only'):
        gradient_agreement([ref[0], ref[0], ref[2]], ref)
