"""Results folders for the leaderboard tests and the docs screenshot: run records plus per-sample files in the
suite's own format (:mod:`mobilebench.benchmark.samples`), with every reported value computed here.

    python tests/results_fixtures.py OUT_DIR   # a demo-like folder (5 backbones x 5 tasks x 2 seeds)
"""
import os
import os.path as osp
import sys

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def ranking_section(ap, rank1, ids, prefix='market1501'):
    """A re-ID ranking section: per query its AP and whether its first match is rank 1 (mAP = mean AP)."""
    from mobilebench.benchmark.samples import Section
    ap = np.asarray(ap, np.float64)
    hits = np.asarray(rank1, bool)[:, None]
    reported = {f'{prefix}/mAP': float(ap.mean()), f'{prefix}/rank1': float(np.count_nonzero(hits[:, 0]) / len(ap))}
    return Section(kind='ranking', metric='mobilebench.Market1501Metric', prefix=prefix, reported=reported,
                   item='query', params=dict(ranks=[1]), arrays=dict(ids=np.asarray(ids), ap=ap, cmc_hits=hits))


def topk_section(scores, labels, prefix='accuracy'):
    """An mmpretrain top-1 section; the reported value is mmpretrain's float32 percentage."""
    from mobilebench.benchmark.samples import Section
    labels = np.asarray(labels, np.int64)
    hits = np.asarray(scores).argmax(1) == labels
    top1 = float(np.float32(hits.sum()) * np.float32(100.0 / len(labels)))
    return Section(kind='topk', metric='mmpretrain.Accuracy', prefix=prefix, reported={f'{prefix}/top1': top1},
                   item='image', params=dict(toolbox='mmpretrain', topk=[1], thr=0.0),
                   arrays=dict(ids=np.arange(len(labels)), scores=np.asarray(scores, np.float32), labels=labels))


def verification_section(distances, issame, name='lfw'):
    """A face verification section (insightface 10-fold accuracy of the pairs)."""
    from mobilebench.benchmark.samples import Section
    from mobilebench.face.verification import calculate_roc
    acc = float(np.mean(calculate_roc(np.asarray(distances, np.float64), np.asarray(issame, bool),
                                      n_folds=10)['accuracy']))
    return Section(kind='verification', metric='mobilebench.FaceVerificationMetric', prefix='',
                   reported={f'{name}/accuracy': acc}, item='pair', params=dict(set=name, n_folds=10),
                   arrays=dict(ids=np.arange(len(issame)), distances=np.asarray(distances, np.float64),
                               issame=np.asarray(issame, bool)))


def write_run(results, task, backbone, seed, metrics, section=None, seeds=True, untrained=None, madds=None,
              params=None, latency_ms=None, higher_is_better=True, metric=None):
    """Write ``runs/<run_id>.json`` (and ``samples/<run_id>.npz`` for ``section``); returns the run id."""
    from mobilebench.benchmark.records import write_record
    from mobilebench.benchmark.samples import write_samples
    run_id = f'{task}__{backbone}' + (f'__s{seed}' if seeds else '')
    metric = metric or next(iter(metrics))
    rec = dict(schema=1, run_id=run_id, task=task, backbone=backbone, seed=seed, status='ok', metric=metric,
               metrics_shown=[metric], higher_is_better=higher_is_better, metrics=dict(metrics),
               untrained_metrics=dict(untrained or {}), meta=dict(wall_time_s=60.0, seed=seed))
    if madds is not None:
        rec['complexity'] = dict(madds=int(madds * 1e6), params=int((params or 1.0) * 1e6), convention='true')
    if latency_ms is not None:
        rec['latency'] = dict(median_ms=latency_ms)
    if section is not None:
        rel = osp.join('samples', f'{run_id}.npz')
        write_samples(osp.join(results, rel), [section], source=dict(run_id=run_id))
        rec['samples'] = rel
    write_record(osp.join(results, 'runs', f'{run_id}.json'), rec)
    return run_id


def write_plan(results, tasks, runs, name='unit', comparisons=None):
    from mobilebench.benchmark.records import write_record
    plan = dict(schema=1, name=name, tasks=tasks, runs=list(runs))
    if comparisons is not None:
        plan['comparisons'] = comparisons
    write_record(osp.join(results, 'benchmark.json'), plan)


# --------------------------------------------------------------------------------------------------------
# a demo-like folder (the docs screenshot)
DEMO_BACKBONES = {  # name: (skill, MAdds (M) at 128 px, params (M), latency ms)
    'asymmnet_small_x0.5': (0.62, 6.4, 1.05, 2.1),
    'mobilenext_x0.5': (0.60, 9.8, 1.21, 2.6),
    'hbonet_x0.5': (0.55, 8.1, 1.10, 2.9),
    'mobilenetv3_small_x0.5': (0.58, 6.1, 0.98, 1.9),
    'mobilenetv2_x0.5': (0.56, 9.3, 1.25, 2.4),
}
DEMO_TASKS = dict(
    face_arcface=dict(metric='lfw/accuracy', metrics=['lfw/accuracy'], title='ArcFace (insightface format, 112 px)',
                      higher_is_better=True, published_key='arcface_112'),
    reid=dict(metric='market1501/mAP', metrics=['market1501/mAP', 'market1501/rank1'],
              title='Re-ID (Market-1501 format, 64x32)', higher_is_better=True,
              published_key='reid_256x128_market1501'),
    imagenet=dict(metric='accuracy/top1', metrics=['accuracy/top1'], title='Classification (ImageNet layout, 32 px)',
                  higher_is_better=True, published_key='imagenet_224'),
    voc_yolov3=dict(metric='pascal_voc/mAP', metrics=['pascal_voc/mAP'], title='YOLOv3 (VOC format, 128 px)',
                    higher_is_better=True, published_key='yolov3_416'),
    coco_pose=dict(metric='coco/AP', metrics=['coco/AP'], title='SimpleBaseline (COCO keypoints, 96x64)',
                   higher_is_better=True, published_key='simplebaseline_256x192'),
)


def build_demo_like(results, seed=0, resamples=300):
    """5 backbones x 5 tasks x 2 seeds: classification, face and re-ID with per-sample files, detection and pose
    without (older records: seed interval only); one run no better than untrained, one degenerate face run."""
    rng = np.random.default_rng(seed)
    runs = []
    n_img, n_pairs, n_q = 400, 600, 120
    labels = rng.integers(0, 4, n_img)
    issame = np.arange(n_pairs) % 2 == 0
    q_difficulty = rng.uniform(0, 1, n_q)
    for bb, (skill, madds, params, lat) in DEMO_BACKBONES.items():
        for s in (0, 1):
            r = np.random.default_rng([seed, s, len(runs)])
            # classification: hit with probability ~ skill
            scores = r.random((n_img, 4)).astype(np.float32)
            hit = r.random(n_img) < skill + 0.25
            scores[hit, labels[hit]] += 1.0
            sec = topk_section(scores, labels)
            runs.append(write_run(results, 'imagenet', bb, s, sec.reported, sec, untrained={'accuracy/top1': 25.0},
                                  madds=madds * 0.06, params=params, latency_ms=lat * 0.2))
            # face: same pairs closer than different ones, margin ~ skill
            d = r.normal(2.0, 0.35, n_pairs)
            d[issame] -= 2.2 * (skill - 0.35)
            degenerate = bb == 'hbonet_x0.5' and s == 1
            if degenerate:  # collapsed embeddings: every distance the same
                d = np.full(n_pairs, 1e-4)
            sec = verification_section(np.clip(d, 0, 4), issame)
            m = dict(sec.reported, **({'lfw/degenerate': 1.0} if degenerate else {'lfw/degenerate': 0.0}))
            runs.append(write_run(results, 'face_arcface', bb, s, m, sec, untrained={'lfw/accuracy': 0.5},
                                  madds=madds * 0.77, params=params, latency_ms=lat * 0.8, metric='lfw/accuracy'))
            # re-ID: per-query AP falls with the query's difficulty, rises with skill
            ap = np.clip(skill + 0.35 - 0.6 * q_difficulty + r.normal(0, 0.08, n_q), 0.01, 1.0)
            sec = ranking_section(ap, ap > 0.5, [f'{q:04d}_c1s1' for q in range(n_q)])
            runs.append(write_run(results, 'reid', bb, s, sec.reported, sec, untrained={'market1501/mAP': 0.21},
                                  madds=madds * 0.13, params=params, latency_ms=lat * 0.25))
            # detection and pose: older records without per-sample files
            voc = round(float(0.18 + 0.5 * (skill - 0.5) + r.normal(0, 0.01)), 4)
            untrained_voc = 0.3 if bb == 'hbonet_x0.5' else 0.0  # HBONet's training made it no better
            runs.append(write_run(results, 'voc_yolov3', bb, s, {'pascal_voc/mAP': voc}, None,
                                  untrained={'pascal_voc/mAP': untrained_voc}, madds=madds * 4.2, params=params * 3,
                                  latency_ms=lat))
            ap_pose = round(float(0.30 + 0.6 * (skill - 0.5) + r.normal(0, 0.004)), 4)
            runs.append(write_run(results, 'coco_pose', bb, s, {'coco/AP': ap_pose}, None,
                                  untrained={'coco/AP': 0.0}, madds=madds * 2.0, params=params * 2.5,
                                  latency_ms=lat * 0.9))
    write_plan(results, DEMO_TASKS, runs, name='demo (synthetic records, for the docs)',
               comparisons=dict(confidence=0.95, resamples=resamples, seed=0))
    return runs


if __name__ == '__main__':
    sys.path.insert(0, ROOT)
    out = sys.argv[1] if len(sys.argv) > 1 else 'results/fixture'
    os.makedirs(out, exist_ok=True)
    print(len(build_demo_like(out)), 'runs written to', out)
