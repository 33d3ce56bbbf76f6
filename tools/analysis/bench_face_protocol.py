#!/usr/bin/env python
"""Time insightface's verification protocol: vectorised implementation vs the straightforward loops.

    python tools/analysis/bench_face_protocol.py [--pairs 6000] [--repeat 5] [--out docs/benchmarks/face_protocol.json]

Synthetic data: ``--pairs`` pairs of random 512-d embeddings (half positive: the second member is
the first plus 8x noise, about 92 % accuracy), L2-normalised, as after a real model. Both implementations get the same
distances; the script checks that they agree exactly and reports the best-of-``repeat`` wall time.
"""
import argparse
import json
import os
import os.path as osp
import platform
import time


def synthetic_pairs(n_pairs, dim=512, seed=0):
    import numpy as np

    from mobilebench.face.verification import l2_normalize
    rng = np.random.default_rng(seed)
    issame = np.arange(n_pairs) % 2 == 0
    a = rng.standard_normal((n_pairs, dim))
    b = np.where(issame[:, None], a + 8.0 * rng.standard_normal((n_pairs, dim)), rng.standard_normal((n_pairs, dim)))
    return l2_normalize(a), l2_normalize(b), issame


def best_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(argv=None):
    import numpy as np

    from mobilebench.face import verification as V
    parser = argparse.ArgumentParser(description='Benchmark the face verification protocol')
    parser.add_argument('--pairs', type=int, default=6000)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--loop-repeat', type=int, default=1)
    parser.add_argument('--out', default=None, help='JSON output path')
    args = parser.parse_args(argv)
    e1, e2, issame = synthetic_pairs(args.pairs)
    dist = V.pair_distances(e1, e2)

    def vec():
        return V.calculate_roc(dist, issame), V.calculate_val(dist, issame)

    def loop():
        return V.calculate_roc_loop(dist, issame), V.calculate_val_loop(dist, issame)

    t_vec, (roc_v, val_v) = best_time(vec, args.repeat)
    t_loop, (roc_l, val_l) = best_time(loop, args.loop_repeat)
    agree = bool(np.array_equal(roc_v['accuracy'], roc_l['accuracy'])
                 and np.array_equal(roc_v['best_thresholds'], roc_l['best_thresholds'])
                 and np.allclose(roc_v['tpr'], roc_l['tpr']) and np.allclose(roc_v['fpr'], roc_l['fpr'])
                 and np.isclose(val_v['val_mean'], val_l['val_mean']))
    result = dict(
        pairs=args.pairs, folds=10, roc_thresholds=len(V.ROC_THRESHOLDS), val_thresholds=len(V.VAL_THRESHOLDS),
        vectorised_s=round(t_vec, 6), loop_s=round(t_loop, 6), speedup=round(t_loop / t_vec, 1),
        results_identical=agree, accuracy=float(np.mean(roc_v['accuracy'])),
        accuracy_std=float(np.std(roc_v['accuracy'])), tar_at_far1e_3=val_v['val_mean'],
        timing='best of %d (vectorised) / %d (loop) runs, accuracy (400 thresholds) + TAR@FAR (4000 thresholds)'
        % (args.repeat, args.loop_repeat),
        machine=dict(python=platform.python_version(), numpy=np.__version__, processor=platform.processor()
                     or platform.machine(), cpu_count=os.cpu_count()))
    print(f'{args.pairs} pairs: vectorised {t_vec * 1e3:.2f} ms, loop {t_loop * 1e3:.1f} ms '
          f'(x{result["speedup"]}), identical results: {agree}; accuracy {result["accuracy"]:.4f} '
          f'+- {result["accuracy_std"]:.4f}, TAR@FAR=1e-3 {result["tar_at_far1e_3"]:.4f}')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
            f.write('\n')
    return result


if __name__ == '__main__':
    main()
