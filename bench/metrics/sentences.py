"""Item-level metrics: binary detection and multi-class classification.

The scalar functions call scikit-learn and are the reference; the ``*_resampled`` functions give
the same metrics for many bootstrap resamples at once (weights: how often each item was drawn),
vectorised: confusion counts from the weight matrix, ROC-AUC from tie-aware rank sums, average
precision from cumulative weights in descending score order.
"""

from __future__ import annotations

import math
import re
from typing import Sequence

import numpy as np

from bench.metrics.weighted import (divide, group_sums, mean_or_nan, tie_groups, weight_matrix,
                                    weighted_spearman)


def binary_metrics(y_true: Sequence[int], scores: Sequence[float], threshold: float = 0.5) -> dict[str, float]:
    """P/R/F1 of the positive class, macro-F1, ROC-AUC and PR-AUC (average precision).

    A sentence is predicted positive when its score is >= ``threshold``. ROC-AUC and PR-AUC
    are NaN when the gold labels hold a single class (they are undefined there).
    """
    from sklearn.metrics import (accuracy_score, average_precision_score, f1_score,
                                 precision_recall_fscore_support, roc_auc_score)

    y = np.asarray(y_true, dtype=int)
    s = np.asarray(scores, dtype=float)
    pred = (s >= threshold).astype(int)
    p, r, f, _ = precision_recall_fscore_support(y, pred, average="binary", pos_label=1, zero_division=0)
    both = len(np.unique(y)) == 2
    return {
        "precision": float(p),
        "recall": float(r),
        "f1": float(f),
        "macro_f1": float(f1_score(y, pred, average="macro", labels=[0, 1], zero_division=0)),
        "accuracy": float(accuracy_score(y, pred)),
        "roc_auc": float(roc_auc_score(y, s)) if both else math.nan,
        "pr_auc": float(average_precision_score(y, s)) if both else math.nan,
        "positive_rate_gold": float(y.mean()) if len(y) else math.nan,
        "positive_rate_predicted": float(pred.mean()) if len(pred) else math.nan,
        "n": float(len(y)),
    }


#: characters MLflow does not allow in metric names (PTC labels hold commas)
_METRIC_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /]")


def multiclass_metrics(gold: Sequence[int], probabilities: np.ndarray, class_names: Sequence[str],
                       ordinal: bool = False) -> dict[str, float]:
    """Macro- and micro-F1, accuracy and per-class F1 of the argmax decision.

    ``gold`` holds class indices into ``class_names``; ``probabilities`` one row per item. With
    one label per item, micro-F1 equals accuracy (SemEval-2020 Task 11's technique-classification
    score). For ordinal classes (negative < neutral < positive) also the Spearman correlation of
    the expected class index with the gold index.
    """
    from scipy.stats import spearmanr
    from sklearn.metrics import accuracy_score, f1_score

    probs = np.asarray(probabilities, dtype=float).reshape(-1, len(class_names))
    y = np.asarray(gold, dtype=int)
    pred = probs.argmax(axis=1)
    labels = list(range(len(class_names)))
    out = {
        "macro_f1": float(f1_score(y, pred, average="macro", labels=labels, zero_division=0)),
        "micro_f1": float(f1_score(y, pred, average="micro", labels=labels, zero_division=0)),
        "accuracy": float(accuracy_score(y, pred)),
        "n": float(len(y)),
    }
    if ordinal:
        expected = probs @ np.arange(len(class_names), dtype=float)
        defined = len(y) > 2 and len(np.unique(y)) > 1 and float(np.ptp(expected)) > 0
        out["spearman"] = float(spearmanr(expected, y).statistic) if defined else math.nan
    for name, value in zip(class_names, f1_score(y, pred, average=None, labels=labels, zero_division=0)):
        out[f"f1_{_METRIC_UNSAFE.sub('_', name)}"] = float(value)
    return out


def ranking_resampled(y_true: Sequence[int], scores: Sequence[float], weights: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """ROC-AUC and average precision of each resample (NaN where it holds a single class).

    ROC-AUC is the Mann-Whitney statistic: the weight of (positive, negative) pairs ranked right,
    ties counting half. Average precision is scikit-learn's step sum Σ_k (R_k − R_{k−1}) P_k over
    the distinct scores in descending order.
    """
    y = np.asarray(y_true, dtype=int)
    w = weight_matrix(weights, len(y))
    order, starts, _ = tie_groups(np.asarray(scores, dtype=float), descending=True)
    positive = group_sums(w * (y == 1), order, starts)
    negative = group_sums(w * (y != 1), order, starts)
    n_pos, n_neg = positive.sum(axis=1), negative.sum(axis=1)
    tps, fps = np.cumsum(positive, axis=1), np.cumsum(negative, axis=1)
    below = n_neg[:, None] - fps  # negatives scored lower than each tie group
    pairs = (positive * (below + 0.5 * negative)).sum(axis=1)
    precision = divide(tps, tps + fps)
    both = (n_pos > 0) & (n_neg > 0)
    auc = np.where(both, divide(pairs, n_pos * n_neg), np.nan)
    ap = np.where(both, divide((positive * precision).sum(axis=1), n_pos), np.nan)
    return auc, ap


def binary_metrics_resampled(y_true: Sequence[int], scores: Sequence[float], threshold: float,
                             weights: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`binary_metrics` of every resample (rows of ``weights``), each an array over resamples."""
    y = np.asarray(y_true, dtype=int) == 1
    s = np.asarray(scores, dtype=float)
    w = weight_matrix(weights, len(y))
    pred = s >= threshold
    tp, fp, fn, tn = (w @ np.stack([y & pred, ~y & pred, y & ~pred, ~y & ~pred], axis=1).astype(float)).T
    n = w.sum(axis=1)
    auc, ap = ranking_resampled(y.astype(int), s, w)
    f1_pos, f1_neg = divide(2 * tp, 2 * tp + fp + fn), divide(2 * tn, 2 * tn + fn + fp)
    return {
        "precision": divide(tp, tp + fp),
        "recall": divide(tp, tp + fn),
        "f1": f1_pos,
        "macro_f1": (f1_pos + f1_neg) / 2,
        "accuracy": mean_or_nan(tp + tn, n),
        "roc_auc": auc,
        "pr_auc": ap,
        "positive_rate_gold": mean_or_nan(tp + fn, n),
        "positive_rate_predicted": mean_or_nan(tp + fp, n),
        "n": n,
    }


def multiclass_metrics_resampled(gold: Sequence[int], probabilities: np.ndarray, class_names: Sequence[str],
                                 weights: np.ndarray, ordinal: bool = False) -> dict[str, np.ndarray]:
    """:func:`multiclass_metrics` of every resample (rows of ``weights``), each an array over resamples."""
    k = len(class_names)
    probs = np.asarray(probabilities, dtype=float).reshape(-1, k)
    y = np.asarray(gold, dtype=int)
    w = weight_matrix(weights, len(y))
    pred = probs.argmax(axis=1)
    classes = np.arange(k)
    gold_onehot = (y[:, None] == classes).astype(float)
    pred_onehot = (pred[:, None] == classes).astype(float)
    tp = w @ (gold_onehot * pred_onehot)
    per_class = divide(2 * tp, w @ gold_onehot + w @ pred_onehot)
    n = w.sum(axis=1)
    correct = tp.sum(axis=1)
    out = {
        "macro_f1": per_class.mean(axis=1),
        "micro_f1": divide(correct, n),
        "accuracy": mean_or_nan(correct, n),
        "n": n,
    }
    if ordinal:
        expected = probs @ np.arange(k, dtype=float)
        out["spearman"] = weighted_spearman(expected, y.astype(float), w)
    for c, name in enumerate(class_names):
        out[f"f1_{_METRIC_UNSAFE.sub('_', name)}"] = per_class[:, c]
    return out
