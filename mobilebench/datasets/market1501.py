"""Market-1501 read directly from its official folder layout (``mobilebench.Market1501Dataset``).

Layout (the official ``Market-1501-v15.09.15`` release, unchanged)::

    <data_root>/bounding_box_train/   12,936 images of 751 identities   (split 'train')
    <data_root>/query/                 3,368 images of 750 identities   (split 'query')
    <data_root>/bounding_box_test/    19,732 images                     (split 'gallery')

File names are ``PPPP_cXsY_FFFFFF_NN.jpg``: identity ``PPPP`` (four digits; ``-1`` for junk), camera ``X``,
sequence ``Y``, frame ``FFFFFF`` and the box index ``NN`` in that frame, e.g. ``0002_c1s1_000451_03.jpg``.
Identity ``0000`` marks distractors (false-alarm detections) and ``-1`` junk boxes; in the official
gallery 2,793 images are distractors and 3,819 junk, and the 15,913 others are the "15,913 gallery images"
papers count (junk removed, distractors kept).

What each split holds:

- ``'train'``: the identities of ``bounding_box_train`` relabelled ``0..N-1`` in increasing identity order
  (``gt_label``); junk and distractor boxes are excluded (the real train folder has none);
- ``'query'`` / ``'gallery'`` / ``'test'`` (= query followed by gallery, one pass for evaluation): every
  image, with ``gt_label`` = the raw identity. Junk and distractors stay in the gallery:
  :class:`mobilebench.reid.Market1501Metric` ignores junk and keeps distractors as negatives, as the
  official evaluation does. A query must be a real identity (> 0).

Each data info carries ``pid``, ``camid``, ``split`` (``'query'`` / ``'gallery'`` / ``'train'``), ``seq`` and
``frame``; pack them with ``dict(type='PackReIDInputs', meta_keys=('pid', 'camid', 'split'))``.
Files that are not ``.jpg`` (the release ships ``Thumbs.db`` files) are not images and are left out; a
``.jpg`` whose name does not follow the pattern raises ``ValueError`` naming the file.
"""
from __future__ import annotations

import os
import os.path as osp
import re
from typing import List, Optional

import numpy as np
from mmdet.datasets import ReIDDataset
from mmengine.logging import MMLogger

from mobilebench.registry import DATASETS

from ._checks import check_data_root

#: ``PPPP_cXsY_FFFFFF_NN.jpg`` (identity -1 = junk, 0000 = distractor)
NAME_PATTERN = re.compile(r'^(?P<pid>-1|\d{4})_c(?P<cam>\d)s(?P<seq>\d)_(?P<frame>\d{6})_(?P<box>\d{2})\.jpg$')
NAME_HELP = ("PPPP_cXsY_FFFFFF_NN.jpg (identity PPPP: four digits or -1, camera X >= 1, sequence Y, "
             "six-digit frame, two-digit box index), e.g. 0002_c1s1_000451_03.jpg")
FOLDERS = {'train': 'bounding_box_train', 'query': 'query', 'gallery': 'bounding_box_test'}
SPLITS = ('train', 'query', 'gallery', 'test')


def parse_market1501_name(path: str) -> dict:
    """``pid``, ``camid``, ``seq``, ``frame`` of a Market-1501 file name; ``ValueError`` naming the file if the
    name does not follow ``PPPP_cXsY_FFFFFF_NN.jpg``."""
    name = osp.basename(path)
    m = NAME_PATTERN.match(name)
    if m is None or int(m.group('cam')) < 1:
        raise ValueError(f'Market-1501: malformed file name {path!r}; expected {NAME_HELP}. Rename or remove '
                         f'the file (only the official release layout is read).')
    return dict(pid=int(m.group('pid')), camid=int(m.group('cam')), seq=int(m.group('seq')),
                frame=int(m.group('frame')))


@DATASETS.register_module()
class Market1501Dataset(ReIDDataset):
    """Market-1501 (or any set in its layout) for mmdet's re-ID pipeline.

    A subclass of mmdet's :class:`~mmdet.datasets.ReIDDataset` (so ``triplet_sampler`` works as upstream) that
    lists the official folders instead of reading an annotation file.

    Args:
        data_root: the folder holding ``bounding_box_train/``, ``query/`` and ``bounding_box_test/``.
        split: ``'train'``, ``'query'``, ``'gallery'`` or ``'test'`` (query then gallery).
        triplet_sampler: as mmdet's ``ReIDDataset`` (``dict(num_ids=8, ins_per_id=4)``); ``None`` for
            plain identity classification.
        **kwargs: the other :class:`mmengine.dataset.BaseDataset` arguments (``pipeline``, ``test_mode``,
            ``indices``, ...).
    """

    METAINFO = dict(dataset='Market-1501')

    def __init__(self, data_root: str = '', split: str = 'train', triplet_sampler: Optional[dict] = None,
                 **kwargs):
        if split not in SPLITS:
            raise ValueError(f'Market1501Dataset: split must be one of {SPLITS}, got {split!r}')
        check_data_root(data_root, type(self).__name__,
                        "'<data_root>/bounding_box_train/0002_c1s1_000451_03.jpg', '<data_root>/query/*.jpg' and "
                        "'<data_root>/bounding_box_test/*.jpg' (the official Market-1501 release)")
        self.split = split
        kwargs.setdefault('ann_file', '')
        super().__init__(triplet_sampler=triplet_sampler, data_root=data_root, **kwargs)

    def _folder(self, split: str) -> str:
        folder = osp.join(self.data_root, FOLDERS[split])
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'Market1501Dataset: folder {folder!r} (split {split!r}) does not exist. data_root must hold the '
                f'official folders bounding_box_train/, query/ and bounding_box_test/; fix data_root '
                f'(`--cfg-options data_root=/path/to/Market-1501-v15.09.15/`).')
        return folder

    def _read_folder(self, split: str) -> List[dict]:
        folder = self._folder(split)
        infos = []
        for name in sorted(os.listdir(folder)):
            path = osp.join(folder, name)
            if not name.lower().endswith('.jpg') or not osp.isfile(path):
                continue  # Thumbs.db and the like: not part of the data
            info = parse_market1501_name(path)
            info.update(img_path=path, split=split)
            infos.append(info)
        if not infos:
            raise FileNotFoundError(f'Market1501Dataset: no .jpg images in {folder!r} (split {split!r})')
        return infos

    def load_data_list(self) -> List[dict]:
        logger = MMLogger.get_current_instance()
        if self.split == 'train':
            infos = self._read_folder('train')
            kept = [i for i in infos if i['pid'] > 0]
            if len(kept) < len(infos):
                logger.info(f'Market1501Dataset: {len(infos) - len(kept)} junk (-1) / distractor (0000) images '
                            f'of bounding_box_train are not training samples')
            if not kept:
                raise ValueError(f'Market1501Dataset: {self._folder("train")!r} has no image of a real identity '
                                 f'(all are junk -1 or distractors 0000)')
            pid2label = {pid: label for label, pid in enumerate(sorted({i['pid'] for i in kept}))}
            for info in kept:
                info['gt_label'] = np.array(pid2label[info['pid']], dtype=np.int64)
            self._metainfo.update(num_classes=len(pid2label))
            data_list = kept
        else:
            splits = ('query', 'gallery') if self.split == 'test' else (self.split, )
            data_list = []
            for split in splits:
                infos = self._read_folder(split)
                if split == 'query':
                    bad = [i['img_path'] for i in infos if i['pid'] <= 0]
                    if bad:
                        raise ValueError(f'Market1501Dataset: query images must show a real identity, but {bad[0]!r}'
                                         f' (and {len(bad) - 1} more) is junk (-1) or a distractor (0000); remove '
                                         f'them from query/')
                else:
                    n_junk = sum(i['pid'] == -1 for i in infos)
                    n_dis = sum(i['pid'] == 0 for i in infos)
                    logger.info(f'Market1501Dataset: gallery {len(infos)} images ({n_junk} junk, ignored by the '
                                f'metric; {n_dis} distractors, kept as negatives)')
                for info in infos:
                    info['gt_label'] = np.array(info['pid'], dtype=np.int64)
                data_list += infos
        for info in data_list:
            info['img_prefix'] = self.data_prefix
        self._parse_ann_info(data_list)
        return data_list
