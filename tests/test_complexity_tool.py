"""tools/analysis/complexity.py reproduces every params/MAdds integer of architectures.md 1.7, 2.6, 3.6."""
import json
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# (params, MAdds) at 224x224 from the architecture fact sheet (official code, counted per section 0.2)
EXPECTED = {
    'AsymmNet large x0.35': (2207376, 42620072), 'AsymmNet large x0.5': (2844976, 67244264),
    'AsymmNet large x0.75': (4290672, 142076416), 'AsymmNet large x1.0': (6076608, 216918096),
    'AsymmNet large x1.25': (8391712, 349770344), 'AsymmNet small x0.35': (1735032, 15240656),
    'AsymmNet small x0.5': (1964472, 20594280), 'AsymmNet small x0.75': (2495128, 40821136),
    'AsymmNet small x1.0': (3131896, 57674416), 'AsymmNet small x1.25': (3974672, 91713144),
    'MobileNeXt x0.35': (1913976, 75141032), 'MobileNeXt x0.5': (2152304, 103256448),
    'MobileNeXt x0.75': (2766168, 207926720), 'MobileNeXt x1.0': (3535416, 311342592),
    'MobileNeXt x1.4': (6126168, 588319256), 'HBONet x1.0': (4562116, 305572480),
    'HBONet x0.8': (3612408, 204588576), 'HBONet x0.5': (2538349, 96390304),
    'HBONet x0.35': (2149828, 60861776), 'HBONet x0.25': (1935559, 36511912),
    'HBONet x0.1': (1706960, 13674384),
}


def test_imagenet_models_match_fact_sheet(tmp_path):
    out_json = tmp_path / 'c.json'
    out = subprocess.run([sys.executable, 'tools/analysis/complexity.py', 'imagenet', '--json', str(out_json)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = {r['model'].replace(' +ImageNet head', ''): (r['params'], r['madds'])
            for r in json.loads(out_json.read_text())}
    assert rows == EXPECTED
    assert '6,076,608' in out.stdout and '216,918,096' in out.stdout


def test_backbone_alone_is_smaller_than_imagenet_model():
    from mobilebench.complexity import get_complexity
    from mobilebench.config import build_backbone
    bb = get_complexity(build_backbone(dict(type='backbones.HBONet', widen_factor=1.0, init_cfg=None)))
    # fact sheet 3.6: without classifier (backbone features + final 1x1 conv)
    assert bb == dict(params=2961116, madds=303972480)


def test_transposed_conv_counted():
    import torch.nn as nn

    from mobilebench.complexity import count_madds
    deconv = nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1, bias=False)
    # each of the 8*5*5 input elements feeds 4*4*4 products
    assert count_madds(deconv, (8, 5, 5)) == 8 * 5 * 5 * 4 * 16


def test_config_complexity_counts_only_inference_params():
    """The ArcFace class centres (num_classes x 512) and layers deeper than the tap are not deployed."""
    from mobilebench.complexity import get_config_complexity
    from mobilebench.config import load_config
    cfg = load_config(osp.join(ROOT, 'configs/face/arcface_asymmnet_small_x1.0_ms1m-112.py'))
    res = get_config_complexity(cfg)
    assert res['input_shape'] == [3, 112, 112]
    assert res['params_total'] - res['params'] >= 93431 * 512
    assert res['params'] < 1_000_000


def test_convention_flag_reproduces_the_papers_table9_count(tmp_path):
    """``config CONFIG --convention mxnet-summary`` counts the pose paper variant as the authors' MXNet summary
    tool did: AsymmNet-S 310.66 M MAdds / 1.72 M params (AsymmNet paper, Table 9)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('complexity_tool', osp.join(ROOT, 'tools', 'analysis',
                                                                             'complexity.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out_json = tmp_path / 'pose.json'
    tool.main(['config', osp.join(ROOT, 'configs/pose/simplebaseline_asymmnet_small_x1.0_coco-256x192_paper.py'),
               '--convention', 'mxnet-summary', '--json', str(out_json)])
    row, = json.loads(out_json.read_text())
    assert row['convention'] == 'mxnet-summary'
    assert (round(row['madds'] / 1e6, 2), round(row['params'] / 1e6, 2)) == (310.66, 1.72)
