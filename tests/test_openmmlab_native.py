"""The suite's configs under the toolboxes' own tools: nothing of the suite's tools is in the way.

- every config of configs/{detection,pose,action,face} loads with plain ``mmengine.Config.fromfile`` in a fresh
  Python process (nothing imported beforehand but what the config itself names in ``custom_imports``), its
  model builds through the registry of its ``default_scope`` and runs a forward pass on a tiny input (so a
  wrong neck / head width fails here, not only a missing registry entry);
- mmdet's, mmpose's and mmaction2's own ``tools/train.py`` and ``tools/test.py`` (shipped in the wheels under
  ``<pkg>/.mim/tools/``) train one epoch on the real fixtures of tests/data and test the checkpoint; the
  metric is read from their output.
"""
import glob
import importlib.util
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
FIXTURE_CONFIGS = osp.join(REPO, 'tests', 'data', 'configs')

# Runs in a fresh interpreter: argv = config paths that share one default_scope and one custom_imports list.
LOAD_AND_BUILD = r'''
import json, sys
assert not any(m.split('.')[0] in ('mobilebench', 'backbones', 'mmdet', 'mmpose', 'mmaction') for m in sys.modules)
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

INPUTS = {  # default_scope -> a tiny batch in the layout the model's forward takes
    'mmdet': lambda: torch.rand(1, 3, 64, 64),
    'mmpose': lambda: torch.rand(1, 3, 64, 48),
    'mmaction': lambda: torch.rand(1, 2, 3, 64, 64),  # (N, segments, C, H, W)
    'mobilebench': lambda: torch.rand(2, 3, 112, 112),
}
torch.set_num_threads(1)
rows = []
for path in sys.argv[1:]:
    cfg = Config.fromfile(path)
    scope = cfg.default_scope
    init_default_scope(scope)
    model = MODELS.build(cfg.model)
    model.eval()
    with torch.no_grad():
        out = model(INPUTS[scope](), None, mode='tensor')
    leaves = out if isinstance(out, (tuple, list)) else [out]
    while any(isinstance(x, (tuple, list)) for x in leaves):
        leaves = [y for x in leaves for y in (x if isinstance(x, (tuple, list)) else [x])]
    rows.append(dict(config=path, scope=scope, model=type(model).__module__ + '.' + type(model).__name__,
                     backbone=type(model.backbone).__module__, out_channels=list(getattr(model.backbone, 'out_channels', None) or []),
                     finite=all(bool(torch.isfinite(x).all()) for x in leaves)))
print('ROWS=' + json.dumps(rows))
'''


#: backbone file name prefix -> module of the class it builds (MobileNetV3 = AsymmNet with asymmetry_rate 0)
BACKBONE_MODULES = {'asymmnet': 'backbones.asymmnet', 'mobilenetv3': 'backbones.asymmnet',
                    'mobilenext': 'backbones.mobilenext', 'hbonet': 'backbones.hbonet',
                    'mobilenetv2': 'backbones.mobilenet_v2', 'mobilenetv1': 'backbones.mobilenet_v1',
                    'resnet50': 'mmaction.models.backbones.resnet'}


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith('TORCH_FORCE_')}
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env.setdefault('OMP_NUM_THREADS', '1')
    return env


def _task_configs(task):
    return sorted(glob.glob(osp.join(REPO, 'configs', task, '*.py')))


@pytest.mark.parametrize('task,scope,model_type', [
    ('detection', 'mmdet', ('mmdet.models.detectors.yolo.YOLOV3', 'mmdet.models.detectors.single_stage.'
                            'SingleStageDetector')),
    ('pose', 'mmpose', ('mmpose.models.pose_estimators.topdown.TopdownPoseEstimator', )),
    ('action', 'mmaction', ('mmaction.models.recognizers.recognizer2d.Recognizer2D', )),
    ('face', 'mobilebench', ('mobilebench.face.models.FaceRecognizer', )),
])
def test_every_config_loads_and_builds_with_plain_mmengine(task, scope, model_type):
    configs = _task_configs(task)
    assert configs, f'no configs in configs/{task}'
    proc = subprocess.run([sys.executable, '-c', LOAD_AND_BUILD, *configs], cwd=REPO, env=_env(),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    rows = json.loads(proc.stdout.split('ROWS=')[-1])
    assert [r['config'] for r in rows] == configs
    for row in rows:
        name = osp.basename(row['config'])
        assert row['scope'] == scope, name
        assert row['model'] in model_type, (name, row['model'])
        assert row['finite'], name
        module = next(m for key, m in BACKBONE_MODULES.items() if f'_{key}' in name)
        assert row['backbone'] == module, (name, row['backbone'])


# ------------------------------------------------------------------------------ the toolboxes' own tools
def _tool(pkg, name):
    spec = importlib.util.find_spec(pkg)
    path = osp.join(spec.submodule_search_locations[0], '.mim', 'tools', name)
    assert osp.isfile(path), f'{pkg} wheel ships no {path}'
    return path


def _run(args, timeout=600):
    proc = subprocess.run([sys.executable, *args], cwd=REPO, env=_env(), capture_output=True, text=True,
                          timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    return out


NO_VAL = ['val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']


@pytest.mark.slow  # three tools x (train + test): about 30 s of CPU each
@pytest.mark.parametrize('pkg,config,metric', [
    ('mmdet', 'yolov3_asymmnet_small_coco-fixture.py', 'coco/bbox_mAP'),
    ('mmpose', 'simplebaseline_asymmnet_small_coco-fixture.py', 'coco/AP'),
    ('mmaction', 'tsn_asymmnet_small_ucf101-fixture.py', 'acc/top1'),
])
def test_toolbox_train_then_test(pkg, config, metric, tmp_path):
    config = osp.join(FIXTURE_CONFIGS, config)
    work = str(tmp_path / 'work')
    _run([_tool(pkg, 'train.py'), config, '--work-dir', work,
          '--cfg-options', 'train_cfg.max_epochs=1', 'randomness.seed=0', *NO_VAL])
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(ckpt), os.listdir(work)
    out = _run([_tool(pkg, 'test.py'), config, ckpt, '--work-dir', str(tmp_path / 'test')])
    found = re.findall(re.escape(metric) + r': (-?\d+\.\d+)', out)
    assert found, f'{metric} not in the output of {pkg} tools/test.py:\n{out[-3000:]}'
    if pkg == 'mmdet':
        # the suite's own tools/test.py on the same checkpoint reports the same figure
        suite_json = str(tmp_path / 'suite.json')
        _run([osp.join(REPO, 'tools', 'test.py'), config, ckpt, '--work-dir', str(tmp_path / 'suite'),
              '--out-json', suite_json])
        with open(suite_json) as f:
            suite = json.load(f)['metrics']
        assert abs(suite[metric] - float(found[-1])) < 1e-3, (suite[metric], found)


# ------------------------------------------------------------------------------ widths in the generated files
# Known widths: upstream mmdet's literals for MobileNetV2 (YOLOv3 neck [320, 96, 32], SSDLite neck (96, 1280),
# mmpose's HeatmapHead 1280) and the stage-end widths of the papers' architecture tables (MobileNeXt 192 / 384 /
# 1280 at strides 8 / 16 / 32, HBONet 96 / 144 / 400, AsymmNet-S = MobileNetV3-Small 24 / 48 / 96, final 576).
@pytest.mark.parametrize('config,expected', [
    ('detection/yolov3_416_mobilenetv2_x1.0_voc.py', "neck=dict(in_channels=[320, 96, 32])"),
    ('detection/yolov3_416_mobilenext_x1.0_coco.py', "neck=dict(in_channels=[1280, 384, 192])"),
    ('detection/yolov3_416_hbonet_x1.0_voc.py', "neck=dict(in_channels=[400, 144, 96])"),
    ('detection/yolov3_416_asymmnet_small_x1.0_voc.py', "neck=dict(in_channels=[96, 48, 24])"),
    ('detection/ssdlite_320_mobilenetv2_x1.0_coco.py',
     "neck=dict(in_channels=[96, 1280], out_channels=[96, 1280, 512, 256, 256, 128])"),
    ('pose/simplebaseline_mobilenetv2_x1.0_coco-256x192.py', "head=dict(in_channels=1280)"),
    ('action/tsn_mobilenetv3_small_x1.0_hmdb51-video.py', "cls_head=dict(in_channels=576)"),
])
def test_generated_files_hold_the_published_widths(config, expected):
    with open(osp.join(REPO, 'configs', config)) as f:
        text = f.read()
    assert expected in text, text
    assert '@backbone' not in text


def test_placeholders_resolve_after_the_last_edit(tmp_path):
    """A sweep composes a template, then changes the backbone: the widths follow the backbone finally built."""
    import mobilebench.compat  # noqa: F401
    from mobilebench.config import backbone_file, compose_config, load_config
    cfg = compose_config(osp.join(REPO, 'configs', '_base_', 'tasks', 'yolov3_416_voc.py'),
                         backbone_file('asymmnet_small_x1.0'))
    assert cfg.model.neck.in_channels == '@backbone.out_channels[::-1]'  # not resolved yet
    cfg.merge_from_dict({'model.backbone': dict(_delete_=True, type='backbones.HBONet', widen_factor=1.0,
                                                out_indices=('s8', 's16', 's32'))})
    path = str(tmp_path / 'composed.py')
    cfg.dump(path)
    assert load_config(path).model.neck.in_channels == [400, 144, 96]
    # and after --cfg-options: tapping two levels gives two widths
    two = load_config(path, {'model.backbone.out_indices': ('s16', 's32')})
    assert two.model.neck.in_channels == [400, 144]


# ------------------------------------------------------------------------------ package graph
def _imported_modules(path):
    import ast
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module


def test_backbones_is_a_leaf_and_test_helpers_stay_in_tests():
    for path in glob.glob(osp.join(REPO, 'backbones', '**', '*.py'), recursive=True):
        suite = [m for m in _imported_modules(path) if m.split('.')[0] == 'mobilebench']
        assert not suite, f'{path} imports the suite: {suite}'
    for folder in ('backbones', 'mobilebench', 'tools', 'configs'):
        for path in glob.glob(osp.join(REPO, folder, '**', '*.py'), recursive=True):
            helpers = [m for m in _imported_modules(path) if m.split('.')[0] in ('short_runs', 'conftest', 'tests')]
            assert not helpers, f'{path} imports test helpers: {helpers}'


def test_importing_the_packages_patches_nothing():
    # torch itself allow-lists its DTensor classes when torch.distributed.tensor is imported: only count the rest
    code = ('import sys, torch, mmengine.logging.history_buffer as hb\n'
            'def state():\n'
            '    return ({g for g in torch.serialization.get_safe_globals()\n'
            '             if not getattr(g, "__module__", "").startswith("torch.")}, hb.HistoryBuffer.__getstate__)\n'
            'before = state()\n'
            'import backbones, mobilebench, mobilebench.config\n'
            'assert state() == before, "import patched torch / mmengine"\n'
            'assert "mobilebench.compat" not in sys.modules\n'
            'assert "mmaction.models.localizers.drn" not in sys.modules\n'
            'import mobilebench.compat\n'
            'assert hb.HistoryBuffer in state()[0] and "mmaction.models.localizers.drn" in sys.modules\n'
            'print("ok")')
    proc = subprocess.run([sys.executable, '-c', code], cwd=REPO, env=_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip().endswith('ok'), proc.stderr[-3000:]


def test_load_config_without_yapf_keeps_the_content(tmp_path):
    """``load_config(..., format_python_code=False)`` (what a benchmark run uses: the Runner writes the config's
    text three times) gives mmengine's unformatted text, not yapf's, and the same config once parsed again."""
    from mmengine.config import Config

    from mobilebench.config import load_config
    path = osp.join(REPO, 'configs', 'detection', 'ssdlite_320_asymmnet_large_x1.0_voc.py')
    formatted, plain = load_config(path), load_config(path, format_python_code=False)
    assert plain.pretty_text == Config(formatted.to_dict(), format_python_code=False).pretty_text
    assert plain.pretty_text != formatted.pretty_text  # yapf reflows mmengine's one-key-per-line layout
    (tmp_path / 'a.py').write_text(plain.pretty_text)
    assert Config.fromfile(str(tmp_path / 'a.py')).to_dict() == formatted.to_dict()
