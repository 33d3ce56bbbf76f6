"""mobilebench.significance: seed intervals, test-set bootstrap and paired verdicts, with known answers."""
import math

import numpy as np
import pytest

from mobilebench import significance as sig
from mobilebench.face.verification import evaluate_pairs


def test_seed_interval_matches_student_t_by_hand():
    # values 1, 2, 3: mean 2, sd 1, sem 1/sqrt(3), t(0.975, 2) = 4.302652729911275
    res = sig.seed_interval([1.0, 2.0, 3.0])
    half = 4.302652729911275 / math.sqrt(3)
    assert res['mean'] == 2.0 and res['std'] == pytest.approx(1.0) and res['n'] == 3
    assert (res['low'], res['high'], res['half']) == pytest.approx((2 - half, 2 + half, half))
    one = sig.seed_interval([0.5])
    assert one['mean'] == 0.5 and math.isnan(one['half'])
    with pytest.raises(ValueError, match='NaN'):
        sig.seed_interval([0.5, float('nan')])


def test_identity_resample_reproduces_the_task_metric():
    rng = np.random.default_rng(0)
    scores, labels = rng.random((50, 4)), rng.integers(0, 4, 50)
    top1 = sig.topk_metric(scores, labels)
    assert top1(np.arange(50)) == pytest.approx(np.mean(scores.argmax(1) == labels))
    top2 = sig.topk_metric(scores, labels, k=2)
    assert top2(np.arange(50)) == pytest.approx(np.mean([l in np.argsort(-s)[:2] for s, l in zip(scores, labels)]))
    # face: the identity resample gives evaluate_pairs' 10-fold accuracy on the same embeddings
    a = rng.normal(size=(60, 8))
    b = a + rng.normal(scale=0.8, size=(60, 8))
    a, b = a / np.linalg.norm(a, axis=1, keepdims=True), b / np.linalg.norm(b, axis=1, keepdims=True)
    issame = rng.random(60) < 0.5
    b[~issame] = np.roll(b[~issame], 1, axis=0)
    acc = sig.verification_metric(np.sum((a - b) ** 2, 1), issame)
    assert acc(np.arange(60)) == pytest.approx(evaluate_pairs(a, b, issame)['accuracy'])
    res = sig.bootstrap_interval(50, top1, n_resamples=200)
    assert res['value'] == pytest.approx(top1(np.arange(50)))
    assert res['low'] <= res['value'] <= res['high'] and res['high'] - res['low'] > 0.05


def test_bootstrap_interval_is_deterministic_with_a_seed():
    rng = np.random.default_rng(1)
    m = sig.topk_metric(rng.random((40, 3)), rng.integers(0, 3, 40))
    assert sig.bootstrap_interval(40, m, 100, seed=3) == sig.bootstrap_interval(40, m, 100, seed=3)


def test_paired_verdicts_known_gap_and_identical():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 5, 400)
    good = np.eye(5)[labels] + rng.random((400, 5)) * 0.9  # right on ~90 % of the items
    bad = rng.random((400, 5))  # chance: ~20 %
    a, b = sig.topk_metric(good, labels), sig.topk_metric(bad, labels)
    res = sig.paired_difference(400, a, b, n_resamples=300)
    assert res['diff'] == pytest.approx(a(np.arange(400)) - b(np.arange(400)))
    assert res['verdict'] == 'better' and res['low'] > 0.5
    assert sig.paired_difference(400, b, a, n_resamples=300)['verdict'] == 'worse'
    # lower is better (e.g. an error rate): the same positive gap is a loss
    assert sig.paired_difference(400, a, b, n_resamples=300, higher_is_better=False)['verdict'] == 'worse'
    same = sig.paired_difference(400, a, sig.topk_metric(good.copy(), labels), n_resamples=300)
    assert same['diff'] == 0 and same['verdict'] == 'no significant difference'
    # seeds pooled: the mean of two equal metrics is the metric
    assert sig.mean_over_seeds([a, a])(np.arange(400)) == pytest.approx(a(np.arange(400)))


def test_bootstrap_needs_two_items():
    with pytest.raises(ValueError, match='at least 2'):
        sig.bootstrap_interval(1, lambda i: 0.0)
