"""ImageNet classifier heads of the three families and a backbone + head model.

:class:`MobileClsHead` covers every official head with two options:

=============================  ==================================================================
AsymmNet                        ``conv_channels=1280`` (1x1 conv, no BN, no bias) + h-swish,
                                ``dropout=0.2``, Linear(1280, classes)
MobileNeXt                      ``conv_channels=None``, ``dropout=0.2``, Linear(C_last, classes)
HBONet                          ``conv_channels=None``, ``dropout=0.0`` (its 1600 conv is the backbone's
                                last layer), Linear(1600, classes)
MobileNetV2 / MobileNetV1       ``conv_channels=None``, Linear(1280 / 1024, classes) (baselines)
=============================  ==================================================================

:class:`ImageNetClassifier` = backbone (built from a config, ``out_indices=('final',)``) + head; its
state_dict keys are ``backbone.*`` and ``head.*``, so a converted checkpoint also initialises a
detection / pose / action backbone through ``init_cfg=dict(type='Pretrained', prefix='backbone.')``.
"""
from __future__ import annotations

import copy
from typing import Optional, Union

import torch
import torch.nn as nn

from .bricks import build_act
from .registry import MODELS

__all__ = ['MobileClsHead', 'ImageNetClassifier', 'build_imagenet_model', 'official_head_cfg', 'OFFICIAL_HEADS']


@MODELS.register_module()
class MobileClsHead(nn.Module):
    """Global average pool -> [1x1 conv (no BN, no bias) + act] -> dropout -> Linear.

    Args:
        in_channels: channels of the backbone's last feature map.
        num_classes: classifier outputs.
        conv_channels: width of the optional post-pool 1x1 conv (AsymmNet: 1280); None for no conv.
        act_cfg: activation after the post-pool conv.
        dropout: dropout probability before the Linear layer.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int = 1000,
                 conv_channels: Optional[int] = None,
                 act_cfg: dict = dict(type='HSwish'),
                 dropout: float = 0.0):
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f'MobileClsHead: dropout must be in [0, 1), got {dropout!r}')
        self.pool = nn.AdaptiveAvgPool2d(1)
        fc_in = in_channels
        if conv_channels is not None:
            self.conv = nn.Conv2d(in_channels, conv_channels, 1, bias=False)
            self.act = build_act(act_cfg)
            fc_in = conv_channels
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(fc_in, num_classes)

    def pre_logits(self, x: Union[torch.Tensor, tuple]) -> torch.Tensor:
        """The features the Linear layer classifies: pooled, then the optional conv + act; ``(N, C)``."""
        if isinstance(x, (tuple, list)):
            x = x[-1]
        x = self.pool(x)
        if hasattr(self, 'conv'):
            x = self.act(self.conv(x))
        return torch.flatten(x, 1)

    def forward(self, x: Union[torch.Tensor, tuple]) -> torch.Tensor:
        return self.fc(self.dropout(self.pre_logits(x)))


@MODELS.register_module()
class ImageNetClassifier(nn.Module):
    """A full ImageNet model: backbone (last layer only) + :class:`MobileClsHead`.

    Args:
        backbone: a backbone config (``dict(type='backbones.AsymmNet', ...)``) or module. Its
            ``out_indices`` is forced to ``('final',)`` and ``tensor_output`` to False when a config.
        head: a head config for :class:`MobileClsHead` (``in_channels`` is filled from the backbone) or a
            module.
    """

    def __init__(self, backbone: Union[dict, nn.Module], head: Union[dict, nn.Module]):
        super().__init__()
        if isinstance(backbone, dict):
            backbone = copy.deepcopy(backbone)
            backbone.update(out_indices=('final', ), tensor_output=False)
            backbone = MODELS.build(backbone)
        self.backbone = backbone
        if isinstance(head, dict):
            head = copy.deepcopy(head)
            head.setdefault('type', 'backbones.MobileClsHead')
            head.setdefault('in_channels', self.backbone.out_channels[-1])
            head = MODELS.build(head)
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


#: the official ImageNet head of each family (``type`` of the backbone config -> head config)
OFFICIAL_HEADS = {
    'AsymmNet': dict(conv_channels=1280, act_cfg=dict(type='HSwish'), dropout=0.2),
    'MobileNeXt': dict(conv_channels=None, dropout=0.2),
    'HBONet': dict(conv_channels=None, dropout=0.0),
    'MobileNetV2': dict(conv_channels=None, dropout=0.2),  # torchvision / TF: dropout 0.2, Linear(1280, k)
    'MobileNetV1': dict(conv_channels=None, dropout=0.0),  # GluonCV: flatten -> Dense(1024, k)
}


def official_head_cfg(backbone_type: str) -> dict:
    """The official ImageNet head fields of a backbone family (a copy of its :data:`OFFICIAL_HEADS` row).

    Args:
        backbone_type: the backbone config's ``type`` (``'backbones.AsymmNet'``, ``'AsymmNet'``, ...).

    Raises:
        ValueError: for a backbone type without an official head, listing the known ones.
    """
    family = str(backbone_type or '').split('.')[-1]
    if family not in OFFICIAL_HEADS:
        raise ValueError(f'no official ImageNet head for backbone type {backbone_type!r}; known families are '
                         f'{sorted(OFFICIAL_HEADS)} (add a row to backbones.classifiers.OFFICIAL_HEADS)')
    return copy.deepcopy(OFFICIAL_HEADS[family])


def build_imagenet_model(backbone: dict, num_classes: int = 1000, **head_overrides) -> ImageNetClassifier:
    """Build backbone + its family's official ImageNet head.

    Args:
        backbone: backbone config, e.g. ``dict(type='backbones.AsymmNet', arch='large', widen_factor=1.0)``.
        num_classes: classifier outputs.
        **head_overrides: override head fields (e.g. ``dropout=0.1``).

    Raises:
        ValueError: for a backbone type without an official head, listing the known ones.
    """
    try:
        head = official_head_cfg(backbone.get('type'))
    except ValueError as e:
        raise ValueError(f'build_imagenet_model: {e}') from None
    head.update(num_classes=num_classes, **head_overrides)
    return ImageNetClassifier(backbone, head)
