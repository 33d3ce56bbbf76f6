"""Is a difference real? Intervals over seeds and over the test set, and paired comparisons.

Three questions, each answered with scipy rather than hand-rolled distributions:

- :func:`seed_interval`: mean, standard deviation and Student-t interval of a metric over training seeds;
- :func:`bootstrap_interval`: the interval of a task's *real* metric over the test set, by resampling test
  items (images, instances, clips, pairs) with replacement and recomputing the metric on each resample
  (``scipy.stats.bootstrap``, percentile method);
- :func:`paired_difference`: the difference ``A - B`` between two models evaluated on the *same* test items,
  with a paired bootstrap interval (both metrics recomputed on each resample of the items) and a verdict;
- :func:`seed_difference`: without per-item results, ``mean(A) - mean(B)`` over seeds with Welch's t interval.

A metric is given as a callable ``metric(indices) -> float`` over an integer index array of test items, so
that any task's metric (VOC mAP, OKS AP, top-1, 10-fold verification accuracy) can be recomputed on a
resample; ``metric(np.arange(n))`` must be the task's ordinary metric. Builders for the item-level results
the suite writes are below (:func:`topk_metric`, :func:`verification_metric`). To pool several seeds, pass a
callable that averages the per-seed metrics over the same indices (:func:`mean_over_seeds`).
"""
from __future__ import annotations

import math
import warnings
from typing import Callable, Dict, Sequence

import numpy as np
from scipy import stats

Metric = Callable[[np.ndarray], float]

BETTER, WORSE, TIE = 'better', 'worse', 'no significant difference'


def seed_interval(values: Sequence[float], confidence: float = 0.95) -> Dict[str, float]:
    """Mean, sample standard deviation and the Student-t ``confidence`` interval of the mean.

    Args:
        values: one metric value per seed (NaN values are an error: a failed run is not a zero).
        confidence: two-sided confidence level.

    Returns:
        dict with ``mean``, ``std``, ``n``, ``low``, ``high`` and ``half`` (half-width); ``std`` and the
        interval are NaN for a single seed.
    """
    x = np.asarray(values, np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f'seed_interval needs a non-empty list of values, got {values!r}')
    if np.isnan(x).any():
        raise ValueError(f'seed_interval: NaN among the values {values!r}; drop failed runs explicitly')
    mean = float(x.mean())
    if x.size == 1:
        return dict(mean=mean, std=math.nan, n=1, low=math.nan, high=math.nan, half=math.nan)
    std = float(x.std(ddof=1))
    sem = std / math.sqrt(x.size)
    if sem == 0:
        low = high = mean
    else:
        low, high = (float(v) for v in stats.t.interval(confidence, x.size - 1, loc=mean, scale=sem))
    return dict(mean=mean, std=std, n=int(x.size), low=low, high=high, half=(high - low) / 2)


def _check_n(n_items: int) -> None:
    if n_items < 2:
        raise ValueError(f'a bootstrap over the test set needs at least 2 test items, got {n_items}')


def bootstrap_interval(n_items: int, metric: Metric, n_resamples: int = 1000, confidence: float = 0.95,
                       seed: int = 0) -> Dict[str, float]:
    """Percentile bootstrap interval of ``metric`` over resamples of the ``n_items`` test items.

    Args:
        n_items: number of test items.
        metric: ``metric(indices) -> float``, the task's metric on the items at ``indices``.
        n_resamples: bootstrap resamples.
        confidence: two-sided confidence level.
        seed: seed of the resampling (the result is deterministic).

    Returns:
        dict with ``value`` (the metric on all items), ``low``, ``high``, ``n_items``, ``n_resamples``.
    """
    _check_n(n_items)
    idx = np.arange(n_items)
    res = stats.bootstrap((idx, ), lambda i: metric(np.asarray(i, np.int64)), vectorized=False,
                          n_resamples=n_resamples, confidence_level=confidence, method='percentile',
                          rng=np.random.default_rng(seed))
    ci = res.confidence_interval
    return dict(value=float(metric(idx)), low=float(ci.low), high=float(ci.high), n_items=n_items,
                n_resamples=n_resamples)


def verdict(low: float, high: float, higher_is_better: bool = True) -> str:
    """``better`` if the interval of ``A - B`` lies above 0 (below, when lower is better), ``worse`` in the
    opposite case, else ``no significant difference``."""
    if low > 0:
        return BETTER if higher_is_better else WORSE
    if high < 0:
        return WORSE if higher_is_better else BETTER
    return TIE


def paired_difference(n_items: int, metric_a: Metric, metric_b: Metric, n_resamples: int = 1000,
                      confidence: float = 0.95, seed: int = 0, higher_is_better: bool = True) -> Dict:
    """``A - B`` on the same test items, with a paired bootstrap interval and a verdict.

    Each resample draws one set of item indices and recomputes both metrics on it, so the interval reflects
    the variation of the *difference*, not of each model alone.

    Returns:
        dict with ``diff``, ``low``, ``high``, ``verdict``, ``confidence``, ``n_items``, ``n_resamples``.
    """
    _check_n(n_items)
    out = bootstrap_interval(n_items, lambda i: metric_a(i) - metric_b(i), n_resamples, confidence, seed)
    return dict(diff=out['value'], low=out['low'], high=out['high'], confidence=confidence,
                verdict=verdict(out['low'], out['high'], higher_is_better), n_items=n_items,
                n_resamples=n_resamples)


def seed_difference(values_a: Sequence[float], values_b: Sequence[float], confidence: float = 0.95,
                    higher_is_better: bool = True) -> Dict:
    """``mean(A) - mean(B)`` over training seeds, with Welch's t interval and a verdict.

    The fallback when no per-item results exist: it only sees seed-to-seed variation (not the test set's), so
    with few seeds it is wide. Uses ``scipy.stats.ttest_ind(equal_var=False)``.

    Returns:
        dict with ``diff``, ``low``, ``high``, ``verdict``, ``confidence``, ``n_a``, ``n_b``.

    Raises:
        ValueError: fewer than 2 values on either side, or a NaN among them.
    """
    a, b = np.asarray(values_a, np.float64), np.asarray(values_b, np.float64)
    if a.size < 2 or b.size < 2:
        raise ValueError(f'seed_difference needs at least 2 seeds on each side, got {a.size} and {b.size}')
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError('seed_difference: NaN among the values; drop failed runs explicitly')
    diff = float(a.mean() - b.mean())
    if a.std(ddof=1) == 0 and b.std(ddof=1) == 0:
        low = high = diff
    else:
        with warnings.catch_warnings():
            # one side without spread (e.g. two seeds that gave the same metric) makes SciPy warn of precision
            # loss in its variance; that variance is exactly 0, and Welch's interval rests on the other side's
            warnings.filterwarnings('ignore', 'Precision loss occurred in moment calculation', RuntimeWarning)
            ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(confidence_level=confidence)
        low, high = float(ci.low), float(ci.high)
    return dict(diff=diff, low=low, high=high, verdict=verdict(low, high, higher_is_better), confidence=confidence,
                n_a=int(a.size), n_b=int(b.size))


# ----------------------------------------------------------------------------- item-level metrics
def mean_over_seeds(metrics: Sequence[Metric]) -> Metric:
    """The mean of per-seed metrics on the same items (pooling seeds in a paired comparison)."""
    metrics = list(metrics)
    if not metrics:
        raise ValueError('mean_over_seeds needs at least one metric')
    return lambda idx: float(np.mean([m(idx) for m in metrics]))


def topk_metric(scores: np.ndarray, labels: np.ndarray, k: int = 1) -> Metric:
    """Top-``k`` accuracy of per-item class ``scores`` (N, C) against integer ``labels`` (N,)."""
    scores = np.asarray(scores)
    labels = np.asarray(labels, np.int64)
    if scores.ndim != 2 or len(scores) != len(labels):
        raise ValueError(f'topk_metric: scores must be (N, C) and labels (N,), got {scores.shape} and '
                         f'{labels.shape}')
    topk = np.argsort(-scores, axis=1, kind='stable')[:, :k]
    hit = (topk == labels[:, None]).any(axis=1)
    return lambda idx: float(hit[idx].mean())


def verification_metric(distances: np.ndarray, issame: np.ndarray, n_folds: int = 10) -> Metric:
    """insightface's 10-fold verification accuracy of the pairs at ``idx`` (squared L2 ``distances``)."""
    from .face.verification import calculate_roc
    distances = np.asarray(distances, np.float64)
    issame = np.asarray(issame, bool)
    if distances.shape != issame.shape:
        raise ValueError(f'verification_metric: {distances.shape} distances for {issame.shape} labels')

    def metric(idx):
        return float(np.mean(calculate_roc(distances[idx], issame[idx], n_folds=n_folds)['accuracy']))

    return metric
