"""Batched (whole-batch, no per-image Python loop) versions of the target assignment that mmdet 3.3.0 runs
image by image in ``YOLOV3Head`` (``GridAssigner``) and ``SSDHead`` (``MaxIoUAssigner``), both followed by
``PseudoSampler``.

The ground truths of a batch are padded to the largest count (``pad_gt_instances``); padded rows get an
IoU of -1 with every prior, below every real IoU (>= 0), so they never win a ``max`` and never pass a
threshold. Every rule of the upstream assigners is applied with the same comparisons, in the same order,
on the same IoU values (mmdet's own ``bbox_overlaps``, which broadcasts over a batch dimension), so the
assignment is the same, prior by prior. Where upstream loops over the ground truths of one image and a
later gt overwrites an earlier one on a shared prior, the batched form takes the largest gt index that
claims the prior, which is the same winner.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import torch
from torch import Tensor


def pad_gt_instances(batch_gt_instances: Sequence, device) -> Tuple[Tensor, Tensor, Tensor]:
    """Stack per-image ``bboxes`` (n_i, 4) and ``labels`` (n_i,) into (B, G, 4), (B, G) and a (B, G) mask of
    real rows, G = max n_i (0 when the batch has no box at all)."""
    num = [len(g.bboxes) for g in batch_gt_instances]
    batch, width = len(num), max(num, default=0)
    boxes = torch.zeros(batch, width, 4, device=device)
    labels = torch.zeros(batch, width, dtype=torch.long, device=device)
    valid = torch.zeros(batch, width, dtype=torch.bool, device=device)
    for i, gt in enumerate(batch_gt_instances):
        n = num[i]
        if n:
            bboxes = gt.bboxes
            bboxes = getattr(bboxes, 'tensor', bboxes)  # mmdet BaseBoxes or a plain tensor
            boxes[i, :n] = bboxes.to(device=device, dtype=boxes.dtype)
            labels[i, :n] = gt.labels.to(device)
            valid[i, :n] = True
    return boxes, labels, valid


def batched_ious(iou_calculator, gt_boxes: Tensor, priors: Tensor, gt_valid: Tensor) -> Tensor:
    """(B, G, A) IoUs of every gt with every prior, -1 on padded gt rows."""
    batch = gt_boxes.size(0)
    ious = iou_calculator(gt_boxes, priors[None].expand(batch, -1, -1))
    return ious.masked_fill(~gt_valid[..., None], -1.)


def _last_claiming_gt(claims: Tensor) -> Tensor:
    """``claims`` (B, G, A) bool: for each prior the largest gt index (1-based) that claims it, 0 if none.
    This is the gt that a sequential ``for i in range(num_gts)`` loop writes last."""
    order = torch.arange(1, claims.size(1) + 1, device=claims.device)[None, :, None]
    return (claims.long() * order).amax(dim=1)


def grid_assign(assigner, ious: Tensor, gt_valid: Tensor, responsible: Tensor) -> Tensor:
    """mmdet ``GridAssigner.assign`` for a whole batch.

    Args:
        assigner: the head's ``GridAssigner`` (its thresholds and ``gt_max_assign_all`` are read).
        ious: (B, G, A) from :func:`batched_ious`.
        gt_valid: (B, G) real-gt mask.
        responsible: (B, A) bool, the responsible-cell flags of each image.

    Returns:
        (B, A) long: -1 ignored, 0 negative, k > 0 assigned to gt k-1.
    """
    batch, num_gts, num_priors = ious.shape
    assigned = ious.new_full((batch, num_priors), -1, dtype=torch.long)
    has_gt = gt_valid.any(dim=1)
    if num_gts == 0:
        return assigned.zero_()
    max_ov, _ = ious.max(dim=1)
    neg_thr = assigner.neg_iou_thr
    if isinstance(neg_thr, float):
        assigned[(max_ov >= 0) & (max_ov <= neg_thr)] = 0
    elif isinstance(neg_thr, (tuple, list)):
        assigned[(max_ov > neg_thr[0]) & (max_ov <= neg_thr[1])] = 0
    ious = ious.masked_fill(~responsible[:, None, :], -1.)
    max_ov, argmax_ov = ious.max(dim=1)
    gt_max, gt_argmax = ious.max(dim=2)
    pos = (max_ov > assigner.pos_iou_thr) & responsible
    assigned = torch.where(pos, argmax_ov + 1, assigned)
    keep = gt_valid & (gt_max > assigner.min_pos_iou)
    if assigner.gt_max_assign_all:
        claims = (ious == gt_max[..., None]) & responsible[:, None, :] & keep[..., None]
    else:
        claims = torch.zeros_like(ious, dtype=torch.bool)
        keep = keep & responsible.gather(1, gt_argmax)
        claims.scatter_(2, gt_argmax[..., None], keep[..., None])
    winner = _last_claiming_gt(claims)
    assigned = torch.where(winner > 0, winner, assigned)
    # an image without gts: everything negative (upstream's early return)
    return torch.where(has_gt[:, None], assigned, torch.zeros_like(assigned))


def max_iou_assign(assigner, ious: Tensor, gt_valid: Tensor, inside: Tensor) -> Tensor:
    """mmdet ``MaxIoUAssigner.assign`` (no ignored boxes) for a whole batch, on the priors marked ``inside``
    (B, A) only, as ``AnchorHead._get_targets_single`` assigns ``flat_anchors[inside_flags]``; priors
    outside stay -1 (ignored, upstream's ``unmap``).

    Returns:
        (B, A) long: -1 ignored, 0 negative, k > 0 assigned to gt k-1.
    """
    batch, num_gts, num_priors = ious.shape
    assigned = ious.new_full((batch, num_priors), -1, dtype=torch.long)
    if num_gts == 0:
        return torch.where(inside, 0, assigned)
    has_gt = gt_valid.any(dim=1)
    ious = ious.masked_fill(~inside[:, None, :], -1.)
    max_ov, argmax_ov = ious.max(dim=1)
    gt_max, gt_argmax = ious.max(dim=2)
    neg_thr = assigner.neg_iou_thr
    if isinstance(neg_thr, float):
        assigned[(max_ov >= 0) & (max_ov < neg_thr)] = 0
    elif isinstance(neg_thr, tuple):
        assigned[(max_ov >= neg_thr[0]) & (max_ov < neg_thr[1])] = 0
    pos = max_ov >= assigner.pos_iou_thr
    assigned = torch.where(pos, argmax_ov + 1, assigned)
    if assigner.match_low_quality:
        keep = gt_valid & (gt_max >= assigner.min_pos_iou)
        if assigner.gt_max_assign_all:
            claims = (ious == gt_max[..., None]) & keep[..., None] & inside[:, None, :]
        else:
            claims = torch.zeros_like(ious, dtype=torch.bool)
            keep = keep & inside.gather(1, gt_argmax)
            claims.scatter_(2, gt_argmax[..., None], keep[..., None])
        winner = _last_claiming_gt(claims)
        assigned = torch.where(winner > 0, winner, assigned)
    no_gt = torch.where(inside, 0, -1)
    return torch.where(has_gt[:, None], assigned, no_gt)


def positives(assigned: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """(image index, prior index, gt index) of every positive prior, in the order PseudoSampler lists them
    (ascending prior index within each image)."""
    img, prior = torch.nonzero(assigned > 0, as_tuple=True)
    return img, prior, assigned[img, prior] - 1


def split_levels(t: Tensor, num_level_priors: List[int]) -> List[Tensor]:
    """(B, A, ...) -> one (B, A_l, ...) per level (mmdet's ``images_to_levels`` for batched targets)."""
    return list(t.split(num_level_priors, dim=1))
