"""Data transforms of the face pipeline: decode to RGB, pack for the model.

Random horizontal flip uses mmcv's ``RandomFlip``; normalisation ``(x - 127.5) / 127.5`` (insightface's
``Normalize(0.5, 0.5)`` on ``[0, 1]`` images) is done by the model's ``ImgDataPreprocessor``.
"""
from __future__ import annotations

from typing import Sequence, Tuple

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from ..registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadFaceImage(BaseTransform):
    """Decode an aligned face from ``results['img_bytes']`` (RecordIO, ``.bin``) or
    ``results['img_path']`` into an RGB uint8 ``results['img']`` (mxnet's ``imdecode`` is RGB).

    Args:
        image_size: expected (height, width); a different size raises an error unless ``resize``.
        resize: resize faces of another size to ``image_size`` instead of failing.
    """

    def __init__(self, image_size: Tuple[int, int] = (112, 112), resize: bool = False):
        self.image_size = tuple(image_size)
        self.resize = resize

    def transform(self, results: dict) -> dict:
        source = results.get('img_path') or results.get('source', '<bytes>')
        if results.get('img_bytes') is not None:
            data = results['img_bytes']
        elif results.get('img_path'):
            with open(results['img_path'], 'rb') as f:
                data = f.read()
        else:
            raise KeyError('LoadFaceImage needs results["img_bytes"] or results["img_path"]')
        # cv2.imdecode asserts on empty input without naming anything: check first
        img = mmcv.imfrombytes(data, flag='color', channel_order='rgb') if len(data) else None
        if img is None:
            raise ValueError(f'{source}: cannot decode the face image ('
                             f'{"empty, 0 bytes" if not len(data) else f"{len(data)} bytes, not a JPEG/PNG"}); the '
                             f'data set file is damaged: re-download it or re-pack it (tools/data/pack_face_recordio.py)')
        if img.shape[:2] != self.image_size:
            if not self.resize:
                raise ValueError(f'{source}: face image is {img.shape[1]}x{img.shape[0]}, expected aligned '
                                 f'{self.image_size[1]}x{self.image_size[0]}; align it with '
                                 f'mobilebench.face.align.align_face or set LoadFaceImage(resize=True)')
            img = mmcv.imresize(img, self.image_size[::-1])
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results.pop('img_bytes', None)
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(image_size={self.image_size}, resize={self.resize})'


@TRANSFORMS.register_module()
class PackFaceInputs(BaseTransform):
    """Pack ``img`` as a CHW uint8 tensor and ``gt_label`` + meta keys into a ``BaseDataElement``.

    Args:
        meta_keys: keys copied into the data sample's metainfo when present.
    """

    def __init__(self, meta_keys: Sequence[str] = ('sample_idx', 'img_path', 'bin_name', 'issame', 'pair_index',
                                                   'pair_pos', 'flip')):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = np.ascontiguousarray(results['img'].transpose(2, 0, 1))
        sample = BaseDataElement(metainfo={k: results[k] for k in self.meta_keys if k in results})
        if 'gt_label' in results:
            sample.gt_label = torch.as_tensor(int(results['gt_label']), dtype=torch.long)
        return dict(inputs=torch.from_numpy(img), data_samples=sample)
