"""Deployment: conv+BN fusion keeps outputs, ONNX export matches onnxruntime, latency tool behaves."""
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmcv.cnn import fuse_conv_bn

import mobilebench  # noqa: F401
from mobilebench.config import build_backbone
from mobilebench.deploy import compare_with_onnxruntime, export_onnx
from mobilebench.latency import measure_latency

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FAMILIES = [
    ('backbones.AsymmNet', dict(arch='small', widen_factor=0.5)),
    ('backbones.AsymmNet', dict(arch='large', widen_factor=0.35, asymmetry_rate=0)),
    ('backbones.MobileNeXt', dict(widen_factor=0.35)),
    ('backbones.HBONet', dict(widen_factor=0.25)),
    ('backbones.MobileNetV2', dict(widen_factor=0.5)),
]


def _randomized(type_, kwargs, out_indices):
    torch.manual_seed(0)
    model = build_backbone(dict(type=type_, out_indices=out_indices, **kwargs))
    model.init_weights()
    for m in model.modules():  # non-trivial BN statistics, otherwise fusion is an identity check
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


@pytest.mark.parametrize('type_,kwargs', FAMILIES, ids=[f'{t}-{k}' for t, k in FAMILIES])
def test_fuse_conv_bn_keeps_outputs(type_, kwargs):
    model = _randomized(type_, kwargs, ('s8', 'final'))
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ref = model(x)
        fused = fuse_conv_bn(model)
        n_bn = sum(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
        out = fused(x)
    assert n_bn == 0, 'every BN follows a conv and must be folded'
    for a, b in zip(ref, out):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-4 * a.abs().max().item())


@pytest.mark.parametrize('type_,kwargs', FAMILIES, ids=[f'{t}-{k}' for t, k in FAMILIES])
def test_onnx_export_matches_onnxruntime(type_, kwargs, tmp_path):
    model = _randomized(type_, kwargs, ('s16', 'final'))
    path = str(tmp_path / 'm.onnx')
    names = export_onnx(model, (1, 3, 64, 64), path)
    assert names == ['feat0', 'feat1']
    errors = compare_with_onnxruntime(model, path, torch.randn(2, 3, 64, 64))  # dynamic batch
    assert errors['max_rel_error'] < 1e-4, errors


def test_export_tool_cli(tmp_path):
    out = subprocess.run([sys.executable, 'tools/deploy/export_onnx.py', 'hbonet_x0.5', str(tmp_path / 'h.onnx'),
                          '--input-size', '64', '--fuse-conv-bn'], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert 'max rel' in out.stdout


def test_measure_latency_reports_ordered_statistics():
    model = build_backbone(dict(type='backbones.MobileNeXt', widen_factor=0.35))
    res = measure_latency(model, (1, 3, 32, 32), warmup=1, repeats=5, threads=1)
    assert res['min_ms'] <= res['p10_ms'] <= res['median_ms'] <= res['p90_ms']
    assert res['repeats'] == 5 and res['threads'] == 1 and res['input_shape'] == [1, 3, 32, 32]
    with pytest.raises(ValueError):
        measure_latency(model, repeats=0)


def test_latency_tool_writes_json(tmp_path):
    out_json = tmp_path / 'lat.json'
    out = subprocess.run([sys.executable, 'tools/analysis/latency.py', 'mobilenext_x0.5', 'hbonet_x0.5',
                          '--part', 'backbone', '--input-size', '32', '--repeats', '3', '--warmup', '1',
                          '--out', str(out_json)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    rows = json.loads(out_json.read_text())['results']
    assert [r['model'] for r in rows] == ['mobilenext_x0.5', 'hbonet_x0.5']
    assert all(r['part'] == 'backbone' and r['engines']['torch']['median_ms'] > 0 for r in rows)
