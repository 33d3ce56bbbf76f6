"""Action-recognition inputs with validation: annotation lists and video decoding (mmaction2).

mmaction2's ``VideoDataset`` / ``RawframeDataset`` parse the list without looking at the files, so a
list line pointing at a missing video surfaces much later as a decord or ``NoneType`` error inside a
dataloader worker, and an unreadable video as decord's ``DECORDError`` without the file name in
every case. The classes here check each list line when the dataset is built and wrap decoding
errors with the file name.

List formats (mmaction2, space separated, one sample per line):

- videos:    ``<path relative to data_prefix.video> <label>`` e.g. ``brush_hair/April_09_brush_hair_u_nm_np1_ba_goo_0.avi 0``
- rawframes: ``<frame dir relative to data_prefix.img> <num_frames> <label>``; frames are named by
  ``filename_tmpl`` (``img_{:05}.jpg``), numbered from ``start_index`` (1).

Labels are 0-based indices into the dataset's label map (``tools/data/<dataset>/label_map.txt``).
"""
from __future__ import annotations

import os.path as osp
from typing import Dict, Optional

from mmaction.datasets import RawframeDataset, VideoDataset
from mmaction.datasets.transforms.loading import DecordInit

from mobilebench.registry import DATASETS, TRANSFORMS

from ._checks import check_file


def _check_label(label, num_classes: Optional[int], where: str) -> None:
    labels = label if isinstance(label, list) else [label]
    for value in labels:
        if value == -1:  # mmaction's "no label" for inference lists
            continue
        if value < 0 or (num_classes is not None and value >= num_classes):
            raise ValueError(f'{where}: label {value} is outside 0..{num_classes - 1 if num_classes else "N-1"}; '
                             f'labels are 0-based indices into the label map (a 1-based classInd list must be '
                             f'shifted by -1)')


class _ListCheckMixin:
    """Validation shared by the video and rawframe lists (used by the two dataset classes)."""

    def _read_list(self):
        check_file(self.ann_file, 'ann_file', type(self).__name__)
        with open(self.ann_file, 'rb') as f:
            raw = f.read()
        lines = []
        for i, line in enumerate(raw.splitlines(), 1):
            try:
                lines.append((i, line.decode('utf-8-sig' if i == 1 else 'utf-8')))
            except UnicodeDecodeError as exc:
                raise ValueError(f'{self.ann_file}, line {i}: not UTF-8 text (invalid byte 0x{line[exc.start]:02x} '
                                 f'at column {exc.start + 1}); re-save the annotation list as UTF-8.') from None
        return lines

    def _fail(self, lineno: int, line: str, why: str):
        raise ValueError(f'{self.ann_file}, line {lineno} ({line.strip()!r}): {why}')


@DATASETS.register_module()
class VideoListDataset(_ListCheckMixin, VideoDataset):
    """mmaction2 ``VideoDataset`` (``path label`` lists) that validates every line at build time.

    Args:
        ann_file: the annotation list.
        pipeline: the data pipeline.
        data_prefix: ``dict(video=<root of the videos>)``.
        num_classes: if given, labels must lie in ``0..num_classes-1`` (also used by ``multi_class``).
        check_files: check that every listed video exists (a cheap ``stat`` per line).
        **kwargs: the other arguments of mmaction2's ``VideoDataset``.
    """

    def __init__(self, ann_file: str, pipeline, data_prefix: Dict = dict(video=''), num_classes: Optional[int] = None,
                 check_files: bool = True, **kwargs):
        self.check_files = check_files
        root = data_prefix.get('video') if data_prefix else None
        if root and not osp.isdir(root):
            raise FileNotFoundError(f'{type(self).__name__}: video root {root!r} does not exist; set data_root '
                                    f'(`--cfg-options data_root=...`) so that <data_root>/<path in the list> is a video')
        super().__init__(ann_file, pipeline=pipeline, data_prefix=data_prefix, num_classes=num_classes, **kwargs)

    def load_data_list(self):
        data_list = []
        for lineno, line in self._read_list():
            if not line.strip():
                continue
            parts = line.strip().split(self.delimiter)
            try:
                if self.multi_class:
                    filename, label = parts[0], [int(x) for x in parts[1:]]
                elif len(parts) == 1:
                    filename, label = parts[0], -1
                elif len(parts) == 2:
                    filename, label = parts[0], int(parts[1])
                else:
                    self._fail(lineno, line, f'expected "<video path> <label>", got {len(parts)} fields '
                                             f'(paths with spaces need another `delimiter`)')
            except ValueError as exc:
                if 'line' in str(exc):
                    raise
                self._fail(lineno, line, 'the label must be an integer')
            _check_label(label, self.num_classes, f'{self.ann_file}, line {lineno}')
            if self.data_prefix['video'] is not None:
                filename = osp.join(self.data_prefix['video'], filename)
            if self.check_files and not osp.isfile(filename):
                self._fail(lineno, line, f'video {filename!r} does not exist (check data_root / the list)')
            data_list.append(dict(filename=filename, label=label))
        if not data_list:
            raise ValueError(f'{self.ann_file}: the annotation list is empty')
        return data_list


@DATASETS.register_module()
class RawframeListDataset(_ListCheckMixin, RawframeDataset):
    """mmaction2 ``RawframeDataset`` (``dir num_frames label`` lists) that validates every line.

    Checks that the frame directory exists, that ``num_frames`` is a positive integer and that the
    first and last frames (``filename_tmpl`` from ``start_index``) exist.

    Args:
        ann_file: the annotation list.
        pipeline: the data pipeline.
        data_prefix: ``dict(img=<root of the frame directories>)``.
        num_classes: if given, labels must lie in ``0..num_classes-1``.
        check_files: check frame directories and their first/last frames at build time.
        **kwargs: the other arguments of mmaction2's ``RawframeDataset``.
    """

    def __init__(self, ann_file: str, pipeline, data_prefix: Dict = dict(img=''), num_classes: Optional[int] = None,
                 check_files: bool = True, **kwargs):
        self.check_files = check_files
        root = data_prefix.get('img') if data_prefix else None
        if root and not osp.isdir(root):
            raise FileNotFoundError(f'{type(self).__name__}: rawframe root {root!r} does not exist; set data_root '
                                    f'(`--cfg-options data_root=...`) so that <data_root>/<dir in the list> holds '
                                    f'the frames')
        super().__init__(ann_file, pipeline=pipeline, data_prefix=data_prefix, num_classes=num_classes, **kwargs)

    def load_data_list(self):
        data_list = []
        need = 4 if self.with_offset else 3
        for lineno, line in self._read_list():
            if not line.strip():
                continue
            parts = line.strip().split()
            if len(parts) < need - 1 or (not self.multi_class and len(parts) > need):
                self._fail(lineno, line, 'expected "<frame dir> ' + ('<offset> ' if self.with_offset else '') +
                           '<num_frames> <label>"')
            try:
                nums = [int(x) for x in parts[1:]]
            except ValueError:
                self._fail(lineno, line, 'num_frames and label must be integers')
            frame_dir = parts[0]
            if self.data_prefix['img'] is not None:
                frame_dir = osp.join(self.data_prefix['img'], frame_dir)
            info = dict(frame_dir=frame_dir)
            if self.with_offset:
                info['offset'], info['total_frames'], labels = nums[0], nums[1], nums[2:]
            else:
                info['total_frames'], labels = nums[0], nums[1:]
            if info['total_frames'] <= 0:
                self._fail(lineno, line, f'num_frames must be positive, got {info["total_frames"]}')
            labels = labels or [-1]
            label = labels if self.multi_class else labels[0]
            _check_label(label, self.num_classes, f'{self.ann_file}, line {lineno}')
            info['label'] = label
            if self.check_files:
                self._check_frames(lineno, line, info)
            data_list.append(info)
        if not data_list:
            raise ValueError(f'{self.ann_file}: the annotation list is empty')
        return data_list

    def _check_frames(self, lineno: int, line: str, info: dict) -> None:
        if not osp.isdir(info['frame_dir']):
            self._fail(lineno, line, f'frame directory {info["frame_dir"]!r} does not exist')
        if self.modality != 'RGB':  # flow frames use x_/y_ templates; only the directory is checked
            return
        offset = info.get('offset', 0)
        for idx in (self.start_index + offset, self.start_index + offset + info['total_frames'] - 1):
            path = osp.join(info['frame_dir'], self.filename_tmpl.format(idx))
            if not osp.isfile(path):
                self._fail(lineno, line, f'frame {path!r} does not exist (num_frames={info["total_frames"]}, '
                                         f'filename_tmpl={self.filename_tmpl!r}, start_index={self.start_index})')


@TRANSFORMS.register_module()
class CheckedDecordInit(DecordInit):
    """mmaction2's ``DecordInit`` with an error that names the video when it cannot be decoded.

    Args:
        io_backend: mmengine file backend (``'disk'``).
        num_threads: decord decoding threads.
    """

    def transform(self, results: Dict) -> Dict:
        filename = results['filename']
        try:
            results = super().transform(results)
        except FileNotFoundError:
            raise FileNotFoundError(f'video {filename!r} does not exist (check data_root and the annotation list)')
        except Exception as exc:  # decord raises DECORDError / RuntimeError without a consistent message
            raise RuntimeError(f'cannot decode video {filename!r}: {type(exc).__name__}: {exc}. The file is corrupt '
                               f'or in a codec decord cannot read; re-encode it (e.g. ffmpeg -i in -c:v libx264 '
                               f'out.mp4) or remove it from the list') from exc
        if results['total_frames'] <= 0:
            raise RuntimeError(f'video {filename!r} has no decodable frames; re-encode it or remove it from the list')
        return results
