"""Published reference rows shown beside reproduced runs in the leaderboard (marked "published").

Only figures printed in the papers' tables or written in the project's reference notes
(``openmmlab_notes.md``) and issues are here; a value they do not give is ``None`` (shown as "n/a"),
never guessed. Metric values use the same scale as the suite's metric keys (mmdet / mmpose / mmaction2
report fractions in [0, 1], mmpretrain's ``accuracy/top1`` percent).
MAdds and params are in millions; MAdds count one multiply-add once (= mmengine "flops").

Each entry of :data:`PUBLISHED` is keyed by a *published key* that a benchmark task names with
``published_key=...``; ``dataset`` says where the number was measured, because some upstream
baselines are on COCO while the papers use VOC (they are context, not like-for-like rows).
"""
from __future__ import annotations

from typing import Dict, List

PUBLISHED: Dict[str, List[Dict]] = {
    # YOLOv3 at 416
    'yolov3_416': [
        dict(backbone='AsymmNet-S', source='AsymmNet Table 10', dataset='VOC07+12 -> VOC07 test',
             metrics={}, madds_m=7990.0, params_m=9.33),
        dict(backbone='AsymmNet-L', source='AsymmNet Table 10', dataset='VOC07+12 -> VOC07 test',
             metrics={}, madds_m=8580.0, params_m=11.97),
        dict(backbone='MobileNetV2 (mmdet)', source='mmdet yolov3_mobilenetv2_8xb24-ms-416-300e_coco',
             dataset='COCO val2017 (box AP)', metrics={'coco/bbox_mAP': 0.239}, madds_m=None, params_m=None),
    ],
    # SSDLite at 320
    'ssdlite_320': [
        dict(backbone='MobileNeXt x1.0', source='MobileNeXt Table 8', dataset='VOC07+12 -> VOC07 test',
             metrics={}, madds_m=800.0, params_m=4.3),
        dict(backbone='MobileNetV2 (mmdet)', source='mmdet ssdlite_mobilenetv2-scratch_8xb24-600e_coco',
             dataset='COCO val2017 (box AP)', metrics={'coco/bbox_mAP': 0.213}, madds_m=None, params_m=None),
        dict(backbone='VGG16 SSD300 (mmdet)', source='mmdet pascal_voc/ssd300_voc0712', dataset='VOC07 test',
             metrics={'pascal_voc/mAP': 0.765}, madds_m=None, params_m=None),
    ],
    # SimpleBaseline 256x192
    'simplebaseline_256x192': [
        dict(backbone='AsymmNet-S', source='AsymmNet Table 9', dataset='COCO val2017', metrics={},
             madds_m=310.7, params_m=1.7),
        dict(backbone='AsymmNet-L', source='AsymmNet Table 9', dataset='COCO val2017', metrics={},
             madds_m=523.9, params_m=4.3),
        dict(backbone='MobileNetV2 (mmpose)', source='mmpose td-hm_mobilenetv2_8xb64-210e_coco-256x192',
             dataset='COCO val2017 (det. boxes)',
             metrics={'coco/AP': 0.648, 'coco/AP .5': 0.874, 'coco/AP .75': 0.725, 'coco/AR': 0.709},
             madds_m=None, params_m=None),
    ],
    # TSN on HMDB51
    'tsn_hmdb51': [
        dict(backbone='AsymmNet-S', source='AsymmNet Table 8', dataset='HMDB51 split 1', metrics={},
             madds_m=56.5, params_m=1.9),
        dict(backbone='AsymmNet-L', source='AsymmNet Table 8', dataset='HMDB51 split 1', metrics={},
             madds_m=215.7, params_m=4.8),
        dict(backbone='ResNet50-v1b', source='AsymmNet Table 8', dataset='HMDB51 split 1',
             metrics={'acc/top1': 0.552}, madds_m=None, params_m=None),
        dict(backbone='ResNet50 (ImageNet-pretrained)', source='mmaction2 v0.24 tsn_r50_1x1x8_50e_hmdb51',
             dataset='HMDB51 split 1', metrics={'acc/top1': 0.4895, 'acc/top5': 0.8019}, madds_m=None,
             params_m=None),
    ],
    # ArcFace at 112x112
    'arcface_112': [
        dict(backbone='AsymmNet-S', source='AsymmNet Table 7', dataset='MS1M', metrics={}, madds_m=10.3,
             params_m=0.3),
        dict(backbone='AsymmNet-L', source='AsymmNet Table 7', dataset='MS1M', metrics={}, madds_m=41.6,
             params_m=1.1),
        dict(backbone='MobileFaceNet (buffalo_s)', source='insightface model_zoo README',
             dataset='WebFace600K -> LFW / CFP-FP / AgeDB-30',
             metrics={'lfw/accuracy': 0.9970, 'cfp_fp/accuracy': 0.9800, 'agedb_30/accuracy': 0.9658},
             madds_m=None, params_m=None),
    ],
}

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
                 madds_m=None if madds is None else float(madds), params_m=None if params is None else float(params))
            for name, w, source, top1, top5, madds, params in _IMAGENET if widths is None or w in widths]


# ImageNet classification at 224: the width-1.0 rows (benchmarks at x1.0) and every width
PUBLISHED['imagenet_224'] = _imagenet_rows(widths=(1.0, ))
PUBLISHED['imagenet_224_all_widths'] = _imagenet_rows()


def published_rows(key) -> List[Dict]:
    """The published rows for ``key`` (empty if unknown or ``None``)."""
    return list(PUBLISHED.get(key, [])) if key else []
