"""Published reference rows shown beside reproduced runs in the leaderboard (marked "published").

Only figures written in the project's reference notes (``openmmlab_notes.md``) and issues are here;
a value the notes do not give is ``None`` (shown as "n/a"), never guessed. Metric values use the
same scale as the suite's metric keys (mmdet / mmpose / mmaction2 report fractions in [0, 1]).
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


def published_rows(key) -> List[Dict]:
    """The published rows for ``key`` (empty if unknown or ``None``)."""
    return list(PUBLISHED.get(key, [])) if key else []
