#!/usr/bin/env python
"""Time the per-sample metrics of ``mobilebench.benchmark.samples`` on resamples of full-size test sets.

    python tools/analysis/bench_item_metrics.py [voc face reid cls] [--resamples 100] [--out FILE.json]

Synthetic per-sample files of the real test-set sizes (written with ``write_samples``, loaded with
``load_item_metric(check=False)``, as their values are not those of a real test):

- ``voc``: PASCAL VOC07 test, 4952 images, 20 classes, 3 objects and 100 detections per image (YOLOv3's
  ``max_per_img``), detections scattered around the image's objects, 11-point mAP at IoU 0.5;
- ``face``: LFW, 6000 pairs, 10-fold accuracy;
- ``reid``: Market-1501, 3368 queries, mAP;
- ``cls``: ImageNet val, 50000 images x 1000 classes, mmpretrain top-1.

Reports the one-off load time (per-item matching / hits), the time of one evaluation and of ``--resamples``
bootstrap resamples (``mobilebench.significance.bootstrap_interval``).
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)


def _sections(which, rng):
    from mobilebench.benchmark.samples import Section
    if which == 'voc':
        n, classes = 4952, 20
        gt_img = np.repeat(np.arange(n), 3)
        xy = rng.uniform(0, 300, (len(gt_img), 2))
        gt = np.hstack([xy, xy + rng.uniform(20, 150, (len(gt_img), 2))]).astype(np.float32)
        gt_lab = rng.integers(0, classes, len(gt_img))
        det_img = np.repeat(np.arange(n), 100)
        src = 3 * det_img + rng.integers(0, 3, len(det_img))  # one of the image's own objects
        det = (gt[src] + rng.normal(scale=15, size=(len(det_img), 4))).astype(np.float32)
        det_lab = np.where(rng.random(len(det_img)) < 0.7, gt_lab[src], rng.integers(0, classes, len(det_img)))
        return 'pascal_voc/mAP', Section(
            'voc', 'mmdet.VOCMetric', 'pascal_voc', {'pascal_voc/mAP': 0.0}, 'image',
            dict(num_classes=classes, iou_thrs=[0.5], eval_mode='11points', scale_ranges=None),
            dict(ids=np.arange(n), det_bboxes=det, det_scores=rng.random(len(det_img)).astype(np.float32),
                 det_labels=det_lab, det_image=det_img, gt_bboxes=gt, gt_labels=gt_lab, gt_image=gt_img,
                 gt_ignore=rng.random(len(gt_img)) < 0.1))
    if which == 'face':
        n = 6000
        issame = rng.random(n) < 0.5
        dist = np.where(issame, rng.normal(0.8, 0.3, n), rng.normal(1.6, 0.3, n)).clip(0, 4)
        return 'lfw/accuracy', Section('verification', 'mobilebench.FaceVerificationMetric', '',
                                       {'lfw/accuracy': 0.0}, 'pair', dict(set='lfw', n_folds=10),
                                       dict(ids=np.arange(n), distances=dist, issame=issame))
    if which == 'reid':
        n = 3368
        return 'market1501/mAP', Section('ranking', 'mobilebench.Market1501Metric', 'market1501',
                                         {'market1501/mAP': 0.0}, 'query', dict(ranks=[1, 5, 10]),
                                         dict(ids=np.arange(n), ap=rng.random(n), cmc_hits=rng.random((n, 3)) < 0.8))
    if which == 'cls':
        n = 50000
        return 'accuracy/top1', Section('topk', 'mmpretrain.Accuracy', 'accuracy', {'accuracy/top1': 0.0}, 'image',
                                        dict(toolbox='mmpretrain', topk=[1], thr=0.0),
                                        dict(ids=np.arange(n), scores=rng.random((n, 1000)).astype(np.float32),
                                             labels=rng.integers(0, 1000, n)))
    raise ValueError(f'unknown test set {which!r}; choose voc, face, reid or cls')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('which', nargs='*', default=['voc', 'face', 'reid'])
    parser.add_argument('--resamples', type=int, default=100)
    parser.add_argument('--out', help='also write the figures to this JSON file')
    parser.add_argument('--tmp', default='/tmp', help='folder of the synthetic per-sample files')
    args = parser.parse_args(argv)
    import mobilebench.compat  # noqa: F401
    from mobilebench.benchmark.samples import load_item_metric, write_samples
    from mobilebench.significance import bootstrap_interval
    rng = np.random.default_rng(0)
    rows = []
    for which in args.which:
        name, section = _sections(which, rng)
        path = os.path.join(args.tmp, f'bench_item_metrics_{which}.npz')
        write_samples(path, [section])
        t = time.perf_counter()
        metric = load_item_metric(path, name, check=False)
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        metric(np.arange(metric.n))
        one_s = time.perf_counter() - t
        t = time.perf_counter()
        bootstrap_interval(metric.n, metric, n_resamples=args.resamples)
        boot_s = time.perf_counter() - t
        rows.append(dict(test_set=which, metric=name, items=metric.n, load_s=round(load_s, 2),
                         one_eval_ms=round(one_s * 1000, 2), resamples=args.resamples, bootstrap_s=round(boot_s, 2)))
        print(f'{which:5s} {name:16s} n={metric.n:6d}  load {load_s:6.2f} s  one evaluation {one_s * 1000:7.2f} ms  '
              f'{args.resamples} resamples {boot_s:7.2f} s', flush=True)
        os.unlink(path)
    if args.out:
        from mobilebench.fileio import atomic_write_json
        atomic_write_json(args.out, dict(rows=rows, machine=dict(platform=platform.platform(), cpus=os.cpu_count(),
                                                                 load_average=os.getloadavg())))
    return rows


if __name__ == '__main__':
    main()
