"""MobileNeXt: equivalence with the official code (fixtures), exact complexity, taps, contract."""
import importlib.util
import json
import os.path as osp

import pytest
import torch

from backbones import MobileNeXt
from backbones.classifiers import build_imagenet_model
from backbones.convert.common import fill_official_state_dict, verify_fixture
from backbones.convert.mobilenext import convert_mobilenext
from mobilebench.complexity import count_madds, count_params

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FIXTURES = osp.join(ROOT, 'tests', 'data', 'fixtures')


def _load_tool():
    spec = importlib.util.spec_from_file_location('mobilenext_converter',
                                                  osp.join(ROOT, 'tools', 'model_converters', 'mobilenext.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cli(tool, argv):
    """Run the converter CLI in-process; it disables autograd globally, so restore it afterwards."""
    with torch.enable_grad():
        return tool.converter_main(tool.__name__, tool.build_model, tool.convert, tool.build_model_from_args,
                                   tool.add_model_args, argv)


@pytest.mark.parametrize('name', ['mobilenext_x0.35', 'mobilenext_x1.0'])
def test_fixture_equivalence(name):
    tool = _load_tool()
    err = verify_fixture(osp.join(FIXTURES, f'{name}.json'), tool.build_model, tool.convert)
    assert err < 1e-4, f'{name}: max relative logit error {err}'


def test_verify_cli_exit_status(tmp_path):
    tool = _load_tool()
    good = osp.join(FIXTURES, 'mobilenext_x0.35.json')
    assert _cli(tool, ['verify', good]) == 0
    fixture = json.load(open(good))
    fixture['logits'] = [v * 1.01 for v in fixture['logits']]  # 1 % off: must fail
    bad = tmp_path / 'mobilenext_x0.35.json'
    bad.write_text(json.dumps(fixture))
    assert _cli(tool, ['verify', str(bad)]) == 1


def test_convert_cli_and_pretrained_prefix(tmp_path):
    fixture = json.load(open(osp.join(FIXTURES, 'mobilenext_x0.35.json')))
    official = fill_official_state_dict(fixture['state_dict'], fixture['seed'])
    src, dst = tmp_path / 'official.pth', tmp_path / 'converted.pth'
    torch.save({'state_dict': {f'module.{k}': v for k, v in official.items()}}, src)
    tool = _load_tool()
    assert _cli(tool, ['convert', str(src), str(dst), '--widen-factor', '0.35']) == 0
    backbone = MobileNeXt(0.35, out_indices=('s8', 'final'),
                          init_cfg=dict(type='Pretrained', checkpoint=str(dst), prefix='backbone.'))
    backbone.init_weights()
    torch.testing.assert_close(backbone.layer20.dw2.conv.weight, official['features.20.conv.8.weight'])
    torch.testing.assert_close(backbone.layer3.pw_reduce.bn.running_var, official['features.3.conv.1.running_var'])


# architectures.md 2.6: (params, params w/o classifier, MAdds, MAdds w/o classifier)
COMPLEXITY = {
    0.35: (1_913_976, 632_976, 75_141_032, 73_861_032),
    0.5: (2_152_304, 871_304, 103_256_448, 101_976_448),
    0.75: (2_766_168, 1_485_168, 207_926_720, 206_646_720),
    1.0: (3_535_416, 2_254_416, 311_342_592, 310_062_592),
    1.4: (6_126_168, 4_333_168, 588_319_256, 586_527_256),
}


@pytest.mark.parametrize('width', sorted(COMPLEXITY))
def test_complexity_exact(width):
    params, params_bb, madds, madds_bb = COMPLEXITY[width]
    model = build_imagenet_model(dict(type='backbones.MobileNeXt', widen_factor=width))
    assert count_params(model) == params
    assert count_params(model.backbone) == params_bb
    assert count_madds(model) == madds
    assert count_madds(model.backbone) == madds_bb


# architectures.md 4.3 / 2.5: channels of s2 (f0), s4 (f2), s8 (f5), s16 (f12), s32 (f20)
STAGE_CHANNELS = {
    0.35: (16, 48, 64, 136, 1280),
    0.5: (16, 72, 96, 192, 1280),
    0.75: (24, 112, 144, 288, 1280),
    1.0: (32, 144, 192, 384, 1280),
    1.4: (48, 200, 272, 536, 1792),
}


@pytest.mark.parametrize('width', sorted(STAGE_CHANNELS))
def test_taps_per_stride(width):
    taps = ('s2', 's4', 's8', 's16', 's32')
    model = MobileNeXt(width, out_indices=taps)
    assert model.out_indices == (0, 2, 5, 12, 20)
    assert model.out_channels == STAGE_CHANNELS[width]
    assert model.out_strides == (2, 4, 8, 16, 32)
    assert MobileNeXt(width).out_indices == (20, )  # default: 'final'
    expand = MobileNeXt(width, out_indices=('s16_expand', 's32_expand'))
    assert expand.out_strides == (16, 32)
    assert expand.out_channels == (model.layer_table[13].channels, STAGE_CHANNELS[width][-1])


def test_forward_shapes_and_expand_taps():
    torch.manual_seed(0)
    model = MobileNeXt(0.35, out_indices=('s4', 's8', 's16', 's16_expand', 's32_expand')).eval()
    x = torch.randn(1, 3, 64, 64)
    captured = {}
    hooks = [getattr(model, f'layer{i}').pw_expand.register_forward_hook(
        lambda m, inp, out, i=i: captured.__setitem__(i, out)) for i in (13, 20)]
    with torch.no_grad():
        outs = model(x)
    for h in hooks:
        h.remove()
    assert [o.shape[1] for o in outs] == list(model.out_channels) == [48, 64, 136, 200, 1280]
    assert [64 // o.shape[-1] for o in outs] == list(model.out_strides) == [4, 8, 16, 16, 32]
    torch.testing.assert_close(outs[3], captured[13])
    torch.testing.assert_close(outs[4], captured[20])
    assert outs[4].min() >= 0  # activated (ReLU6), unlike the block output


def test_identity_tensor_multiplier():
    torch.manual_seed(0)
    full = MobileNeXt(0.35, identity_tensor_multiplier=1.0, out_indices=(4, )).eval()
    third = MobileNeXt(0.35, identity_tensor_multiplier=1 / 3, out_indices=(4, )).eval()
    third.load_state_dict(full.state_dict())
    block_full, block_third = full.layer4, third.layer4
    assert block_third.identity_channels == 64 // 3
    x = torch.randn(1, 64, 8, 8)
    with torch.no_grad():
        residual = block_full(x) - x  # the block's own output y
        expected = residual.clone()
        expected[:, :21] += x[:, :21]
        torch.testing.assert_close(block_third(x), expected)
    # layers without a shortcut are identical
    with torch.no_grad():
        y = torch.randn(1, 3, 32, 32)
        torch.testing.assert_close(full.layer0(y), third.layer0(y))


def test_frozen_stages_norm_eval_and_tensor_output():
    model = MobileNeXt(0.35, out_indices=('s32', ), frozen_stages=3, norm_eval=False, tensor_output=True)
    model.train()
    for i in range(4):
        layer = getattr(model, f'layer{i}')
        assert not layer.training
        assert all(not p.requires_grad for p in layer.parameters())
    assert model.layer4.training and all(p.requires_grad for p in model.layer4.parameters())
    out = model(torch.randn(2, 3, 32, 32))
    assert isinstance(out, torch.Tensor) and out.shape == (2, 1280, 1, 1)
    model = MobileNeXt(0.35, norm_eval=True).train()
    assert all(not m.training for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))


def test_with_cp_matches():
    torch.manual_seed(0)
    ref = MobileNeXt(0.35, out_indices=('s16_expand', 's32')).train()
    cp_model = MobileNeXt(0.35, out_indices=('s16_expand', 's32'), with_cp=True).train()
    cp_model.load_state_dict(ref.state_dict())
    x = torch.randn(2, 3, 32, 32, requires_grad=True)
    for a, b in zip(ref(x), cp_model(x)):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize('kwargs, match', [
    (dict(widen_factor=0.6), r'0\.35, 0\.5, 0\.75, 1\.0, 1\.4'),
    (dict(identity_tensor_multiplier=0.7), r'1/1, 1/2, 1/3, 1/4, 1/6'),
    (dict(out_indices=(21, )), r'0\.\.20'),
    (dict(out_indices=('s64', )), r's16_expand'),
    (dict(out_indices=('s32_expand', 'final')), 'same layer'),
    (dict(frozen_stages=21), r'-1\.\.20'),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MobileNeXt(**kwargs)


def test_converter_rejects_foreign_keys():
    fixture = json.load(open(osp.join(FIXTURES, 'mobilenext_x0.35.json')))
    official = fill_official_state_dict(fixture['state_dict'], fixture['seed'])
    official['extra.weight'] = torch.zeros(3)
    with pytest.raises(ValueError, match='no mapping'):
        convert_mobilenext(official)
