"""ImageNet as users have it, checked before mmpretrain reads it.

Two layouts (the ones mmpretrain's ``ImageNet`` reads), under ``data_root``::

    imagenet/                                   imagenet/
      train/n01440764/n01440764_10026.JPEG        train/...            (any folders)
      train/n01443537/...                         val/ILSVRC2012_val_00000001.JPEG ...
      val/n01440764/ILSVRC2012_val_00000293.JPEG  meta/train.txt       '<path under train/> <label>'
      val/...                                     meta/val.txt         '<path under val/> <label>'

Class folders are the WordNet ids (``n01440764``); their sorted order is the label order, so ``val/`` must
hold the same class folders as ``train/`` (the ILSVRC2012 validation images arrive flat: sort them into
``val/<wnid>/`` with the devkit's ``valprep.sh``, or use ``meta/val.txt``). An annotation file wins over
folders, as in mmpretrain.

:class:`ImageNetFolder` runs :func:`check_imagenet_layout` and then is mmpretrain's ``ImageNet``. Every
problem is a ``FileNotFoundError`` / ``ValueError`` that names the folder or file and the fix; mmpretrain
itself only warns about an empty class folder (and then silently shifts no labels but trains on nothing).
"""
from __future__ import annotations

import os
import os.path as osp
from typing import List, Optional, Union

from mmpretrain.datasets import ImageNet

from mobilebench.registry import DATASETS

__all__ = ['ImageNetFolder', 'check_imagenet_layout']

IMG_EXTENSIONS = tuple(ImageNet.IMG_EXTENSIONS)
IMAGENET_NUM_CLASSES = 1000
_LAYOUT = ('data_root/train/<wnid>/*.JPEG and data_root/val/<wnid>/*.JPEG (one folder per class, the same '
           'class folders in both), or data_root/meta/{train,val}.txt annotation files with lines '
           '"<image path under the split folder> <label>"')


def _is_image(name: str) -> bool:
    return name.lower().endswith(IMG_EXTENSIONS)


def _class_folders(folder: str) -> List[str]:
    return sorted(e.name for e in os.scandir(folder) if e.is_dir())


def _check_ann_file(ann_path: str, img_folder: str, num_classes: Optional[int]) -> None:
    with open(ann_path) as f:
        lines = [ln.rstrip('\n') for ln in f]
    entries = [(i, ln) for i, ln in enumerate(lines, 1) if ln.strip()]
    if not entries:
        raise ValueError(f'ImageNet annotation file {ann_path} is empty; write one line per image: '
                         f'"<image path under {img_folder}> <label>"')
    for lineno, line in entries:
        parts = line.strip().rsplit(' ', 1)
        if len(parts) != 2 or not parts[1].lstrip('-').isdigit():
            raise ValueError(f'{ann_path}:{lineno}: {line!r} is not "<image path> <integer label>" (mmpretrain '
                             f'ImageNet annotation format, e.g. "n01440764/n01440764_10026.JPEG 0")')
        label = int(parts[1])
        if label < 0 or (num_classes is not None and label >= num_classes):
            raise ValueError(f'{ann_path}:{lineno}: label {label} is outside 0..{(num_classes or 1) - 1}; '
                             f'labels index the classes (num_classes={num_classes})')
    first = osp.join(img_folder, entries[0][1].strip().rsplit(' ', 1)[0])
    if not osp.isfile(first):
        raise FileNotFoundError(f'{ann_path}: its first image {first} does not exist; the paths in the '
                                f'annotation file are relative to the split folder {img_folder}')


def check_imagenet_layout(data_root: str = '', split: str = '', data_prefix: Union[str, dict] = '',
                          ann_file: str = '', num_classes: Optional[int] = IMAGENET_NUM_CLASSES) -> Optional[List[str]]:
    """Check an ImageNet split as mmpretrain's ``ImageNet(data_root, split, data_prefix, ann_file)`` reads it.

    Args:
        data_root: dataset root.
        split: ``'train'``, ``'val'`` or ``'test'`` (the default folder and annotation file names).
        data_prefix: the split's image folder under ``data_root`` (default: ``split``).
        ann_file: annotation file under ``data_root`` (default: ``meta/<split>.txt`` if it exists).
        num_classes: the number of class folders / the label range expected; None to accept any.

    Returns:
        The sorted class folder names (folder layout), or None (annotation file or the unlabelled test split).

    Raises:
        FileNotFoundError: a missing root, split folder or annotation file.
        ValueError: an empty class folder, images without class folders, val classes that differ from
            train's, a class count other than ``num_classes``, a malformed annotation line.
    """
    if isinstance(data_prefix, dict):
        data_prefix = data_prefix.get('img_path', '')
    root = data_root or ''
    if root and not osp.isdir(root):
        raise FileNotFoundError(f'ImageNet: data_root {root!r} does not exist (cwd {osp.abspath(".")!r}). Put '
                                f'the dataset there as {_LAYOUT}, or point the config at it with '
                                f'`--cfg-options data_root=/path/to/imagenet/` (benchmark configs: a '
                                f"rewrite=[dict(prefix='data/imagenet/', new=...)] rule).")
    prefix = data_prefix or split
    folder = osp.join(root, prefix) if prefix else root
    if not ann_file and split:
        candidate = osp.join('meta', f'{split}.txt')
        if osp.isfile(osp.join(root, candidate)):
            ann_file = candidate
    if ann_file:
        ann_path = ann_file if osp.isabs(ann_file) else osp.join(root, ann_file)
        if not osp.isfile(ann_path):
            raise FileNotFoundError(f'ImageNet: annotation file {ann_path} does not exist; write it (lines '
                                    f'"<image path under {folder}> <label>") or remove `ann_file` to read the '
                                    f'class folders {folder}/<wnid>/')
        if not osp.isdir(folder):
            raise FileNotFoundError(f'ImageNet: image folder {folder} of {ann_path} does not exist; the annotation '
                                    f'paths are relative to it (set data_prefix to the folder holding them)')
        if split != 'test':
            _check_ann_file(ann_path, folder, num_classes)
        return None
    if not osp.isdir(folder):
        raise FileNotFoundError(f'ImageNet {split or "split"} folder {folder} does not exist. Expected {_LAYOUT}. '
                                f'Fix data_root / data_prefix, or create the folder.')
    if split == 'test':
        if not any(_is_image(e.name) for e in os.scandir(folder) if e.is_file()):
            raise ValueError(f'ImageNet test folder {folder} holds no image ({", ".join(IMG_EXTENSIONS)})')
        return None
    classes = _class_folders(folder)
    if not classes:
        loose = sum(1 for e in os.scandir(folder) if e.is_file() and _is_image(e.name))
        what = f'holds {loose} images directly but no class folders' if loose else 'is empty'
        raise ValueError(f'ImageNet {split} folder {folder} {what}, and there is no {osp.join(root, "meta", f"{split}.txt")}. '
                         f'Sort the images into {folder}/<wnid>/ (for ILSVRC2012 val: the devkit\'s valprep.sh), '
                         f'or write meta/{split}.txt with lines "<image file> <label>".')
    empty = [c for c in classes if not any(_is_image(n) for _, _, files in os.walk(osp.join(folder, c)) for n in files)]
    if empty:
        shown = ', '.join(osp.join(folder, c) for c in empty[:5]) + (f' and {len(empty) - 5} more' if len(empty) > 5 else '')
        raise ValueError(f'ImageNet: {len(empty)} empty class folder(s): {shown}. Each class folder needs at least '
                         f'one image ({", ".join(IMG_EXTENSIONS)}); restore its images (an interrupted '
                         f'extraction?) or remove the folder from every split.')
    if num_classes is not None and len(classes) != num_classes:
        raise ValueError(f'ImageNet {split} folder {folder} has {len(classes)} class folders, expected {num_classes}. '
                         f'For a subset of ImageNet set the dataset\'s classes_from_folders=True and the model\'s '
                         f'num_classes (head and data_preprocessor) to {len(classes)}.')
    if split == 'val' and not data_prefix:
        train = osp.join(root, 'train')
        if osp.isdir(train) and not osp.isfile(osp.join(root, 'meta', 'train.txt')):
            train_classes = _class_folders(train)
            if train_classes and train_classes != classes:
                only_val = sorted(set(classes) - set(train_classes))[:5]
                only_train = sorted(set(train_classes) - set(classes))[:5]
                raise ValueError(f'ImageNet: the class folders of {folder} differ from those of {train} (only in val: '
                                 f'{only_val}, only in train: {only_train}); labels are the sorted folder order, so '
                                 f'they would not match. Give both splits the same class folders.')
    return classes


@DATASETS.register_module()
class ImageNetFolder(ImageNet):
    """mmpretrain's ``ImageNet`` after :func:`check_imagenet_layout`.

    Args:
        data_root, split, data_prefix, ann_file, metainfo: as mmpretrain's ``ImageNet``.
        classes_from_folders: name the classes after the class folders (any number of them) instead of the
            1000 ImageNet-1k categories: for subsets and small ImageNet-layout sets (the demo, the tests).
        **kwargs: the other ``CustomDataset`` / ``BaseDataset`` arguments (pipeline, ...).
    """

    def __init__(self, data_root: str = '', split: str = '', data_prefix: Union[str, dict] = '',
                 ann_file: str = '', metainfo: Optional[dict] = None, classes_from_folders: bool = False,
                 **kwargs):
        expected = None if (classes_from_folders or metainfo) else IMAGENET_NUM_CLASSES
        classes = check_imagenet_layout(data_root, split, data_prefix, ann_file, num_classes=expected)
        if classes_from_folders and metainfo is None:
            if classes is None:
                raise ValueError(f'ImageNetFolder: classes_from_folders=True needs class folders under '
                                 f'{osp.join(data_root or "", data_prefix or split)}, but this split is read from '
                                 f'an annotation file (or is the test split); give metainfo=dict(classes=...)')
            metainfo = dict(classes=tuple(classes))
        super().__init__(data_root=data_root, split=split, data_prefix=data_prefix, ann_file=ann_file,
                         metainfo=metainfo, **kwargs)
