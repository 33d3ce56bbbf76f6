"""``FastSSDHead``: mmdet 3.3.0 ``SSDHead`` with the training targets and the hard-negative-mined loss
computed for the whole batch at once.

Upstream assigns every image separately (``AnchorHead._get_targets_single``: ``MaxIoUAssigner`` with a
Python loop over the gts, ``PseudoSampler``, ``unmap``), then computes the loss image by image
(``SSDHead.loss_by_feat_single``: ``nonzero``, a data-dependent ``topk`` of the negatives, so several
host-device syncs per image). This head assigns the batch with :mod:`mobilebench.models.batched_targets`
and mines the negatives of all images with one descending sort: the loss of image ``i`` sums its positive
anchors and its ``k_i = min(neg_pos_ratio * num_pos_i, num_neg_i)`` largest negative losses, exactly
upstream's ``topk(k_i)``, and is divided by the same ``avg_factor`` (sum over images of max(num_pos, 1)).

``tests/test_speed_heads.py`` checks losses and gradients against ``SSDHead`` on fixed batches. Select it
with ``model.bbox_head.type='mobilebench.FastSSDHead'``. Configurations the batched path does not cover
(another assigner or sampler, ignored boxes with ``ignore_iof_thr > 0``, ``reg_decoded_bbox``, CPU
assignment above ``gpu_assign_thr``, repeated-gt permutation) fall back to upstream.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmdet.models.dense_heads import SSDHead
from mmdet.models.losses import smooth_l1_loss
from mmdet.models.task_modules.assigners import MaxIoUAssigner
from mmdet.models.task_modules.prior_generators import anchor_inside_flags
from mmdet.models.task_modules.samplers import PseudoSampler
from torch import Tensor

from mobilebench.compat import patch_ssd_head
from mobilebench.registry import MODELS

from .batched_targets import batched_ious, max_iou_assign, pad_gt_instances, positives

patch_ssd_head()


@MODELS.register_module()
class FastSSDHead(SSDHead):
    """``SSDHead`` whose ``loss_by_feat`` assigns and mines the whole batch at once (same losses)."""

    def _batched(self, batch_gt_instances_ignore) -> bool:
        assigner = self.assigner
        if type(assigner) is not MaxIoUAssigner or type(self.sampler) is not PseudoSampler:
            return False
        if self.reg_decoded_bbox or assigner.perm_repeat_gt_cfg is not None or assigner.gpu_assign_thr > 0:
            return False
        has_ignore = batch_gt_instances_ignore is not None and any(
            g is not None and len(g) > 0 for g in batch_gt_instances_ignore)
        return not (has_ignore and assigner.ignore_iof_thr > 0)

    def inside_flags_batched(self, flat_priors: Tensor, featmap_sizes: Sequence,
                             batch_img_metas: List[dict]) -> Tensor:
        """(B, A) bool: valid and (with ``allowed_border >= 0``) inside the image, as upstream per image;
        computed once per distinct (pad_shape, img_shape)."""
        cache: Dict[tuple, Tensor] = {}
        rows = []
        for meta in batch_img_metas:
            key = (tuple(meta['pad_shape'][:2]), tuple(meta['img_shape'][:2]))
            if key not in cache:
                valid = torch.cat(self.prior_generator.valid_flags(featmap_sizes, meta['pad_shape'],
                                                                   flat_priors.device))
                cache[key] = anchor_inside_flags(flat_priors, valid, meta['img_shape'][:2],
                                                 self.train_cfg['allowed_border'])
            rows.append(cache[key])
        inside = torch.stack(rows)
        return inside

    def get_targets_batched(self, flat_priors: Tensor, inside: Tensor, batch_gt_instances: Sequence):
        """labels, label_weights (B, A); bbox_targets, bbox_weights (B, A, 4); num_pos (B,)."""
        device = flat_priors.device
        gt_boxes, gt_labels, gt_valid = pad_gt_instances(batch_gt_instances, device)
        ious = batched_ious(self.assigner.iou_calculator, gt_boxes, flat_priors, gt_valid)
        assigned = max_iou_assign(self.assigner, ious, gt_valid, inside)

        batch, num_priors = assigned.shape
        labels = assigned.new_full((batch, num_priors), self.num_classes)
        label_weights = flat_priors.new_zeros(batch, num_priors)
        bbox_targets = flat_priors.new_zeros(batch, num_priors, self.bbox_coder.encode_size)
        bbox_weights = torch.zeros_like(bbox_targets)
        img, prior, gt = positives(assigned)
        if img.numel():
            bbox_targets[img, prior] = self.bbox_coder.encode(flat_priors[prior], gt_boxes[img, gt])
            bbox_weights[img, prior] = 1.0
            labels[img, prior] = gt_labels[img, gt]
            pos_weight = self.train_cfg['pos_weight']
            label_weights[img, prior] = 1.0 if pos_weight <= 0 else pos_weight
        label_weights[assigned == 0] = 1.0
        return labels, label_weights, bbox_targets, bbox_weights

    def loss_by_feat(self, cls_scores: List[Tensor], bbox_preds: List[Tensor], batch_gt_instances,
                     batch_img_metas: List[dict], batch_gt_instances_ignore: Optional[list] = None):
        if not self._batched(batch_gt_instances_ignore):
            return super().loss_by_feat(cls_scores, bbox_preds, batch_gt_instances, batch_img_metas,
                                        batch_gt_instances_ignore)
        featmap_sizes = [s.size()[-2:] for s in cls_scores]
        device = cls_scores[0].device
        flat_priors = torch.cat(self.prior_generator.grid_priors(featmap_sizes, device=device))
        inside = self.inside_flags_batched(flat_priors, featmap_sizes, batch_img_metas)
        if not bool(inside.any(dim=1).all()):
            raise ValueError('There is no valid anchor inside the image boundary of some image. Please check the '
                             'image size and anchor sizes, or set ``allowed_border`` to -1 to skip the condition.')
        labels, label_weights, bbox_targets, bbox_weights = self.get_targets_batched(
            flat_priors, inside, batch_gt_instances)

        batch = len(batch_img_metas)
        scores = torch.cat([s.permute(0, 2, 3, 1).reshape(batch, -1, self.cls_out_channels) for s in cls_scores], 1)
        deltas = torch.cat([b.permute(0, 2, 3, 1).reshape(batch, -1, 4) for b in bbox_preds], 1)

        cls_loss = F.cross_entropy(scores.flatten(0, 1), labels.flatten(), reduction='none').view_as(labels)
        cls_loss = cls_loss * label_weights
        is_pos = labels < self.num_classes  # labels are in [0, num_classes]
        is_neg = ~is_pos
        num_pos = is_pos.sum(dim=1)
        num_neg = torch.minimum(self.train_cfg['neg_pos_ratio'] * num_pos, is_neg.sum(dim=1))
        # hard negative mining: the num_neg largest negative losses of each image (upstream's topk)
        neg_sorted, _ = cls_loss.masked_fill(is_pos, float('-inf')).sort(dim=1, descending=True)
        rank = torch.arange(neg_sorted.size(1), device=device)[None]
        neg_sum = torch.where(rank < num_neg[:, None], neg_sorted, neg_sorted.new_zeros(())).sum(dim=1)
        pos_sum = torch.where(is_pos, cls_loss, cls_loss.new_zeros(())).sum(dim=1)
        avg_factor = num_pos.clamp(min=1).sum()
        loss_cls = (pos_sum + neg_sum) / avg_factor

        bbox_loss = smooth_l1_loss(deltas, bbox_targets, bbox_weights, beta=self.train_cfg['smoothl1_beta'],
                                   reduction='none')
        eps = torch.finfo(torch.float32).eps
        loss_bbox = bbox_loss.flatten(1).sum(dim=1) / (avg_factor + eps)
        # upstream's shapes: one (1,) classification and one () box loss per image
        return dict(loss_cls=list(loss_cls[:, None].unbind()), loss_bbox=list(loss_bbox.unbind()))
