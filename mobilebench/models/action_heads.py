"""The TSN head of AsymmNet Table 8: the ImageNet network's tail kept, with 51 classes.

The official AsymmNet / GluonCV MobileNetV3 classifier is global pool -> 1x1 conv to 1280 (no bias) ->
h-swish -> dropout -> classifier (Spark001/AsymmNet ``models/asymmnet.py``: ``cls_ch_expand = 1280`` for the
large *and* the small network, although the paper's Table 4 prints 1024; GluonCV
``gluoncv/model_zoo/mobilenetv3.py``). :class:`MobileTSNHead` is mmaction2's ``TSNHead`` with that
pre-logits conv applied per frame before the segment consensus; on AsymmNet-S at 224x224 it gives the
paper's 56.5 M MAdds / 1.9 M params (MXNet-tool counting).
"""
from __future__ import annotations

from typing import Optional

import torch.nn as nn
from mmaction.models.heads import TSNHead
from mmcv.cnn import build_activation_layer
from torch import Tensor

from mobilebench.registry import MODELS

__all__ = ['MobileTSNHead']


@MODELS.register_module()
class MobileTSNHead(TSNHead):
    """mmaction2 ``TSNHead`` with a pre-logits 1x1 conv + activation after the spatial pooling.

    Per frame: ``avg pool -> Conv1x1(in_channels, pre_logits_channels, bias=False) -> act``; then the
    segment consensus, dropout and ``Linear(pre_logits_channels, num_classes)``.

    Args:
        num_classes: number of classes.
        in_channels: channels of the backbone features.
        pre_logits_channels: width of the pre-logits conv (1280 in the official AsymmNet / MobileNetV3).
        pre_logits_act_cfg: its activation (h-swish).
        **kwargs: ``TSNHead`` arguments (``consensus``, ``dropout_ratio``, ``init_std``, ...). Only
            ``spatial_type='avg'`` is supported (the conv runs on pooled features).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 pre_logits_channels: int = 1280,
                 pre_logits_act_cfg: Optional[dict] = dict(type='HSwish'),
                 **kwargs):
        if kwargs.get('spatial_type', 'avg') != 'avg':
            raise ValueError(f"MobileTSNHead: spatial_type must be 'avg', got {kwargs['spatial_type']!r}")
        if not isinstance(pre_logits_channels, int) or pre_logits_channels <= 0:
            raise ValueError(f'MobileTSNHead: pre_logits_channels must be a positive int, got '
                             f'{pre_logits_channels!r}')
        super().__init__(num_classes, in_channels, **kwargs)
        self.pre_logits_channels = pre_logits_channels
        self.pre_logits = nn.Conv2d(in_channels, pre_logits_channels, 1, bias=False)
        self.pre_logits_act = (build_activation_layer(pre_logits_act_cfg) if pre_logits_act_cfg
                               else nn.Identity())
        self.fc_cls = nn.Linear(pre_logits_channels, num_classes)

    def forward(self, x: Tensor, num_segs: int, **kwargs) -> Tensor:
        # [N * num_segs, C, H, W] -> [N * num_segs, 1280, 1, 1]; TSNHead's pooling of a 1x1 map is a no-op
        x = self.pre_logits_act(self.pre_logits(self.avg_pool(x)))
        return super().forward(x, num_segs, **kwargs)
