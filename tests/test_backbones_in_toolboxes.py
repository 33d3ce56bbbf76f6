"""Each project backbone builds inside an mmdet, an mmpose and an mmaction2 model from the suite's task
templates (``type='backbones.X'``) and trains one step (forward, loss, backward, optimizer step)."""
import os.path as osp

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import MODELS, init_default_scope

import mobilebench  # noqa: F401
from mobilebench.config import compose_config, resolve_backbone_placeholders

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TASKS = osp.join(ROOT, 'configs', '_base_', 'tasks')
BACKBONES = {
    'AsymmNet': 'asymmnet_small_x0.5',
    'MobileNeXt': 'mobilenext_x0.5',
    'HBONet': 'hbonet_x0.5',
}


def _model_and_optim(template, backbone, scope):
    cfg = resolve_backbone_placeholders(compose_config(
        osp.join(TASKS, template), osp.join(ROOT, 'configs', '_base_', 'backbones', backbone + '.py')))
    init_default_scope(scope)
    model_cfg = cfg.model.to_dict()
    model_cfg['backbone']['init_cfg'] = None
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    optim = build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)))
    return model, optim


def _one_step(model, optim, data):
    before = [p.detach().clone() for p in model.backbone.parameters()]
    model.train()
    losses = model.train_step(data, optim)
    assert losses, 'no losses returned'
    assert all(torch.isfinite(v).all() for v in losses.values())
    changed = sum(not torch.equal(a, b.detach()) for a, b in zip(before, model.backbone.parameters()))
    assert changed > 0, 'the optimizer step did not update the backbone'


@pytest.mark.parametrize('family', sorted(BACKBONES))
def test_mmdet_yolov3_one_step(family):
    import mmdet.models  # noqa: F401
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    model, optim = _model_and_optim('yolov3_416_voc.py', BACKBONES[family], 'mmdet')
    samples = []
    for i in range(2):
        s = DetDataSample(metainfo=dict(img_shape=(128, 128), ori_shape=(128, 128), pad_shape=(128, 128),
                                        scale_factor=(1., 1.), batch_input_shape=(128, 128)))
        s.gt_instances = InstanceData(bboxes=torch.tensor([[10., 20., 60., 90.]]), labels=torch.tensor([i]))
        samples.append(s)
    data = dict(inputs=[torch.randint(0, 255, (3, 128, 128), dtype=torch.uint8) for _ in range(2)],
                data_samples=samples)
    _one_step(model, optim, data)


@pytest.mark.parametrize('family', sorted(BACKBONES))
def test_mmpose_simplebaseline_one_step(family):
    import mmpose.models  # noqa: F401
    from mmengine.structures import InstanceData, PixelData
    from mmpose.structures import PoseDataSample
    model, optim = _model_and_optim('simplebaseline_256x192_coco.py', BACKBONES[family], 'mmpose')
    h, w = 64, 64
    samples = []
    for _ in range(2):
        s = PoseDataSample(metainfo=dict(img_shape=(h, w), input_size=(w, h), input_center=(32., 32.),
                                         input_scale=(64., 64.), flip_indices=list(range(17))))
        s.gt_instances = InstanceData(bboxes=torch.tensor([[0., 0., w, h]]))
        s.gt_instance_labels = InstanceData(keypoint_weights=torch.ones(1, 17))
        s.gt_fields = PixelData(heatmaps=torch.rand(17, h // 4, w // 4))
        samples.append(s)
    data = dict(inputs=[torch.randint(0, 255, (3, h, w), dtype=torch.uint8) for _ in range(2)],
                data_samples=samples)
    _one_step(model, optim, data)


@pytest.mark.parametrize('family', sorted(BACKBONES))
def test_mmaction_tsn_one_step(family):
    import mobilebench.compat  # noqa: F401  (drn stub before mmaction.models)
    import mmaction.models  # noqa: F401
    from mmaction.structures import ActionDataSample
    model, optim = _model_and_optim('tsn_hmdb51_video.py', BACKBONES[family], 'mmaction')
    samples = [ActionDataSample().set_gt_label(torch.tensor([i])) for i in range(2)]
    # NCHW format: (segments, C, H, W) per clip
    data = dict(inputs=[torch.randint(0, 255, (3, 3, 64, 64), dtype=torch.uint8) for _ in range(2)],
                data_samples=samples)
    _one_step(model, optim, data)
