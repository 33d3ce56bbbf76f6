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
_PATTERNS = ('red', 'green', 'blue')
STEPS = 120


def _pattern_image(kind, rng, size=40):
    """Class = the dominant colour channel (red / green / blue, random brightness); random stripes of
    random period, orientation and contrast on top as a distractor; Gaussian noise (RGB uint8)."""
    channel = _PATTERNS.index(kind)
    base = rng.uniform(20, 70, 3)
    base[channel] = rng.uniform(140, 230)
    period = int(rng.integers(3, 9))
    yy, xx = np.mgrid[0:size, 0:size]
    mask = ((yy if rng.random() < 0.5 else xx) // period) % 2
    img = base[None, None, :] + mask[..., None] * rng.uniform(-30, 30) + rng.normal(0, 10, (size, size, 3))
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
    """Train MobileNeXt x0.35 (3 classes, 32 px) for 120 steps, quantize it to INT8 with
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
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
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
        # re-estimate the BN statistics of the final weights on the whole training set (cumulative average)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None
        with torch.no_grad():
            for i in range(0, len(xs), 64):
                model(xs[i:i + 64])
    finally:
        torch.set_num_threads(threads)
    model.eval()
    ckpt = str(tmp_path / 'cls.pth')
    torch.save({'state_dict': model.state_dict()}, ckpt)

    vx, vy = load_folder_images(imagenet_folder(val)[0], size=32)
    with torch.no_grad():
        expected_top1 = float((model(torch.from_numpy(vx)).argmax(1).numpy() == vy).mean())
    assert expected_top1 >= 0.85, f'the tiny classifier did not train (top-1 {expected_top1})'

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


# ----------------------------------------------------------------------------- task models through ONNX
def test_detector_scored_through_onnx_fp32_equals_pytorch_and_int8_runs(tmp_path):
    """SSDLite-HBONet on the real fridge VOC fixture (128 px), trained 2 iterations: the test loop scores
    the FP32 ONNX model exactly like PyTorch (same mAP, same boxes), and the INT8 model end to end."""
    import copy

    from mobilebench.deploy_figures import evaluate_int8_with_runner
    from mobilebench.quantize import attach_onnx, export_task_onnx
    from mobilebench.runner_utils import build_runner
    from short_runs import shorten_schedule
    sys.path.insert(0, osp.join(ROOT, 'tests'))
    from test_detection import _fixture_cfg
    torch.set_num_threads(1)
    cfg = _fixture_cfg(osp.join(ROOT, 'configs/detection/ssdlite_320_hbonet_x1.0_voc.py'), 'fridge')
    cfg = shorten_schedule(cfg, str(tmp_path / 'work'), max_iters=2, batch_size=2)
    cfg.test_dataloader.batch_size = 2
    runner = build_runner(cfg)
    runner.train()
    torch_map = runner.test()['pascal_voc/mAP']
    res = evaluate_int8_with_runner(runner, str(tmp_path / 'onnx'), 'ssdlite', num_calib=4)
    assert res['kind'] == 'detector' and res['quantization']['calibration_images'] == 4
    assert res['results']['onnxruntime_fp32']['pascal_voc/mAP'] == pytest.approx(torch_map, abs=1e-4)
    assert 0.0 <= res['results']['onnxruntime_int8']['pascal_voc/mAP'] <= 1.0
    # box by box: the ONNX-backed detector predicts what the PyTorch one predicts
    model = runner.model.eval()
    batch = next(iter(runner.test_dataloader))
    onnx_model = attach_onnx(copy.deepcopy(model), res['files']['fp32'],
                             export_task_onnx(model, (1, 3, 128, 128), str(tmp_path / 'again.onnx'))['template'])
    with torch.no_grad():
        ref = model.test_step(copy.deepcopy(batch))
        got = onnx_model.test_step(copy.deepcopy(batch))
    for a, b in zip(ref, got):
        assert torch.allclose(a.pred_instances.scores, b.pred_instances.scores, atol=1e-4)
        assert torch.allclose(a.pred_instances.bboxes, b.pred_instances.bboxes, atol=1e-2)
    # the benchmark record's latency part: the whole detector network on every engine, outputs checked
    from mobilebench.deploy_figures import network_latency
    lat = network_latency(model, (3, 128, 128), warmup=0, repeats=1, toolbox='mmdet')
    assert lat['scope'] == 'model' and lat['input_shape'] == [1, 3, 128, 128]
    for engine in ENGINES:
        assert lat['engines'][engine]['median_ms'] > 0 and lat['engines'][engine]['max_rel_error_vs_eager'] < 1e-3


def test_face_recognizer_embeddings_through_onnx(tmp_path):
    """The suite's face recognizer with its network on ONNX Runtime predicts the PyTorch embeddings
    (flip-test included), so the verification evaluator scores the ONNX / INT8 model unchanged."""
    from mmengine.registry import MODELS, init_default_scope

    import mobilebench.face  # noqa: F401
    from mobilebench.config import load_config
    from mobilebench.quantize import attach_onnx, export_task_onnx
    cfg = load_config(osp.join(ROOT, 'configs/face/arcface_mobilenetv3_small_x1.0_ms1m-112.py'))
    init_default_scope('mobilebench')
    cfg.model.loss = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    exported = export_task_onnx(model, (1, 3, 112, 112), str(tmp_path / 'face.onnx'))
    assert exported['kind'] == 'face'
    x = torch.randn(3, 3, 112, 112)
    with torch.no_grad():
        ref = [s.pred_embedding for s in model.predict(x)]
        onnx_model = attach_onnx(model, str(tmp_path / 'face.onnx'), exported['template'])
        got = [s.pred_embedding for s in onnx_model.predict(x)]
    for a, b in zip(ref, got):
        assert (a - b).abs().max() <= 1e-4 * a.abs().max()


def test_leaderboard_deploy_columns_ratio_to_paper_baseline():
    from mobilebench.benchmark.deploy_table import baseline_of, deploy_markdown, deploy_rows, published_deploy_lines

    def rec(bb, torch_ms, mnn, int8=None):
        lat = dict(scope='model', engines=dict(torch=dict(median_ms=torch_ms), mnn=mnn))
        return dict(task='det', backbone=bb, deploy=dict(latency=lat, int8=int8))
    data = dict(tasks=dict(det=dict(metric='pascal_voc/mAP')), runs=[
        rec('asymmnet_small_x0.5', 30.0, dict(median_ms=12.0), dict(fp32=0.5, int8=0.46, drop=0.04)),
        rec('mobilenetv3_small_x0.5', 25.0, dict(median_ms=10.0)),
        rec('hbonet_x0.5', 40.0, dict(error='mnn cannot run model ...: unsupported operator(s) X')),
    ])
    rows = {r['backbone']: r for r in deploy_rows(data, 'det')}
    a = rows['asymmnet_small_x0.5']
    assert a['baseline'] == 'mobilenetv3_small_x0.5'
    assert a['engines']['mnn']['ratio'] == pytest.approx(1.2) and a['engines']['torch']['ratio'] == pytest.approx(1.2)
    assert rows['hbonet_x0.5']['baseline'] is None  # mobilenetv2_x0.5 was not run
    assert baseline_of('mobilenext_x1.0', ['mobilenetv2_x1.0']) == 'mobilenetv2_x1.0'
    md = '\n'.join(deploy_markdown(data, 'det'))
    assert '| asymmnet_small_x0.5 | 30 | 1.2 | n/a | n/a | 12 | 1.2 | mobilenetv3_small_x0.5 | 0.5 | 0.46 | 0.04 |' in md
    assert 'unsupported' in md
    pub = '\n'.join(published_deploy_lines())
    assert '| large | 1.0 | 27.1 | 23.3 | 1.163 |' in pub and '| MobileNeXt x1.0 | 74.02 | 68.62 | 5.40 |' in pub
