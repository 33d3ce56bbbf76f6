"""The fast detection heads keep upstream's mathematics: on fixed batches, ``FastYOLOV3Head`` and
``FastSSDHead`` give the same losses and the same gradients (inputs and every parameter) as mmdet 3.3.0's
``YOLOV3Head`` and ``SSDHead`` built from the suite's own configs, within 1e-4 (relative).

Ground truths are the 36 real COCO val2017 boxes of tests/data/detection/coco (scaled to the input size),
plus the cases where a batched assignment could go wrong: an image without boxes, duplicated boxes (ties of
``gt_max_assign_all``), several boxes whose centres fall into the same cell, and tiny and image-sized boxes.
"""
import copy
import json
import os
import os.path as osp

import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import mobilebench.models  # noqa: F401
from mobilebench.config import load_config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
COCO_JSON = osp.join(REPO, 'tests', 'data', 'detection', 'coco', 'annotations.json')
YOLO_CFG = osp.join(REPO, 'configs', 'detection', 'yolov3_416_mobilenetv2_x1.0_coco.py')
SSD_CFG = osp.join(REPO, 'configs', 'detection', 'ssdlite_320_asymmnet_small_x1.0_coco.py')
# tools/gpu/gpu_check.sh runs these tests on the GPU with MOBILEBENCH_TEST_DEVICE=cuda
DEVICE = os.environ.get('MOBILEBENCH_TEST_DEVICE', 'cpu')


def _coco_gts(size):
    """One InstanceData per real COCO image: xyxy boxes scaled (keeping the aspect ratio) into size x size."""
    with open(COCO_JSON) as f:
        coco = json.load(f)
    cat_index = {c['id']: i for i, c in enumerate(coco['categories'])}
    out = []
    for img in coco['images']:
        scale = size / max(img['width'], img['height'])
        boxes, labels = [], []
        for ann in coco['annotations']:
            if ann['image_id'] == img['id'] and not ann.get('iscrowd', 0):
                x, y, w, h = ann['bbox']
                boxes.append([x * scale, y * scale, (x + w) * scale, (y + h) * scale])
                labels.append(cat_index[ann['category_id']])
        out.append(InstanceData(bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                                labels=torch.tensor(labels, dtype=torch.long)).to(DEVICE))
    return out


def _edge_gts(size):
    s = float(size)
    empty = InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    dup = InstanceData(bboxes=torch.tensor([[10., 20., 110., 140.], [10., 20., 110., 140.], [12., 22., 108., 138.],
                                            [0., 0., s, s], [200., 200., 203., 204.]]),
                       labels=torch.tensor([3, 7, 3, 0, 79]))
    same_cell = InstanceData(bboxes=torch.tensor([[100., 100., 140., 140.], [101., 99., 139., 141.],
                                                  [90., 90., 150., 150.], [s - 30., s - 40., s - 1., s - 1.]]),
                             labels=torch.tensor([1, 2, 1, 5]))
    return [g.to(DEVICE) for g in (empty, dup, same_cell)]


def _metas(n, size):
    return [dict(img_shape=(size, size), pad_shape=(size, size), batch_input_shape=(size, size),
                 scale_factor=(1., 1.)) for _ in range(n)]


def _head_pair(cfg_path, fast_type):
    cfg = load_config(cfg_path)
    init_default_scope('mmdet')
    from mmdet.registry import MODELS
    head_cfg = copy.deepcopy(cfg.model.bbox_head)
    head_cfg.update(train_cfg=cfg.model.train_cfg, test_cfg=cfg.model.test_cfg)
    torch.manual_seed(0)
    upstream = MODELS.build(head_cfg)
    upstream.init_weights()
    fast_cfg = dict(head_cfg, type=fast_type)
    fast = MODELS.build(fast_cfg)
    fast.load_state_dict(upstream.state_dict())
    assert type(fast).__name__ == fast_type.split('.')[-1] and type(upstream).__name__ != type(fast).__name__
    return upstream.to(DEVICE), fast.to(DEVICE)


def _losses_and_grads(head, feats, gts, metas):
    head.zero_grad()
    feats = [f.detach().clone().requires_grad_(True) for f in feats]
    losses = head.loss_by_feat(*head(feats), gts, metas)
    totals = {k: sum(v) if isinstance(v, (list, tuple)) else v for k, v in losses.items()}
    sum(totals.values()).backward()
    grads = [f.grad for f in feats] + [p.grad.clone() for p in head.parameters()]
    return {k: v.detach() for k, v in totals.items()}, grads, {k: len(v) for k, v in losses.items()}


def _assert_same(upstream, fast, feats, gts, metas):
    up_losses, up_grads, up_len = _losses_and_grads(upstream, feats, gts, metas)
    fast_losses, fast_grads, fast_len = _losses_and_grads(fast, feats, gts, metas)
    assert up_len == fast_len  # same log entries (one per level / per image)
    assert up_losses.keys() == fast_losses.keys()
    for key in up_losses:
        assert float(up_losses[key]) > 0, key  # a loss that is zero would compare nothing
        torch.testing.assert_close(fast_losses[key], up_losses[key], rtol=1e-4, atol=1e-6, msg=key)
    assert len(up_grads) == len(fast_grads)
    for g_up, g_fast in zip(up_grads, fast_grads):
        torch.testing.assert_close(g_fast, g_up, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize('gts', ['coco', 'edge'])
def test_fast_yolov3_head_equals_upstream(gts):
    upstream, fast = _head_pair(YOLO_CFG, 'mobilebench.FastYOLOV3Head')
    size = 416
    batch = _coco_gts(size) if gts == 'coco' else _edge_gts(size)
    torch.manual_seed(1)
    feats = [torch.randn(len(batch), c, size // s, size // s, device=DEVICE)
             for c, s in zip(upstream.in_channels, upstream.featmap_strides)]
    _assert_same(upstream, fast, feats, batch, _metas(len(batch), size))


@pytest.mark.parametrize('gts', ['coco', 'edge'])
def test_fast_ssd_head_equals_upstream(gts):
    upstream, fast = _head_pair(SSD_CFG, 'mobilebench.FastSSDHead')
    size = 320
    batch = _coco_gts(size) if gts == 'coco' else _edge_gts(size)
    torch.manual_seed(1)
    sizes = [20, 10, 5, 3, 2, 1]
    feats = [torch.randn(len(batch), c, s, s, device=DEVICE) for c, s in zip(upstream.in_channels, sizes)]
    _assert_same(upstream, fast, feats, batch, _metas(len(batch), size))


def test_fast_ssd_head_falls_back_when_boxes_are_ignored():
    upstream, fast = _head_pair(SSD_CFG, 'mobilebench.FastSSDHead')
    fast.assigner.ignore_iof_thr = 0.5
    ignore = [InstanceData(bboxes=torch.tensor([[0., 0., 50., 50.]]))]
    assert not fast._batched(ignore) and fast._batched(None)


def test_fast_heads_selected_by_config_type():
    """The full detectors built from the configs with only the head type changed: same losses and
    gradients of every parameter on a real-box batch."""
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    for path, fast_type, size in ((YOLO_CFG, 'mobilebench.FastYOLOV3Head', 224),
                                  (SSD_CFG, 'mobilebench.FastSSDHead', 320)):
        cfg = load_config(path)
        init_default_scope('mmdet')
        torch.manual_seed(0)
        upstream = MODELS.build(cfg.model)
        fast_model_cfg = copy.deepcopy(cfg.model)
        fast_model_cfg.bbox_head.type = fast_type
        fast = MODELS.build(fast_model_cfg)
        fast.load_state_dict(upstream.state_dict())
        upstream, fast = upstream.to(DEVICE), fast.to(DEVICE)
        assert type(fast.bbox_head).__name__ == fast_type.split('.')[-1]
        gts = _coco_gts(size)[:3]
        torch.manual_seed(2)
        images = torch.randn(len(gts), 3, size, size, device=DEVICE)
        results = []
        for model in (upstream, fast):
            model.train()
            model.zero_grad()
            samples = []
            for gt, meta in zip(gts, _metas(len(gts), size)):
                s = DetDataSample(metainfo=meta)
                s.gt_instances = gt
                samples.append(s)
            losses = model.loss(images, samples)
            total = sum(sum(v) if isinstance(v, list) else v for v in losses.values())
            total.backward()
            results.append((float(total), [p.grad.clone() for p in model.parameters() if p.grad is not None]))
        (up_total, up_grads), (fast_total, fast_grads) = results
        assert up_total == pytest.approx(fast_total, rel=1e-4)
        assert len(up_grads) == len(fast_grads) > 100
        for g_up, g_fast in zip(up_grads, fast_grads):
            torch.testing.assert_close(g_fast, g_up, rtol=1e-4, atol=1e-6)


def test_fast_yolov3_head_with_mean_reduced_losses():
    """A 'mean' reduction counts the zero-weight rows, so the fast head must not skip them then."""
    upstream, fast = _head_pair(YOLO_CFG, 'mobilebench.FastYOLOV3Head')
    for head in (upstream, fast):
        for loss in (head.loss_cls, head.loss_xy, head.loss_wh):
            loss.reduction = 'mean'
    assert not fast._sum_reduced()
    size = 320
    batch = _coco_gts(size)[:3]
    torch.manual_seed(3)
    feats = [torch.randn(len(batch), c, size // s, size // s, device=DEVICE)
             for c, s in zip(upstream.in_channels, upstream.featmap_strides)]
    _assert_same(upstream, fast, feats, batch, _metas(len(batch), size))
