"""The backbones' official ImageNet heads (:class:`backbones.MobileClsHead`) inside mmpretrain.

:class:`MobileImageNetHead` is an mmpretrain ``ClsHead`` (mmpretrain's losses, ``topk`` accuracy during
training, ``predict`` -> ``DataSample`` scores) whose layers are those of ``MobileClsHead`` under the same
names, so a model's ``state_dict`` keys are ``backbone.*`` + ``head.{conv,fc}.*`` exactly as
:class:`backbones.ImageNetClassifier` and the official-checkpoint converters (``tools/model_converters/``)
write them: a converted checkpoint loads with ``load_from`` and a trained classifier's checkpoint
initialises a detector / pose / action backbone with ``init_cfg=dict(type='Pretrained', prefix='backbone.')``.

:class:`MobileImageClassifier` is mmpretrain's ``ImageClassifier`` that (like
:func:`backbones.build_imagenet_model`) taps the backbone's last layer and fills the head's ``in_channels``
and its family's official fields (``backbones.classifiers.OFFICIAL_HEADS``) from the backbone, so one
template serves every family.
"""
from __future__ import annotations

import copy
from typing import Optional

from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.models.heads import ClsHead

from backbones.classifiers import MobileClsHead, official_head_cfg
from mobilebench.registry import MODELS

__all__ = ['MobileImageNetHead', 'MobileImageClassifier']


@MODELS.register_module()
class MobileImageNetHead(ClsHead):
    """mmpretrain classification head with the layers of :class:`backbones.MobileClsHead`.

    Global average pool -> [1x1 conv (no BN, no bias) + act] -> dropout -> Linear.

    Args:
        num_classes: classifier outputs.
        in_channels: channels of the backbone's last feature map.
        conv_channels: width of the optional post-pool 1x1 conv (AsymmNet: 1280); None for no conv.
        act_cfg: activation after the post-pool conv.
        dropout: dropout probability before the Linear layer.
        loss: mmpretrain loss config (default cross-entropy).
        topk: top-k accuracies logged during training.
        cal_acc: compute the training accuracy.
        init_cfg: initialisation (default: Linear ~ N(0, 0.01), as mmpretrain's ``LinearClsHead``).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 conv_channels: Optional[int] = None,
                 act_cfg: dict = dict(type='HSwish'),
                 dropout: float = 0.0,
                 loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 topk=(1, ),
                 cal_acc: bool = False,
                 init_cfg: Optional[dict] = dict(type='Normal', layer='Linear', std=0.01)):
        super().__init__(loss=loss, topk=topk, cal_acc=cal_acc, init_cfg=init_cfg)
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f'MobileImageNetHead: num_classes must be a positive int, got {num_classes!r}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        official = MobileClsHead(in_channels, num_classes, conv_channels=conv_channels, act_cfg=act_cfg,
                                 dropout=dropout)
        for name, layer in official.named_children():  # same layers, same state_dict keys
            self.add_module(name, layer)

    # the official computation, shared with backbones.MobileClsHead (it only uses the layers adopted above)
    pre_logits = MobileClsHead.pre_logits
    forward = MobileClsHead.forward


@MODELS.register_module()
class MobileImageClassifier(ImageClassifier):
    """mmpretrain ``ImageClassifier`` = backbone (last layer) + its family's official ImageNet head.

    Args:
        backbone: backbone config (``dict(type='backbones.HBONet', widen_factor=1.0)``); ``out_indices`` is
            set to ``('final',)`` and ``tensor_output`` to False.
        head: head config; ``type`` defaults to :class:`MobileImageNetHead`, ``in_channels`` to the
            backbone's last width and the official fields (``conv_channels``, ``act_cfg``, ``dropout``) to
            its family's row of ``OFFICIAL_HEADS``; any field given here wins.
        neck: must be None (the head pools).
        **kwargs: ``data_preprocessor``, ``train_cfg`` (mixup / cutmix), ``pretrained``, ``init_cfg`` of
            ``ImageClassifier``.

    Raises:
        ValueError: for a neck, or a backbone family without an official head.
    """

    def __init__(self, backbone: dict, head: Optional[dict] = None, neck: Optional[dict] = None, **kwargs):
        if neck is not None:
            raise ValueError('MobileImageClassifier: the official heads pool the last feature map themselves; '
                             f'remove `neck` ({neck!r}) from the model config')
        backbone = copy.deepcopy(dict(backbone))
        backbone.update(out_indices=('final', ), tensor_output=False)
        head = copy.deepcopy(dict(head or {}))
        for key, value in official_head_cfg(backbone.get('type')).items():  # ValueError for a foreign family
            head.setdefault(key, value)
        super().__init__(backbone=backbone, neck=None, head=None, **kwargs)
        head.setdefault('type', 'mobilebench.MobileImageNetHead')
        head.setdefault('in_channels', int(self.backbone.out_channels[-1]))
        from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
        self.head = MMPRETRAIN_MODELS.build(head)
