"""Face recognition model: backbone -> GDC embedding head -> 512-d embedding, trained with
insightface's combined margin loss (ArcFace / CosFace / SphereFace-style margins)."""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel, BaseModule
from mmengine.structures import BaseDataElement

from ..registry import MODELS


@MODELS.register_module()
class GDCHead(BaseModule):
    """MobileFaceNet's global depthwise convolution (GDC) embedding head.

    ``[1x1 conv -> 512 + BN + PReLU if in_channels != 512]`` -> ``kxk depthwise conv (k = feature
    size, 7 for 112x112 input at stride 16) + BN`` -> flatten -> ``Linear(512, emb, bias=False)`` ->
    ``BatchNorm1d(emb)`` (insightface ``backbones/mobilefacenet.py`` ``GDC`` + ``conv_sep``).

    Unlike global average pooling, the depthwise kernel learns a different weight per spatial
    position (the face is aligned, so positions mean the same facial parts in every image).

    Args:
        in_channels: channels of the backbone feature map.
        embedding_size: embedding dimension (512 in insightface).
        mid_channels: width of the GDC (512 in MobileFaceNet).
        feat_size: spatial size of the feature map (int or (h, w)); 7 for a stride-16 tap at 112.
        init_cfg: OpenMMLab init config.
    """

    def __init__(self, in_channels: int, embedding_size: int = 512, mid_channels: int = 512,
                 feat_size: Union[int, Sequence[int]] = 7, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, int) or in_channels <= 0:
            raise ValueError(f'GDCHead: in_channels must be a positive int, got {in_channels!r} (use '
                             f"'@backbone.out_channels[-1]' in the config)")
        self.in_channels = in_channels
        self.feat_size = (feat_size, feat_size) if isinstance(feat_size, int) else tuple(feat_size)
        if in_channels != mid_channels:
            self.conv_sep = nn.Sequential(
                nn.Conv2d(in_channels, mid_channels, 1, bias=False), nn.BatchNorm2d(mid_channels),
                nn.PReLU(mid_channels))
        else:
            self.conv_sep = nn.Identity()
        self.gdc = nn.Conv2d(mid_channels, mid_channels, self.feat_size, groups=mid_channels, bias=False)
        self.gdc_bn = nn.BatchNorm2d(mid_channels)
        self.fc = nn.Linear(mid_channels, embedding_size, bias=False)
        self.features = nn.BatchNorm1d(embedding_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.jit.is_tracing() and (x.dim() != 4 or tuple(x.shape[1:]) != (self.in_channels, ) + self.feat_size):
            raise ValueError(
                f'GDCHead expects (N, {self.in_channels}, {self.feat_size[0]}, {self.feat_size[1]}) features, '
                f'got {tuple(x.shape)}; the global depthwise kernel must equal the feature size: set '
                f'head.feat_size (112x112 input with the stride-16 tap gives 7)')
        x = self.gdc_bn(self.gdc(self.conv_sep(x)))
        return self.features(self.fc(x.flatten(1)))


@MODELS.register_module()
class CombinedMarginLoss(nn.Module):
    """insightface's combined margin softmax loss, with its class-centre weight matrix.

    The target logit ``cos(theta)`` becomes ``cos(m1 * theta + m2) - m3``; all logits are scaled by
    ``s``. ``margin_list=(1.0, 0.5, 0.0)`` is ArcFace, ``(1.0, 0.0, 0.4)`` CosFace, and e.g.
    ``(1.0, 0.3, 0.2)`` the combined margin. Where ``m1 * theta + m2 > pi`` the cosine would start to
    *increase* with theta; there the target logit continues as ``cos(theta)`` shifted down so that it
    is continuous at ``theta_max = (pi - m2) / m1`` (keeps it monotonic, the role of insightface's
    ``th``/``mm`` fallback; the shift differs slightly from insightface's ``m2 * sin(m2)``).
    The margins are differentiable here (insightface computes the ArcFace branch under ``no_grad``
    as a speed trick).

    Args:
        num_classes: number of identities.
        embedding_size: embedding dimension.
        scale: logit scale ``s`` (64 in insightface).
        margin_list: ``(m1, m2, m3)``.
        loss_weight: multiplier of the loss.
    """

    def __init__(self, num_classes: int, embedding_size: int = 512, scale: float = 64.0,
                 margin_list: Sequence[float] = (1.0, 0.5, 0.0), loss_weight: float = 1.0):
        super().__init__()
        if len(margin_list) != 3:
            raise ValueError(f'CombinedMarginLoss: margin_list must be (m1, m2, m3), got {margin_list!r}')
        self.num_classes = int(num_classes)
        self.scale = float(scale)
        self.m1, self.m2, self.m3 = (float(m) for m in margin_list)
        self.loss_weight = loss_weight
        self.weight = nn.Parameter(torch.empty(self.num_classes, embedding_size).normal_(0, 0.01))
        # theta threshold above which m1*theta + m2 passes pi
        self.theta_max = (math.pi - self.m2) / self.m1

    def target_logit(self, cos_t: torch.Tensor) -> torch.Tensor:
        """Apply the margins to the target cosine."""
        if self.m1 == 1.0 and self.m2 == 0.0:
            return cos_t - self.m3
        theta = torch.acos(cos_t.clamp(-1 + 1e-7, 1 - 1e-7))
        with_margin = torch.cos(self.m1 * theta + self.m2) - self.m3
        # beyond theta_max: continue linearly so the logit keeps decreasing (ArcFace's "th/mm" trick)
        fallback = cos_t - (math.cos(self.theta_max) - math.cos(self.m1 * self.theta_max + self.m2)) - self.m3
        return torch.where(theta <= self.theta_max, with_margin, fallback)

    def logits(self, embeddings: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        cos = F.linear(F.normalize(embeddings.float()), F.normalize(self.weight.float()))
        if labels is None:
            return cos * self.scale
        onehot = F.one_hot(labels, self.num_classes).bool()
        target = self.target_logit(cos[onehot])
        cos = cos.masked_scatter(onehot, target)
        return cos * self.scale

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(f'CombinedMarginLoss: labels must be in [0, {self.num_classes}), got '
                             f'[{int(labels.min())}, {int(labels.max())}]; set num_classes from the '
                             f"data set's property file")
        return self.loss_weight * F.cross_entropy(self.logits(embeddings, labels), labels)


@MODELS.register_module()
class FaceRecognizer(BaseModel):
    """Backbone + embedding head + margin loss, as an mmengine model.

    Modes of :meth:`forward`: ``'loss'`` -> ``dict(loss=...)``; ``'predict'`` -> data samples with
    ``pred_embedding`` (flip-summed when ``flip_test``, not normalised: the metric normalises);
    ``'tensor'`` -> the embedding of ``inputs`` (what ONNX export uses).

    Args:
        backbone: backbone config (any project backbone, e.g. ``type='backbones.AsymmNet'``); its last
            returned feature map feeds the head.
        head: embedding head config (``mobilebench.GDCHead``).
        loss: margin loss config (``mobilebench.CombinedMarginLoss``).
        data_preprocessor: mmengine ``ImgDataPreprocessor`` config (mean = std = 127.5: insightface's
            ``(x / 255 - 0.5) / 0.5`` on RGB).
        flip_test: sum the embeddings of the image and its horizontal flip in ``'predict'`` mode.
        init_cfg: OpenMMLab init config.
    """

    def __init__(self, backbone: dict, head: dict, loss: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, flip_test: bool = True,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='ImgDataPreprocessor', mean=[127.5] * 3, std=[127.5] * 3)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        import backbones  # noqa: F401  (registers the project backbones)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)
        self.loss_module = MODELS.build(loss) if loss is not None else None
        self.flip_test = flip_test

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        feats = self.backbone(inputs)
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        return self.head(feats)

    def _forward(self, inputs: torch.Tensor, data_samples=None) -> torch.Tensor:
        """The deployed computation (embedding of normalised inputs), mmdet's ``_forward`` convention
        used by the suite's complexity/latency tools."""
        return self.extract_feat(inputs)

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            return self.extract_feat(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise ValueError(f'FaceRecognizer: invalid mode {mode!r}; use "loss", "predict" or "tensor"')

    def loss(self, inputs: torch.Tensor, data_samples: List[BaseDataElement]) -> Dict[str, torch.Tensor]:
        if self.loss_module is None:
            raise RuntimeError('FaceRecognizer: training needs a `loss` config (mobilebench.CombinedMarginLoss)')
        labels = torch.stack([torch.as_tensor(ds.gt_label).reshape(()) for ds in data_samples]).to(inputs.device)
        emb = self.extract_feat(inputs)
        return dict(loss=self.loss_module(emb, labels.long()))

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: Optional[List[BaseDataElement]] = None):
        emb = self.extract_feat(inputs)
        if self.flip_test:
            emb = emb + self.extract_feat(torch.flip(inputs, dims=[3]))
        if data_samples is None:
            data_samples = [BaseDataElement() for _ in range(inputs.shape[0])]
        for ds, e in zip(data_samples, emb):
            ds.pred_embedding = e.detach()
        return data_samples
