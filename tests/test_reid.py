"""Person re-ID (HBONet Table 9 protocol): Market-1501 reader, ranking metric, configs, a short train + test.

The fixture tests/data/market1501_tiny/ holds person crops of real COCO val2017 photos in the official
Market-1501 layout (see tests/data/README.md); the metric is checked on rankings computed by hand.
"""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from log_capture import MMLogCapture

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FIXTURE = osp.join(ROOT, 'tests', 'data', 'market1501_tiny')
TEMPLATE = osp.join(ROOT, 'configs', '_base_', 'tasks', 'reid_256x128_market1501.py')


# ------------------------------------------------------------------------------------------- ranking metric
# gallery of the toy ranking: (pid, camid); -1 = junk, 0 = distractor
TOY_GALLERY = [(1, 1), (-1, 2), (0, 3), (1, 2), (2, 1), (1, 3), (2, 2)]


def test_ranking_hand_computed():
    from mobilebench.reid.ranking import evaluate_ranking
    g_pids, g_cams = zip(*TOY_GALLERY)
    distmat = np.array([
        # q0 = (pid 1, cam 1): ranked g0 g1 g2 g3 g4 g5 g6; g0 (same id + camera) and g1 (junk) are removed,
        # leaving g2 (distractor, negative) g3 (hit) g4 g5 (hit) g6 -> hits at ranks 2 and 4:
        # AP = (1/2 + 2/4) / 2 = 0.5, first hit at rank 2
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
        # q1 = (pid 2, cam 2): ranked g6 (same id + camera, removed) g1 (junk, removed) g4 (hit) ...
        # -> AP = 1, first hit at rank 1
        [0.4, 0.1, 0.2, 0.5, 0.15, 0.6, 0.05],
        # q2 = (pid 3, cam 1) has no gallery image: it cannot be ranked, so it is skipped and counted
        [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3],
    ])
    res = evaluate_ranking(distmat, [1, 2, 3], g_pids, [1, 2, 1], g_cams, ranks=(1, 2, 5, 10))
    assert res['mAP'] == pytest.approx(0.75)
    assert res['cmc'] == {1: pytest.approx(0.5), 2: pytest.approx(1.0), 5: pytest.approx(1.0), 10: pytest.approx(1.0)}
    assert (res['num_valid'], res['num_skipped']) == (2, 1)
    np.testing.assert_allclose(res['ap'][:2], [0.5, 1.0])
    assert np.isnan(res['ap'][2])


def test_ranking_same_camera_exclusion_matters():
    # q0 of the toy again, but seen by a camera of its own: g0 is now a valid match. The ranking is g0 (hit)
    # g1 (junk, still removed) g2 g3 (hit) g4 g5 (hit) g6 -> hits at ranks 1, 3, 5:
    # AP = (1/1 + 2/3 + 3/5) / 3 = 34/45 and rank-1 = 1 (instead of 0.5 and 0 with the same-camera match removed)
    from mobilebench.reid.ranking import evaluate_ranking
    g_pids, g_cams = zip(*TOY_GALLERY)
    d = np.array([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]])
    res = evaluate_ranking(d, [1], g_pids, [9], g_cams)
    assert res['mAP'] == pytest.approx(34 / 45)
    assert res['cmc'][1] == 1.0
    # and junk counts nowhere: relabelling the junk image as a distractor (a negative) lowers the AP
    res = evaluate_ranking(d, [1], [0 if p == -1 else p for p in g_pids], [9], g_cams)
    assert res['mAP'] == pytest.approx((1 / 1 + 2 / 4 + 3 / 6) / 3)


def test_ranking_ties_and_errors():
    from mobilebench.reid.ranking import evaluate_ranking, pairwise_distance
    # ties keep gallery order: the negative listed first ranks first
    res = evaluate_ranking(np.zeros((1, 2)), [1], [5, 1], [1], [2, 2])
    assert res['mAP'] == pytest.approx(0.5) and res['cmc'][1] == 0.0
    with pytest.raises(ValueError, match='none of the 1 queries'):
        evaluate_ranking(np.zeros((1, 1)), [1], [1], [1], [1])  # only a same-camera match
    with pytest.raises(ValueError, match='does not match'):
        evaluate_ranking(np.zeros((2, 3)), [1], [1, 2, 3], [1], [1, 1, 1])
    q, g = np.array([[0., 0.], [1., 1.]]), np.array([[3., 4.]])
    np.testing.assert_allclose(pairwise_distance(q, g), [[25.], [13.]])
    np.testing.assert_allclose(pairwise_distance(q[1:], g, 'cosine'), [[1 - 7 / (np.sqrt(2) * 5)]])


def _sample(feat, pid, cam, split):
    from mmdet.structures import ReIDDataSample
    ds = ReIDDataSample(metainfo=dict(pid=pid, camid=cam, split=split))
    ds.pred_feature = torch.tensor([float(feat)])
    return ds.to_dict()


def test_market1501_metric_hand_computed():
    from mobilebench.reid import Market1501Metric
    # 1-D features: q0 at 0 (pid 1, cam 1), q1 at 10 (pid 2, cam 2)
    gallery = [(0.1, 1, 1), (0.2, -1, 2), (0.3, 0, 3), (0.4, 1, 2), (9.9, 2, 1), (0.6, 1, 3), (10.05, 2, 2)]
    metric = Market1501Metric(ranks=(1, 5))
    metric.process({}, [_sample(0.0, 1, 1, 'query'), _sample(10.0, 2, 2, 'query')])
    metric.process({}, [_sample(*g, 'gallery') for g in gallery])
    out = metric.evaluate(2 + len(gallery))
    # q0 ranks g0 (same camera, removed) g1 (junk, removed) g2 (distractor) g3 (hit) g5 (hit) g4 g6:
    #   AP = (1/2 + 2/3) / 2 = 7/12; q1 ranks g6 (same camera, removed) g4 (hit): AP = 1
    assert out['market1501/mAP'] == pytest.approx((7 / 12 + 1) / 2)
    assert out['market1501/rank1'] == pytest.approx(0.5)
    assert out['market1501/rank5'] == pytest.approx(1.0)


def test_market1501_metric_needs_query_gallery_and_metainfo():
    from mobilebench.reid import Market1501Metric
    metric = Market1501Metric()
    with pytest.raises(KeyError, match="meta_keys=\\('pid', 'camid', 'split'\\)"):
        metric.process({}, [dict(pred_feature=torch.zeros(2))])
    metric.process({}, [_sample(0.0, 1, 1, 'query')])
    with pytest.raises(ValueError, match='1 query and 0 gallery'):
        metric.compute_metrics(metric.results)


# ------------------------------------------------------------------------------- metric options, log, errors
def _reid_sample(feat, pid, cam, split):
    from mmdet.structures import ReIDDataSample
    ds = ReIDDataSample(metainfo=dict(pid=pid, camid=cam, split=split))
    ds.pred_feature = torch.tensor(feat, dtype=torch.float32)
    return ds  # a data element, not a dict: the metric must read both


# queries q0 (pid 1) at (2, 0) and q1 (pid 2) at (1, 3), both camera 1; gallery (camera 2): g0 (pid 1) at (10, 1),
# g1 (pid 3) at (0.8, 0), g2 (pid 2) at (0.5, 8), g3 (pid 4) at (0.643, 0.766); g1 and g3 are negatives for both.
# Squared euclidean: q0 -> g1 1.44, g3 2.43, g0 65, g2 66.25; q1 -> g3 5.12, g1 9.04, g2 25.25, g0 85: both hit at
# rank 3, AP 1/3, rank-1 0. Cosine (and euclidean on L2-normalised features) rank by angle: q0 (0 deg) -> g1 (0),
# g0 (5.7), g3 (50), g2 (86.4): AP 1/2; q1 (71.6 deg) -> g2 (86.4), g3 (50), ...: AP 1. So mAP 0.75, rank-1 0.5.
# (Normalising by column instead of by row would turn q1 to 62.2 deg, nearer g3 than g2.)
_REID_TOY = [((2.0, 0.0), 1, 1, 'query'), ((1.0, 3.0), 2, 1, 'query'), ((10.0, 1.0), 1, 2, 'gallery'),
             ((0.8, 0.0), 3, 2, 'gallery'), ((0.5, 8.0), 2, 2, 'gallery'), ((0.643, 0.766), 4, 2, 'gallery')]


@pytest.mark.parametrize('kwargs, m_ap, rank1', [
    (dict(), 1 / 3, 0.0),
    (dict(normalize_feature=True), 0.75, 0.5),
    (dict(dist_metric='cosine'), 0.75, 0.5),
])
def test_market1501_metric_distance_options(kwargs, m_ap, rank1):
    from mobilebench.reid import Market1501Metric
    metric = Market1501Metric(prefix='reid', **kwargs)
    metric.process({}, [_reid_sample(*s) for s in _REID_TOY])
    with MMLogCapture() as log:
        out = metric.evaluate(len(_REID_TOY))
    # default ranks 1, 5, 10 under the given prefix
    assert out == {'reid/mAP': pytest.approx(m_ap), 'reid/rank1': pytest.approx(rank1), 'reid/rank5': 1.0,
                   'reid/rank10': 1.0}
    assert ('INFO', f'Market-1501 protocol: 2 queries (2 with a valid match), 4 gallery images: mAP {m_ap:.4f}, '
            f'rank-1 {rank1:.4f}, rank-5 1.0000, rank-10 1.0000') in log.lines


def test_market1501_metric_counts_queries_without_match_in_its_log():
    from mobilebench.reid import Market1501Metric
    metric = Market1501Metric(ranks=(1, ))
    # a third query (pid 7) has no gallery image: skipped, and the log says so
    metric.process({}, [_reid_sample(*s) for s in _REID_TOY] + [_reid_sample((0.0, 1.0), 7, 1, 'query')])
    with MMLogCapture() as log:
        out = metric.evaluate(7)
    assert out == {'market1501/mAP': pytest.approx(1 / 3), 'market1501/rank1': 0.0}
    assert ('INFO', 'Market-1501 protocol: 3 queries (2 with a valid match), 4 gallery images: mAP 0.3333, '
            'rank-1 0.0000; 1 queries have no valid gallery match and are not counted') in log.lines


def test_market1501_metric_errors_name_the_fix():
    from mobilebench.reid import Market1501Metric
    with pytest.raises(ValueError) as err:
        Market1501Metric(dist_metric='manhattan')
    assert str(err.value) == "Market1501Metric: dist_metric must be 'euclidean' or 'cosine', got 'manhattan'"
    metric = Market1501Metric()
    with pytest.raises(KeyError) as err:
        metric.process({}, [dict(pid=1, camid=1, split='query')])
    assert err.value.args == ('Market1501Metric needs pred_feature in the data samples (a re-ID model in predict '
                              'mode)', )
    with pytest.raises(KeyError, match=r"lack \['camid'\]"):
        metric.process({}, [dict(pred_feature=torch.zeros(2), pid=1, split='query')])
    # split, pid and camid are read from the sample (not defaulted); a (1, D) feature is flattened
    metric.process({}, [_reid_sample(((1.0, 2.0), ), 3, 4, 'gallery')])
    (res, ) = metric.results
    assert (res['pid'], res['camid'], res['split']) == (3, 4, 'gallery')
    np.testing.assert_array_equal(res['feature'], [1.0, 2.0])
    with pytest.raises(ValueError, match='got 0 query and 1 gallery images'):
        metric.compute_metrics(metric.results)
    assert Market1501Metric(collect_device='gpu').collect_device == 'gpu'



# ------------------------------------------------------------------------------------------- dataset
def test_parse_market1501_names():
    from mobilebench.datasets.market1501 import parse_market1501_name
    assert parse_market1501_name('0002_c1s1_000451_03.jpg') == dict(pid=2, camid=1, seq=1, frame=451)
    assert parse_market1501_name('/x/-1_c6s4_012345_00.jpg')['pid'] == -1
    assert parse_market1501_name('0000_c3s2_000001_01.jpg')['pid'] == 0
    for bad in ('2_c1s1_000451_03.jpg', '0002_c1_000451_03.jpg', '0002_c0s1_000451_03.jpg', '0002_c1s1_451_03.jpg',
                '0002_c1s1_000451_03.png'):
        with pytest.raises(ValueError, match='PPPP_cXsY_FFFFFF_NN.jpg'):
            parse_market1501_name(bad)


def test_fixture_train_split_excludes_junk_and_distractors():
    from mobilebench.datasets.market1501 import Market1501Dataset
    ds = Market1501Dataset(data_root=FIXTURE, split='train')
    names = sorted(os.listdir(osp.join(FIXTURE, 'bounding_box_train')))
    assert len(names) == 17 and {n.split('_')[0] for n in names} >= {'-1', '0000'}
    assert len(ds) == 15  # 5 identities x 3 cameras; the -1 and 0000 boxes are not samples
    assert ds.metainfo['num_classes'] == 5
    pids = [ds.get_data_info(i)['pid'] for i in range(len(ds))]
    labels = [int(ds.get_data_info(i)['gt_label']) for i in range(len(ds))]
    # identities 2, 7, 10, 11, 20 are relabelled 0..4 in increasing order
    assert dict(zip(pids, labels)) == {2: 0, 7: 1, 10: 2, 11: 3, 20: 4}


def test_fixture_test_split_is_query_then_gallery():
    from mobilebench.datasets.market1501 import Market1501Dataset
    ds = Market1501Dataset(data_root=FIXTURE, split='test', test_mode=True)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [i['split'] for i in infos] == ['query'] * 4 + ['gallery'] * 15
    assert [i['pid'] for i in infos[:4]] == [3, 5, 8, 12]
    gallery = [(i['pid'], i['camid']) for i in infos[4:]]
    assert gallery.count((-1, 2)) == 1 and sum(p == 0 for p, _ in gallery) == 2  # junk and distractors kept
    assert all(int(i['gt_label']) == i['pid'] for i in infos)
    assert osp.basename(infos[0]['img_path']) == '0003_c1s1_000300_01.jpg'


def test_malformed_file_name_names_the_file(tmp_path):
    from mobilebench.datasets.market1501 import Market1501Dataset
    root = tmp_path / 'market'
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns('*.py'))
    (root / 'query' / 'Thumbs.db').write_bytes(b'\0')  # the release ships these: not images, not an error
    assert len(Market1501Dataset(data_root=str(root), split='query')) == 4
    shutil.copy(root / 'query' / '0003_c1s1_000300_01.jpg', root / 'query' / '0003_cam1_000300.jpg')
    with pytest.raises(ValueError) as err:
        Market1501Dataset(data_root=str(root), split='query')
    msg = str(err.value)
    assert '0003_cam1_000300.jpg' in msg and 'PPPP_cXsY_FFFFFF_NN.jpg' in msg


def test_missing_folder_and_root_are_clear_errors(tmp_path):
    from mobilebench.datasets.market1501 import Market1501Dataset
    with pytest.raises(FileNotFoundError, match='does not exist'):
        Market1501Dataset(data_root=str(tmp_path / 'nowhere'), split='train')
    shutil.copytree(osp.join(FIXTURE, 'query'), tmp_path / 'query')
    with pytest.raises(FileNotFoundError, match='bounding_box_test'):
        Market1501Dataset(data_root=str(tmp_path), split='test')
    with pytest.raises(ValueError, match='split must be one of'):
        Market1501Dataset(data_root=str(tmp_path), split='val')


def test_query_with_junk_identity_is_rejected(tmp_path):
    from mobilebench.datasets.market1501 import Market1501Dataset
    shutil.copytree(osp.join(FIXTURE, 'query'), tmp_path / 'query')
    shutil.copy(tmp_path / 'query' / '0003_c1s1_000300_01.jpg', tmp_path / 'query' / '-1_c1s1_000300_01.jpg')
    with pytest.raises(ValueError, match='-1_c1s1_000300_01.jpg'):
        Market1501Dataset(data_root=str(tmp_path), split='query')


# ------------------------------------------------------------------------------------------- configs
def test_generated_configs_are_in_sync():
    from tools.misc.generate_reid_configs import BACKBONES, render_all
    files = render_all()
    assert len(files) == len(BACKBONES) == 11
    for rel, text in files.items():
        path = osp.join(ROOT, rel)
        assert osp.isfile(path), f'{rel} missing: run python tools/misc/generate_reid_configs.py'
        assert open(path).read() == text, f'{rel} is stale: run python tools/misc/generate_reid_configs.py'


@pytest.mark.parametrize('name,width', [('hbonet_x0.1', 1600), ('mobilenetv2_x0.25', 1280),
                                        ('asymmnet_large_x1.0', 960), ('mobilenext_x1.0', 1280)])
def test_reid_config_builds_with_literal_width(name, width):
    from mmengine.registry import MODELS, init_default_scope

    from mobilebench.config import load_config
    cfg = load_config(osp.join(ROOT, 'configs', 'reid', f'reid_{name}_market1501-256x128.py'))
    assert cfg.model.head.in_channels == width  # literal in the file, equal to the built backbone's width
    assert cfg.optim_wrapper.optimizer.type == 'Adam' and cfg.optim_wrapper.optimizer.amsgrad
    assert cfg.optim_wrapper.optimizer.weight_decay == 5e-4 and cfg.train_dataloader.batch_size == 32
    assert cfg.train_cfg.max_epochs == (120 if name.endswith('x1.0') else 90)
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        emb = model(torch.zeros(2, 3, 256, 128))
    assert emb.shape == (2, width)


# ------------------------------------------------------------------------------------------- train + test
def _fixture_cfg(tmp_path, backbone='mobilenetv2_x0.25', warmup=1, epochs=2):
    from mobilebench.config import load_config
    cfg = load_config(osp.join(ROOT, 'configs', 'reid', f'reid_{backbone}_market1501-256x128.py'),
                      dict(data_root=FIXTURE + '/'))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.model.head.num_classes = 5
    for key in ('train_dataloader', 'test_dataloader'):
        loader = cfg[key]
        loader.num_workers, loader.persistent_workers, loader.batch_size = 0, False, 4
        for step in loader.dataset.pipeline:
            if step['type'] == 'Resize':
                step['scale'] = (32, 64)
    cfg.val_dataloader, cfg.val_cfg, cfg.val_evaluator = None, None, None
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs)
    cfg.param_scheduler = []
    cfg.custom_hooks = [dict(type='mobilebench.ClassifierWarmupHook', warmup=warmup, open_layers=('head', ))]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=epochs, save_best=None)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.pop('auto_scale_lr', None)
    return cfg


def _brute_force_map(qf, qp, qc, gf, gp, gc):
    """mAP / rank-1 by the definition, written independently of mobilebench.reid.ranking."""
    aps, top1 = [], []
    for f, p, c in zip(qf, qp, qc):
        cand = [(float(((f - g) ** 2).sum()), j) for j, g in enumerate(gf)
                if gp[j] != -1 and not (gp[j] == p and gc[j] == c)]
        ranked = [gp[j] == p for _, j in sorted(cand)]
        if not any(ranked):
            continue
        hits = 0
        precisions = []
        for k, ok in enumerate(ranked, 1):
            if ok:
                hits += 1
                precisions.append(hits / k)
        aps.append(sum(precisions) / len(precisions))
        top1.append(1.0 if ranked[0] else 0.0)
    return sum(aps) / len(aps), sum(top1) / len(top1)


def test_train_with_classifier_warmup_then_test_on_fixture(tmp_path):
    import mobilebench  # noqa: F401
    from mobilebench.runner_utils import build_runner
    cfg = _fixture_cfg(tmp_path)
    runner = build_runner(cfg)
    model = runner.model
    snapshots = {}

    from mmengine.hooks import Hook

    class Snapshot(Hook):
        def before_train_epoch(self, runner):
            snapshots[runner.epoch] = {k: v.detach().clone() for k, v in model.state_dict().items()}

        def after_train(self, runner):
            snapshots['end'] = {k: v.detach().clone() for k, v in model.state_dict().items()}

    runner.register_hook(Snapshot(), priority='LOWEST')
    runner.train()
    first, second, end = snapshots[0], snapshots[1], snapshots['end']
    backbone_keys = [k for k in first if k.startswith('backbone.')]
    # warm-up epoch: the backbone (weights AND BatchNorm statistics) is fixed, the classifier trains
    assert all(torch.equal(first[k], second[k]) for k in backbone_keys)
    assert not torch.equal(first['head.classifier.weight'], second['head.classifier.weight'])
    # after it, the backbone trains too
    assert any(not torch.equal(second[k], end[k]) for k in backbone_keys if k.endswith('weight'))
    assert all(p.requires_grad for p in model.parameters())

    metrics = runner.test()
    assert set(metrics) == {'market1501/mAP', 'market1501/rank1', 'market1501/rank5', 'market1501/rank10'}
    # the suite's tools/test.py on the saved checkpoint writes the same metrics to metrics.json
    import glob
    import json

    from tools.test import main as test_main
    cfg_path = str(tmp_path / 'reid_fixture.py')
    cfg.dump(cfg_path)
    test_main([cfg_path, osp.join(cfg.work_dir, 'epoch_2.pth'), '--work-dir', str(tmp_path / 'test')])
    written = json.load(open(glob.glob(str(tmp_path / 'test' / '*' / 'metrics.json'))[0]))
    assert written['metrics'] == pytest.approx(metrics)
    # recompute from the model's own embeddings, independently of the metric code
    from mobilebench.datasets.market1501 import Market1501Dataset
    ds = Market1501Dataset(data_root=FIXTURE, split='test', test_mode=True,
                           pipeline=cfg.test_dataloader.dataset.pipeline)
    model.eval()
    feats, pids, cams, splits = [], [], [], []
    with torch.no_grad():
        for i in range(len(ds)):
            data = model.data_preprocessor(dict(inputs=[ds[i]['inputs']], data_samples=[ds[i]['data_samples']]))
            feats.append(model(data['inputs'], mode='tensor')[0].numpy())
            info = ds.get_data_info(i)
            pids.append(info['pid']), cams.append(info['camid']), splits.append(info['split'])
    q = [i for i, s in enumerate(splits) if s == 'query']
    g = [i for i, s in enumerate(splits) if s == 'gallery']
    m, r1 = _brute_force_map([feats[i] for i in q], [pids[i] for i in q], [cams[i] for i in q],
                             [feats[i] for i in g], [pids[i] for i in g], [cams[i] for i in g])
    assert metrics['market1501/mAP'] == pytest.approx(m, abs=1e-6)
    assert metrics['market1501/rank1'] == pytest.approx(r1, abs=1e-6)
