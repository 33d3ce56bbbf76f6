"""Every number of the three papers' results tables, as data (``published_tables.tsv`` next to this file).

One line per printed cell of AsymmNet Tables 5-10, MobileNeXt Tables 3, 6 and 8 and HBONet Tables 2, 7, 8
and 9: ``paper, table, task, dataset, metric, model, width, value, unit``. ``value`` is the string as
printed (never re-rounded: its number of decimals is what :func:`printed_digits` reads), ``model`` the
paper's row name (citation brackets kept), ``width`` the width multiplier as printed (``-`` = none given),
``unit`` ``%``, ``M``, ``G``, ``B``, ``ms`` or ``pp`` (percentage points of a printed "Gain" column).
:data:`PROTOCOLS` gives each table's protocol in one line.

:data:`SUITE_VARIANTS` maps a paper row to the suite's model of it (task key + backbone name), so that the
leaderboard can show the published accuracy beside the reproduced one of the same task, dataset and
variant (:func:`published_for`). The published key is the ``published_key`` of a benchmark task
(``configs/benchmark/*.py``).
"""
from __future__ import annotations

import csv
import os.path as osp
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

__all__ = ['PaperValue', 'PROTOCOLS', 'SUITE_VARIANTS', 'load_paper_values', 'paper_values', 'printed_digits',
           'published_for']

TSV_PATH = osp.join(osp.dirname(osp.abspath(__file__)), 'published_tables.tsv')
_FIELDS = ('paper', 'table', 'task', 'dataset', 'metric', 'model', 'width', 'value', 'unit')
_UNITS = ('%', 'M', 'G', 'B', 'ms', 'pp')

#: one line per table: how the numbers were obtained (the papers' words, condensed)
PROTOCOLS: Dict[Tuple[str, str], str] = {
    ('AsymmNet', 'Table 5'): 'ImageNet top-1, 224x224, MXNet/GluonCV, 360 epochs (5 warm-up), cosine LR 2.6, '
                             'batch 256 on 8 GPUs; latency MNN on Snapdragon-855, 1 thread, mean of 1000 runs',
    ('AsymmNet', 'Table 6'): 'ImageNet top-1 ablation of the asymmetry rate r (r = 0 is MobileNetV3), Table 5 '
                             'schedule',
    ('AsymmNet', 'Table 7'): 'ArcFace loss, MS-Celeb-1M from scratch, 112x112, GDC head (MobileFaceNet); '
                             'verification accuracy on LFW, CALFW, CPLFW, AgeDB-30, VGGFace2',
    ('AsymmNet', 'Table 8'): 'TSN on HMDB51, 224x224 (split, segments and schedule not stated); MAdds per frame',
    ('AsymmNet', 'Table 9'): 'SimpleBaseline (GluonCV MobilePose), COCO keypoints, 256x192; AP / AP50 / AP75',
    ('AsymmNet', 'Table 10'): 'YOLOv3 (GluonCV), VOC07+12 trainval -> VOC07 test, 416x416; mAP',
    ('MobileNeXt', 'Table 3'): 'ImageNet top-1, 224x224, PyTorch, 200 epochs (3 warm-up), cosine LR 0.05, '
                               'batch 256 on 4 GPUs',
    ('MobileNeXt', 'Table 6'): 'ImageNet-1k top-1; baselines cited from their papers',
    ('MobileNeXt', 'Table 8'): 'SSDLite320 (SSD300 for VGG) on VOC07 test, batch 24, 240k iterations; taps: '
                               'last pointwise conv at stride 16 and 32',
    ('HBONet', 'Table 2'): 'ImageNet val, single crop, 150 epochs, cosine LR 0.05, batch 256; MobileNetV2 '
                           're-trained by the authors with the same schedule',
    ('HBONet', 'Table 7'): 'ImageNet val, single crop; baselines cited from their papers',
    ('HBONet', 'Table 8'): 'SSD (MobileNetV2 + SSD heads), VOC07+12 trainval -> VOC07 test, "SSD320", batch 32, '
                           '560 epochs',
    ('HBONet', 'Table 9'): 'Market-1501 re-ID, AMSGrad, 90 epochs, batch 32, label smoothing; mAP / Rank-1',
}

#: (paper, table, model as printed) -> (suite published key, suite backbone name): the suite's model of the row
SUITE_VARIANTS: Dict[Tuple[str, str, str], Tuple[str, str]] = {}
for _table, _task, _names in (
        ('Table 10', 'voc_yolov3_paper', {'AsymmNet-s': 'asymmnet_small_x1.0', 'MBV3-s': 'mobilenetv3_small_x1.0',
                                          'AsymmNet-L': 'asymmnet_large_x1.0', 'MBV3-L': 'mobilenetv3_large_x1.0',
                                          'MobileNetV1[12]': 'mobilenetv1_x1.0'}),
        ('Table 9', 'coco_pose_paper', {'AsymmNet-s': 'asymmnet_small_x1.0', 'MBV3-s[12]': 'mobilenetv3_small_x1.0',
                                        'AsymmNet-L': 'asymmnet_large_x1.0',
                                        'MBV3-L[12]': 'mobilenetv3_large_x1.0'}),
        ('Table 8', 'hmdb51_tsn_paper', {'AsymmNet-s': 'asymmnet_small_x1.0', 'MBV3-s': 'mobilenetv3_small_x1.0',
                                         'AsymmNet-L': 'asymmnet_large_x1.0', 'MBV3-L': 'mobilenetv3_large_x1.0',
                                         'ResNet50_v1b [12]': 'resnet50-v1b'}),
        ('Table 7', 'face_arcface_paper', {'AsymmNet-s': 'asymmnet_small_x1.0', 'MBV3-s': 'mobilenetv3_small_x1.0',
                                           'AsymmNet-L': 'asymmnet_large_x1.0',
                                           'MBV3-L': 'mobilenetv3_large_x1.0'})):
    for _model, _backbone in _names.items():
        SUITE_VARIANTS[('AsymmNet', _table, _model)] = (_task, _backbone)
for _width, _suffix in (('1.0', 'x1.0'), ('0.5', 'x0.5'), ('0.25', 'x0.25'), ('0.1', 'x0.1')):
    SUITE_VARIANTS[('HBONet', 'Table 8', f'MobileNetV2 SSD320 ({_width})')] = ('ssdlite_320', f'mobilenetv2_{_suffix}')
    SUITE_VARIANTS[('HBONet', 'Table 8', f'HBONet SSD320 ({_width})')] = ('ssdlite_320', f'hbonet_{_suffix}')
SUITE_VARIANTS[('MobileNeXt', 'Table 8', 'MobileNeXt')] = ('ssdlite_320', 'mobilenext_x1.0')
SUITE_VARIANTS[('MobileNeXt', 'Table 8', 'MobileNetV2 [31]')] = ('ssdlite_320', 'mobilenetv2_x1.0')


@dataclass(frozen=True)
class PaperValue:
    """One printed cell of a paper's results table."""
    paper: str
    table: str
    task: str
    dataset: str
    metric: str
    model: str
    width: str
    value: str
    unit: str

    @property
    def number(self) -> float:
        return float(self.value)

    @property
    def protocol(self) -> str:
        return PROTOCOLS.get((self.paper, self.table), '')


def printed_digits(value: str) -> int:
    """Number of decimals as printed (``'5.99'`` -> 2, ``'43'`` -> 0)."""
    return len(value.split('.', 1)[1]) if '.' in value else 0


def load_paper_values(path: str = TSV_PATH) -> List[PaperValue]:
    """Read and validate the TSV.

    Raises:
        ValueError: naming the file, line and field of a malformed line.
    """
    out = []
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.reader(f, delimiter='\t')
        header = next(reader, None)
        if tuple(header or ()) != _FIELDS:
            raise ValueError(f'{path}: line 1: header must be {"<TAB>".join(_FIELDS)}, got {header!r}')
        for lineno, row in enumerate(reader, start=2):
            if len(row) != len(_FIELDS):
                raise ValueError(f'{path}: line {lineno}: expected {len(_FIELDS)} tab-separated fields, got '
                                 f'{len(row)}')
            item = PaperValue(*row)
            try:
                item.number
            except ValueError:
                raise ValueError(f'{path}: line {lineno}: field "value" must be a number as printed, got '
                                 f'{item.value!r}') from None
            if item.unit not in _UNITS:
                raise ValueError(f'{path}: line {lineno}: field "unit" must be one of {_UNITS}, got {item.unit!r}')
            out.append(item)
    return out


@lru_cache(maxsize=None)
def _cached() -> Tuple[PaperValue, ...]:
    return tuple(load_paper_values())


def paper_values(paper: Optional[str] = None, table: Optional[str] = None, model: Optional[str] = None,
                 metric: Optional[str] = None, width: Optional[str] = None) -> List[PaperValue]:
    """The values matching every given field."""
    want = dict(paper=paper, table=table, model=model, metric=metric, width=width)
    return [v for v in _cached() if all(x is None or getattr(v, k) == x for k, x in want.items())]


def published_for(key: str, backbone: str) -> List[PaperValue]:
    """The papers' values for the suite's (published key, backbone name), e.g. ``('voc_yolov3_paper',
    'asymmnet_small_x1.0')`` -> AsymmNet Table 10's AsymmNet-s mAP, MAdds and params."""
    rows = [row for row, variant in SUITE_VARIANTS.items() if variant == (key, backbone)]
    return [v for paper, table, model in rows for v in paper_values(paper, table, model)]
