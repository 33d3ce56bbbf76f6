"""MobileNetV2 baseline: mmdet's own network (same modules / keys / outputs) plus the project's taps."""
import pytest
import torch
from mmdet.models.backbones import MobileNetV2 as MMDetMobileNetV2

from backbones import MODELS, MobileNetV2

TABLE = [('layer1', 2, 16), ('layer2', 4, 24), ('layer3', 8, 32), ('layer4', 16, 64), ('layer5', 16, 96),
         ('layer6', 32, 160), ('layer7', 32, 320), ('conv2', 32, 1280)]


def test_layer_table_and_taps():
    m = MobileNetV2(out_indices=('s2', 's4', 's8', 's16', 's32', 'final'))
    assert [(i.name, i.stride, i.channels) for i in m.layer_table] == TABLE
    assert m.out_indices == (0, 1, 2, 4, 6, 7)
    assert m.out_channels == (16, 24, 32, 96, 320, 1280)
    assert m.out_strides == (2, 4, 8, 16, 32, 32)
    assert MobileNetV2(widen_factor=0.5, out_indices=tuple(range(8))).out_channels == (
        8, 16, 16, 32, 48, 80, 160, 1280)


def test_same_as_mmdet():
    torch.manual_seed(0)
    ref = MMDetMobileNetV2(out_indices=(1, 2, 4, 7))
    ref.eval()  # mmdet's train() returns None
    m = MobileNetV2(out_indices=(1, 2, 4, 7)).eval()
    assert list(ref.state_dict()) == list(m.state_dict())
    m.load_state_dict(ref.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(ref(x), m(x)):
            assert torch.equal(a, b)
    assert m.out_channels == tuple(o.shape[1] for o in m(x))


def test_widths_match_forward():
    m = MobileNetV2(widen_factor=0.75, out_indices=tuple(range(8))).eval()
    with torch.no_grad():
        outs = m(torch.randn(1, 3, 64, 64))
    assert tuple(o.shape[1] for o in outs) == m.out_channels
    assert tuple(64 // o.shape[-1] for o in outs) == m.out_strides


def test_tensor_output_and_train_returns_self():
    m = MODELS.build(dict(type='backbones.MobileNetV2', out_indices=('final', ), tensor_output=True))
    assert m.eval() is m
    assert isinstance(m(torch.randn(1, 3, 32, 32)), torch.Tensor)
    with pytest.raises(ValueError, match='exactly one'):
        MobileNetV2(out_indices=('s8', 's16'), tensor_output=True)


def test_frozen_stages_and_norm_eval():
    m = MobileNetV2(frozen_stages=2, norm_eval=True)
    m.train()
    assert not any(p.requires_grad for p in m.conv1.parameters())
    assert not any(p.requires_grad for p in m.layer2.parameters())
    assert all(p.requires_grad for p in m.layer3.parameters())
    assert not any(x.training for x in m.modules() if isinstance(x, torch.nn.BatchNorm2d))


@pytest.mark.parametrize('kwargs,match', [
    (dict(out_indices=(8, )), r'0\.\.7'),
    (dict(out_indices=('s64', )), 'valid taps'),
    (dict(frozen_stages=8), r'-1\.\.7'),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MobileNetV2(**kwargs)


def test_pretrained_prefix(tmp_path):
    torch.manual_seed(0)
    src = MobileNetV2()
    ckpt = tmp_path / 'mbv2.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in src.state_dict().items()}}, ckpt)
    m = MobileNetV2(init_cfg=dict(type='Pretrained', checkpoint=str(ckpt), prefix='backbone.'))
    m.init_weights()
    for k, v in m.state_dict().items():
        assert torch.equal(v, src.state_dict()[k]), k
