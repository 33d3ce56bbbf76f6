"""Face data sets: insightface RecordIO and image-folder training sets, ``.bin`` verification pairs."""
from __future__ import annotations

import os
import os.path as osp
from typing import List, Optional

from mmengine.dataset import BaseDataset

from ..registry import DATASETS
from .bin_format import load_bin
from .recordio import RecordIOReader, image_keys, read_property

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')


@DATASETS.register_module()
class FaceRecordIODataset(BaseDataset):
    """insightface's ``train.rec`` / ``train.idx`` (MS1M, Glint360K, WebFace...), read without mxnet.

    Image keys follow insightface's ``MXFaceDataset`` (a header record 0 with ``flag > 0`` gives the
    image range; otherwise all keys). Records are read lazily in ``get_data_info``.

    Args:
        data_root: folder with ``train.rec``, ``train.idx`` and (optionally) ``property``.
        rec_file: name of the ``.rec`` file inside ``data_root``.
        pipeline: transforms (``LoadFaceImage``, ``RandomFlip``, ``PackFaceInputs``).
        **kwargs: other ``BaseDataset`` arguments.
    """

    def __init__(self, data_root: str, rec_file: str = 'train.rec', pipeline=(), **kwargs):
        self.rec_file = rec_file
        self._reader: Optional[RecordIOReader] = None
        super().__init__(data_root=data_root, pipeline=list(pipeline), **kwargs)

    @property
    def reader(self) -> RecordIOReader:
        if self._reader is None:
            self._reader = RecordIOReader(osp.join(self.data_root, self.rec_file))
        return self._reader

    def load_data_list(self) -> List[dict]:
        rec = osp.join(self.data_root, self.rec_file)
        if not osp.isfile(rec):
            raise FileNotFoundError(f'{rec} not found: FaceRecordIODataset needs insightface\'s train.rec/train.idx '
                                    f'in data_root (or pack an image folder with tools/data/pack_face_recordio.py)')
        prop = osp.join(self.data_root, 'property')
        if osp.isfile(prop):
            num_classes, h, w = read_property(prop)
            self._metainfo.update(num_classes=num_classes, image_size=(h, w))
        return [dict(key=k) for k in image_keys(self.reader)]

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        header, img = self.reader.read_image_record(info['key'])
        label = header.label
        info['gt_label'] = int(label if header.flag == 0 else label[0])
        info['img_bytes'] = img
        info['source'] = f'{self.reader.rec_path} key {info["key"]}'
        return info


@DATASETS.register_module()
class FaceImageFolderDataset(BaseDataset):
    """Image-folder layout: ``data_root/<identity>/<image>``; labels are the sorted folder indices.

    Args:
        data_root: the root folder.
        pipeline: transforms.
        **kwargs: other ``BaseDataset`` arguments.
    """

    def __init__(self, data_root: str, pipeline=(), **kwargs):
        super().__init__(data_root=data_root, pipeline=list(pipeline), **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isdir(self.data_root):
            raise FileNotFoundError(f'FaceImageFolderDataset: data_root {self.data_root} is not a folder')
        classes = sorted(d for d in os.listdir(self.data_root) if osp.isdir(osp.join(self.data_root, d)))
        data = []
        for label, name in enumerate(classes):
            folder = osp.join(self.data_root, name)
            for fname in sorted(os.listdir(folder)):
                if fname.lower().endswith(IMG_EXTENSIONS):
                    data.append(dict(img_path=osp.join(folder, fname), gt_label=label))
        if not data:
            raise ValueError(f'FaceImageFolderDataset: no images under {self.data_root}/<identity>/ '
                             f'(extensions {IMG_EXTENSIONS})')
        self._metainfo.update(classes=tuple(classes), num_classes=len(classes))
        return data


@DATASETS.register_module()
class FaceVerificationBin(BaseDataset):
    """One insightface verification ``.bin`` (lfw, cfp_fp, agedb_30, calfw, cplfw, vgg2_fp, ...).

    Each item is one image; its metainfo carries ``bin_name``, ``pair_index`` and ``issame`` so
    that :class:`FaceVerificationMetric` can rebuild the pairs (also inside a ``ConcatDataset`` of
    several files). The pickle is loaded with a restricted unpickler.

    Args:
        ann_file: the ``.bin`` path (relative to ``data_root`` if given).
        name: name used in the metric keys; default: the file name without ``.bin``.
        pipeline: transforms.
        **kwargs: other ``BaseDataset`` arguments.
    """

    def __init__(self, ann_file: str, name: Optional[str] = None, pipeline=(), **kwargs):
        self.name = name or osp.splitext(osp.basename(ann_file))[0]
        super().__init__(ann_file=ann_file, pipeline=list(pipeline), test_mode=True, **kwargs)

    def load_data_list(self) -> List[dict]:
        images, issame = load_bin(self.ann_file)
        # no per-file metainfo: ConcatDataset of several .bin files requires identical metainfo
        return [dict(img_bytes=img, bin_name=self.name, pair_index=i // 2, pair_pos=i % 2, issame=issame[i // 2],
                     source=f'{self.ann_file}[{i}]') for i, img in enumerate(images)]
