# The papers' full protocol (GPUs; real data): ImageNet-1k pretraining (`imagenet`, the chain), then every backbone at width 1.0 on the suite's task models, the
# papers' own task models (`*_paper` tasks: AsymmNet Tables 7-10) on the AsymmNet / MobileNetV3 rows (+ the
# MobileNetV1 row of Table 10), and SSDLite at HBONet Table 8's widths 1.0 / 0.5 / 0.25 / 0.1:
#   YOLOv3-416 and SSDLite-320 on VOC07+12 -> VOC07 test (AsymmNet Table 10, MobileNeXt / HBONet Table 8),
#   SimpleBaseline 256x192 on COCO keypoints (AsymmNet Table 9), TSN on HMDB51 split 1 (AsymmNet Table 8),
#   ArcFace 112x112 on MS1M with lfw / cfp_fp / agedb_30 verification (AsymmNet Table 7),
#   person re-ID at 256x128 on Market-1501 (HBONet Table 9; its other widths: configs/reid/).
# Schedules, pipelines and evaluation are the task templates' (configs/_base_/tasks/, which mirror the upstream
# mmdet / mmpose / mmaction2 recipes and insightface's arcface_torch); nothing is shortened here.
#
#   python tools/benchmark.py configs/benchmark/paper.py --launcher pytorch --gpus 8 --results results/paper
#   python tools/leaderboard.py results/paper
#
# Data roots are the templates' defaults (data/imagenet/, data/VOCdevkit/, data/coco/, data/hmdb51/,
# data/ms1m-retinaface-t1/, data/market1501/);
# point them elsewhere with a `rewrite=[dict(prefix='data/coco/', new='/datasets/coco/')]` entry per task.
# To evaluate released checkpoints instead of training, list them in `checkpoints`
# ('task/backbone_name' -> path).
name = 'paper'
seed = 0
latency = dict(warmup=10, repeats=50, threads=1)
measure_untrained = False  # a full untrained test pass per run is not worth the GPU time at this scale
checkpoints = dict()
# block-vs-baseline verdicts in the leaderboard; no `pairs`: the default rule pairs every AsymmNet with the
# MobileNetV3 of its size and width, every MobileNeXt / HBONet with the MobileNetV2 of its width (HBONet 1.0 / 0.5 /
# 0.25 / 0.1 and MobileNeXt 1.0 here)
comparisons = dict(confidence=0.95, resamples=1000, seed=0)

_bb = 'configs/_base_/backbones/'
backbones = [
    _bb + 'asymmnet_small_x1.0.py',
    _bb + 'asymmnet_large_x1.0.py',
    _bb + 'mobilenetv3_small_x1.0.py',
    _bb + 'mobilenetv3_large_x1.0.py',
    _bb + 'mobilenext_x1.0.py',
    _bb + 'hbonet_x1.0.py',
    _bb + 'mobilenetv2_x1.0.py',
    # the baselines and widths of the papers' tables
    _bb + 'mobilenetv1_x1.0.py',     # AsymmNet Table 10
    _bb + 'hbonet_x0.5.py',          # HBONet Table 8 (SSD320 at 1.0 / 0.5 / 0.25 / 0.1)
    _bb + 'hbonet_x0.25.py',
    _bb + 'hbonet_x0.1.py',
    _bb + 'mobilenetv2_x0.5.py',
    _bb + 'mobilenetv2_x0.25.py',
    _bb + 'mobilenetv2_x0.1.py',
]
_x1 = ['asymmnet_small_x1.0', 'asymmnet_large_x1.0', 'mobilenetv3_small_x1.0', 'mobilenetv3_large_x1.0',
       'mobilenext_x1.0', 'hbonet_x1.0', 'mobilenetv2_x1.0']
_asymm = ['asymmnet_small_x1.0', 'mobilenetv3_small_x1.0', 'asymmnet_large_x1.0', 'mobilenetv3_large_x1.0']
_hbonet_t8 = ['hbonet_x1.0', 'hbonet_x0.5', 'hbonet_x0.25', 'hbonet_x0.1',
              'mobilenetv2_x1.0', 'mobilenetv2_x0.5', 'mobilenetv2_x0.25', 'mobilenetv2_x0.1']

tasks = dict(
    # stage 1 (every paper's first stage): ImageNet-1k, one recipe for every backbone so that the downstream
    # comparison starts from equally trained backbones (HBONet's: SGD, cosine LR 0.05, wd 4e-5, 150 epochs,
    # batch 256; it is also how HBONet re-trained its MobileNetV2 baseline). The per-paper recipes for every
    # width are configs/classification/*. To start from released weights instead, convert them with
    # tools/model_converters/ and list them in `checkpoints` ('imagenet/<backbone_name>' -> file): that run
    # then tests the given checkpoint and the downstream runs start from it.
    imagenet=dict(
        title='ImageNet-1k classification, 224 single crop (HBONet recipe, 150 epochs)',
        template='configs/_base_/tasks/imagenet_hbonet_recipe.py',
        metric='accuracy/top1', metrics=['accuracy/top1', 'accuracy/top5'],
        input_shape=(3, 224, 224), published_key='imagenet_224'),
    # stage 2: every downstream task but face recognition starts from the backbone of the imagenet run of the
    # same backbone (`pretrain`; a run whose imagenet run failed is reported as blocked, never trained from
    # scratch). ArcFace trains from scratch, as in AsymmNet Table 7.
    voc_yolov3=dict(
        title='YOLOv3-416, VOC07+12 -> VOC07 test (11-point mAP)',
        template='configs/_base_/tasks/yolov3_416_voc.py',
        metric='pascal_voc/mAP', metrics=['pascal_voc/mAP'],
        input_shape=(3, 416, 416), published_key='yolov3_416', backbones=_x1, pretrain='imagenet'),
    voc_ssdlite=dict(
        title='SSDLite-320, VOC07+12 -> VOC07 test (11-point mAP)',
        template='configs/_base_/tasks/ssdlite_320_voc.py',
        metric='pascal_voc/mAP', metrics=['pascal_voc/mAP'],
        input_shape=(3, 320, 320), published_key='ssdlite_320',
        backbones=_x1 + [b for b in _hbonet_t8 if b not in _x1], pretrain='imagenet'),
    coco_pose=dict(
        title='SimpleBaseline 256x192, COCO val2017 (OKS AP, detected boxes, flip test)',
        template='configs/_base_/tasks/simplebaseline_256x192_coco.py',
        metric='coco/AP', metrics=['coco/AP', 'coco/AP .5', 'coco/AP .75', 'coco/AR'],
        input_shape=(3, 256, 192), published_key='simplebaseline_256x192', backbones=_x1, pretrain='imagenet'),
    hmdb51_tsn=dict(
        title='TSN, HMDB51 split 1 (8 segments, 224 crops)',
        template='configs/_base_/tasks/tsn_hmdb51_video.py',
        metric='acc/top1', metrics=['acc/top1', 'acc/top5', 'acc/mean1'],
        input_shape=(8, 3, 224, 224), published_key='tsn_hmdb51', backbones=_x1, pretrain='imagenet'),
    face_arcface=dict(
        title='ArcFace 112x112, MS1M -> LFW / CFP-FP / AgeDB-30 (10-fold accuracy)',
        template='configs/_base_/tasks/arcface_112_ms1m.py',
        metric='lfw/accuracy', metrics=['lfw/accuracy', 'cfp_fp/accuracy', 'agedb_30/accuracy'],
        input_shape=(3, 112, 112), published_key='arcface_112', backbones=_x1),
    # the papers' own task models (AsymmNet Tables 7-10; complexity check: docs/paper_check.md)
    voc_yolov3_paper=dict(
        title="YOLOv3-416 as in AsymmNet Table 10 (GluonCV head 512/256/128), VOC07+12 -> VOC07 test",
        template='configs/_base_/tasks/yolov3_416_voc_paper.py',
        metric='pascal_voc/mAP', metrics=['pascal_voc/mAP'],
        input_shape=(3, 416, 416), published_key='voc_yolov3_paper', backbones=_asymm + ['mobilenetv1_x1.0'],
        pretrain='imagenet'),
    coco_pose_paper=dict(
        title='SimpleBaseline 256x192 as in AsymmNet Table 9 (GluonCV DUC head), COCO val2017',
        template='configs/_base_/tasks/simplebaseline_256x192_coco_paper.py',
        metric='coco/AP', metrics=['coco/AP', 'coco/AP .5', 'coco/AP .75', 'coco/AR'],
        input_shape=(3, 256, 192), published_key='coco_pose_paper', backbones=_asymm, pretrain='imagenet'),
    hmdb51_tsn_paper=dict(
        title='TSN as in AsymmNet Table 8 (1280-ch pre-logits conv, 224 test crop), HMDB51 split 1',
        template='configs/_base_/tasks/tsn_hmdb51_video_paper.py',
        metric='acc/top1', metrics=['acc/top1', 'acc/top5', 'acc/mean1'],
        input_shape=(8, 3, 224, 224), published_key='hmdb51_tsn_paper', backbones=_asymm, pretrain='imagenet'),
    face_arcface_paper=dict(
        title='ArcFace 112x112 as in AsymmNet Table 7 (128-d GDC embedding), MS1M -> LFW / CFP-FP / AgeDB-30',
        template='configs/_base_/tasks/arcface_112_ms1m_paper.py',
        metric='lfw/accuracy', metrics=['lfw/accuracy', 'cfp_fp/accuracy', 'agedb_30/accuracy'],
        input_shape=(3, 112, 112), published_key='face_arcface_paper', backbones=_asymm),
    reid=dict(
        title='Re-ID 256x128, Market-1501 (single query; mAP, CMC rank-1/5/10)',
        template='configs/_base_/tasks/reid_256x128_market1501.py',
        metric='market1501/mAP',
        metrics=['market1501/mAP', 'market1501/rank1', 'market1501/rank5', 'market1501/rank10'],
        input_shape=(3, 256, 128), published_key='reid_256x128_market1501', backbones=_x1, pretrain='imagenet',
        # every backbone here is x1.0: the paper's extra 30 fine-tuning epochs with a decayed lr (HBONet sec. 4.4),
        # as in configs/reid/*_x1.0_*.py
        overrides=dict(
            train_cfg=dict(max_epochs=120),
            param_scheduler=[dict(type='MultiStepLR', begin=0, end=120, by_epoch=True, milestones=[60, 90],
                                  gamma=0.1)])),
)
