"""COCO keypoints for top-down pose estimation, with input validation (mmpose ``CocoDataset``).

mmpose's ``CocoDataset`` reshapes ``keypoints`` with ``reshape(1, -1, 3)`` and carries on: an annotation
with a wrong number of values either raises a bare numpy error or silently yields the wrong number
of joints, and a missing dataset root ends in an ``AssertionError`` on the annotation file. This
subclass keeps mmpose's behaviour for valid data and turns bad input into errors naming the file,
the annotation id and the fix.
"""
from __future__ import annotations

import json
import os.path as osp
from typing import Optional

from mmpose.datasets.datasets.body.coco_dataset import CocoDataset

from mobilebench.registry import DATASETS

from ._checks import check_coco_dict, check_data_root, check_file, load_json_file


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
      otherwise ``ValueError`` names the annotation id, the image id and the file;
    - ``ann_file`` and ``bbox_file`` are read as JSON only: a ``bbox_file`` of another extension
      (``.pkl``: mmengine would unpickle it, i.e. run code from it) is refused before anything is read;
      a non-UTF-8, truncated or empty file raises ``ValueError`` naming the file, the position and
      the fix, not a bare ``UnicodeDecodeError`` / ``JSONDecodeError``;
    - duplicated image or annotation ids, and annotations whose ``image_id`` is not an image, are
      errors (the COCO API would silently pair annotations with the wrong image or drop them);
    - every detection of ``bbox_file`` needs ``image_id`` (an image of ``ann_file``), ``category_id``,
      a 4-number ``bbox`` and ``score``.

    Args:
        data_root: dataset root (``data_root`` config variable).
        ann_file: COCO ``person_keypoints_*.json``, relative to ``data_root``.
        bbox_file: optional COCO-results JSON (``.json``) of person detections (test mode only),
            relative to ``data_root`` unless absolute. ``None`` evaluates on ground-truth boxes.
        **kwargs: the other arguments of mmpose's ``CocoDataset``.
    """

    def __init__(self, ann_file: str = '', bbox_file: Optional[str] = None, data_root: Optional[str] = None,
                 **kwargs):
        check_data_root(data_root, type(self).__name__,
                        "'<data_root>/annotations/person_keypoints_val2017.json' and '<data_root>/val2017/*.jpg'")
        if bbox_file and data_root and not osp.isabs(bbox_file):
            bbox_file = osp.join(data_root, bbox_file)
        check_file(bbox_file, 'bbox_file', type(self).__name__)
        if bbox_file and not bbox_file.lower().endswith('.json'):
            raise ValueError(
                f'{type(self).__name__}: bbox_file {bbox_file!r} is not a .json file. Person detections must be a '
                f'COCO-results JSON list ([{{"image_id", "category_id", "bbox": [x, y, w, h], "score"}}, ...]); '
                f'other formats are not read (mmengine would unpickle a .pkl, which can run code). Convert the '
                f'detections to JSON, e.g. with mmdet\'s tools/test.py --out ... + CocoMetric(format_only=True).')
        full_ann = osp.join(data_root, ann_file) if data_root and ann_file and not osp.isabs(ann_file) else ann_file
        check_file(full_ann, 'ann_file', type(self).__name__)
        super().__init__(ann_file=ann_file, bbox_file=bbox_file, data_root=data_root, **kwargs)

    def _load_annotations(self):
        """mmpose's loader, with clear errors for unreadable JSON and a check of the COCO ids."""
        name = type(self).__name__
        try:
            result = super()._load_annotations()
        except (UnicodeDecodeError, json.JSONDecodeError):
            load_json_file(self.ann_file, name, 'a COCO person_keypoints JSON')  # raises the clear error
            raise
        check_coco_dict(self.coco.dataset, self.ann_file, name)
        return result

    def _load_detection_results(self):
        """mmpose's loader, after checking that ``bbox_file`` is a COCO-results JSON whose images exist."""
        name = type(self).__name__
        dets = load_json_file(self.bbox_file, name, 'a COCO-results JSON list of person detections')
        if not isinstance(dets, list):
            raise ValueError(f'{name}: bbox_file {self.bbox_file!r} holds a JSON {type(dets).__name__}; it must be a '
                             f'list of detections {{"image_id", "category_id", "bbox": [x, y, w, h], "score"}}.')
        for k, det in enumerate(dets):
            bbox = det.get('bbox') if isinstance(det, dict) else None
            lacks = [key for key in ('image_id', 'category_id', 'bbox', 'score')
                     if not isinstance(det, dict) or key not in det]
            if lacks or not isinstance(bbox, list) or len(bbox) < 4 or \
                    not all(isinstance(v, (int, float)) for v in bbox[:4]):
                raise ValueError(f'{name}: bbox_file {self.bbox_file!r}: detection #{k} ({str(det)[:100]}) '
                                 f'{"lacks " + str(lacks) if lacks else "has no 4-number bbox [x, y, w, h]"}; '
                                 f'every detection needs "image_id", "category_id", "bbox" and "score".')
        try:
            result = super()._load_detection_results()
        except (UnicodeDecodeError, json.JSONDecodeError):
            load_json_file(self.ann_file, name, 'a COCO person_keypoints JSON')
            raise
        except KeyError as exc:
            unknown = sorted({d['image_id'] for d in dets} - set(self.coco.getImgIds()), key=str)
            if not unknown:
                raise
            raise ValueError(f'{name}: bbox_file {self.bbox_file!r} has detections for {len(unknown)} image ids '
                             f'that are not in ann_file {self.ann_file!r} (first: {unknown[:5]}); the detections '
                             f'belong to another split. Use the bbox_file made for this ann_file.') from exc
        check_coco_dict(self.coco.dataset, self.ann_file, name, require_annotations=False)
        return result

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
