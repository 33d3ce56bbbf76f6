"""Inference engines (PyTorch, ONNX Runtime, MNN): output parity for every family, clear errors for a bad
engine name or an operator an engine lacks, INT8 post-training quantization of a trained model, and the
latency tool's JSON and plot."""
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn

import mobilebench  # noqa: F401
from mobilebench.config import build_backbone
from mobilebench.engines import (ENGINES, EngineOpError, OrtRunner, build_runner, check_engine,
                                 max_relative_error, onnx_op_types)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FAMILIES = [
    ('asymmnet_large', dict(type='backbones.AsymmNet', arch='large', widen_factor=0.35)),
    ('asymmnet_small', dict(type='backbones.AsymmNet', arch='small', widen_factor=0.5)),
    ('mobilenetv3_small', dict(type='backbones.AsymmNet', arch='small', widen_factor=0.5, asymmetry_rate=0)),
    ('mobilenext', dict(type='backbones.MobileNeXt', widen_factor=0.35)),
    ('hbonet', dict(type='backbones.HBONet', widen_factor=0.25)),
    ('mobilenetv2', dict(type='backbones.MobileNetV2', widen_factor=0.5)),
]


def _randomized(cfg, out_indices=('s16', 'final')):
    torch.manual_seed(0)
    model = build_backbone(dict(cfg, out_indices=out_indices))
    model.init_weights()
    g = torch.Generator().manual_seed(1)
    for m in model.modules():  # non-trivial BN statistics, otherwise folding is not tested
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
    return model.eval()


@pytest.mark.parametrize('name,cfg', FAMILIES, ids=[f[0] for f in FAMILIES])
def test_engines_match_pytorch(name, cfg, tmp_path):
    """Every engine's output (two feature maps: stride 16 and the last layer) equals eager PyTorch
    (BN not folded) within 1e-3 of the largest magnitude."""
    model = _randomized(cfg)
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        ref = [t.numpy() for t in model(torch.from_numpy(x))]
    onnx_path = None
    for engine in ENGINES:
        runner = build_runner(engine, model, x.shape, str(tmp_path), name, threads=1, onnx_path=onnx_path)
        if engine == 'onnxruntime':
            onnx_path = runner.path
        out = runner(x)
        assert [o.shape for o in out] == [r.shape for r in ref], engine
        err = max_relative_error(ref, out)
        assert err < 1e-3, f'{engine} vs PyTorch on {name}: {err}'
        assert runner.version.startswith(engine)


def test_engine_outputs_differ_for_a_different_model(tmp_path):
    """The parity check can fail: another model's MNN output is far from this model's reference."""
    a = _randomized(FAMILIES[3][1], ('final', ))
    b = _randomized(dict(FAMILIES[3][1], widen_factor=0.35), ('final', ))
    with torch.no_grad():
        for p in b.parameters():
            p.add_(0.05 * torch.randn_like(p))
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        ref = [a(torch.from_numpy(x))[0].numpy()]
    out = build_runner('mnn', b, x.shape, str(tmp_path), 'other')(x)
    assert max_relative_error(ref, out) > 1e-2


def test_unknown_engine_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"unknown inference engine 'tensorrt'; choose one of torch, onnxruntime, mnn"):
        check_engine('tensorrt')
    with pytest.raises(ValueError, match='tflite'):
        build_runner('tflite', nn.Conv2d(3, 4, 1), (1, 3, 8, 8), str(tmp_path), 'conv')
    out = subprocess.run([sys.executable, 'tools/analysis/latency.py', 'hbonet_x0.5', '--engine', 'tvm'],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2 and "unknown inference engine 'tvm'" in out.stderr


class _NanGuard(nn.Module):
    """A conv whose NaN outputs are zeroed: exports an ``IsNaN`` node, which MNN's converter lacks."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)
        return torch.where(torch.isnan(y), torch.zeros_like(y), y)


def test_op_mnn_lacks_names_engine_op_and_model(tmp_path):
    model = _NanGuard().eval()
    with pytest.raises(EngineOpError) as info:
        build_runner('mnn', model, (1, 3, 16, 16), str(tmp_path), 'nan_guard_net', fuse=False)
    msg = str(info.value)
    assert info.value.engine == 'mnn' and info.value.ops == ['IsNaN'] and info.value.model == 'nan_guard_net'
    assert 'mnn' in msg and 'IsNaN' in msg and 'nan_guard_net' in msg and '3.6.1' in msg
    # ONNX Runtime has the operator: same model runs there and matches PyTorch
    x = np.ones((1, 3, 16, 16), np.float32)
    ort_out = build_runner('onnxruntime', model, x.shape, str(tmp_path), 'nan_guard_net', fuse=False)(x)
    with torch.no_grad():
        assert max_relative_error([model(torch.from_numpy(x)).numpy()], ort_out) < 1e-5


def test_op_onnxruntime_lacks_names_engine_op_and_model(tmp_path):
    """A node of a custom domain that ONNX Runtime has no kernel for (as mmcv's custom ops would be)."""
    import onnx
    from onnx import TensorProto, helper
    node = helper.make_node('DeformConv2dFancy', ['x'], ['y'], domain='mmcv.custom')
    graph = helper.make_graph([node], 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 4, 4])],
                              [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 3, 4, 4])])
    path = str(tmp_path / 'custom.onnx')
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17),
                                                      helper.make_opsetid('mmcv.custom', 1)]), path)
    assert onnx_op_types(path) == ['mmcv.custom::DeformConv2dFancy']
    with pytest.raises(EngineOpError) as info:
        OrtRunner(path, 'custom_op_net')
    msg = str(info.value)
    assert 'onnxruntime' in msg and 'mmcv.custom::DeformConv2dFancy' in msg and 'custom_op_net' in msg


# ----------------------------------------------------------------------------- INT8 quantization
_PATTERNS = ('horizontal', 'vertical', 'checker')
STEPS = 80


def _pattern_image(kind, rng, size=40):
    """Stripes / checkerboard of a random period, phase, colour pair and noise (RGB uint8)."""
    period = int(rng.integers(4, 9))
    phase = int(rng.integers(0, period))
    yy, xx = np.mgrid[0:size, 0:size]
    if kind == 'horizontal':
        mask = ((yy + phase) // (period // 2 + 1)) % 2
    elif kind == 'vertical':
        mask = ((xx + phase) // (period // 2 + 1)) % 2
    else:
        mask = (((yy + phase) // (period // 2 + 1)) + ((xx + phase) // (period // 2 + 1))) % 2
    a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    while np.abs(a - b).sum() < 150:
        b = rng.integers(0, 256, 3)
    img = np.where(mask[..., None] == 1, a, b).astype(np.float32) + rng.normal(0, 12, (size, size, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def _write_folder(root, per_class, seed):
    import cv2
    rng = np.random.default_rng(seed)
    for kind in _PATTERNS:
        d = root / kind
        d.mkdir(parents=True)
        for i in range(per_class):
            cv2.imwrite(str(d / f'{i:03d}.png'), _pattern_image(kind, rng)[..., ::-1])
    return str(root)


def test_int8_quantization_keeps_top1_of_a_trained_classifier(tmp_path):
    """Train MobileNeXt x0.35 (3 classes, 32 px) for 80 steps, quantize it to INT8 with
    tools/deploy/quantize.py (calibrated on 64 training images), and check: the tool's PyTorch top-1
    equals the one computed here; ONNX FP32 equals PyTorch; INT8 really is INT8 (QDQ nodes, smaller file,
    different logits) and keeps top-1 within 5 points (stated tolerance)."""
    import importlib.util

    from mobilebench.deploy import build_named_model
    from mobilebench.quantize import imagenet_folder, load_folder_images
    train = _write_folder(tmp_path / 'train', 64, seed=0)
    val = _write_folder(tmp_path / 'val', 30, seed=1)
    torch.manual_seed(0)
    model = build_named_model('mobilenext_x0.35', num_classes=3)
    xs, ys = load_folder_images(imagenet_folder(train)[0], size=32)
    xs, ys = torch.from_numpy(xs), torch.from_numpy(ys)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    g = torch.Generator().manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny convolutions: more threads only add synchronisation
    try:
        for _ in range(STEPS):
            idx = torch.randint(0, len(xs), (16, ), generator=g)
            loss = nn.functional.cross_entropy(model(xs[idx]), ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    model.eval()
    ckpt = str(tmp_path / 'cls.pth')
    torch.save({'state_dict': model.state_dict()}, ckpt)

    vx, vy = load_folder_images(imagenet_folder(val)[0], size=32)
    with torch.no_grad():
        expected_top1 = float((model(torch.from_numpy(vx)).argmax(1).numpy() == vy).mean())
    assert expected_top1 >= 0.9, f'the tiny classifier did not train (top-1 {expected_top1})'

    spec = importlib.util.spec_from_file_location('quantize_tool', osp.join(ROOT, 'tools', 'deploy', 'quantize.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out_dir = str(tmp_path / 'q')
    res = tool.main(['classify', 'mobilenext_x0.35', ckpt, '--val', val, '--calib', train, '--input-size', '32',
                     '--num-calib', '64', '--out-dir', out_dir])
    r = res['results']
    assert r['torch']['top1'] == pytest.approx(expected_top1) and r['torch']['images'] == 90
    assert abs(r['onnxruntime_fp32']['top1'] - expected_top1) <= 1 / 90
    assert res['quantization']['calibration_images'] == 64
    assert res['int8_drop'] <= 0.05, res
    saved = json.load(open(osp.join(out_dir, 'quantization.json')))
    assert saved['int8_drop'] == pytest.approx(res['int8_drop'])

    import onnx
    ops = [n.op_type for n in onnx.load(res['files']['int8']).graph.node]
    assert ops.count('QuantizeLinear') > 10 and ops.count('DequantizeLinear') > 10
    assert osp.getsize(res['files']['int8']) < 0.5 * osp.getsize(res['files']['fp32'])
    fp32 = OrtRunner(res['files']['fp32'], 'fp32')(vx[:8])[0]
    int8 = OrtRunner(res['files']['int8'], 'int8')(vx[:8])[0]
    assert not np.allclose(fp32, int8, atol=1e-6), 'the INT8 model computes exactly the FP32 function'


# ----------------------------------------------------------------------------- latency tool
def test_latency_tool_all_engines_json_and_plot(tmp_path):
    out_json, out_png = tmp_path / 'lat.json', tmp_path / 'lat.png'
    out = subprocess.run([sys.executable, 'tools/analysis/latency.py', 'asymmnet_small_x0.35',
                          'mobilenetv3_small_x0.35', '--engine', 'all', '--input-size', '32', '--repeats', '3',
                          '--warmup', '1', '--out', str(out_json), '--plot', str(out_png)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    res = json.loads(out_json.read_text())
    assert [r['model'] for r in res['results']] == ['asymmnet_small_x0.35', 'mobilenetv3_small_x0.35']
    assert set(res['engines']) == {'torch', 'onnxruntime', 'mnn'} and res['machine']['cpu']
    for row in res['results']:
        assert row['madds'] > 0
        for engine in ENGINES:
            e = row['engines'][engine]
            assert e['repeats'] == 3 and e['min_ms'] <= e['median_ms'] <= e['p90_ms']
            assert e['max_rel_error_vs_eager'] < 1e-3
    ratio = res['ratios']['asymmnet_small_x0.35 / mobilenetv3_small_x0.35']
    a, b = res['results']
    assert ratio['mnn'] == pytest.approx(a['engines']['mnn']['median_ms'] / b['engines']['mnn']['median_ms'])
    assert out_png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
