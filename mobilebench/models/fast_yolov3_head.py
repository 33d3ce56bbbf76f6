"""``FastYOLOV3Head``: mmdet 3.3.0 ``YOLOV3Head`` with the training targets computed for the whole batch at
once.

Upstream assigns every image separately (``multi_apply`` over ``_get_targets_single``: responsible-cell
flags, ``GridAssigner`` with a Python loop over the gts, ``PseudoSampler``, target maps), then re-slices
the per-image maps by level, and each level's loss starts with ``torch.max(pos_and_neg_mask) > 1``, a
host-device sync. This head computes the same targets with a few batched tensor ops
(:mod:`mobilebench.models.batched_targets`) and drops the sync: positives (gt index > 0) and negatives
(gt index == 0) of one assignment are disjoint, so the mask it checks never exceeds 1. With upstream's
sum-reduced losses, the class and box losses (weighted by the 0/1 positive mask) are evaluated on the
positive priors only: upstream computes the 80-class BCE for every prior of the batch and multiplies all
but a few hundred rows by 0.

The network, the losses and their per-level log entries are upstream's; only the way the targets are
computed changes. ``tests/test_speed_heads.py`` checks losses and gradients against ``YOLOV3Head`` on
fixed batches. Select it in a config with ``model.bbox_head.type='mobilebench.FastYOLOV3Head'``.
Assigner/sampler combinations other than ``GridAssigner`` + ``PseudoSampler`` fall back to upstream.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmdet.models.dense_heads import YOLOV3Head
from mmdet.models.task_modules.assigners import GridAssigner
from mmdet.models.task_modules.samplers import PseudoSampler
from torch import Tensor

from mobilebench.registry import MODELS

from .batched_targets import batched_ious, grid_assign, pad_gt_instances, positives, split_levels


@MODELS.register_module()
class FastYOLOV3Head(YOLOV3Head):
    """``YOLOV3Head`` whose ``loss_by_feat`` builds the targets of the whole batch at once (same values)."""

    def _batched(self) -> bool:
        return type(self.assigner) is GridAssigner and type(self.sampler) is PseudoSampler

    def responsible_flags_batched(self, featmap_sizes: Sequence, gt_boxes: Tensor, gt_valid: Tensor) -> Tensor:
        """(B, A) bool: the priors whose grid cell holds the centre of one of the image's gts (upstream's
        ``responsible_flags``, all images at once)."""
        batch = gt_boxes.size(0)
        flags = []
        for level, (feat_h, feat_w) in enumerate(featmap_sizes):
            stride_x, stride_y = self.prior_generator.strides[level]
            cells = feat_h * feat_w
            centre_x = (gt_boxes[..., 0] + gt_boxes[..., 2]) * 0.5
            centre_y = (gt_boxes[..., 1] + gt_boxes[..., 3]) * 0.5
            cell = torch.floor(centre_y / stride_y).long() * feat_w + torch.floor(centre_x / stride_x).long()
            cell = torch.where(cell < 0, cell + cells, cell)  # negative index: Python-style, as upstream's
            cell = torch.where(gt_valid, cell, cells)  # padded gts write into a spare column
            grid = torch.zeros(batch, cells + 1, dtype=torch.bool, device=gt_boxes.device)
            grid.scatter_(1, cell, True)
            per_prior = grid[:, :cells, None].expand(batch, cells, self.prior_generator.num_base_priors[level])
            flags.append(per_prior.reshape(batch, -1))
        return torch.cat(flags, dim=1)

    def get_targets_batched(self, mlvl_priors: List[Tensor], featmap_sizes: Sequence,
                            batch_gt_instances: Sequence):
        """Target maps (B, A, 5 + num_classes) and negative masks (B, A) of the whole batch."""
        device = mlvl_priors[0].device
        priors = torch.cat(mlvl_priors)
        strides = torch.cat([torch.full((len(p), ), s, dtype=torch.long, device=device)
                             for p, s in zip(mlvl_priors, self.featmap_strides)])
        gt_boxes, gt_labels, gt_valid = pad_gt_instances(batch_gt_instances, device)
        responsible = self.responsible_flags_batched(featmap_sizes, gt_boxes, gt_valid)
        ious = batched_ious(self.assigner.iou_calculator, gt_boxes, priors, gt_valid)
        assigned = grid_assign(self.assigner, ious, gt_valid, responsible)

        batch, num_priors = assigned.shape
        target = priors.new_zeros(batch, num_priors, self.num_attrib)
        img, prior, gt = positives(assigned)
        if img.numel():
            target[img, prior, :4] = self.bbox_coder.encode(priors[prior], gt_boxes[img, gt], strides[prior])
            target[img, prior, 4] = 1
            one_hot = F.one_hot(gt_labels[img, gt], num_classes=self.num_classes).float()
            if self.one_hot_smoother != 0:
                one_hot = one_hot * (1 - self.one_hot_smoother) + self.one_hot_smoother / self.num_classes
            target[img, prior, 5:] = one_hot
        negative = (assigned == 0).to(target.dtype)
        return target, negative

    def loss_by_feat(self, pred_maps: Sequence[Tensor], batch_gt_instances, batch_img_metas: List[dict],
                     batch_gt_instances_ignore: Optional[list] = None) -> dict:
        if not self._batched():
            return super().loss_by_feat(pred_maps, batch_gt_instances, batch_img_metas, batch_gt_instances_ignore)
        featmap_sizes = [p.shape[-2:] for p in pred_maps]
        mlvl_priors = self.prior_generator.grid_priors(featmap_sizes, device=pred_maps[0].device)
        target, negative = self.get_targets_batched(mlvl_priors, featmap_sizes, batch_gt_instances)
        sizes = [len(p) for p in mlvl_priors]
        positives_only = self._sum_reduced()
        losses = dict(loss_cls=[], loss_conf=[], loss_xy=[], loss_wh=[])
        for pred, tgt, neg in zip(pred_maps, split_levels(target, sizes), split_levels(negative, sizes)):
            pred = pred.permute(0, 2, 3, 1).reshape(pred.size(0), -1, self.num_attrib)
            pos = tgt[..., 4]
            conf_weight = pos + neg  # disjoint sets: never above 1, no clamp (and no sync) needed
            losses['loss_conf'].append(self.loss_conf(pred[..., 4], tgt[..., 4], weight=conf_weight))
            if positives_only:
                # the class and box losses are weighted by the 0/1 positive mask and summed: only the
                # positive rows contribute (value and gradient), so only they are computed (upstream
                # evaluates the 80-class BCE on every prior of the batch and multiplies it by 0)
                rows = pos > 0
                pred, tgt = pred[rows], tgt[rows]
            pos = tgt[..., 4:5]
            losses['loss_cls'].append(self.loss_cls(pred[..., 5:], tgt[..., 5:], weight=pos))
            losses['loss_xy'].append(self.loss_xy(pred[..., :2], tgt[..., :2], weight=pos))
            losses['loss_wh'].append(self.loss_wh(pred[..., 2:4], tgt[..., 2:4], weight=pos))
        return {key: losses[key] for key in ('loss_cls', 'loss_conf', 'loss_xy', 'loss_wh')}

    def _sum_reduced(self) -> bool:
        """True when the class and box losses are plain sums (upstream YOLOv3): then rows of weight 0 add
        nothing and can be skipped. A 'mean' reduction would count them, so it keeps the full computation."""
        return all(getattr(loss, 'reduction', None) == 'sum' for loss in (self.loss_cls, self.loss_xy, self.loss_wh))
