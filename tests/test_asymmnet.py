"""AsymmNet: equivalence with the official code (fixtures), exact complexity, r=0 == MobileNetV3, contract."""
import importlib.util
import os.path as osp

import pytest
import torch

from backbones import AsymmNet, MODELS
from backbones.asymmnet import AsymmBottleneck
from backbones.bricks import ceil_divisible, make_divisible
from backbones.classifiers import build_imagenet_model
from backbones.convert.asymmnet import convert_asymmnet
from backbones.convert.common import fill_official_state_dict, load_fixture, verify_fixture
from mobilebench.complexity import count_madds, count_params

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FIXTURES = osp.join(ROOT, 'tests', 'data', 'fixtures')

# architectures.md section 1.7: (params with classifier, MAdds at 224)
PAPER_NUMBERS = {
    ('large', 0.35): (2207376, 42620072), ('large', 0.5): (2844976, 67244264),
    ('large', 0.75): (4290672, 142076416), ('large', 1.0): (6076608, 216918096),
    ('large', 1.25): (8391712, 349770344), ('small', 0.35): (1735032, 15240656),
    ('small', 0.5): (1964472, 20594280), ('small', 0.75): (2495128, 40821136),
    ('small', 1.0): (3131896, 57674416), ('small', 1.25): (3974672, 91713144),
}
# architectures.md section 4.3: channels at s2, s4, s8, s16, s32 and after the last 1x1 conv
STAGE_CHANNELS = {
    ('large', 0.35): (8, 16, 16, 40, 56, 336), ('large', 0.5): (8, 16, 24, 56, 80, 480),
    ('large', 0.75): (16, 24, 32, 88, 120, 720), ('large', 1.0): (16, 24, 40, 112, 160, 960),
    ('large', 1.25): (24, 32, 56, 144, 200, 1200), ('small', 0.35): (8, 8, 16, 24, 40, 208),
    ('small', 0.5): (8, 8, 16, 24, 48, 288), ('small', 0.75): (16, 16, 24, 40, 72, 432),
    ('small', 1.0): (16, 16, 24, 48, 96, 576), ('small', 1.25): (24, 24, 32, 64, 120, 720),
}
TAPS = ('s2', 's4', 's8', 's16', 's32', 'final')


def _load_tool():
    spec = importlib.util.spec_from_file_location('asymmnet_converter',
                                                  osp.join(ROOT, 'tools', 'model_converters', 'asymmnet.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _full(arch, w, **kw):
    return build_imagenet_model(dict(type='backbones.AsymmNet', arch=arch, widen_factor=w, **kw))


def test_rounding_rules():
    assert [ceil_divisible(v) for v in (5.6, 25.2, 16, 0.35 * 960)] == [8, 32, 16, 336]
    assert make_divisible(0.35 * 32) == 16  # 90 % guard bumps 8 up
    assert make_divisible(20) == 24 and make_divisible(36) == 40 and make_divisible(4, 8) == 8
    with pytest.raises(ValueError):
        ceil_divisible(3, 0)


@pytest.mark.parametrize('name', ['asymmnet_large_x1.0', 'asymmnet_large_x0.35', 'asymmnet_small_x1.0'])
def test_fixture_equivalence(name):
    tool = _load_tool()
    err = verify_fixture(osp.join(FIXTURES, f'{name}.json'), tool.build_model, tool.convert)
    assert err < 1e-4, f'{name}: max relative logit error {err}'


def test_verify_cli_and_detects_a_wrong_model(capsys):
    tool = _load_tool()
    path = osp.join(FIXTURES, 'asymmnet_small_x1.0.json')
    argv = ['verify', path]
    assert tool.converter_main('AsymmNet', tool.build_model, tool.convert, tool.build_model_from_args,
                               tool.add_model_args, argv) == 0
    assert 'asymmnet_small_x1.0.json: max relative logit error' in capsys.readouterr().out
    assert torch.is_grad_enabled()

    # same weights, but a different reuse layout (r=0 loads the expand conv with the wrong shape) fails
    def wrong_model(fixture):
        return build_imagenet_model(dict(type='backbones.AsymmNet', arch='small', widen_factor=1.0,
                                         asymmetry_rate=0))
    assert tool.converter_main('AsymmNet', wrong_model, tool.convert, tool.build_model_from_args,
                               tool.add_model_args, argv) == 1


def test_concat_order_matters():
    """Swapping the reused-input order [x, pw1, x] -> [pw1, x, x] must change the logits a lot."""
    fixture = load_fixture(osp.join(FIXTURES, 'asymmnet_small_x1.0.json'))
    model = _full('small', 1.0)
    model.load_state_dict(convert_asymmnet(fill_official_state_dict(fixture['state_dict'], fixture['seed'])))
    model.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        ref = model(x)
        block = model.backbone.layer5
        orig = block.forward

        def swapped(inp):
            out = torch.cat([block.expand_conv(inp), inp, inp], 1)
            out = block.linear_conv(block.se(block.depthwise_conv(out)))
            return inp + out
        block.forward = swapped
        assert (model(x) - ref).abs().max() > 1e-2 * ref.abs().max()
        block.forward = orig


def test_convert_rejects_foreign_keys():
    with pytest.raises(ValueError, match='no mapping'):
        convert_asymmnet({'asymm_block.0.dw_conv.conv.weight': torch.zeros(1), 'foo.weight': torch.zeros(1)})
    with pytest.raises(ValueError, match='asymm_block'):
        convert_asymmnet({'features.0.weight': torch.zeros(1)})


@pytest.mark.parametrize('arch,w', sorted(PAPER_NUMBERS))
def test_params_exact(arch, w):
    assert count_params(_full(arch, w)) == PAPER_NUMBERS[(arch, w)][0]


@pytest.mark.parametrize('arch,w', [('large', 1.0), ('large', 0.35), ('small', 1.0), ('small', 1.25)])
def test_madds_exact(arch, w):
    assert count_madds(_full(arch, w), (3, 224, 224)) == PAPER_NUMBERS[(arch, w)][1]


def test_rate0_is_mobilenetv3():
    """r=0 gives MobileNetV3: torchvision's mobilenet_v3_large has 5,483,032 params; AsymmNet's head differs
    only by the post-pool conv having no bias (-1280). Small: 2,542,856 with a 1024 head (+402,432 for
    AsymmNet's bias-free 1280 head)."""
    assert count_params(_full('large', 1.0, asymmetry_rate=0)) == 5483032 - 1280
    assert count_params(_full('small', 1.0, asymmetry_rate=0)) == 2542856 + 402432
    block = AsymmBottleneck(24, 72, 40, 5, 2, True, dict(type='ReLU'), asymmetry_rate=0)
    assert block.expand_conv.conv.out_channels == 72 and block.mid_channels == 72 and not block.with_reuse
    block = AsymmBottleneck(24, 72, 40, 5, 2, True, dict(type='ReLU'), asymmetry_rate=1)
    assert block.expand_conv.conv.out_channels == 48 and block.mid_channels == 96
    assert block.se.conv1.conv.out_channels == 24
    block = AsymmBottleneck(24, 72, 40, 5, 2, True, dict(type='ReLU'), asymmetry_rate=2)
    assert block.expand_conv.conv.out_channels == 24 and block.mid_channels == 120
    block = AsymmBottleneck(24, 72, 40, 5, 2, True, dict(type='ReLU'), asymmetry_rate=1, pruned=True)
    assert block.expand_conv.conv.out_channels == 48 and block.mid_channels == 48
    out = block(torch.randn(2, 24, 16, 16))
    assert out.shape == (2, 40, 8, 8)


@pytest.mark.parametrize('arch,w', sorted(STAGE_CHANNELS))
def test_taps_and_out_channels(arch, w):
    m = AsymmNet(arch, w, out_indices=TAPS)
    assert m.out_channels == STAGE_CHANNELS[(arch, w)]
    assert m.out_strides == (2, 4, 8, 16, 32, 32)
    # official stage-end blocks (architectures.md 1.8): L blk 0, 2, 5, 11, 14; S stem, blk 0, 2, 7, 10
    ends = (1, 3, 6, 12, 15, 16) if arch == 'large' else (0, 1, 3, 8, 11, 12)
    assert m.out_indices == ends


def test_forward_shapes_match_table():
    m = AsymmNet('small', 0.5, out_indices=tuple(range(13))).eval()
    outs = m(torch.randn(1, 3, 64, 64))
    for info, out in zip(m.layer_table, outs):
        assert out.shape[1] == info.channels and out.shape[-1] == 64 // info.stride
    assert 'layer12' in m.describe()


def test_tensor_output_and_tuple():
    m = AsymmNet('small', 0.35, out_indices=('final', ), tensor_output=True).eval()
    assert isinstance(m(torch.randn(1, 3, 32, 32)), torch.Tensor)
    m = AsymmNet('small', 0.35, out_indices=('s8', )).eval()
    out = m(torch.randn(1, 3, 32, 32))
    assert isinstance(out, tuple) and len(out) == 1
    with pytest.raises(ValueError, match='exactly one'):
        AsymmNet('small', 0.35, out_indices=('s8', 's16'), tensor_output=True)


def test_frozen_stages_and_norm_eval():
    m = AsymmNet('small', 0.35, frozen_stages=2, norm_eval=False)
    m.train()
    for i, name in enumerate(m.layer_names):
        layer = getattr(m, name)
        frozen = i <= 2
        assert all(p.requires_grad != frozen for p in layer.parameters()), name
        assert all(mod.training != frozen for mod in layer.modules()), name
    m = AsymmNet('small', 0.35, norm_eval=True)
    m.train()
    bns = [x for x in m.modules() if isinstance(x, torch.nn.BatchNorm2d)]
    assert bns and not any(bn.training for bn in bns)
    assert m.training


def test_with_cp_same_output_and_grads():
    torch.manual_seed(0)
    a = AsymmNet('small', 0.35, out_indices=('s16', 'final'))
    b = AsymmNet('small', 0.35, out_indices=('s16', 'final'), with_cp=True)
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 3, 32, 32, requires_grad=True)
    sa, sb = sum(o.sum() for o in a(x)), sum(o.sum() for o in b(x))
    assert torch.allclose(sa, sb, rtol=1e-5)
    sb.backward()
    assert b.layer3.expand_conv.conv.weight.grad is not None


@pytest.mark.parametrize('kwargs,match', [
    (dict(arch='medium'), r"\['large', 'small'\]"),
    (dict(widen_factor=0.6), r'0\.35, 0\.5, 0\.75, 1\.0, 1\.25'),
    (dict(asymmetry_rate=-1), 'asymmetry_rate'),
    (dict(asymmetry_rate=1.5), 'asymmetry_rate'),
    (dict(asymmetry_rate=0, pruned=True), 'pruned'),
    (dict(out_indices=(17, )), r'0\.\.16'),
    (dict(out_indices=('s64', )), 'valid taps'),
    (dict(frozen_stages=17), r'-1\.\.16'),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AsymmNet(**kwargs)


def test_registry_build_and_pretrained_prefix(tmp_path):
    """A converted full-model checkpoint initialises a bare backbone via init_cfg Pretrained + prefix."""
    torch.manual_seed(0)
    full = _full('small', 0.35)
    ckpt = tmp_path / 'asymmnet_s035.pth'
    torch.save({'state_dict': full.state_dict()}, ckpt)
    assert torch.load(ckpt, weights_only=True)  # loadable with weights_only
    bb = MODELS.build(dict(type='backbones.AsymmNet', arch='small', widen_factor=0.35, out_indices=('s8', 'final'),
                           init_cfg=dict(type='Pretrained', checkpoint=str(ckpt), prefix='backbone.')))
    bb.init_weights()
    for k, v in bb.state_dict().items():
        assert torch.equal(v, full.backbone.state_dict()[k]), k
    assert bb.out_channels == (16, 208)
