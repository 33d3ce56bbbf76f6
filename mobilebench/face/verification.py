"""insightface's face verification protocol (``recognition/arcface_torch/eval/verification.py``).

Given the (flip-summed, L2-normalised) embeddings of ``N`` pairs:

- distance = squared Euclidean distance between the two members of a pair;
- 10-fold split of the pairs (``KFold(n_splits=10, shuffle=False)``: contiguous folds);
- accuracy: thresholds ``arange(0, 4, 0.01)``; per fold, the threshold with the best accuracy on the
  other nine folds is applied to the held-out fold; mean and std over folds;
- TAR@FAR: thresholds ``arange(0, 4, 0.001)``; per fold, the threshold reaching ``far_target`` on
  the nine training folds (insightface: ``interp1d(far, thr, kind='slinear')``, done explicitly
  here, see :func:`_thresholds_for_far`) is applied to the held-out fold; mean over folds.

:func:`calculate_roc` / :func:`calculate_val` are vectorised over thresholds *and* folds: every pair
gets the index of the first threshold that accepts it (one ``searchsorted``), and per-fold counts
for all thresholds come from one ``bincount`` + ``cumsum``. :func:`calculate_roc_loop` /
:func:`calculate_val_loop` are the straightforward loop versions (the reference in the tests).
"""
from __future__ import annotations

import warnings
from typing import Dict, List, Tuple

import numpy as np

ROC_THRESHOLDS = np.arange(0, 4, 0.01)
VAL_THRESHOLDS = np.arange(0, 4, 0.001)


def kfold_splits(n: int, n_folds: int = 10) -> List[Tuple[np.ndarray, np.ndarray]]:
    """``sklearn.model_selection.KFold(n_folds, shuffle=False).split(range(n))``: contiguous folds,
    the first ``n % n_folds`` folds one element larger."""
    if n < n_folds:
        raise ValueError(f'{n} pairs cannot be split into {n_folds} folds; need at least {n_folds} pairs')
    sizes = np.full(n_folds, n // n_folds, dtype=int)
    sizes[:n % n_folds] += 1
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    idx = np.arange(n)
    return [(np.concatenate([idx[:bounds[f]], idx[bounds[f + 1]:]]), idx[bounds[f]:bounds[f + 1]])
            for f in range(n_folds)]


def fold_ids(n: int, n_folds: int = 10) -> np.ndarray:
    ids = np.empty(n, dtype=np.int64)
    for f, (_, test) in enumerate(kfold_splits(n, n_folds)):
        ids[test] = f
    return ids


def pair_distances(emb1: np.ndarray, emb2: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance of each pair (rows)."""
    diff = np.asarray(emb1, np.float64) - np.asarray(emb2, np.float64)
    return np.sum(diff * diff, axis=1)


def l2_normalize(x: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Row-wise L2 normalisation (``sklearn.preprocessing.normalize``)."""
    x = np.asarray(x, np.float64)
    norm = np.sqrt(np.sum(x * x, axis=1, keepdims=True))
    return x / np.maximum(norm, eps)


# ----------------------------------------------------------------------------- vectorised
def _accept_counts(dist: np.ndarray, issame: np.ndarray, thresholds: np.ndarray, folds: np.ndarray,
                   n_folds: int) -> np.ndarray:
    """``counts[f, c, t]`` = number of pairs of fold ``f`` and class ``c`` (0 diff, 1 same) with
    ``dist < thresholds[t]``, for every fold and threshold at once."""
    n_thr = len(thresholds)
    # dist < thr[t]  <=>  t >= first[i], with first[i] = #{t: thr[t] <= dist[i]} (thresholds ascending)
    first = np.searchsorted(thresholds, dist, side='right')
    flat = (folds * 2 + issame.astype(np.int64)) * (n_thr + 1) + first
    hist = np.bincount(flat, minlength=n_folds * 2 * (n_thr + 1)).reshape(n_folds, 2, n_thr + 1)
    return np.cumsum(hist, axis=2)[:, :, :n_thr]


def _fold_counts(dist, issame, thresholds, n_folds):
    n = len(dist)
    folds = fold_ids(n, n_folds)
    acc_test = _accept_counts(dist, issame, thresholds, folds, n_folds)  # (F, 2, T) accepted, test fold
    pos_test = np.bincount(folds * 2 + issame, minlength=2 * n_folds).reshape(n_folds, 2)  # (F, 2)
    acc_train = acc_test.sum(0, keepdims=True) - acc_test
    pos_train = pos_test.sum(0, keepdims=True) - pos_test
    return acc_test, pos_test, acc_train, pos_train


def calculate_roc(dist: np.ndarray, issame: np.ndarray, thresholds: np.ndarray = ROC_THRESHOLDS,
                  n_folds: int = 10) -> Dict[str, np.ndarray]:
    """Vectorised 10-fold accuracy (insightface ``calculate_roc``).

    Args:
        dist: (N,) squared distances.
        issame: (N,) booleans.
        thresholds: ascending thresholds.
        n_folds: number of folds.

    Returns:
        dict with ``accuracy`` (per fold), ``best_thresholds`` (per fold), ``tpr`` and ``fpr`` (per
        threshold, averaged over test folds).
    """
    dist = np.asarray(dist, np.float64)
    issame = np.asarray(issame, bool).astype(np.int64)
    thresholds = np.asarray(thresholds, np.float64)
    acc_test, pos_test, acc_train, pos_train = _fold_counts(dist, issame, thresholds, n_folds)
    # correct = accepted same + rejected diff
    train_correct = acc_train[:, 1] + (pos_train[:, 0:1] - acc_train[:, 0])  # (F, T)
    train_acc = train_correct / pos_train.sum(1, keepdims=True)
    best = np.argmax(train_acc, axis=1)  # first maximum, as np.argmax in the loop
    f_idx = np.arange(n_folds)
    test_correct = acc_test[f_idx, 1, best] + pos_test[:, 0] - acc_test[f_idx, 0, best]
    accuracy = test_correct / pos_test.sum(1)
    with np.errstate(divide='ignore', invalid='ignore'):
        tprs = np.where(pos_test[:, 1:2] > 0, acc_test[:, 1] / np.maximum(pos_test[:, 1:2], 1), 0.0)
        fprs = np.where(pos_test[:, 0:1] > 0, acc_test[:, 0] / np.maximum(pos_test[:, 0:1], 1), 0.0)
    return dict(accuracy=accuracy, best_thresholds=thresholds[best], tpr=tprs.mean(0), fpr=fprs.mean(0))


def _thresholds_for_far(far_train: np.ndarray, thresholds: np.ndarray, far_target: float) -> np.ndarray:
    """Per fold, the threshold at which the training FAR reaches ``far_target`` (vectorised).

    insightface uses ``interp1d(far_train, thresholds, kind='slinear')``; SciPy >= 1.13 rejects its
    duplicate x values (FAR is a step function of the threshold), so the same linear interpolation is
    done explicitly: with ``j`` the first threshold whose FAR is >= the target and ``i = j - 1`` (the
    end of the plateau below it), interpolate between ``(far[i], thr[i])`` and ``(far[j], thr[j])``.
    Folds whose FAR never reaches the target get threshold 0, as in insightface.

    Args:
        far_train: (F, T) non-decreasing FAR per fold and threshold.
        thresholds: (T,) ascending thresholds.
        far_target: the FAR to reach.
    """
    far_train = np.atleast_2d(far_train)
    reach = far_train.max(axis=1) >= far_target
    j = np.minimum((far_train < far_target).sum(axis=1), far_train.shape[1] - 1)  # first far >= target
    i = np.maximum(j - 1, 0)
    rows = np.arange(far_train.shape[0])
    f_i, f_j = far_train[rows, i], far_train[rows, j]
    t_i, t_j = thresholds[i], thresholds[j]
    with np.errstate(divide='ignore', invalid='ignore'):
        frac = np.where(f_j > f_i, (far_target - f_i) / (f_j - f_i), 1.0)
    thr = np.where(j == 0, t_j, t_i + frac * (t_j - t_i))
    return np.where(reach, thr, 0.0)


def _threshold_for_far_loop(far_train, thresholds, far_target) -> float:
    if max(far_train) < far_target:
        return 0.0
    for j in range(len(far_train)):
        if far_train[j] >= far_target:
            break
    if j == 0:
        return float(thresholds[0])
    f_i, f_j = far_train[j - 1], far_train[j]
    frac = (far_target - f_i) / (f_j - f_i) if f_j > f_i else 1.0
    return float(thresholds[j - 1] + frac * (thresholds[j] - thresholds[j - 1]))


def calculate_val(dist: np.ndarray, issame: np.ndarray, far_target: float = 1e-3,
                  thresholds: np.ndarray = VAL_THRESHOLDS, n_folds: int = 10) -> Dict[str, float]:
    """Vectorised TAR (``val``) at a FAR target (insightface ``calculate_val``).

    Returns:
        dict with ``val_mean``, ``val_std``, ``far_mean``. NaN when the pairs have no negatives (FAR
        undefined) or no positives (TAR undefined).
    """
    dist = np.asarray(dist, np.float64)
    issame = np.asarray(issame, bool)
    if issame.all() or not issame.any():
        warnings.warn('TAR@FAR needs both positive and negative pairs; reporting NaN')
        return dict(val_mean=float('nan'), val_std=float('nan'), far_mean=float('nan'))
    issame_i = issame.astype(np.int64)
    thresholds = np.asarray(thresholds, np.float64)
    _, _, acc_train, pos_train = _fold_counts(dist, issame_i, thresholds, n_folds)
    far_train = acc_train[:, 0] / np.maximum(pos_train[:, 0:1], 1)  # (F, T)
    far_train = np.where(pos_train[:, 0:1] > 0, far_train, 0.0)
    folds = fold_ids(len(dist), n_folds)
    thr = _thresholds_for_far(far_train, thresholds, far_target)
    accept = dist < thr[folds]
    ta = np.bincount(folds, weights=accept & issame, minlength=n_folds)
    fa = np.bincount(folds, weights=accept & ~issame, minlength=n_folds)
    n_same = np.bincount(folds, weights=issame, minlength=n_folds)
    n_diff = np.bincount(folds, weights=~issame, minlength=n_folds)
    val = np.where(n_same > 0, ta / np.maximum(n_same, 1), 0.0)
    far = np.where(n_diff > 0, fa / np.maximum(n_diff, 1), 0.0)
    return dict(val_mean=float(val.mean()), val_std=float(val.std()), far_mean=float(far.mean()))


# ----------------------------------------------------------------------------- loop reference
def _accuracy_at(threshold, dist, issame):
    predict = dist < threshold
    tp = np.sum(predict & issame)
    fp = np.sum(predict & ~issame)
    tn = np.sum(~predict & ~issame)
    fn = np.sum(~predict & issame)
    tpr = 0.0 if tp + fn == 0 else tp / (tp + fn)
    fpr = 0.0 if fp + tn == 0 else fp / (fp + tn)
    return tpr, fpr, (tp + tn) / dist.size


def _val_far_at(threshold, dist, issame):
    predict = dist < threshold
    n_same, n_diff = np.sum(issame), np.sum(~issame)
    val = np.sum(predict & issame) / n_same if n_same else 0.0
    far = np.sum(predict & ~issame) / n_diff if n_diff else 0.0
    return val, far


def calculate_roc_loop(dist, issame, thresholds=ROC_THRESHOLDS, n_folds=10) -> Dict[str, np.ndarray]:
    """Loop reference of :func:`calculate_roc` (threshold x fold Python loops, as insightface)."""
    dist = np.asarray(dist, np.float64)
    issame = np.asarray(issame, bool)
    n_thr = len(thresholds)
    tprs = np.zeros((n_folds, n_thr))
    fprs = np.zeros((n_folds, n_thr))
    accuracy = np.zeros(n_folds)
    best_thr = np.zeros(n_folds)
    for f, (train, test) in enumerate(kfold_splits(len(dist), n_folds)):
        acc_train = np.zeros(n_thr)
        for t, thr in enumerate(thresholds):
            _, _, acc_train[t] = _accuracy_at(thr, dist[train], issame[train])
        best = int(np.argmax(acc_train))
        for t, thr in enumerate(thresholds):
            tprs[f, t], fprs[f, t], _ = _accuracy_at(thr, dist[test], issame[test])
        _, _, accuracy[f] = _accuracy_at(thresholds[best], dist[test], issame[test])
        best_thr[f] = thresholds[best]
    return dict(accuracy=accuracy, best_thresholds=best_thr, tpr=tprs.mean(0), fpr=fprs.mean(0))


def calculate_val_loop(dist, issame, far_target=1e-3, thresholds=VAL_THRESHOLDS, n_folds=10) -> Dict[str, float]:
    """Loop reference of :func:`calculate_val`."""
    dist = np.asarray(dist, np.float64)
    issame = np.asarray(issame, bool)
    if issame.all() or not issame.any():
        return dict(val_mean=float('nan'), val_std=float('nan'), far_mean=float('nan'))
    val = np.zeros(n_folds)
    far = np.zeros(n_folds)
    for f, (train, test) in enumerate(kfold_splits(len(dist), n_folds)):
        far_train = np.zeros(len(thresholds))
        for t, thr in enumerate(thresholds):
            _, far_train[t] = _val_far_at(thr, dist[train], issame[train])
        thr = _threshold_for_far_loop(far_train, thresholds, far_target)
        val[f], far[f] = _val_far_at(thr, dist[test], issame[test])
    return dict(val_mean=float(val.mean()), val_std=float(val.std()), far_mean=float(far.mean()))


def evaluate_pairs(emb1: np.ndarray, emb2: np.ndarray, issame: np.ndarray, n_folds: int = 10,
                   far_target: float = 1e-3, vectorised: bool = True) -> Dict[str, float]:
    """Full protocol on normalised embeddings: accuracy mean/std, best threshold, TAR@FAR."""
    dist = pair_distances(emb1, emb2)
    roc = (calculate_roc if vectorised else calculate_roc_loop)(dist, issame, n_folds=n_folds)
    val = (calculate_val if vectorised else calculate_val_loop)(dist, issame, far_target, n_folds=n_folds)
    return dict(accuracy=float(np.mean(roc['accuracy'])), accuracy_std=float(np.std(roc['accuracy'])),
                best_threshold=float(np.mean(roc['best_thresholds'])), tar_at_far=val['val_mean'],
                far=val['far_mean'])
