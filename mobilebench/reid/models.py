"""The re-ID model of the suite, on mmdet's re-ID components, without mmpretrain.

mmdet 3.3.0's ``BaseReID`` (a subclass of mmpretrain's ``ImageClassifier``), ``LinearReIDHead`` (mmpretrain's
``Accuracy``) and ``ReIDDataPreprocessor`` (mmpretrain's label utilities) refuse to build without mmpretrain,
and mmpretrain 1.2.0 imports torchvision at module level, which this CPU stack cannot install (the PyPI
torchvision wheel for torch 2.13 is a CUDA build). The components here keep their contracts and reuse what
mmdet's re-ID package has that does not need mmpretrain: ``GlobalAveragePooling`` (the neck), ``FcModule``
(embedding layers), ``TripletLoss``, ``ReIDDataSample`` (``pred_feature``), ``PackReIDInputs`` and
``ReIDDataset`` (through :class:`mobilebench.Market1501Dataset`).

- :class:`ReIDClassifier`: backbone -> neck -> head, ``mode='tensor' | 'loss' | 'predict'`` like ``BaseReID``
  (5-D inputs of a triplet-sampled batch are flattened to images);
- :class:`ReIDClsHead`: optional ``FcModule`` embedding layers, an identity classifier and its losses
  (label-smoothed cross-entropy, optionally mmdet's ``TripletLoss``); the prediction is the embedding;
- :class:`ReIDImgDataPreprocessor`: mmengine's ``ImgDataPreprocessor`` for the ``(N, C, H, W)`` image stacks
  that ``PackReIDInputs`` writes per sample;
- :class:`CrossEntropyLabelSmoothLoss`: cross-entropy with uniform label smoothing (Szegedy et al.), the
  "label smooth" of the re-ID recipes (torchreid ``CrossEntropyLoss(label_smooth=True)``, eps 0.1).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.reid.fc_module import FcModule
from mmdet.structures import ReIDDataSample
from mmengine.model import BaseModel, BaseModule, ImgDataPreprocessor

from ..registry import MODELS


@MODELS.register_module()
class CrossEntropyLabelSmoothLoss(nn.Module):
    """Cross-entropy against ``(1 - eps) * one_hot + eps / K`` targets.

    Args:
        label_smoothing: eps (0 = plain cross-entropy).
        loss_weight: multiplier of the loss.
    """

    def __init__(self, label_smoothing: float = 0.1, loss_weight: float = 1.0):
        super().__init__()
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f'label_smoothing must be in [0, 1), got {label_smoothing}')
        self.label_smoothing = label_smoothing
        self.loss_weight = loss_weight

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * F.cross_entropy(cls_score, label, label_smoothing=self.label_smoothing)


@MODELS.register_module()
class ReIDImgDataPreprocessor(ImgDataPreprocessor):
    """mmengine's ``ImgDataPreprocessor`` (BGR->RGB, mean/std, stacking) for ``PackReIDInputs`` outputs.

    ``PackReIDInputs`` packs every sample as an ``(N, C, H, W)`` stack (N = 1 for a plain image, N =
    ``num_ids * ins_per_id`` with mmdet's triplet sampler); the stacks are split into images before the
    usual processing, so the model receives one ``(sum N, C, H, W)`` batch. Arguments are those of
    :class:`mmengine.model.ImgDataPreprocessor`.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if isinstance(inputs, torch.Tensor):
            images = list(inputs.flatten(0, 1)) if inputs.dim() == 5 else list(inputs)
        else:
            images = []
            for x in inputs:
                images.extend(list(x) if x.dim() == 4 else [x])
        return super().forward(dict(inputs=images, data_samples=data.get('data_samples')), training)


@MODELS.register_module()
class ReIDClsHead(BaseModule):
    """Embedding + identity-classifier head for re-ID training by classification.

    The embedding is the pooled backbone feature passed through ``FcModule`` layers of widths
    ``fc_channels`` (none by default: the embedding is the pooled feature itself, as in torchreid's
    MobileNetV2 / ResNet re-ID models); the classifier is one ``Linear(embedding, num_classes)``. The
    prediction (``pred_feature``, what retrieval ranks) is the embedding.

    Args:
        in_channels: width of the pooled backbone feature.
        num_classes: training identities (751 on Market-1501).
        fc_channels: widths of the embedding layers (each ``Linear`` + ``norm_cfg`` + ``act_cfg``).
        norm_cfg: norm of the embedding layers (e.g. ``dict(type='BN1d')``).
        act_cfg: activation of the embedding layers.
        loss_cls: identity loss (default: label-smoothed cross-entropy, eps 0.1).
        loss_triplet: optional metric loss on the embedding (e.g. mmdet's ``dict(type='TripletLoss',
            margin=0.3)``; needs a P x K batch, ``Market1501Dataset(triplet_sampler=...)``).
        topk: top-k training accuracies logged as ``accuracy_top-k`` (percent).
        init_cfg: default ``Normal(std=0.01)`` for the ``Linear`` layers, as re-ID classifiers use.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 fc_channels: Sequence[int] = (),
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 loss_cls: Optional[dict] = dict(type='mobilebench.CrossEntropyLabelSmoothLoss', label_smoothing=0.1),
                 loss_triplet: Optional[dict] = None,
                 topk: Union[int, Tuple[int, ...]] = (1, ),
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(type='Normal', layer='Linear', mean=0, std=0.01,
                                                                    bias=0)):
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, int) or in_channels <= 0:
            raise ValueError(f'ReIDClsHead: in_channels must be a positive int (the backbone width), got '
                             f'{in_channels!r}')
        if not isinstance(num_classes, int) or num_classes <= 1:
            raise ValueError(f'ReIDClsHead: num_classes must be the number of training identities (> 1), got '
                             f'{num_classes!r}')
        if loss_cls is None and loss_triplet is None:
            raise ValueError('ReIDClsHead: set loss_cls and/or loss_triplet')
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        self.in_channels = in_channels
        self.num_classes = num_classes
        widths = [in_channels] + list(fc_channels)
        self.fcs = nn.ModuleList(FcModule(i, o, norm_cfg, act_cfg) for i, o in zip(widths[:-1], widths[1:]))
        self.out_channels = widths[-1]
        self.classifier = nn.Linear(self.out_channels, num_classes) if loss_cls is not None else None
        self.loss_cls = MODELS.build(loss_cls) if loss_cls is not None else None
        self.loss_triplet = MODELS.build(loss_triplet) if loss_triplet is not None else None

    def forward(self, feats: Union[torch.Tensor, Tuple[torch.Tensor]]) -> torch.Tensor:
        """The embedding of the last (deepest) pooled feature."""
        x = feats[-1] if isinstance(feats, (tuple, list)) else feats
        for fc in self.fcs:
            x = fc(x)
        return x

    def loss(self, feats, data_samples: List[ReIDDataSample]) -> Dict[str, torch.Tensor]:
        emb = self(feats)
        labels = torch.cat([ds.gt_label.label.reshape(-1) for ds in data_samples]).to(emb.device)
        if labels.numel() != emb.shape[0]:
            raise ValueError(f'ReIDClsHead: {emb.shape[0]} images but {labels.numel()} labels in the batch')
        losses = {}
        if self.loss_triplet is not None:
            losses['triplet_loss'] = self.loss_triplet(emb, labels)
        if self.loss_cls is not None:
            if labels.min() < 0 or labels.max() >= self.num_classes:
                raise ValueError(f'ReIDClsHead: identity labels must be in [0, {self.num_classes}); got '
                                 f'[{int(labels.min())}, {int(labels.max())}]. Train on a split relabelled 0..N-1 '
                                 f"(Market1501Dataset(split='train')) and set num_classes to its identity count")
            score = self.classifier(emb)
            losses['ce_loss'] = self.loss_cls(score, labels)
            with torch.no_grad():
                for k in self.topk:
                    hit = (score.topk(min(k, score.shape[1]), dim=1).indices == labels[:, None]).any(dim=1)
                    losses[f'accuracy_top-{k}'] = hit.float().mean() * 100.0
        return losses

    def predict(self, feats, data_samples: Optional[List[ReIDDataSample]] = None) -> List[ReIDDataSample]:
        emb = self(feats)
        if data_samples is None:
            data_samples = [ReIDDataSample() for _ in range(emb.shape[0])]
        if len(data_samples) != emb.shape[0]:
            raise ValueError(f'ReIDClsHead: {emb.shape[0]} embeddings for {len(data_samples)} data samples; '
                             f'test with one image per sample (no triplet sampler)')
        for ds, f in zip(data_samples, emb):
            ds.pred_feature = f
        return data_samples


@MODELS.register_module()
class ReIDClassifier(BaseModel):
    """Re-ID network trained as an identity classifier: backbone -> neck (pooling) -> :class:`ReIDClsHead`.

    The contract of mmdet's ``BaseReID``: ``mode='tensor'`` returns the embeddings, ``'loss'`` the loss dict,
    ``'predict'`` the data samples with ``pred_feature``.

    Args:
        backbone: backbone config (any registered backbone; the head reads its last output).
        neck: pooling config, e.g. mmdet's ``dict(type='GlobalAveragePooling')``.
        head: :class:`ReIDClsHead` config.
        data_preprocessor: e.g. ``dict(type='mobilebench.ReIDImgDataPreprocessor', mean=..., std=...,
            bgr_to_rgb=True)``.
        init_cfg: optional initialisation (e.g. ``Pretrained`` for the whole model).
    """

    def __init__(self, backbone: dict, head: dict, neck: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='mobilebench.ReIDImgDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)

    def extract_feat(self, inputs: torch.Tensor):
        x = self.backbone(inputs)
        return self.neck(x) if self.neck is not None else x

    def _forward(self, inputs: torch.Tensor, data_samples=None) -> torch.Tensor:
        """The deployed network: image -> embedding (what complexity counting and export run)."""
        return self.forward(inputs, mode='tensor')

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[ReIDDataSample]] = None,
                mode: str = 'tensor'):
        if inputs.dim() == 5:  # (B, N, C, H, W) image stacks
            inputs = inputs.flatten(0, 1)
        feats = self.extract_feat(inputs)
        if mode == 'tensor':
            return self.head(feats)
        if mode == 'loss':
            return self.head.loss(feats, data_samples)
        if mode == 'predict':
            return self.head.predict(feats, data_samples)
        raise RuntimeError(f'ReIDClassifier: invalid mode {mode!r}; use "tensor", "loss" or "predict"')
