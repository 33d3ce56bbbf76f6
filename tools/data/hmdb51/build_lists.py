#!/usr/bin/env python
"""Build mmaction2 annotation lists for HMDB51 from the official split files.

The official splits (``testTrainMulti_7030_splits.rar``) hold one file per class and split,
``<class>_test_split<k>.txt``, with lines ``<video name> <id>``: id 1 = train, 2 = test, 0 = unused.
This writes, for each requested split k and format::

    hmdb51_train_split_<k>_videos.txt     <class>/<video>.avi <label>
    hmdb51_val_split_<k>_videos.txt
    hmdb51_train_split_<k>_rawframes.txt  <class>/<video> <num_frames> <label>
    hmdb51_val_split_<k>_rawframes.txt

Labels are 0-based indices into ``label_map.txt`` (mmaction2's class order). Shared list code (also for
UCF101's lists and a folder per class: ``tools/data/ucf101/build_lists.py``,
``tools/data/build_action_lists.py``) lives in ``mobilebench/action_lists.py``. Rawframe lists count
``img_*.jpg`` files in ``<rawframes-dir>/<class>/<video>/`` (as written by mmaction2's
``tools/data/build_rawframes.py``).

Example::

    python tools/data/hmdb51/build_lists.py --splits-dir data/hmdb51/testTrainMulti_7030_splits \\
        --out-dir data/hmdb51 --format videos rawframes --rawframes-dir data/hmdb51/rawframes
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import re
from typing import Dict, List, Sequence, Tuple

from mobilebench.action_lists import rawframe_line, read_label_map, write_list

HERE = osp.dirname(osp.abspath(__file__))
SPLIT_FILE = re.compile(r'^(?P<cls>.+)_test_split(?P<split>[123])\.txt$')
USAGE = {'1': 'train', '2': 'val'}  # '0' = not used by this split


def parse_split_file(path: str) -> List[Tuple[str, str]]:
    """``[(video name, '0'|'1'|'2'), ...]`` from one official split file.

    Raises:
        ValueError: for a line that is not ``<name> <0|1|2>``, naming the file and line.
    """
    rows = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or parts[1] not in ('0', '1', '2'):
                raise ValueError(f'{path}, line {lineno} ({line.strip()!r}): expected "<video name> <id>" with '
                                 f'id 1 (train), 2 (test) or 0 (unused)')
            rows.append((parts[0], parts[1]))
    return rows


def build_lists(splits_dir: str, out_dir: str, label_map: str = osp.join(HERE, 'label_map.txt'),
                splits: Sequence[int] = (1, 2, 3), formats: Sequence[str] = ('videos', ),
                rawframes_dir: str = None) -> List[str]:
    """Write the lists; returns the written paths.

    Args:
        splits_dir: folder with the official ``<class>_test_split<k>.txt`` files.
        out_dir: where the lists go.
        label_map: class names, one per line (0-based label = line index).
        splits: which of the three splits to write.
        formats: ``'videos'`` and/or ``'rawframes'``.
        rawframes_dir: root of ``<class>/<video>/img_*.jpg`` (needed for ``'rawframes'``).
    """
    labels = read_label_map(label_map)
    if not osp.isdir(splits_dir):
        raise FileNotFoundError(f'split folder {splits_dir!r} does not exist; unpack the official '
                                f'testTrainMulti_7030_splits.rar there')
    if 'rawframes' in formats and not (rawframes_dir and osp.isdir(rawframes_dir)):
        raise FileNotFoundError(f'--rawframes-dir {rawframes_dir!r} does not exist; extract frames first '
                                f'(mmaction2 tools/data/build_rawframes.py) or write only --format videos')
    found: Dict[int, Dict[str, str]] = {}
    for path in sorted(os.listdir(splits_dir)):
        m = SPLIT_FILE.match(path)
        if not m:
            continue
        cls = m.group('cls')
        if cls not in labels:
            raise ValueError(f'{osp.join(splits_dir, path)}: class {cls!r} is not in {label_map}')
        found.setdefault(int(m.group('split')), {})[cls] = osp.join(splits_dir, path)
    written = []
    os.makedirs(out_dir, exist_ok=True)
    for k in splits:
        files = found.get(k, {})
        missing = sorted(set(labels) - set(files))
        if missing:
            raise FileNotFoundError(f'{splits_dir}: split {k} has no file for {len(missing)} classes '
                                    f'({", ".join(missing[:5])}{"..." if len(missing) > 5 else ""}); expected '
                                    f'<class>_test_split{k}.txt for each of the {len(labels)} classes')
        lines = {(subset, fmt): [] for subset in ('train', 'val') for fmt in formats}
        for cls in sorted(files, key=labels.get):
            for name, usage in parse_split_file(files[cls]):
                if usage not in USAGE:
                    continue
                stem = osp.splitext(name)[0]
                for fmt in formats:
                    if fmt == 'videos':
                        lines[(USAGE[usage], fmt)].append(f'{cls}/{name} {labels[cls]}')
                    else:
                        lines[(USAGE[usage], fmt)].append(
                            rawframe_line(rawframes_dir, f'{cls}/{stem}', labels[cls], f'{files[cls]} ({name})'))
        for (subset, fmt), rows in lines.items():
            written.append(write_list(osp.join(out_dir, f'hmdb51_{subset}_split_{k}_{fmt}.txt'), rows))
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--splits-dir', required=True, help='folder with <class>_test_split<k>.txt')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--label-map', default=osp.join(HERE, 'label_map.txt'))
    parser.add_argument('--splits', type=int, nargs='+', default=[1, 2, 3], choices=[1, 2, 3])
    parser.add_argument('--format', nargs='+', default=['videos'], choices=['videos', 'rawframes'])
    parser.add_argument('--rawframes-dir', default=None)
    args = parser.parse_args(argv)
    for path in build_lists(args.splits_dir, args.out_dir, args.label_map, args.splits, args.format,
                            args.rawframes_dir):
        with open(path) as f:
            print(f'{path}: {sum(1 for _ in f)} lines')


if __name__ == '__main__':
    main()
