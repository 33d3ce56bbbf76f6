"""Action: TSN configs (HMDB51 / UCF101, videos / rawframes) on real clips and frames (mmaction2).

Fixture (tests/data/action, see tests/data/README.md): mmaction2's ``test.avi`` (a UCF101-style
eye-makeup clip) and 10 of its extracted RGB frames, labelled 0 = ``ApplyEyeMakeup`` in the UCF101
label map. HMDB51 has no such class, so HMDB51 configs are run with the UCF101 list and 101 classes
(their pipelines, dataset classes and schedule are what is exercised).
"""
import glob
import os.path as osp

import numpy as np
import pytest

from mobilebench.config import SUITE_BACKBONES

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = osp.join(ROOT, 'tests', 'data', 'action')
BACKBONES = list(SUITE_BACKBONES)
TASKS = ['hmdb51-video', 'hmdb51-rawframes', 'ucf101-video', 'ucf101-rawframes']
FAST = [('asymmnet_small_x1.0', 'hmdb51-video'), ('mobilenetv2_x1.0', 'ucf101-rawframes')]


def _config(bb, task):
    return osp.join(ROOT, 'configs', 'action', f'tsn_{bb}_{task}.py')


def _available(bb):
    if not osp.isfile(osp.join(ROOT, 'configs', '_base_', 'backbones', f'{bb}.py')):
        pytest.fail(f'backbone file for {bb} is missing (every suite backbone has one)')


def fixture_cfg(bb, task, segments=2, crop=64):
    """The config on the fixture: 2 segments, 64-pixel crops, UCF101 labels."""
    from mobilebench.config import load_config
    cfg = load_config(_config(bb, task))
    fmt = 'videos' if task.endswith('video') else 'rawframes'
    cfg.model.cls_head.num_classes = 101
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = cfg[loader].dataset
        ds.ann_file = osp.join(DATA, f'ucf101_{fmt}.txt')
        ds.data_prefix = dict(video=osp.join(DATA, 'videos')) if fmt == 'videos' else dict(
            img=osp.join(DATA, 'rawframes'))
        ds.num_classes = 101
        for step in ds.pipeline:
            if step['type'] == 'SampleFrames':
                step['num_clips'] = segments
            elif step['type'] == 'Resize':
                step['scale'] = (-1, crop + 8) if step['scale'][0] == -1 else (crop, crop)
            elif step['type'] == 'CenterCrop':
                step['crop_size'] = crop
    # no validation during the short training: mmengine's IterBasedTrainLoop validates at the last
    # iteration even when val_interval > max_iters; the test loop evaluates instead
    cfg.val_cfg = None
    cfg.val_dataloader = None
    cfg.val_evaluator = None
    return cfg


def _build_dataset(cfg_dataset):
    from mmaction.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    return DATASETS.build(cfg_dataset)


def test_every_backbone_and_task_has_an_action_config():
    for bb in BACKBONES:
        for task in TASKS:
            path = _config(bb, task)
            assert osp.isfile(path), path
            text = open(path).read()
            assert 'cls_head=dict(in_channels=' in text and '@backbone' not in text
            assert f'_base_/backbones/{bb}.py' in text


def test_label_maps_are_mmaction_order():
    hmdb = open(osp.join(ROOT, 'tools', 'data', 'hmdb51', 'label_map.txt')).read().split()
    ucf = open(osp.join(ROOT, 'tools', 'data', 'ucf101', 'label_map.txt')).read().split()
    assert len(hmdb) == 51 and hmdb[0] == 'brush_hair' and hmdb[-1] == 'wave'
    assert len(ucf) == 101 and ucf[0] == 'ApplyEyeMakeup'


@pytest.mark.parametrize('task', TASKS)
@pytest.mark.parametrize('bb', BACKBONES)
def test_action_config_builds(bb, task):
    _available(bb)
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope

    from mobilebench.config import load_config
    cfg = load_config(_config(bb, task))
    assert cfg.default_scope == 'mmaction'
    assert cfg.model.backbone.tensor_output is True and cfg.model.backbone.out_indices == ('final', )
    assert cfg.train_cfg.max_epochs == 50 and cfg.split == 1 and '_split_1_' in cfg.train_ann_file
    assert cfg.model.cls_head.num_classes == (51 if task.startswith('hmdb51') else 101)
    assert [s['num_clips'] for s in cfg.train_dataloader.dataset.pipeline if s['type'] == 'SampleFrames'] == [8]
    init_default_scope('mmaction')
    model = MODELS.build(cfg.model)
    assert model.cls_head.in_channels == model.backbone.out_channels[-1]


def test_video_and_rawframe_lists_load(tmp_path):
    _available('mobilenetv2_x1.0')
    video = _build_dataset(fixture_cfg('mobilenetv2_x1.0', 'ucf101-video').test_dataloader.dataset)
    sample = video[0]
    assert tuple(sample['inputs'].shape) == (2, 3, 64, 64) and int(sample['data_samples'].gt_label) == 0
    frames = _build_dataset(fixture_cfg('mobilenetv2_x1.0', 'ucf101-rawframes').test_dataloader.dataset)
    assert frames.get_data_info(0)['total_frames'] == 10
    assert tuple(frames[0]['inputs'].shape) == (2, 3, 64, 64)


def test_missing_file_in_list_is_named(tmp_path):
    _available('mobilenetv2_x1.0')
    cfg = fixture_cfg('mobilenetv2_x1.0', 'ucf101-video').test_dataloader.dataset
    lst = tmp_path / 'list.txt'
    lst.write_text('ApplyEyeMakeup/test.avi 0\nApplyEyeMakeup/v_missing.avi 0\n')
    cfg.ann_file = str(lst)
    with pytest.raises(ValueError, match=r'list.txt, line 2 .*v_missing.avi.* does not exist'):
        _build_dataset(cfg)
    lst.write_text('ApplyEyeMakeup/test.avi 101\n')
    with pytest.raises(ValueError, match=r'line 1: label 101 is outside 0..100'):
        _build_dataset(cfg)
    cfg = fixture_cfg('mobilenetv2_x1.0', 'ucf101-rawframes').test_dataloader.dataset
    lst.write_text('ApplyEyeMakeup/v_test 20 0\n')
    cfg.ann_file = str(lst)
    with pytest.raises(ValueError, match=r'line 1 .*img_00020.jpg.* does not exist'):
        _build_dataset(cfg)
    lst.write_text('ApplyEyeMakeup/v_nodir 10 0\n')
    with pytest.raises(ValueError, match=r'frame directory .*v_nodir.* does not exist'):
        _build_dataset(cfg)


def test_unreadable_video_is_named(tmp_path):
    _available('mobilenetv2_x1.0')
    cls_dir = tmp_path / 'ApplyEyeMakeup'
    cls_dir.mkdir()
    # a real file that is not a video: one of the fixture's JPEG frames renamed to .avi
    src = osp.join(DATA, 'rawframes', 'ApplyEyeMakeup', 'v_test', 'img_00001.jpg')
    (cls_dir / 'broken.avi').write_bytes(open(src, 'rb').read())
    (tmp_path / 'list.txt').write_text('ApplyEyeMakeup/broken.avi 0\n')
    cfg = fixture_cfg('mobilenetv2_x1.0', 'ucf101-video').test_dataloader.dataset
    cfg.ann_file = str(tmp_path / 'list.txt')
    cfg.data_prefix = dict(video=str(tmp_path))
    dataset = _build_dataset(cfg)
    with pytest.raises(RuntimeError, match=r'cannot decode video .*broken.avi'):
        dataset[0]


def test_missing_data_root_is_a_clear_error():
    _available('mobilenetv2_x1.0')
    from mobilebench.config import load_config
    cfg = load_config(_config('mobilenetv2_x1.0', 'hmdb51-video'))  # default data/hmdb51/ is absent here
    with pytest.raises(FileNotFoundError, match=r"video root 'data/hmdb51/videos' does not exist.*data_root"):
        _build_dataset(cfg.train_dataloader.dataset)


def test_hmdb51_build_lists(tmp_path):
    """tools/data/hmdb51/build_lists.py on split files in the official format (written here)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'build_lists', osp.join(ROOT, 'tools', 'data', 'hmdb51', 'build_lists.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    classes = open(osp.join(ROOT, 'tools', 'data', 'hmdb51', 'label_map.txt')).read().split()
    splits = tmp_path / 'splits'
    splits.mkdir()
    for cls in classes:
        (splits / f'{cls}_test_split1.txt').write_text(f'{cls}_a.avi 1 \n{cls}_b.avi 2 \n{cls}_c.avi 0 \n')
    rawframes = tmp_path / 'rawframes' / 'wave' / 'wave_a'
    rawframes.mkdir(parents=True)
    written = mod.build_lists(str(splits), str(tmp_path / 'out'), splits=[1], formats=['videos'])
    assert sorted(osp.basename(p) for p in written) == ['hmdb51_train_split_1_videos.txt',
                                                        'hmdb51_val_split_1_videos.txt']
    train = open(tmp_path / 'out' / 'hmdb51_train_split_1_videos.txt').read().splitlines()
    val = open(tmp_path / 'out' / 'hmdb51_val_split_1_videos.txt').read().splitlines()
    assert len(train) == len(val) == 51
    assert train[0] == 'brush_hair/brush_hair_a.avi 0' and val[-1] == 'wave/wave_b.avi 50'
    with pytest.raises(FileNotFoundError, match='split 2 has no file for 51 classes'):
        mod.build_lists(str(splits), str(tmp_path / 'out'), splits=[2])
    (splits / 'wave_test_split1.txt').write_text('wave_a.avi 3\n')
    with pytest.raises(ValueError, match=r'wave_test_split1.txt, line 1'):
        mod.build_lists(str(splits), str(tmp_path / 'out'), splits=[1])


def hand_accuracies(samples):
    """top-1, top-5 and mean class accuracy (mmaction2's definitions) computed here from the clips' scores
    and labels, outside the suite and mmaction2."""
    scores = np.stack([s.pred_score.cpu().numpy() for s in samples])
    labels = np.array([int(s.gt_label) for s in samples])
    order = np.argsort(-scores, axis=1)
    top1 = order[:, 0] == labels
    top5 = (order[:, :5] == labels[:, None]).any(1)
    mean1 = np.mean([top1[labels == c].mean() for c in np.unique(labels)])
    return {'acc/top1': top1.mean(), 'acc/top5': top5.mean(), 'acc/mean1': mean1}


def check_against_hand(metrics, samples, n_clips):
    """The evaluator's accuracies equal the hand ones on the clips it was given, and every test clip was
    evaluated once."""
    assert len(samples) == n_clips
    for key, value in hand_accuracies(samples).items():
        assert metrics[key] == pytest.approx(value, abs=1e-9), (key, metrics, value)


def _train_test(bb, task, tmp_path):
    _available(bb)
    from short_runs import run_train_test
    cfg = fixture_cfg(bb, task)
    # top-k up to the number of classes: the top-101 accuracy must be exactly 1 (a known answer)
    cfg.test_evaluator.metric_options = dict(top_k_accuracy=dict(topk=(1, 5, 101)))
    samples = []
    metrics = run_train_test(cfg, str(tmp_path / f'{bb}_{task}'), max_iters=2, batch_size=1, predictions=samples)
    n_clips = len(open(cfg.test_dataloader.dataset.ann_file).read().splitlines())
    check_against_hand(metrics, samples, n_clips)
    assert metrics['acc/top101'] == 1.0
    return metrics


@pytest.mark.parametrize('bb,task', FAST)
def test_action_trains_and_tests_on_fixture(bb, task, tmp_path):
    _train_test(bb, task, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize('bb,task', [(b, t) for b in BACKBONES for t in TASKS if (b, t) not in FAST])
def test_action_trains_and_tests_full_matrix(bb, task, tmp_path):
    _train_test(bb, task, tmp_path)  # the FAST pairs run in the default selection


def test_data_root_override_reaches_the_lists():
    _available('mobilenetv2_x1.0')
    from mobilebench.config import load_config
    cfg = load_config(_config('mobilenetv2_x1.0', 'hmdb51-rawframes'), {'data_root': '/datasets/hmdb51/'})
    ds = cfg.val_dataloader.dataset
    assert ds.ann_file == '/datasets/hmdb51/hmdb51_val_split_1_rawframes.txt'
    assert ds.data_prefix['img'] == '/datasets/hmdb51/rawframes'


def test_action_metrics_json_through_test_tool(tmp_path):
    """tools/test.py on a 2-iteration checkpoint writes acc/top1, acc/top5, acc/mean1 to metrics.json."""
    bb, task = 'mobilenetv2_x1.0', 'ucf101-video'
    _available(bb)
    import json
    import subprocess
    import sys

    from mobilebench.runner_utils import build_runner
    from short_runs import shorten_schedule
    cfg = shorten_schedule(fixture_cfg(bb, task), str(tmp_path / 'train'), max_iters=2, batch_size=1)
    build_runner(cfg).train()
    ckpt = str(tmp_path / 'train' / 'iter_2.pth')
    cfg.dump(str(tmp_path / 'cfg.py'))
    out = subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'test.py'), str(tmp_path / 'cfg.py'), ckpt,
                          '--work-dir', str(tmp_path / 'test')], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    found = glob.glob(str(tmp_path / 'test' / '**' / 'metrics.json'), recursive=True)
    assert found, out.stdout[-2000:]
    metrics = json.load(open(found[0]))['metrics']
    assert {'acc/top1', 'acc/top5', 'acc/mean1'} <= set(metrics)
