"""Published reference rows shown beside reproduced runs in the leaderboard (marked "published").

Two kinds of rows, each labelled with its source:

- **upstream OpenMMLab baselines** (:data:`UPSTREAM`): figures of the mmdet / mmpose / mmaction2 model zoos
  and insightface, for context; their complexity is not given (``None``, shown as "n/a").
- **the papers' rows** (from :mod:`mobilebench.benchmark.paper_results`, the papers' tables as data): every
  published accuracy of AsymmNet Tables 7-10, MobileNeXt Table 8 and HBONet Table 8, with the papers'
  params / MAdds, attached to the suite task (published key) that runs the same task and dataset. A row is
  named after the suite backbone that builds it (e.g. ``asymmnet_small_x1.0 (AsymmNet-s)``), so it sits
  beside the reproduced run of the same variant.

Metric values use the suite's metric keys and scale (fractions in [0, 1]; mmpretrain's `accuracy/top1` in percent). MAdds and params are in
millions, in the counting ``convention`` of their source (:mod:`mobilebench.complexity`): every AsymmNet
figure is ``mxnet-summary`` (the MXNet tool the authors used); MobileNeXt / HBONet figures are ``true``.
``dataset`` says where a number was measured, because some upstream baselines are on COCO while the papers
use VOC (context, not like-for-like rows).
"""
from __future__ import annotations

from typing import Dict, List, Optional

from .paper_results import SUITE_VARIANTS, paper_values

#: the counting convention of each paper's complexity figures
PAPER_CONVENTION = {'AsymmNet': 'mxnet-summary', 'MobileNeXt': 'true', 'HBONet': 'true'}

#: (paper metric, dataset as in the TSV or None for any) -> the suite's metric key
METRIC_KEYS = {
    'mAP': 'pascal_voc/mAP',
    'AP': 'coco/AP', 'AP50': 'coco/AP .5', 'AP75': 'coco/AP .75',
    'Top-1 Acc': 'acc/top1',
}
FACE_KEYS = {'LFW': 'lfw/accuracy', 'AgeDB-30': 'agedb_30/accuracy', 'CALFW': 'calfw/accuracy',
             'CPLFW': 'cplfw/accuracy', 'VGGFace2': 'vggface2/accuracy'}

#: published key -> the papers' tables whose rows belong to it
PAPER_TABLES = {
    'yolov3_416': [('AsymmNet', 'Table 10')],
    'voc_yolov3_paper': [('AsymmNet', 'Table 10')],
    'simplebaseline_256x192': [('AsymmNet', 'Table 9')],
    'coco_pose_paper': [('AsymmNet', 'Table 9')],
    'tsn_hmdb51': [('AsymmNet', 'Table 8')],
    'hmdb51_tsn_paper': [('AsymmNet', 'Table 8')],
    'arcface_112': [('AsymmNet', 'Table 7')],
    'face_arcface_paper': [('AsymmNet', 'Table 7')],
    'ssdlite_320': [('MobileNeXt', 'Table 8'), ('HBONet', 'Table 8')],
}
#: published key -> the input size (height, width) at which its paper rows were measured and counted, as the
#: papers state it: AsymmNet Sec. 4 (YOLOv3 "416 x 416", SimplePose "256 x 192", TSN "224 x 224", ArcFace
#: "112 x 112"); MobileNeXt / HBONet name the detector SSDLite320 / SSD320
PAPER_INPUT_HW = {
    'yolov3_416': (416, 416), 'voc_yolov3_paper': (416, 416),
    'simplebaseline_256x192': (256, 192), 'coco_pose_paper': (256, 192),
    'tsn_hmdb51': (224, 224), 'hmdb51_tsn_paper': (224, 224),
    'arcface_112': (112, 112), 'face_arcface_paper': (112, 112),
    'ssdlite_320': (320, 320),
}
#: the papers' ImageNet tables are at 224 x 224, single crop
IMAGENET_INPUT_HW = (224, 224)
#: published keys whose paper rows were measured on a different model than the suite's task of that key
_OTHER_MODEL = {
    'yolov3_416': "the paper's model is GluonCV's YOLOv3, the suite's voc_yolov3_paper task",
    'simplebaseline_256x192': "the paper's head is GluonCV's DUC head, the suite's coco_pose_paper task",
    'tsn_hmdb51': "the paper's head keeps the 1280-ch pre-logits conv, the suite's hmdb51_tsn_paper task",
    'arcface_112': "the paper's embedding is 128-d, the suite's face_arcface_paper task",
}

#: upstream OpenMMLab / insightface baselines (context rows)
UPSTREAM: Dict[str, List[Dict]] = {
    'yolov3_416': [
        dict(backbone='MobileNetV2 (mmdet)', source='upstream: mmdet yolov3_mobilenetv2_8xb24-ms-416-300e_coco',
             dataset='COCO val2017 (box AP)', metrics={'coco/bbox_mAP': 0.239}, madds_m=None, params_m=None),
    ],
    'ssdlite_320': [
        dict(backbone='MobileNetV2 (mmdet)', source='upstream: mmdet ssdlite_mobilenetv2-scratch_8xb24-600e_coco',
             dataset='COCO val2017 (box AP)', metrics={'coco/bbox_mAP': 0.213}, madds_m=None, params_m=None),
        dict(backbone='VGG16 SSD300 (mmdet)', source='upstream: mmdet pascal_voc/ssd300_voc0712',
             dataset='VOC07 test', metrics={'pascal_voc/mAP': 0.765}, madds_m=None, params_m=None),
    ],
    'simplebaseline_256x192': [
        dict(backbone='MobileNetV2 (mmpose)', source='upstream: mmpose td-hm_mobilenetv2_8xb64-210e_coco-256x192',
             dataset='COCO val2017 (det. boxes)',
             metrics={'coco/AP': 0.648, 'coco/AP .5': 0.874, 'coco/AP .75': 0.725, 'coco/AR': 0.709},
             madds_m=None, params_m=None),
    ],
    'tsn_hmdb51': [
        dict(backbone='ResNet50 (ImageNet-pretrained)', source='upstream: mmaction2 v0.24 tsn_r50_1x1x8_50e_hmdb51',
             dataset='HMDB51 split 1', metrics={'acc/top1': 0.4895, 'acc/top5': 0.8019}, madds_m=None,
             params_m=None),
    ],
    'arcface_112': [
        dict(backbone='MobileFaceNet (buffalo_s)', source='upstream: insightface model_zoo README',
             dataset='WebFace600K -> LFW / CFP-FP / AgeDB-30',
             metrics={'lfw/accuracy': 0.9970, 'cfp_fp/accuracy': 0.9800, 'agedb_30/accuracy': 0.9658},
             madds_m=None, params_m=None),
    ],
    # Person re-ID at 256x128 on Market-1501 (single query; no complexity is reported in the table)
    'reid_256x128_market1501': [
        dict(backbone=f'{name} ({w})', source='HBONet Table 9', dataset='Market-1501',
             metrics={'market1501/mAP': m, 'market1501/rank1': r1}, madds_m=None, params_m=None)
        for name, w, m, r1 in (
            ('MobileNetV2', '1.0', 0.705, 0.885), ('HBONet', '1.0', 0.744, 0.902),
            ('MobileNetV2', '0.5', 0.673, 0.866), ('HBONet', '0.5', 0.710, 0.887),
            ('MobileNetV2', '0.25', 0.601, 0.817), ('HBONet', '0.25', 0.637, 0.845),
            ('MobileNetV2', '0.1', 0.437, 0.683), ('HBONet', '0.1', 0.477, 0.732))
    ] + [dict(backbone='ResNet-50', source='HBONet Table 9 (reference row)', dataset='Market-1501',
              metrics={'market1501/mAP': 0.703, 'market1501/rank1': 0.885}, madds_m=None, params_m=None)],
}
for _key in ('voc_yolov3_paper', 'coco_pose_paper', 'hmdb51_tsn_paper', 'face_arcface_paper'):
    UPSTREAM[_key] = []

#: the paper's units in millions
_TO_MILLIONS = {'M': 1.0, 'G': 1e3, 'B': 1e3}


def _metric_key(value) -> Optional[str]:
    if value.task.startswith('face recognition'):
        return FACE_KEYS.get(value.dataset)
    return METRIC_KEYS.get(value.metric)


def paper_rows(key: str) -> List[Dict]:
    """The papers' rows of published key ``key`` (one per printed model row), with accuracies as fractions."""
    out = []
    for paper, table in PAPER_TABLES.get(key, []):
        by_model: Dict[str, Dict] = {}
        for v in paper_values(paper, table):
            variant = SUITE_VARIANTS.get((paper, table, v.model))
            label = f'{variant[1]} ({v.model})' if variant else v.model
            row = by_model.setdefault(v.model, dict(
                backbone=label, source=f'published: {paper} {table}' + (
                    f' ({_OTHER_MODEL[key]})' if key in _OTHER_MODEL else ''),
                dataset=v.dataset if not v.task.startswith('face') else 'MS1M -> LFW / CALFW / CPLFW / AgeDB-30',
                protocol=v.protocol, metrics={}, madds_m=None, params_m=None,
                convention=PAPER_CONVENTION[paper], paper_row=(paper, table, v.model),
                input_hw=PAPER_INPUT_HW.get(key)))
            if v.metric in ('MAdds', 'MFLOPs (Multiply-Adds)'):
                row['madds_m'] = v.number * _TO_MILLIONS[v.unit]
            elif v.metric == 'Params':
                row['params_m'] = v.number * _TO_MILLIONS[v.unit]
            elif v.unit == '%' and _metric_key(v):
                row['metrics'][_metric_key(v)] = v.number / 100
        out.extend(by_model.values())
    return out

# ImageNet-1k top-1 / top-5 (%, mmpretrain's `accuracy/top1` scale), MAdds and params (M) at 224, as printed:
# (backbone, width, source, top-1, top-5, MAdds, params); None where the table has no such column
_IMAGENET = [
    *[(f'{net}-{scale} x{w}', w, 'AsymmNet Table 5', top1, None, madds, params)
      for net, scale, w, top1, madds, params in [
          ('AsymmNet', 'L', 0.35, 65.4, 43, 2.2), ('AsymmNet-pruned', 'L', 0.35, 63.3, 36.9, 2.1),
          ('MobileNetV3', 'L', 0.35, 64.2, 40, 2.2), ('AsymmNet', 'S', 0.35, 55, 15, 1.7),
          ('AsymmNet-pruned', 'S', 0.35, 53.2, 13.6, 1.7), ('MobileNetV3', 'S', 0.35, 49.8, 12, 1.4),
          ('AsymmNet', 'L', 0.5, 69.2, 67.2, 2.8), ('AsymmNet-pruned', 'L', 0.5, 68.3, 59, 2.6),
          ('MobileNetV3', 'L', 0.5, 68.8, 69, 2.6), ('AsymmNet', 'S', 0.5, 58.9, 20.6, 1.9),
          ('AsymmNet-pruned', 'S', 0.5, 57.3, 18.6, 1.9), ('MobileNetV3', 'S', 0.5, 58, 21, 1.6),
          ('AsymmNet', 'L', 0.75, 73.5, 142.1, 4.2), ('AsymmNet-pruned', 'L', 0.75, 72.6, 125.3, 3.8),
          ('MobileNetV3', 'L', 0.75, 73.3, 155, 4), ('AsymmNet', 'S', 0.75, 65.6, 40.8, 2.5),
          ('AsymmNet-pruned', 'S', 0.75, 64, 36.9, 2.3), ('MobileNetV3', 'S', 0.75, 65.4, 44, 2),
          ('AsymmNet', 'L', 1.0, 75.4, 216.9, 5.99), ('AsymmNet-pruned', 'L', 1.0, 74.9, 193.6, 5.3),
          ('MobileNetV3', 'L', 1.0, 75.2, 216.5, 5.4), ('AsymmNet', 'S', 1.0, 68.4, 57.7, 3.1),
          ('AsymmNet-pruned', 'S', 1.0, 67, 52.5, 2.6), ('MobileNetV3', 'S', 1.0, 67.5, 57, 2.5),
          ('AsymmNet', 'L', 1.25, 76.4, 349.8, 8.3), ('AsymmNet-pruned', 'L', 1.25, 76.1, 311, 7.2),
          ('MobileNetV3', 'L', 1.25, 76.6, 356, 7.5), ('AsymmNet', 'S', 1.25, 70.6, 91.7, 3.9),
          ('AsymmNet-pruned', 'S', 1.25, 69.8, 83.1, 3.5), ('MobileNetV3', 'S', 1.25, 70.4, 91, 3.6)]],
    ('AsymmNet-L r=2 x1.0', 1.0, 'AsymmNet Table 6', 74.8, None, 217.3, 6.6),
    ('AsymmNet-S r=2 x1.0', 1.0, 'AsymmNet Table 6', 68.0, None, 58.5, 3.3),
    *[(f'{net} x{w}', w, 'MobileNeXt Table 3', top1, None, madds, params) for net, w, params, madds, top1 in [
        ('MobileNetV2', 1.4, 6.9, 690, 74.9), ('MobileNetV2', 1.0, 3.5, 300, 72.3),
        ('MobileNetV2', 0.75, 2.6, 150, 69.9), ('MobileNetV2', 0.5, 2.0, 97, 65.4),
        ('MobileNetV2', 0.35, 1.7, 59, 60.3), ('MobileNeXt', 1.4, 6.1, 590, 76.1),
        ('MobileNeXt', 1.0, 3.4, 300, 74.0), ('MobileNeXt', 0.75, 2.5, 210, 72.0),
        ('MobileNeXt', 0.5, 2.1, 110, 67.7), ('MobileNeXt', 0.35, 1.8, 80, 64.7)]],
    *[(f'MobileNeXt identity x{m} x1.0', 1.0, 'MobileNeXt Table 7', top1, None, None, 3.4)
      for m, top1 in [('1/2', 74.09), ('1/3', 73.91), ('1/6', 73.68)]],
    *[(f'{net} x{w}', w, 'HBONet Table 2', top1, top5, madds, None) for net, w, top1, top5, madds in [
        ('MobileNetV2', 1.0, 72.2, 90.5, 300), ('HBONet', 1.0, 73.1, 91.0, 305),
        ('MobileNetV2', 0.75, 70.0, 89.0, 209), ('HBONet', 0.8, 71.3, 89.7, 205),
        ('MobileNetV2', 0.5, 64.6, 85.4, 97), ('HBONet', 0.5, 67.0, 86.9, 96),
        ('MobileNetV2', 0.35, 59.7, 81.7, 59), ('HBONet', 0.35, 62.4, 83.7, 61),
        ('MobileNetV2', 0.25, 52.3, 75.9, 37), ('HBONet', 0.25, 57.3, 79.8, 37),
        ('MobileNetV2', 0.1, 34.9, 56.6, 13), ('HBONet', 0.1, 41.5, 65.7, 14)]],
]


def _imagenet_rows(widths=None) -> List[Dict]:
    return [dict(backbone=name, source=source, dataset='ImageNet-1k val, 224 single crop',
                 metrics={k: float(v) for k, v in (('accuracy/top1', top1), ('accuracy/top5', top5)) if v is not None},
                 madds_m=None if madds is None else float(madds), params_m=None if params is None else float(params),
                 input_hw=IMAGENET_INPUT_HW)
            for name, w, source, top1, top5, madds, params in _IMAGENET if widths is None or w in widths]


#: ImageNet classification at 224 (the papers' ImageNet tables, counted as each paper counts): the width-1.0 rows
#: (benchmarks at x1.0) and every width
IMAGENET: Dict[str, List[Dict]] = {
    'imagenet_224': _imagenet_rows(widths=(1.0, )),
    'imagenet_224_all_widths': _imagenet_rows(),
}


def published_rows(key) -> List[Dict]:
    """The published rows for ``key``: the papers' rows, then the upstream baselines (empty if unknown/None).
    Every row has ``convention`` (``None`` where no complexity is given) and ``input_hw``, the (height, width)
    its complexity was counted at (``None`` where no complexity is given)."""
    if not key:
        return []
    rows = paper_rows(key) + [dict(r, convention=None, input_hw=None) for r in UPSTREAM.get(key, [])]
    rows += [dict(r, convention=PAPER_CONVENTION.get(r['source'].split()[0]) if r['madds_m'] is not None else None)
             for r in IMAGENET.get(key, [])]
    return rows


#: kept for callers of the former module layout: published key -> rows
PUBLISHED: Dict[str, List[Dict]] = {key: published_rows(key)
                                     for key in sorted(set(UPSTREAM) | set(PAPER_TABLES) | set(IMAGENET))}
