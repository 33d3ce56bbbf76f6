"""Generate the two-line (task, backbone) configs from a table: task template -> output file name.

Every generated file is exactly::

    _base_ = ['../_base_/tasks/<task>.py', '../_base_/backbones/<backbone>.py']
    model = dict(backbone={{_base_.backbone}})

To add a task, add one row to ``TASKS`` (template name -> output folder under ``configs/`` and a file name
pattern with ``{backbone}``); to add a backbone, add its ``configs/_base_/backbones/<name>.py`` and its
name to ``BACKBONES`` (or a task-specific list in the row). Then run::

    python tools/misc/generate_task_configs.py            # write the files
    python tools/misc/generate_task_configs.py --check    # exit 1 if a committed file is missing/stale

``tests/test_detection.py`` (and any task's test) compares the committed files with :func:`render_all`.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys
from typing import Dict, Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: the backbones of the suite (configs/_base_/backbones/<name>.py)
BACKBONES = (
    'asymmnet_large_x1.0',
    'asymmnet_small_x1.0',
    'mobilenext_x1.0',
    'hbonet_x1.0',
    'mobilenetv3_large_x1.0',
    'mobilenetv3_small_x1.0',
    'mobilenetv2_x1.0',
)

#: the backbones of the AsymmNet downstream tables (Tables 7-10): the paper's four networks
PAPER_BACKBONES = ('asymmnet_small_x1.0', 'mobilenetv3_small_x1.0', 'asymmnet_large_x1.0', 'mobilenetv3_large_x1.0')

#: task template (configs/_base_/tasks/<key>.py) -> (folder under configs/, file name pattern[, backbones])
TASKS: Dict[str, tuple] = {
    'yolov3_416_voc': ('detection', 'yolov3_416_{backbone}_voc.py'),
    'yolov3_416_coco': ('detection', 'yolov3_416_{backbone}_coco.py'),
    'ssdlite_320_voc': ('detection', 'ssdlite_320_{backbone}_voc.py'),
    'ssdlite_320_coco': ('detection', 'ssdlite_320_{backbone}_coco.py'),
    'simplebaseline_256x192_coco': ('pose', 'simplebaseline_{backbone}_coco-256x192.py'),
    'tsn_hmdb51_video': ('action', 'tsn_{backbone}_hmdb51-video.py'),
    'tsn_hmdb51_rawframes': ('action', 'tsn_{backbone}_hmdb51-rawframes.py'),
    'tsn_ucf101_video': ('action', 'tsn_{backbone}_ucf101-video.py'),
    'tsn_ucf101_rawframes': ('action', 'tsn_{backbone}_ucf101-rawframes.py'),
    # the papers' own task models (AsymmNet Tables 7-10; see docs/paper_check.md)
    'yolov3_416_voc_paper': ('detection', 'yolov3_416_{backbone}_voc_paper.py',
                             PAPER_BACKBONES + ('mobilenetv1_x1.0', )),
    'simplebaseline_256x192_coco_paper': ('pose', 'simplebaseline_{backbone}_coco-256x192_paper.py',
                                          PAPER_BACKBONES),
    'tsn_hmdb51_video_paper': ('action', 'tsn_{backbone}_hmdb51-video_paper.py', PAPER_BACKBONES),
    'arcface_112_ms1m_paper': ('face', 'arcface_{backbone}_ms1m-112_paper.py', PAPER_BACKBONES),
    'ssdlite_320_voc_paper': ('detection', 'ssdlite_320_{backbone}_voc_paper.py', ('mobilenext_x1.0', )),
}

TEMPLATE = ("_base_ = ['../_base_/tasks/{task}.py', '../_base_/backbones/{backbone}.py']\n"
            'model = dict(backbone={{{{_base_.backbone}}}})\n')


def render(task: str, backbone: str) -> str:
    """The text of the (task, backbone) config."""
    return TEMPLATE.format(task=task, backbone=backbone)


def render_all(tasks: Optional[Sequence[str]] = None) -> Dict[str, str]:
    """Map repo-relative output path -> file text for every row of ``TASKS`` (or only ``tasks``)."""
    out = {}
    for task in tasks or TASKS:
        if task not in TASKS:
            raise KeyError(f'unknown task {task!r}; known: {sorted(TASKS)}')
        row = TASKS[task]
        folder, pattern = row[0], row[1]
        backbones = row[2] if len(row) > 2 else BACKBONES
        for backbone in backbones:
            path = osp.join('configs', folder, pattern.format(backbone=backbone))
            out[path] = render(task, backbone)
    return out


def stale_files(files: Dict[str, str], root: str = REPO) -> list:
    """Paths of ``files`` that are missing or differ on disk."""
    stale = []
    for rel, text in files.items():
        path = osp.join(root, rel)
        if not osp.isfile(path) or open(path).read() != text:
            stale.append(rel)
    return stale


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tasks', nargs='+', help=f'rows of TASKS to generate (default: all {sorted(TASKS)})')
    parser.add_argument('--check', action='store_true', help='only check; exit 1 if a file is missing or stale')
    parser.add_argument('--root', default=REPO, help='repository root (default: this checkout)')
    args = parser.parse_args(argv)
    files = render_all(args.tasks)
    stale = stale_files(files, args.root)
    if args.check:
        for rel in stale:
            print(f'stale or missing: {rel}', file=sys.stderr)
        if stale:
            print('run `python tools/misc/generate_task_configs.py` to regenerate', file=sys.stderr)
        return 1 if stale else 0
    for rel in stale:
        path = osp.join(args.root, rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(files[rel])
    for task in args.tasks or TASKS:
        folder = TASKS[task][0]
        missing = [b for b in (TASKS[task][2] if len(TASKS[task]) > 2 else BACKBONES)
                   if not osp.isfile(osp.join(args.root, 'configs', '_base_', 'backbones', f'{b}.py'))]
        if missing:
            print(f'warning: {task}: backbone files not found yet: {missing}', file=sys.stderr)
        if not osp.isfile(osp.join(args.root, 'configs', '_base_', 'tasks', f'{task}.py')):
            print(f'warning: task template configs/_base_/tasks/{task}.py not found ({folder})', file=sys.stderr)
    print(f'{len(stale)} of {len(files)} files written')
    return 0


if __name__ == '__main__':
    sys.exit(main())
