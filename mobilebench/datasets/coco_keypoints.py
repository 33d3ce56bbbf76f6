"""COCO keypoints for top-down pose estimation, with input validation (mmpose ``CocoDataset``).

mmpose's ``CocoDataset`` reshapes ``keypoints`` with ``reshape(1, -1, 3)`` and carries on: an annotation
with a wrong number of values either raises a bare numpy error or silently yields the wrong number
of joints, and a missing dataset root ends in an ``AssertionError`` on the annotation file. This
subclass keeps mmpose's behaviour for valid data and turns bad input into errors naming the file,
the annotation id and the fix.
"""
from __future__ import annotations

import os.path as osp
from typing import Optional

from mmpose.datasets.datasets.body.coco_dataset import CocoDataset

from mobilebench.registry import DATASETS

from ._checks import check_data_root, check_file


@DATASETS.register_module()
class CocoKeypointDataset(CocoDataset):
    """mmpose's COCO keypoint dataset with validated paths and annotations.

    Use it as ``type='mobilebench.CocoKeypointDataset'`` from an mmpose config; all arguments are those
    of :class:`mmpose.datasets.CocoDataset`.

    Differences:

    - a missing ``data_root``, ``ann_file`` or ``bbox_file`` raises ``FileNotFoundError`` naming the
      config key to fix;
    - a relative ``bbox_file`` is resolved under ``data_root`` like ``ann_file``;
    - every annotation's ``keypoints`` must hold ``3 * num_keypoints`` numbers (x, y, visibility),
      otherwise ``ValueError`` names the annotation id, the image id and the file.

    Args:
        data_root: dataset root (``data_root`` config variable).
        ann_file: COCO ``person_keypoints_*.json``, relative to ``data_root``.
        bbox_file: optional COCO-results JSON of person detections (test mode only), relative to
            ``data_root`` unless absolute. ``None`` evaluates on ground-truth boxes.
        **kwargs: the other arguments of mmpose's ``CocoDataset``.
    """

    def __init__(self, ann_file: str = '', bbox_file: Optional[str] = None, data_root: Optional[str] = None,
                 **kwargs):
        check_data_root(data_root, type(self).__name__,
                        "'<data_root>/annotations/person_keypoints_val2017.json' and '<data_root>/val2017/*.jpg'")
        if bbox_file and data_root and not osp.isabs(bbox_file):
            bbox_file = osp.join(data_root, bbox_file)
        check_file(bbox_file, 'bbox_file', type(self).__name__)
        full_ann = osp.join(data_root, ann_file) if data_root and ann_file and not osp.isabs(ann_file) else ann_file
        check_file(full_ann, 'ann_file', type(self).__name__)
        super().__init__(ann_file=ann_file, bbox_file=bbox_file, data_root=data_root, **kwargs)

    def parse_data_info(self, raw_data_info: dict) -> Optional[dict]:
        ann = raw_data_info['raw_ann_info']
        if 'keypoints' in ann:
            expected = 3 * int(self.metainfo['num_keypoints'])
            kpts = ann['keypoints']
            count = len(kpts) if isinstance(kpts, (list, tuple)) else -1
            if count != expected:
                raise ValueError(
                    f'{self.ann_file}: annotation id {ann.get("id")} (image_id {ann.get("image_id")}) has '
                    f'{count if count >= 0 else type(kpts).__name__} keypoint values, expected {expected} '
                    f'({self.metainfo["num_keypoints"]} keypoints x (x, y, visibility)). Fix or remove this '
                    f'annotation; unlabelled joints are written as 0, 0, 0.')
            n = ann.get('num_keypoints')
            if n is not None and not 0 <= int(n) <= int(self.metainfo['num_keypoints']):
                raise ValueError(f'{self.ann_file}: annotation id {ann.get("id")} has num_keypoints={n}, '
                                 f'expected 0..{self.metainfo["num_keypoints"]}')
        return super().parse_data_info(raw_data_info)
