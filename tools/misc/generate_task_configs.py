#!/usr/bin/env python
"""Generate the (task, backbone) configs from a table of rows: task template -> output file name.

Every generated file is the task template plus a backbone file, with the channel widths that depend on the
backbone written out as literals, e.g. ``configs/detection/yolov3_416_asymmnet_small_x1.0_voc.py``::

    _base_ = ['../_base_/tasks/yolov3_416_voc.py', '../_base_/backbones/asymmnet_small_x1.0.py']
    # widths: the backbone's out_channels at the template's taps (tools/misc/generate_task_configs.py)
    model = dict(
        backbone={{_base_.backbone}},
        neck=dict(in_channels=[96, 48, 24]))

so that any OpenMMLab tool (mmdet's ``tools/train.py``, ``mim train``, ``Config.fromfile``) loads it as it
is. The widths are the values of the template's ``'@backbone.out_channels...'`` placeholders for that
backbone (:func:`mobilebench.config.placeholder_values`: the backbone is built, no forward pass); nobody types
a width by hand.

To add a task, append one :class:`Row` to ``ROWS`` (template name under ``configs/_base_/tasks/``, folder under
``configs/``, file name pattern with ``{backbone}``, optionally its own backbone list); to add a backbone, add its
``configs/_base_/backbones/<name>.py`` and its name to ``mobilebench.config.SUITE_BACKBONES``. Then::

    python tools/misc/generate_task_configs.py            # write the missing or stale files
    python tools/misc/generate_task_configs.py --check    # exit 1 if a committed file is missing or stale
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from mobilebench.config import SUITE_BACKBONES, compose_config, placeholder_values
from mobilebench.fileio import stale_files, sync_files  # noqa: F401  (stale_files: used by the tests)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


#: the backbones of the AsymmNet downstream tables (Tables 7-10): the paper's four networks
PAPER_BACKBONES = ('asymmnet_small_x1.0', 'mobilenetv3_small_x1.0', 'asymmnet_large_x1.0', 'mobilenetv3_large_x1.0')


class Row(NamedTuple):
    """One row of the table: ``configs/_base_/tasks/<template>.py`` x each backbone ->
    ``configs/<folder>/<pattern with {backbone}>``."""
    template: str
    folder: str
    pattern: str
    backbones: Optional[Tuple[str, ...]] = None  # default: SUITE_BACKBONES


ROWS: List[Row] = [
    Row('yolov3_416_voc', 'detection', 'yolov3_416_{backbone}_voc.py'),
    Row('yolov3_416_coco', 'detection', 'yolov3_416_{backbone}_coco.py'),
    Row('ssdlite_320_voc', 'detection', 'ssdlite_320_{backbone}_voc.py'),
    Row('ssdlite_320_coco', 'detection', 'ssdlite_320_{backbone}_coco.py'),
    Row('simplebaseline_256x192_coco', 'pose', 'simplebaseline_{backbone}_coco-256x192.py'),
    Row('tsn_hmdb51_video', 'action', 'tsn_{backbone}_hmdb51-video.py'),
    Row('tsn_hmdb51_rawframes', 'action', 'tsn_{backbone}_hmdb51-rawframes.py'),
    Row('tsn_ucf101_video', 'action', 'tsn_{backbone}_ucf101-video.py'),
    Row('tsn_ucf101_rawframes', 'action', 'tsn_{backbone}_ucf101-rawframes.py'),
    Row('arcface_112_ms1m', 'face', 'arcface_{backbone}_ms1m-112.py'),
    # the papers' own task models (AsymmNet Tables 7-10, MobileNeXt Table 8; see docs/paper_check.md)
    Row('yolov3_416_voc_paper', 'detection', 'yolov3_416_{backbone}_voc_paper.py',
        PAPER_BACKBONES + ('mobilenetv1_x1.0', )),
    Row('simplebaseline_256x192_coco_paper', 'pose', 'simplebaseline_{backbone}_coco-256x192_paper.py',
        PAPER_BACKBONES),
    Row('tsn_hmdb51_video_paper', 'action', 'tsn_{backbone}_hmdb51-video_paper.py', PAPER_BACKBONES),
    Row('arcface_112_ms1m_paper', 'face', 'arcface_{backbone}_ms1m-112_paper.py', PAPER_BACKBONES),
    Row('ssdlite_320_voc_paper', 'detection', 'ssdlite_320_{backbone}_voc_paper.py', ('mobilenext_x1.0', )),
]

HEADER = ("_base_ = ['../_base_/tasks/{template}.py', '../_base_/backbones/{backbone}.py']\n"
          "# widths: the backbone's out_channels at the template's taps (tools/misc/generate_task_configs.py)\n")


def _rows(templates: Optional[Sequence[str]] = None) -> List[Row]:
    known = [row.template for row in ROWS]
    for name in templates or ():
        if name not in known:
            raise KeyError(f'unknown task template {name!r}; rows of ROWS: {known}')
    return [row for row in ROWS if not templates or row.template in templates]


def config_paths(templates: Optional[Sequence[str]] = None) -> List[str]:
    """Repo-relative paths of the configs the rows generate (nothing is built)."""
    return [osp.join('configs', row.folder, row.pattern.format(backbone=bb))
            for row in _rows(templates) for bb in (row.backbones or SUITE_BACKBONES)]


def _literal(value) -> str:
    return repr(list(value)) if isinstance(value, (list, tuple)) else repr(value)


def _item(key: str, value) -> str:
    """``key=value`` with nested dicts written as ``key=dict(...)``."""
    if isinstance(value, dict):
        return f'{key}=dict({", ".join(_item(k, v) for k, v in value.items())})'
    return f'{key}={_literal(value)}'


def render(template: str, backbone: str, root: str = REPO) -> str:
    """The text of the (template, backbone) config."""
    cfg = compose_config(osp.join(root, 'configs', '_base_', 'tasks', f'{template}.py'),
                         osp.join(root, 'configs', '_base_', 'backbones', f'{backbone}.py'))
    widths: Dict[str, dict] = {}
    for path, value in placeholder_values(cfg).items():
        if any(not isinstance(p, str) for p in path):
            raise ValueError(f'configs/_base_/tasks/{template}.py: placeholder at {path} is inside a list; put '
                             f'width placeholders only under dict keys')
        node = widths
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    text = HEADER.format(template=template, backbone=backbone)
    model = widths.pop('model', {})
    text += 'model = dict(\n    backbone={{_base_.backbone}}'
    for key, value in model.items():
        text += ',\n    ' + _item(key, value)
    text += ')\n'
    for key, value in widths.items():
        text += _item(key, value).replace('=', ' = ', 1) + '\n'
    return text


def render_all(templates: Optional[Sequence[str]] = None, root: str = REPO) -> Dict[str, str]:
    """Map repo-relative output path -> file text for every row (or only the rows of ``templates``)."""
    out = {}
    for row in _rows(templates):
        for backbone in row.backbones or SUITE_BACKBONES:
            out[osp.join('configs', row.folder, row.pattern.format(backbone=backbone))] = render(
                row.template, backbone, root)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tasks', nargs='+', metavar='TEMPLATE',
                        help=f'rows to generate (default: all of {[row.template for row in ROWS]})')
    parser.add_argument('--check', action='store_true', help='only check; exit 1 if a file is missing or stale')
    parser.add_argument('--root', default=REPO, help='repository root (default: this checkout)')
    args = parser.parse_args(argv)
    import mobilebench.compat  # noqa: F401  (torch / numpy compatibility of the pinned stack)
    return sync_files(render_all(args.tasks, args.root), args.root, args.check, 'tools/misc/generate_task_configs.py')


if __name__ == '__main__':
    sys.exit(main())
