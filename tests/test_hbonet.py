"""HBONet: equivalence with the official code (fixtures), exact complexity, taps, contract."""
import importlib.util
import json
import os.path as osp

import pytest
import torch

from backbones import HBONet
from backbones.classifiers import build_imagenet_model
from backbones.convert.common import fill_official_state_dict, verify_fixture
from backbones.convert.hbonet import convert_hbonet
from mobilebench.complexity import count_madds, count_params

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FIXTURES = osp.join(ROOT, 'tests', 'data', 'fixtures')


def _load_tool():
    spec = importlib.util.spec_from_file_location('hbonet_converter',
                                                  osp.join(ROOT, 'tools', 'model_converters', 'hbonet.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cli(tool, argv):
    """Run the converter CLI in-process; it disables autograd globally, so restore it afterwards."""
    with torch.enable_grad():
        return tool.converter_main(tool.__name__, tool.build_model, tool.convert, tool.build_model_from_args,
                                   tool.add_model_args, argv)


@pytest.mark.parametrize('name', ['hbonet_x0.1', 'hbonet_x0.25', 'hbonet_x1.0'])
def test_fixture_equivalence(name):
    tool = _load_tool()
    err = verify_fixture(osp.join(FIXTURES, f'{name}.json'), tool.build_model, tool.convert)
    assert err < 1e-4, f'{name}: max relative logit error {err}'


def test_verify_cli_exit_status(tmp_path):
    tool = _load_tool()
    good = osp.join(FIXTURES, 'hbonet_x0.1.json')
    assert _cli(tool, ['verify', good]) == 0
    fixture = json.load(open(good))
    fixture['logits'] = [-v for v in fixture['logits']]
    bad = tmp_path / 'hbonet_x0.1.json'
    bad.write_text(json.dumps(fixture))
    assert _cli(tool, ['verify', good, str(bad)]) == 1


def test_convert_cli_and_pretrained_prefix(tmp_path):
    fixture = json.load(open(osp.join(FIXTURES, 'hbonet_x0.25.json')))
    official = fill_official_state_dict(fixture['state_dict'], fixture['seed'])
    src, dst = tmp_path / 'hbonet_0_25.pth', tmp_path / 'converted.pth'
    torch.save(dict(official), src)
    tool = _load_tool()
    assert _cli(tool, ['convert', str(src), str(dst), '--widen-factor', '0.25']) == 0
    backbone = HBONet(0.25, out_indices=('s8', 's16_act', 's32'),
                      init_cfg=dict(type='Pretrained', checkpoint=str(dst), prefix='backbone.'))
    backbone.init_weights()
    torch.testing.assert_close(backbone.layer19.conv.weight, official['conv.0.weight'])
    torch.testing.assert_close(backbone.layer2.upconv.bn.running_mean, official['features.2.upconv.1.running_mean'])
    torch.testing.assert_close(backbone.layer15.conv.weight, official['features.15.0.weight'])


# architectures.md 3.6: (params, params w/o classifier, MAdds, MAdds w/o classifier, MAdds of features only)
COMPLEXITY = {
    1.0: (4_562_116, 2_961_116, 305_572_480, 303_972_480, 272_612_480),
    0.8: (3_612_408, 2_011_408, 204_588_576, 202_988_576, 177_900_576),
    0.5: (2_538_349, 937_349, 96_390_304, 94_790_304, 79_110_304),
    0.35: (2_149_828, 548_828, 60_861_776, 59_261_776, 47_972_176),
    0.25: (1_935_559, 334_559, 36_511_912, 34_911_912, 27_071_912),
    0.1: (1_706_960, 105_960, 13_674_384, 12_074_384, 8_938_384),
}


@pytest.mark.parametrize('width', sorted(COMPLEXITY))
def test_complexity_exact(width):
    params, params_bb, madds, madds_bb, madds_features = COMPLEXITY[width]
    model = build_imagenet_model(dict(type='backbones.HBONet', widen_factor=width))
    assert count_params(model) == params
    assert count_params(model.backbone) == params_bb
    assert count_madds(model) == madds
    assert count_madds(model.backbone) == madds_bb
    assert count_madds(HBONet(width, out_indices=('s32', ))) == madds_features  # features[0..18]
    assert not any(isinstance(m, torch.nn.Dropout) for m in model.head.modules())  # official: no dropout


# architectures.md 4.3: s2 (f2), s4 (f5), s8 (f9), s16 (f15), s16_act (f14), s32 (f18), final (conv)
STAGE_CHANNELS = {
    1.0: (40, 72, 96, 144, 288, 400, 1600),
    0.8: (32, 56, 80, 112, 232, 320, 1600),
    0.5: (18, 36, 48, 72, 144, 200, 1600),
    0.35: (16, 24, 32, 48, 104, 144, 1600),
    0.25: (10, 18, 24, 36, 72, 100, 1600),
    0.1: (4, 8, 12, 16, 28, 40, 1600),
}


@pytest.mark.parametrize('width', sorted(STAGE_CHANNELS))
def test_taps_per_stride(width):
    s2, s4, s8, s16, s16_act, s32, final = STAGE_CHANNELS[width]
    model = HBONet(width, out_indices=('s2', 's4', 's8', 's16', 's32', 'final'))
    assert model.out_indices == (2, 5, 9, 15, 18, 19)
    assert model.out_channels == (s2, s4, s8, s16, s32, final)
    assert model.out_strides == (2, 4, 8, 16, 32, 32)
    act = HBONet(width, out_indices=('s8', 's16_act', 's32'))
    assert act.out_indices == (9, 14, 18) and act.out_channels == (s8, s16_act, s32)
    assert HBONet(width).out_indices == (19, )


def test_divisor_per_width():
    assert {w: HBONet(w).divisor for w in HBONet.widen_factors} == {0.1: 4, 0.25: 2, 0.35: 8, 0.5: 2, 0.8: 8, 1.0: 8}
    # README "8-divisible" variant of x0.25
    assert HBONet(0.25, divisor=8, out_indices='s2').out_channels == (16, )


def test_forward_shapes():
    torch.manual_seed(0)
    model = HBONet(0.25, out_indices=('s2', 's4', 's8', 's16_act', 's16', 's32', 'final')).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 96))
    assert [o.shape[1] for o in outs] == list(model.out_channels)
    assert [96 // o.shape[-1] for o in outs] == list(model.out_strides)
    assert [64 // o.shape[-2] for o in outs] == list(model.out_strides)


def test_odd_input_size_runs():
    model = HBONet(0.1, out_indices=('s8', 's32')).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 72, 72))  # stride-1 HBO blocks see odd sizes (9x9 at stride 8)
    assert outs[0].shape[-1] == 9 and outs[1].shape[-1] == 3


def test_frozen_stages_norm_eval_and_tensor_output():
    model = HBONet(0.1, out_indices='final', frozen_stages=5, tensor_output=True).train()
    for i in range(6):
        layer = getattr(model, f'layer{i}')
        assert not layer.training and all(not p.requires_grad for p in layer.parameters())
    assert all(p.requires_grad for p in model.layer6.parameters())
    out = model(torch.randn(2, 3, 32, 32))
    assert isinstance(out, torch.Tensor) and out.shape == (2, 1600, 1, 1)
    out.mean().backward()
    assert model.layer6.expand.conv.weight.grad is not None and model.layer5.expand.conv.weight.grad is None
    model = HBONet(0.1, norm_eval=True).train()
    assert all(not m.training for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))


@pytest.mark.parametrize('kwargs, match', [
    (dict(widen_factor=0.75), r'0\.1, 0\.25, 0\.35, 0\.5, 0\.8, 1\.0'),
    (dict(out_indices=(20, )), r'0\.\.19'),
    (dict(out_indices=('s64', )), r's16_act'),
    (dict(out_indices=('s32', 's8')), 'shallow to deep'),
    (dict(out_indices=(1, 2), tensor_output=True), 'exactly one'),
    (dict(divisor=0), 'divisor'),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HBONet(**kwargs)


def test_converter_rejects_wrong_blocks():
    fixture = json.load(open(osp.join(FIXTURES, 'hbonet_x0.1.json')))
    official = fill_official_state_dict(fixture['state_dict'], fixture['seed'])
    official.pop('features.3.conv.5.weight')
    with pytest.raises(ValueError, match='features.3'):
        convert_hbonet(official)
