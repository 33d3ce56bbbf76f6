"""The papers' own task models (AsymmNet Tables 7-10), the counting conventions and the published values.

- the ``true`` and ``mxnet-summary`` conventions on a hand-countable toy net;
- the paper rounding (the MXNet tool's 2 decimals, then half up);
- each paper variant built through its toolbox, trained 2 iterations on the real fixtures and tested;
- the published TSV read against its own bytes.

The complexity reproduction of every table is in ``tests/test_paper_check.py``.
"""
import os.path as osp

import pytest
import torch
import torch.nn as nn

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


# ------------------------------------------------------------------------------------------------ conventions
class _Toy(nn.Module):
    """conv 3x3 (no bias) -> BN -> depthwise 3x3 s2 (bias) -> deconv 2x2 s2 -> PReLU -> pool -> Linear; plus an
    unused Linear(100, 100) that must not count as run."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.dw = nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4, bias=True)
        self.deconv = nn.ConvTranspose2d(4, 2, 2, stride=2, bias=False)
        self.act = nn.PReLU(2)
        self.fc = nn.Linear(2, 5)
        self.unused = nn.Linear(100, 100)

    def forward(self, x):
        x = self.act(self.deconv(self.dw(self.bn(self.conv(x)))))
        return self.fc(x.mean((2, 3)))


# Input 3 x 8 x 6 (not square). By hand:
#   conv   out 4x8x6: true 192 * 27 = 5184 MAdds, 108 params; tool: 3*4*3 = 36 params, MACs on an 8x8 map:
#          64 * 3*9 * 4 = 6912
#   bn     8 params in both
#   dw     out 4x4x3: true 48 * 9 = 432 MAdds, 36 + 4 params; tool: 4*4//4*3 + 4 = 16 params,
#          ((8-3+2)//2+1)^2 = 16 positions * 4*9*4 // 4 = 576 MACs
#   deconv in 4x4x3: true 48 * 2*4 = 384 MAdds, 32 params; tool: nothing
#   prelu  2 params; tool: nothing
#   fc     true 10 MAdds, 15 params; tool (2+1)*5 = 15 and 15
TOY_TRUE = dict(params=108 + 8 + 40 + 32 + 2 + 15, madds=5184 + 432 + 384 + 10)
TOY_MX = dict(params=36 + 8 + 16 + 15, madds=6912 + 576 + 15)


def test_true_convention_on_toy_net():
    from mobilebench.complexity import get_complexity, measure
    res = measure(_Toy(), (3, 8, 6), 'true')
    assert res == dict(convention='true', input_shape=[3, 8, 6], **TOY_TRUE)
    # get_complexity counts every parameter the model holds (the unused Linear too)
    assert get_complexity(_Toy(), (3, 8, 6)) == dict(params=TOY_TRUE['params'] + 100 * 100 + 100,
                                                     madds=TOY_TRUE['madds'])


def test_mxnet_summary_convention_on_toy_net():
    from mobilebench.complexity import measure
    assert measure(_Toy(), (3, 8, 6), 'mxnet-summary') == dict(convention='mxnet-summary', input_shape=[3, 8, 6],
                                                                 **TOY_MX)


def test_mxnet_summary_counts_calls_but_params_once():
    from mobilebench.complexity import count_mxnet_summary

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 1, bias=False)

        def forward(self, x):
            return self.conv(self.conv(x))

    # params 2*2*1 = 4 once; MACs 2 calls x 3*3 positions x 2*1*1*2
    assert count_mxnet_summary(Twice(), (2, 3, 5)) == dict(params=4, madds=2 * 9 * 4)


def test_unknown_convention_is_named():
    from mobilebench.complexity import measure
    with pytest.raises(ValueError, match=r"unknown counting convention 'mx'.*'true', 'mxnet-summary'"):
        measure(_Toy(), (3, 8, 6), 'mx')


@pytest.mark.parametrize('count,digits,twice,expected', [
    (1_546_000, 1, True, 1.6),     # 1.546 -> tool 1.55 -> 1.6 (AsymmNet Table 9, MBV3-s)
    (1_546_000, 1, False, 1.5),
    (4_246_200, 1, True, 4.3),     # Table 9 AsymmNet-L
    (41_545_700, 1, True, 41.6),   # Table 7 AsymmNet-L
    (10_146_000, 1, True, 10.2),   # Table 7 MBV3-s
    (5_991_776, 2, True, 5.99),    # Table 5 AsymmNet-L x1.0
    (43_040_000, 0, True, 43.0),
    (42_500_000, 0, False, 43.0),  # half up, not to even
])
def test_paper_round(count, digits, twice, expected):
    from mobilebench.complexity import paper_round
    assert paper_round(count, digits, twice=twice) == expected


def test_asymmnet_large_calibration():
    """The tool's own output for AsymmNet-L x1.0 (official checkpoints/macc.txt: Total params 5991776, MACs
    216.92 million) and the true count the suite's other tests assert."""
    from backbones import build_imagenet_model
    from mobilebench.complexity import measure
    model = build_imagenet_model(dict(type='backbones.AsymmNet', arch='large', widen_factor=1.0, init_cfg=None))
    mx = measure(model, (3, 224, 224), 'mxnet-summary')
    true = measure(model, (3, 224, 224), 'true')
    assert (mx['params'], mx['madds']) == (5_991_776, 216_918_096 + 1000)  # + the tool's FC bias row (1000)
    assert (true['params'], true['madds']) == (6_076_608, 216_918_096)


# ------------------------------------------------------------------------------------------------ MobileNetV1
def test_mobilenet_v1_layer_table_and_taps():
    from backbones import MobileNetV1
    net = MobileNetV1(out_indices=('s8', 's16', 'final'))
    assert net.out_channels == (256, 512, 1024) and net.out_strides == (8, 16, 32)
    outs = net(torch.zeros(1, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 256, 8, 8), (1, 512, 4, 4), (1, 1024, 2, 2)]
    # 4,231,976 params: the paper's 4.2 M for MobileNetV1 1.0 (backbone + Linear(1024, 1000))
    from backbones import build_imagenet_model
    from mobilebench.complexity import get_complexity
    res = get_complexity(build_imagenet_model(dict(type='backbones.MobileNetV1', init_cfg=None)))
    assert res['params'] == 4_231_976
    assert round(res['madds'] / 1e6) == 569  # the paper's 569 M (MobileNeXt Table 6 prints 575)


def test_mobilenet_v1_frozen_and_errors():
    from backbones import MobileNetV1
    net = MobileNetV1(frozen_stages=2, norm_eval=True)
    net.train()
    assert not any(p.requires_grad for p in net.layer2.parameters())
    assert all(p.requires_grad for p in net.layer3.parameters())
    assert not net.layer5[0].bn.training
    with pytest.raises(ValueError, match='unsupported widen_factor 0.3'):
        MobileNetV1(widen_factor=0.3)
    with pytest.raises(ValueError, match="unknown tap 's64'"):
        MobileNetV1(out_indices=('s64', ))


# ------------------------------------------------------------------------------------------------ heads
def test_duc_head_shapes_and_errors():
    import mobilebench.models.pose_heads  # noqa: F401
    from mobilebench.registry import MODELS
    head = MODELS.build(dict(type='DUCHeatmapHead', in_channels=96, out_channels=17))
    out = head((torch.zeros(2, 96, 8, 6), ))
    assert tuple(out.shape) == (2, 17, 64, 48)
    assert isinstance(head.deconv_layers[4], nn.PixelShuffle) and head.final_layer.bias is None
    with pytest.raises(ValueError, match='divisible by upscale_factor'):
        MODELS.build(dict(type='DUCHeatmapHead', in_channels=96, out_channels=17, duc_channels=(510, )))
    with pytest.raises(ValueError, match="'deconv_out_channels' is a HeatmapHead option"):
        MODELS.build(dict(type='DUCHeatmapHead', in_channels=96, out_channels=17, deconv_out_channels=(256, )))


def test_mobile_tsn_head_is_per_frame_conv_then_consensus():
    import mobilebench.models.action_heads  # noqa: F401
    from mobilebench.registry import MODELS
    head = MODELS.build(dict(type='MobileTSNHead', num_classes=5, in_channels=8, pre_logits_channels=16,
                             dropout_ratio=0.0)).eval()
    x = torch.randn(6, 8, 3, 3)  # 2 videos x 3 segments
    out = head(x, num_segs=3)
    # by hand: pool, conv, h-swish per frame, mean over segments, fc
    feats = nn.functional.hardswish(head.pre_logits(x.mean((2, 3), keepdim=True))).flatten(1)
    expected = head.fc_cls(feats.view(2, 3, 16).mean(1))
    assert torch.allclose(out, expected, atol=1e-6)
