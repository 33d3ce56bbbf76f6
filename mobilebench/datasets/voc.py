"""PASCAL VOC-style detection dataset with clear errors, for the suite's YOLOv3 / SSDLite configs.

``mobilebench.VOCDataset`` is mmdet 3.3.0's ``VOCDataset`` (same boxes, same legacy ``-1`` coordinates,
same ``difficult`` / ``bbox_min_size`` ignore flags, same ``dataset_type`` metainfo for ``VOCMetric``)
plus:

- a clear ``FileNotFoundError`` naming the path looked for and the expected layout when the dataset, the
  ImageSets list, an annotation or an image is missing;
- a clear ``ValueError`` naming the file (and the field) for an empty list file, an empty or malformed
  XML, an object without a class name / box, or a box that is negative, inverted / empty or outside
  the image (VOC pixel coordinates must satisfy ``0 <= xmin < xmax <= width``, same for y), and for an
  image without ``<size>`` that cannot be decoded;
- one warning that counts the objects skipped because their class is not in ``metainfo['classes']``
  (per class, with the number of images left without any object), where mmdet skips them silently;
- two layouts:

  * **ImageSets mode** (``ann_file='VOC2007/ImageSets/Main/trainval.txt'``, upstream's VOCdevkit): the
    ids come from the list; the XML is ``<sub_data_root>/<ann_subdir>/<id>.xml`` and the image
    ``<sub_data_root>/<img_subdir>/<id><img_suffix>``. The path is built from the id, never from the
    XML's ``<filename>`` (mmdetection's own VOC2012 test sample stores image 000002 as ``000001``);
  * **folder mode** (``ann_file=''``): every ``*.xml`` of ``<sub_data_root>/<ann_subdir>`` is an image
    id. This reads VOC exports without ImageSets (icevision's ``Annotations/`` + ``JPEGImages/``
    samples) and custom sets such as ``annotations/`` + ``images/`` with their own ``classes``.

Float coordinates (``<ymin>45.70000076293945</ymin>``) parse as in mmdet (``int(float(v))``).
"""
from __future__ import annotations

import logging
import os
import os.path as osp
import xml.etree.ElementTree as ET
from collections import Counter
from typing import List, Optional

import mmcv
from mmdet.datasets import VOCDataset as _MMDetVOCDataset
from mmengine.fileio import exists, get, list_from_file
from mmengine.logging import print_log

from ..registry import DATASETS

VOC_LAYOUT = ('<data_root>/VOC2007/{Annotations/<id>.xml, JPEGImages/<id>.jpg, ImageSets/Main/{trainval,test}.txt} '
              'and <data_root>/VOC2012/{Annotations,JPEGImages,ImageSets/Main/trainval.txt} '
              '(data_root defaults to data/VOCdevkit/)')


@DATASETS.register_module()
class VOCDataset(_MMDetVOCDataset):
    """mmdet's ``VOCDataset`` with input checks and an ImageSets-free folder mode.

    Args:
        ann_file: ImageSets list relative to ``data_root`` (one image id per line), or ``''`` to use
            every ``*.xml`` of ``<sub_data_root>/<ann_subdir>`` (sorted by name).
        img_subdir: folder of the images under the sub data root. Defaults to ``'JPEGImages'``.
        ann_subdir: folder of the XML files under the sub data root. Defaults to ``'Annotations'``.
        img_suffix: image file extension appended to the id. Defaults to ``'.jpg'``.
        check_images: check at load time that every image file exists (one ``stat`` per image), so a
            missing image fails before training, naming the file. Defaults to True.
        **kwargs: everything mmdet's ``VOCDataset`` / ``BaseDetDataset`` accepts (``data_root``,
            ``data_prefix=dict(sub_data_root='VOC2007/')``, ``metainfo=dict(classes=...)``, ``filter_cfg``,
            ``pipeline``, ``test_mode``, ...).
    """

    def __init__(self, img_suffix: str = '.jpg', check_images: bool = True, **kwargs) -> None:
        self.img_suffix = img_suffix
        self.check_images = check_images
        self._skipped, self._emptied = Counter(), []
        super().__init__(**kwargs)

    @property
    def sub_data_root(self) -> str:
        """The VOC year folder (``data_root`` joined with ``data_prefix['sub_data_root']``), or
        ``data_root`` itself when no ``sub_data_root`` is given (folder-mode datasets)."""
        return self.data_prefix.get('sub_data_root', self.data_root or '')

    # ------------------------------------------------------------------ listing
    def _image_ids(self) -> List[str]:
        root = self.sub_data_root
        if self.data_root and not exists(self.data_root, backend_args=self.backend_args) and \
                not osp.isdir(self.data_root):
            raise FileNotFoundError(
                f'{type(self).__name__}: data_root {self.data_root!r} not found (cwd {os.getcwd()!r}). '
                f'Expected layout: {VOC_LAYOUT}. Put the dataset there or pass '
                f'`--cfg-options data_root=/path/to/VOCdevkit/`.')
        if self.ann_file:
            if not osp.isfile(self.ann_file) and not exists(self.ann_file, backend_args=self.backend_args):
                raise FileNotFoundError(
                    f'{type(self).__name__}: image list (ann_file) {self.ann_file!r} not found. Expected layout: '
                    f'{VOC_LAYOUT}. For a folder without ImageSets set ann_file=\'\' to use every XML of '
                    f'{osp.join(root, self.ann_subdir)!r}.')
            ids = [line.strip() for line in list_from_file(self.ann_file, backend_args=self.backend_args)]
            ids = [i for i in ids if i]
            if not ids:
                raise ValueError(f'{type(self).__name__}: image list (ann_file) {self.ann_file!r} is empty; it '
                                 f'must hold one image id per line (e.g. 000005).')
            return ids
        ann_dir = osp.join(root, self.ann_subdir)
        if not osp.isdir(ann_dir):
            raise FileNotFoundError(
                f'{type(self).__name__}: annotation folder {ann_dir!r} not found (ann_file=\'\' lists every '
                f'<id>.xml of <data_root>/<sub_data_root>/{self.ann_subdir}/). Set data_root / ann_subdir, or '
                f'give an ImageSets list as ann_file. VOCdevkit layout: {VOC_LAYOUT}.')
        ids = sorted(f[:-4] for f in os.listdir(ann_dir) if f.lower().endswith('.xml'))
        if not ids:
            raise ValueError(f'{type(self).__name__}: annotation folder {ann_dir!r} has no *.xml file.')
        return ids

    def load_data_list(self) -> List[dict]:
        """Load every image's annotation (ids from the ImageSets list or the XML folder)."""
        if not self._metainfo.get('classes'):
            raise ValueError(f'{type(self).__name__}: metainfo has no `classes`; pass '
                             f'metainfo=dict(classes=(...)) for a non-VOC class list.')
        self.cat2label = {cat: i for i, cat in enumerate(self._metainfo['classes'])}
        self._skipped = Counter()  # class name -> objects skipped (class not in metainfo)
        self._emptied = []  # xml files whose every object was skipped
        data_list = []
        for img_id in self._image_ids():
            raw = dict(img_id=img_id,
                       file_name=osp.join(self.img_subdir, f'{img_id}{self.img_suffix}'),
                       xml_path=osp.join(self.sub_data_root, self.ann_subdir, f'{img_id}.xml'))
            data_list.append(self.parse_data_info(raw))
        self._report_skipped(len(data_list))
        return data_list

    def _report_skipped(self, n_images: int) -> None:
        """One warning counting the objects of classes outside ``metainfo['classes']`` (mmdet skips them
        without a word; images left without objects are then dropped by ``filter_empty_gt``)."""
        if not self._skipped:
            return
        total = sum(self._skipped.values())
        per_class = ', '.join(f'{name!r}: {n}' for name, n in self._skipped.most_common())
        emptied = (f'; {len(self._emptied)} of {n_images} images have no object left (e.g. '
                   f'{self._emptied[0]!r}) and are dropped from training by filter_cfg.filter_empty_gt'
                   if self._emptied else '')
        print_log(f'{type(self).__name__}: skipped {total} objects of {len(self._skipped)} classes that are not in '
                  f'metainfo["classes"] ({per_class}){emptied}. If these classes should be detected, add them '
                  f'to metainfo=dict(classes=...) (and the head\'s num_classes).', logger='current',
                  level=logging.WARNING)

    # ------------------------------------------------------------------ parsing
    def _read_xml(self, xml_path: str, img_id: str) -> ET.Element:
        if not osp.isfile(xml_path) and not exists(xml_path, backend_args=self.backend_args):
            source = f'listed in {self.ann_file!r}' if self.ann_file else 'found in the annotation folder'
            raise FileNotFoundError(f'{type(self).__name__}: annotation {xml_path!r} of image id {img_id!r} '
                                    f'({source}) not found. Expected layout: {VOC_LAYOUT}.')
        content = get(xml_path, backend_args=self.backend_args)
        if not content.strip():
            raise ValueError(f'{type(self).__name__}: annotation file {xml_path!r} is empty; it must be a '
                             f'PASCAL VOC <annotation> XML (delete the file or its id in the image list).')
        try:
            root = ET.fromstring(content)
        except ET.ParseError as exc:
            raise ValueError(f'{type(self).__name__}: malformed VOC XML {xml_path!r}: {exc}. Fix the file or '
                             f'remove its id from the image list.') from exc
        if root.tag != 'annotation':
            raise ValueError(f'{type(self).__name__}: {xml_path!r} is not a PASCAL VOC annotation (root '
                             f'element <{root.tag}>, expected <annotation>).')
        return root

    @staticmethod
    def _number(node: Optional[ET.Element], field: str, xml_path: str, where: str) -> float:
        if node is None or node.text is None or not node.text.strip():
            raise ValueError(f'VOCDataset: {xml_path!r}: {where} has no <{field}>; every object needs '
                             f'<bndbox> with <xmin>, <ymin>, <xmax>, <ymax>.')
        try:
            return float(node.text)
        except ValueError:
            raise ValueError(f'VOCDataset: {xml_path!r}: {where} <{field}> is {node.text!r}, not a number.')

    def parse_data_info(self, img_info: dict) -> dict:
        """Parse one image's XML into mmdet's data info (``img_path``, size, ``instances``).

        Args:
            img_info: ``img_id``, ``file_name`` (relative to the sub data root) and ``xml_path``.

        Returns:
            dict: ``img_path``, ``img_id``, ``xml_path``, ``height``, ``width``, ``instances``.
        """
        xml_path = img_info['xml_path']
        img_path = osp.join(self.sub_data_root, img_info['file_name'])
        root = self._read_xml(xml_path, img_info['img_id'])
        if self.check_images and not osp.isfile(img_path) and not exists(img_path, backend_args=self.backend_args):
            raise FileNotFoundError(
                f'{type(self).__name__}: image {img_path!r} not found (annotation {xml_path!r}). Images are '
                f'looked up as <sub_data_root>/{self.img_subdir}/<id>{self.img_suffix} from the image id, not '
                f'from the XML <filename>; set img_subdir / img_suffix if your layout differs.')
        size = root.find('size')
        width = size.find('width') if size is not None else None
        height = size.find('height') if size is not None else None
        if width is not None and height is not None:
            width = int(self._number(width, 'width', xml_path, '<size>'))
            height = int(self._number(height, 'height', xml_path, '<size>'))
        if not isinstance(width, int) or not isinstance(height, int) or width <= 0 or height <= 0:
            # no <size> (or a 0 x 0 one, as some exporters write): read it from the image, as mmdet does
            height, width = self._image_size(img_path, xml_path)
        return dict(img_path=img_path, img_id=img_info['img_id'], xml_path=xml_path, height=height,
                    width=width, instances=self._parse_objects(root, xml_path, width, height))

    def _image_size(self, img_path: str, xml_path: str):
        data = get(img_path, backend_args=self.backend_args)
        img = mmcv.imfrombytes(data, backend='cv2') if data else None  # cv2 asserts on empty input
        if img is None:
            raise ValueError(f'{type(self).__name__}: image {img_path!r} is '
                             f'{"empty (0 bytes)" if not data else "not a decodable image (corrupt or truncated)"}'
                             f', and its annotation {xml_path!r} has no <size> to use instead. Re-download or '
                             f're-export the image, or remove its id from the image list.')
        return img.shape[:2]

    def _parse_objects(self, root: ET.Element, xml_path: str, width: int, height: int) -> List[dict]:
        instances = []
        objects = root.findall('object')
        for k, obj in enumerate(objects):
            where = f'<object> #{k}'
            name = obj.find('name')
            if name is None or not (name.text or '').strip():
                raise ValueError(f'{type(self).__name__}: {xml_path!r}: {where} has no <name> (class).')
            name = name.text.strip()
            if name not in self.cat2label:  # skipped, as upstream does, but counted and reported
                self._skipped[name] += 1
                continue
            difficult = obj.find('difficult')
            difficult = 0 if difficult is None or not (difficult.text or '').strip() else int(difficult.text)
            box = obj.find('bndbox')
            if box is None:
                raise ValueError(f'{type(self).__name__}: {xml_path!r}: {where} ({name}) has no <bndbox>.')
            raw = [self._number(box.find(f), f, xml_path, f'{where} ({name})')
                   for f in ('xmin', 'ymin', 'xmax', 'ymax')]
            self._check_box(raw, width, height, xml_path, f'{where} ({name})')
            # mmdet: int(float(v)) then -1 (VOC's 1-based pixel coordinates, legacy box convention)
            bbox = [int(v) - 1 for v in raw]
            ignore = False
            if self.bbox_min_size is not None and not self.test_mode:
                w, h = bbox[2] - bbox[0], bbox[3] - bbox[1]
                ignore = w < self.bbox_min_size or h < self.bbox_min_size
            instances.append(dict(bbox=bbox, bbox_label=self.cat2label[name],
                                  ignore_flag=1 if difficult or ignore else 0))
        if objects and not instances:
            self._emptied.append(xml_path)
        return instances

    @staticmethod
    def _check_box(box: List[float], width: int, height: int, xml_path: str, where: str) -> None:
        """VOC boxes are pixel coordinates inside the image: ``0 <= xmin < xmax <= width`` (same for y;
        VOC itself is 1-based, 0 is accepted for 0-based exports)."""
        xmin, ymin, xmax, ymax = box
        problem = None
        if min(box) < 0:
            problem = 'has a negative coordinate'
        elif xmax <= xmin or ymax <= ymin:
            problem = 'is inverted or empty (xmax <= xmin or ymax <= ymin)'
        elif xmax > width or ymax > height:
            problem = f'extends outside the {width}x{height} image (<size>)'
        if problem:
            raise ValueError(f'VOCDataset: {xml_path!r}: {where} box (xmin, ymin, xmax, ymax) = '
                             f'({xmin:g}, {ymin:g}, {xmax:g}, {ymax:g}) {problem}. VOC boxes must satisfy '
                             f'0 <= xmin < xmax <= width and 0 <= ymin < ymax <= height; fix the box (or <size>) '
                             f'or delete the object.')
