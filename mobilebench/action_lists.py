"""mmaction2 annotation lists from action data on disk (used by ``tools/data/*/build_lists.py``).

mmaction2's list formats (space separated, one sample per line, 0-based labels into the label map):

- videos:    ``<class>/<video file> <label>``              (relative to ``data_prefix.video``)
- rawframes: ``<class>/<frame folder> <num frames> <label>`` (relative to ``data_prefix.img``; frames
  ``img_00001.jpg`` ... as written by mmaction2's ``tools/data/build_rawframes.py``)

Sources:

- :func:`build_from_class_folders`: a folder per class, ``<root>/<class>/<video>`` or
  ``<root>/<class>/<clip>/img_*.jpg``; a deterministic, per-class (stratified) train/val split;
- :func:`build_ucf101_lists`: UCF101's official ``classInd.txt`` (``<1-based index> <class>``),
  ``trainlist0<k>.txt`` (``<class>/<video>.avi <1-based index>``) and ``testlist0<k>.txt``
  (``<class>/<video>.avi``, the class from the folder);
- HMDB51's official split files: ``tools/data/hmdb51/build_lists.py``.

Every unusable line is an error naming the file, the line and the field; nothing is skipped silently.
"""
from __future__ import annotations

import glob
import os
import os.path as osp
import random
from typing import Dict, List, Optional, Sequence, Tuple

from .fileio import atomic_write_text

VIDEO_EXTENSIONS = ('.avi', '.mp4', '.mkv', '.webm', '.mov', '.m4v', '.mpg', '.mpeg', '.flv', '.wmv')
FRAME_GLOB = 'img_*.jpg'
FORMATS = ('videos', 'rawframes')


def read_label_map(path: str) -> Dict[str, int]:
    """Class name -> 0-based label, in the order of ``path`` (one name per line)."""
    with open(path, encoding='utf-8') as f:
        names = [line.strip() for line in f if line.strip()]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise ValueError(f'{path}: duplicate class names {dups}; one name per line, each once')
    return {name: i for i, name in enumerate(names)}


def count_frames(frame_dir: str, tmpl_glob: str = FRAME_GLOB) -> int:
    """Number of frames (``img_*.jpg``) in one rawframe folder."""
    return len(glob.glob(osp.join(glob.escape(frame_dir), tmpl_glob)))


def rawframe_line(rawframes_dir: str, rel_dir: str, label: int, where: str) -> str:
    """``'<rel_dir> <num frames> <label>'``; a folder without frames is an error naming ``where``."""
    frame_dir = osp.join(rawframes_dir, rel_dir)
    n = count_frames(frame_dir)
    if n == 0:
        raise FileNotFoundError(f'{where}: no frames ({FRAME_GLOB}) in {frame_dir!r}; extract them first (mmaction2 '
                                f'tools/data/build_rawframes.py) or write the videos list instead')
    return f'{rel_dir} {n} {label}'


def write_list(path: str, lines: Sequence[str]) -> str:
    """Write one list atomically (one sample per line)."""
    return atomic_write_text(path, ''.join(f'{line}\n' for line in lines))


def write_label_map(path: str, classes: Sequence[str]) -> str:
    return write_list(path, classes)


# ----------------------------------------------------------------------------- a folder per class
def scan_class_folders(root: str) -> Tuple[List[str], str, Dict[str, List[str]], List[str]]:
    """``(classes, format, {class: [relative item paths]}, ignored files)`` of ``<root>/<class>/...``.

    Items are video files (format ``'videos'``) or sub-folders holding ``img_*.jpg`` frames
    (``'rawframes'``); one data set uses one format. Other files are returned as ``ignored`` (reported).
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'{root!r} is not a folder; expected <root>/<class name>/<video or frame folder>')
    classes = sorted(d for d in os.listdir(root) if osp.isdir(osp.join(root, d)) and not d.startswith('.'))
    if not classes:
        raise ValueError(f'{root!r} has no class folders; expected <root>/<class name>/<video or frame folder>')
    items: Dict[str, List[str]] = {}
    kinds: Dict[str, str] = {}
    ignored = []
    for cls in classes:
        folder = osp.join(root, cls)
        items[cls] = []
        for name in sorted(os.listdir(folder)):
            if name.startswith('.'):
                continue
            path, rel = osp.join(folder, name), f'{cls}/{name}'
            if osp.isfile(path) and name.lower().endswith(VIDEO_EXTENSIONS):
                kind = 'videos'
            elif osp.isdir(path) and count_frames(path):
                kind = 'rawframes'
            elif osp.isdir(path):
                raise ValueError(f'{path!r}: a folder without frames ({FRAME_GLOB}); a class folder holds videos '
                                 f'({", ".join(VIDEO_EXTENSIONS)}) or frame folders (img_00001.jpg, ...)')
            else:
                ignored.append(rel)
                continue
            kinds.setdefault(kind, rel)
            items[cls].append(rel)
        if not items[cls]:
            raise ValueError(f'{folder!r}: class {cls!r} has no video and no frame folder')
    if len(kinds) > 1:
        raise ValueError(f'{root!r} mixes videos ({kinds["videos"]!r}) and frame folders ({kinds["rawframes"]!r}); '
                         f'use one format per data set (extract frames for all videos, or keep only videos)')
    return classes, next(iter(kinds)), items, ignored


def split_per_class(items: Dict[str, List[str]], val_ratio: float, seed: int = 0) -> Tuple[List, List]:
    """Deterministic stratified split: ``round(n * val_ratio)`` items of each class (at least 1 when
    ``val_ratio > 0``, never all) go to validation. Returns ``([(class, item)], [(class, item)])``."""
    if not 0 <= val_ratio < 1:
        raise ValueError(f'val_ratio={val_ratio}; expected 0 <= val_ratio < 1')
    rng = random.Random(seed)
    train, val = [], []
    for cls in sorted(items):
        group = sorted(items[cls])
        n_val = 0 if val_ratio == 0 else max(1, round(len(group) * val_ratio))
        if n_val >= len(group):
            raise ValueError(f'class {cls!r} has {len(group)} item(s): a train/val split with val_ratio={val_ratio} '
                             f'would leave no training sample; add clips or use --val-ratio 0')
        order = group[:]
        rng.shuffle(order)
        chosen = set(order[:n_val])
        train += [(cls, it) for it in group if it not in chosen]
        val += [(cls, it) for it in group if it in chosen]
    return train, val


def build_from_class_folders(root: str, out_dir: str, name: str = 'custom', val_ratio: float = 0.2, seed: int = 0,
                             label_map: Optional[str] = None) -> Dict[str, object]:
    """Lists from ``<root>/<class>/<video | frame folder>``.

    Args:
        root: the class folders' parent (``data_prefix.video`` or ``data_prefix.img`` of the config).
        out_dir: where ``<name>_{train,val}_<format>.txt`` and ``label_map.txt`` go.
        name: list name prefix.
        val_ratio: share of each class's items used for validation (0: train list only).
        seed: seed of the split.
        label_map: optional existing label map fixing the class order (otherwise: sorted folder names).

    Returns:
        dict with ``format``, ``classes``, ``written`` (paths), ``counts`` and ``ignored`` files.
    """
    classes, fmt, items, ignored = scan_class_folders(root)
    if label_map:
        labels = read_label_map(label_map)
        unknown = [c for c in classes if c not in labels]
        if unknown:
            raise ValueError(f'class folders {unknown} of {root!r} are not in the label map {label_map}; add them '
                             f'there or rename the folders')
    else:
        labels = {c: i for i, c in enumerate(classes)}
    train, val = split_per_class(items, val_ratio, seed)
    written, counts = [], {}
    for subset, rows in (('train', train), ('val', val)):
        if subset == 'val' and val_ratio == 0:
            continue
        if fmt == 'videos':
            lines = [f'{item} {labels[cls]}' for cls, item in rows]
        else:
            lines = [rawframe_line(root, item, labels[cls], f'{root}/{item}') for cls, item in rows]
        written.append(write_list(osp.join(out_dir, f'{name}_{subset}_{fmt}.txt'), lines))
        counts[subset] = len(lines)
    written.append(write_label_map(osp.join(out_dir, 'label_map.txt'), sorted(labels, key=labels.get)))
    return dict(format=fmt, classes=sorted(labels, key=labels.get), written=written, counts=counts, ignored=ignored)


# ----------------------------------------------------------------------------- UCF101's official lists
def read_class_ind(path: str) -> List[str]:
    """``classInd.txt``: ``<index> <class>`` lines with indices 1..N in order; returns the names."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path!r} does not exist; it comes with UCF101\'s official '
                                f'UCF101TrainTestSplits-RecognitionTask.zip (ucfTrainTestlist/classInd.txt)')
    names = []
    with open(path, encoding='utf-8-sig') as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or not parts[0].isdigit():
                raise ValueError(f'{path}, line {lineno} ({line.strip()!r}): expected "<index> <class name>"')
            if int(parts[0]) != len(names) + 1:
                raise ValueError(f'{path}, line {lineno}, field index: {parts[0]} where {len(names) + 1} was expected; '
                                 f'classInd numbers the classes 1, 2, ... in order')
            if parts[1] in names:
                raise ValueError(f'{path}, line {lineno}, field class: {parts[1]!r} occurs twice')
            names.append(parts[1])
    if not names:
        raise ValueError(f'{path}: no classes')
    return names


def read_ucf101_split(path: str, classes: Sequence[str], with_label: bool) -> List[Tuple[str, int]]:
    """``[(relative video path, 0-based label)]`` of a ``trainlist0k.txt`` (``with_label``) or
    ``testlist0k.txt``. The class is the folder of the path; a train line's 1-based index must agree."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path!r} does not exist (UCF101 ucfTrainTestlist/)')
    index = {c: i for i, c in enumerate(classes)}
    rows = []
    with open(path, encoding='utf-8-sig') as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            where = f'{path}, line {lineno} ({line.strip()!r})'
            if len(parts) != (2 if with_label else 1):
                raise ValueError(f'{where}: expected "<class>/<video>.avi{" <class index>" if with_label else ""}"')
            rel = parts[0]
            cls = rel.split('/')[0] if '/' in rel else None
            if cls not in index:
                raise ValueError(f'{where}, field path: the folder {cls!r} is not a class of classInd.txt')
            if with_label:
                if not parts[1].isdigit() or int(parts[1]) - 1 != index[cls]:
                    raise ValueError(f'{where}, field label: {parts[1]!r} but {cls!r} is class {index[cls] + 1} in '
                                     f'classInd.txt (1-based)')
            rows.append((rel, index[cls]))
    return rows


def build_ucf101_lists(lists_dir: str, out_dir: str, splits: Sequence[int] = (1, 2, 3),
                       formats: Sequence[str] = ('videos', ), rawframes_dir: Optional[str] = None,
                       videos_dir: Optional[str] = None) -> List[str]:
    """mmaction2's ``ucf101_{train,val}_split_<k>_{videos,rawframes}.txt`` + ``label_map.txt``.

    Args:
        lists_dir: folder with ``classInd.txt``, ``trainlist0<k>.txt`` and ``testlist0<k>.txt``.
        out_dir: output folder.
        splits: which of the three splits.
        formats: ``'videos'`` and/or ``'rawframes'``.
        rawframes_dir: ``<class>/<video stem>/img_*.jpg`` root (for ``'rawframes'``).
        videos_dir: if given, every listed video must exist under it.
    """
    classes = read_class_ind(osp.join(lists_dir, 'classInd.txt'))
    if 'rawframes' in formats and not (rawframes_dir and osp.isdir(rawframes_dir)):
        raise FileNotFoundError(f'rawframes_dir {rawframes_dir!r} does not exist; extract frames first (mmaction2 '
                                f'tools/data/build_rawframes.py) or write only the videos lists')
    written = []
    for k in splits:
        for subset, fname, with_label in (('train', f'trainlist0{k}.txt', True), ('val', f'testlist0{k}.txt', False)):
            src = osp.join(lists_dir, fname)
            rows = read_ucf101_split(src, classes, with_label)
            if videos_dir:
                missing = [rel for rel, _ in rows if not osp.isfile(osp.join(videos_dir, rel))]
                if missing:
                    raise FileNotFoundError(f'{src}: {len(missing)} of {len(rows)} listed videos are not under '
                                            f'{videos_dir!r} (first: {missing[0]!r}); download / unpack UCF101 there')
            for fmt in formats:
                if fmt == 'videos':
                    lines = [f'{rel} {label}' for rel, label in rows]
                else:
                    lines = [rawframe_line(rawframes_dir, osp.splitext(rel)[0], label, f'{src} ({rel})')
                             for rel, label in rows]
                written.append(write_list(osp.join(out_dir, f'ucf101_{subset}_split_{k}_{fmt}.txt'), lines))
    written.append(write_label_map(osp.join(out_dir, 'label_map.txt'), classes))
    return written
