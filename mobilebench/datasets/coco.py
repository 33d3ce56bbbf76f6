"""COCO detection dataset with clear errors (missing root / annotation / image, empty, non-UTF-8 or broken
JSON, duplicated image / annotation ids, annotations of unknown images)."""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import List

from mmdet.datasets import CocoDataset as _MMDetCocoDataset
from mmengine.fileio import exists

from ..registry import DATASETS
from ._checks import check_coco_dict, load_json_file

COCO_LAYOUT = ('<data_root>/annotations/instances_{train,val}2017.json and <data_root>/{train,val}2017/*.jpg '
               '(data_root defaults to data/coco/)')


@DATASETS.register_module()
class CocoDataset(_MMDetCocoDataset):
    """mmdet's ``CocoDataset`` (identical data infos) that fails early and clearly on bad input.

    Args:
        check_images: check at load time that every listed image exists (one ``stat`` per image).
            Defaults to True.
        **kwargs: everything mmdet's ``CocoDataset`` accepts (``data_root``, ``ann_file``,
            ``data_prefix=dict(img='val2017/')``, ``filter_cfg``, ``pipeline``, ``test_mode``, ...).
    """

    def __init__(self, check_images: bool = True, **kwargs) -> None:
        self.check_images = check_images
        super().__init__(**kwargs)

    def _exists(self, path: str) -> bool:
        return osp.exists(path) or exists(path, backend_args=self.backend_args)

    def load_data_list(self) -> List[dict]:
        """Check the files, then load the annotations as mmdet does."""
        name = type(self).__name__
        if self.data_root and not self._exists(self.data_root):
            raise FileNotFoundError(
                f'{name}: data_root {self.data_root!r} not found (cwd {os.getcwd()!r}). Expected layout: '
                f'{COCO_LAYOUT}. Put the dataset there or pass `--cfg-options data_root=/path/to/coco/`.')
        if not self.ann_file or not self._exists(self.ann_file):
            raise FileNotFoundError(f'{name}: annotation file (ann_file) {self.ann_file!r} not found. Expected '
                                    f'layout: {COCO_LAYOUT}.')
        expected = 'a COCO instances JSON with "images", "annotations" and "categories"'
        if osp.isfile(self.ann_file) and osp.getsize(self.ann_file) == 0:
            raise ValueError(f'{name}: annotation file {self.ann_file!r} is empty; it must be {expected}.')
        api = type(self).COCOAPI

        def checked_api(path):  # mmdet pairs annotations with images right after this returns
            coco = api(path)
            check_coco_dict(coco.dataset, self.ann_file, name)
            return coco

        self.COCOAPI = checked_api
        try:
            data_list = super().load_data_list()
        except (UnicodeDecodeError, json.JSONDecodeError):
            load_json_file(self.ann_file, name, expected)  # raises the error naming the file and position
            raise
        except KeyError as exc:
            raise ValueError(f'{name}: annotation file {self.ann_file!r} lacks the COCO field {exc}; it must be '
                             f'{expected}.') from exc
        finally:
            del self.COCOAPI
        if self.check_images:
            for info in data_list:
                if not self._exists(info['img_path']):
                    raise FileNotFoundError(
                        f'{name}: image {info["img_path"]!r} (image id {info["img_id"]} in {self.ann_file!r}) '
                        f'not found; images are data_prefix["img"] + the JSON file_name. Expected layout: '
                        f'{COCO_LAYOUT}.')
        return data_list
