# The embedded demo (`make demo`): AsymmNet-S, MobileNeXt and HBONet at width 0.5 against the MobileNetV3-S
# (AsymmNet with asymmetry_rate=0) and MobileNetV2 baselines on all seven pipelines (ImageNet-layout classification
# included), two seeds each, on the synthetic datasets of `tools/data/make_demo_data.py --out data/demo` (real
# formats), with tiny inputs and schedules so the 70 runs finish in under 15 minutes on 2 CPU cores (two runs side
# by side, one thread each). The task templates are the full-protocol ones of configs/_base_/tasks/; only the
# sizes, schedules, heads, class counts and data roots below differ. Every network trains from scratch here (no
# pretrained weights offline), so the short schedules use AdamW + cosine decay (SimpleBaseline's own recipe is
# Adam): the templates' SGD recipes assume ImageNet initialisation and hundreds of epochs, and in a few dozen
# iterations they leave some backbones at the untrained score.
name = 'demo'
# Two seeds of every (task, backbone): 70 runs, each run's test items and the seed intervals feed the
# leaderboard's verdicts (paired bootstrap over the test items, pooled over the seeds)
seeds = [0, 1]
latency = dict(warmup=2, repeats=10, threads=1)
measure_untrained = 'first_seed'  # one untrained test per (task, backbone): it stays near chance for every seed
run_timeout_s = 300
threads = 1  # per-run intra-op threads: no OpenMP oversubscription on a shared 2-core machine
jobs = 2  # runs side by side: jobs x threads = the 2 cores
preload = True  # runs fork from one process that imported torch + the toolboxes once (~7 CPU-s per run saved)
# NHWC weights: PyTorch's CPU depthwise convolutions (forward and backward) are 2-4x faster in channels_last, a
# training step of the demo's models up to 45 % (mobilebench/hooks.py)
memory_format = 'channels_last'

_bb = 'configs/_base_/backbones/'
backbones = [
    _bb + 'asymmnet_small_x0.5.py',
    _bb + 'mobilenext_x0.5.py',
    _bb + 'hbonet_x0.5.py',
    _bb + 'mobilenetv3_small_x0.5.py',  # AsymmNet-S x0.5 with asymmetry_rate=0
    dict(file=_bb + 'mobilenetv2_x1.0.py', name='mobilenetv2_x0.5', widen_factor=0.5),
]

# the leaderboard's block-vs-baseline verdicts (docs/benchmark.md, "Leaderboard"): the papers' pairs (the
# default rule would derive the same from the names), paired bootstrap over the test items at 95 %
comparisons = dict(
    pairs=[('asymmnet_small_x0.5', 'mobilenetv3_small_x0.5'), ('mobilenext_x0.5', 'mobilenetv2_x0.5'),
           ('hbonet_x0.5', 'mobilenetv2_x0.5')],
    confidence=0.95, resamples=1000, seed=0)

# tree-wide edits shared by every task: no worker processes (2 cores), no validation during training, one
# checkpoint at the end. mmengine's epoch loop also validates after the last epoch whatever `val_interval` says;
# that pass would repeat the final test on the same set, so every schedule below sets `val_begin` past the end
# (`_no_val`)
_common = [
    dict(key='num_workers', new=0),
    dict(key='persistent_workers', new=False),
    dict(key='val_interval', new=1000),
]
_hooks = dict(checkpoint=dict(interval=1000, max_keep_ckpts=1, save_best=None), logger=dict(interval=10))


# mmdet's MinIoURandomCrop draws a mode (no crop, any crop, or a crop whose IoU with *every* object is at least
# 0.4 ... 0.9) and tries 50 random crops for it before it draws again. On the demo's small images with several
# objects the IoU modes rarely succeed (56 of 300 draws on the training images ended in one), so the failed
# trials took a third of YOLOv3's training time. The demo keeps the two modes that always succeed: no crop or
# an unconstrained crop (at least 0.3 of each side, object centres inside)
_crop_or_not = dict(key='min_ious', new=())


def _no_val(epochs):
    """`train_cfg` of `epochs` epochs without any validation pass (the run's test follows training)."""
    return dict(max_epochs=epochs, val_begin=epochs + 1)


def _adamw_cosine(lr, epochs, warmup_iters=20, **wrapper):
    """The demo's from-scratch schedule: AdamW, linear warm-up, cosine decay to 0 over `epochs`."""
    return dict(
        train_cfg=_no_val(epochs),
        optim_wrapper=dict(optimizer=dict(_delete_=True, type='AdamW', lr=lr, weight_decay=1e-4), **wrapper),
        param_scheduler=[
            dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=warmup_iters),
            dict(type='CosineAnnealingLR', T_max=epochs, eta_min=0.0, by_epoch=True, begin=0, end=epochs,
                 convert_to_iter_based=True)],
        default_hooks=_hooks)

tasks = dict(
    voc_yolov3=dict(
        title='YOLOv3 on VOC-format shapes (demo, 128 px)',
        template='configs/_base_/tasks/yolov3_416_voc.py',
        metric='pascal_voc/mAP',
        metrics=['pascal_voc/mAP'],
        input_shape=(3, 128, 128),
        published_key='yolov3_416',
        overrides=_adamw_cosine(2e-3, epochs=12, clip_grad=dict(max_norm=10, norm_type=2)),
        rewrite=_common + [
            dict(prefix='data/VOCdevkit/', new='data/demo/VOCdevkit/'),
            dict(key='scale', old=[(320, 320), (416, 416)], new=[(96, 96), (128, 128)]),
            dict(key='scale', old=(416, 416), new=(128, 128)),
            dict(key='ratio_range', old=(1, 2), new=(1, 1)),  # no zoom-out: objects stay learnable in 12 epochs
            _crop_or_not,
            dict(key='times', new=1),
            dict(key='batch_size', new=8),
        ]),
    voc_ssdlite=dict(
        title='SSDLite on VOC-format shapes (demo, 128 px)',
        template='configs/_base_/tasks/ssdlite_320_voc.py',
        metric='pascal_voc/mAP',
        metrics=['pascal_voc/mAP'],
        input_shape=(3, 128, 128),
        published_key='ssdlite_320',
        overrides=dict(
            train_cfg=_no_val(7),
            optim_wrapper=dict(optimizer=dict(lr=0.03)),
            param_scheduler=[dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20)],
            default_hooks=_hooks),
        rewrite=_common + [
            dict(prefix='data/VOCdevkit/', new='data/demo/VOCdevkit/'),
            dict(key='scale', old=(320, 320), new=(128, 128)),
            dict(key='ratio_range', old=(1, 4), new=(1, 1)),  # no zoom-out at 128 px
            _crop_or_not,
            dict(key='times', new=1),
            dict(key='batch_size', new=8),
        ]),
    coco_pose=dict(
        title='SimpleBaseline on COCO-format stick figures (demo, 96x64)',
        template='configs/_base_/tasks/simplebaseline_256x192_coco.py',
        metric='coco/AP',
        metrics=['coco/AP', 'coco/AP .5', 'coco/AP .75', 'coco/AR'],
        input_shape=(3, 96, 64),
        published_key='simplebaseline_256x192',
        # deconvolutions of 64 channels instead of 256: at 96x64 input (1/7 of the pixels of 256x192) the three
        # 256-ch deconvolutions were 98 % of the model's MAdds (134 M of 137 M with AsymmNet-S) and half of a
        # step's time; the smaller head leaves the backbone a larger share of what the task measures
        overrides=dict(
            model=dict(head=dict(deconv_out_channels=(64, 64, 64))),
            train_cfg=_no_val(10),
            optim_wrapper=dict(optimizer=dict(lr=2e-3)),
            param_scheduler=[dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20)],
            default_hooks=_hooks),
        rewrite=_common + [
            dict(prefix='data/coco/', new='data/demo/coco_pose/'),
            dict(key='input_size', old=(192, 256), new=(64, 96)),
            dict(key='heatmap_size', old=(48, 64), new=(16, 24)),
            dict(key='batch_size', new=16),
        ]),
    hmdb51_tsn=dict(
        title='TSN on HMDB51-format moving shapes (demo, 8 directions, 3 segments, 48 px)',
        template='configs/_base_/tasks/tsn_hmdb51_video.py',
        metric='acc/top1',
        metrics=['acc/top1', 'acc/mean1'],
        input_shape=(3, 3, 48, 48),  # (segments, C, H, W)
        published_key='tsn_hmdb51',
        # no dropout: it slows the from-scratch fit of 160 clips down too much for 10 epochs
        overrides=dict(_adamw_cosine(6e-3, epochs=10, warmup_iters=10), model=dict(cls_head=dict(dropout_ratio=0.0))),
        rewrite=_common + [
            dict(prefix='data/hmdb51/', new='data/demo/hmdb51/'),
            dict(key='num_classes', old=51, new=8),
            dict(key='num_clips', old=8, new=3),
            dict(key='scale', old=(-1, 256), new=(-1, 48)),  # the 64-px clips read at 48 px
            dict(key='scale', old=(224, 224), new=(48, 48)),
            dict(key='crop_size', old=256, new=48),
            # the class is the motion direction: a horizontal flip would swap move_left / move_right, and
            # small random crops lose the shape
            dict(match=dict(type='Flip'), new=dict(type='Flip', flip_ratio=0.0)),
            dict(match=dict(type='RandomResizedCrop'), new=dict(type='RandomResizedCrop', area_range=(0.6, 1.0))),
            dict(key='batch_size', new=8),
        ]),
    imagenet=dict(
        title='Classification on an ImageNet-layout folder of shapes (demo, 32 px)',
        template='configs/_base_/tasks/imagenet_hbonet_recipe.py',
        metric='accuracy/top1',
        metrics=['accuracy/top1'],
        input_shape=(3, 32, 32),
        published_key='imagenet_224',
        # 120 iterations: BN running statistics follow faster (momentum 0.5) or the eval-mode predictions of
        # some backbones collapse to one class after so short a schedule
        overrides=dict(
            _adamw_cosine(1e-2, epochs=8, warmup_iters=10),
            model=dict(backbone=dict(norm_cfg=dict(type='BN', momentum=0.5))),
            train_dataloader=dict(dataset=dict(classes_from_folders=True)),
            val_dataloader=dict(dataset=dict(classes_from_folders=True)),
            test_dataloader=dict(dataset=dict(classes_from_folders=True))),
        rewrite=_common + [
            dict(prefix='data/imagenet/', new='data/demo/imagenet/'),
            dict(key='num_classes', old=1000, new=6),
            dict(key='topk', old=(1, 5), new=(1, )),  # 6 classes: no top-5
            # RandomResizedCrop at 32 px, keeping at least 60 % of the image (ImageNet's 8 % loses the shape)
            dict(match=dict(type='RandomResizedCrop'),
                 new=dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.6, 1.0), backend='pillow')),
            dict(key='scale', old=256, new=36),  # ResizeEdge (short side = 32 / 0.875)
            dict(key='crop_size', old=224, new=32),
            dict(key='batch_size', new=16),
        ]),
    face_arcface=dict(
        title='ArcFace on insightface-format synthetic identities (demo, 112 px)',
        template='configs/_base_/tasks/arcface_112_ms1m.py',
        metric='lfw/accuracy',
        metrics=['lfw/accuracy'],
        input_shape=(3, 112, 112),
        published_key='arcface_112',
        # LFW only (600 pairs) and no flip test: the demo's cfp_fp and agedb_30 files are made the same way as its
        # lfw file, and testing them took a fifth of the task's time
        overrides=dict(_adamw_cosine(6e-3, epochs=14, warmup_iters=10), val_targets=['lfw'],
                       model=dict(flip_test=False)),
        rewrite=_common + [
            dict(prefix='data/ms1m-retinaface-t1/', new='data/demo/faces/'),
            dict(key='num_classes', old=93431, new=20),
            dict(key='batch_size', new=32),
        ]),
    reid=dict(
        title='Re-ID on Market-1501-format synthetic people (demo, closed set, 64x32)',
        template='configs/_base_/tasks/reid_256x128_market1501.py',
        metric='market1501/mAP',
        metrics=['market1501/mAP', 'market1501/rank1', 'market1501/rank5', 'market1501/rank10'],
        input_shape=(3, 64, 32),
        published_key='reid_256x128_market1501',
        overrides=_adamw_cosine(6e-3, epochs=20, warmup_iters=10),
        rewrite=_common + [
            dict(prefix='data/market1501/', new='data/demo/market1501/'),
            dict(key='num_classes', old=751, new=20),
            dict(key='scale', old=(128, 256), new=(32, 64)),
            dict(key='input_size', old=(128, 256), new=(32, 64)),
            # from scratch there is no pretrained backbone to protect: one classifier-only epoch keeps the
            # mechanism exercised without wasting the short schedule
            dict(match=dict(type='mobilebench.ClassifierWarmupHook'),
                 new=dict(type='mobilebench.ClassifierWarmupHook', warmup=1, open_layers=('head', ))),
            dict(key='batch_size', new=16),
        ]),
)
