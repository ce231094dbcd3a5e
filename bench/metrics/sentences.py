"""Item-level metrics from scikit-learn: binary detection and multi-class classification."""

from __future__ import annotations

import math
import re
from typing import Sequence

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)


def binary_metrics(y_true: Sequence[int], scores: Sequence[float], threshold: float = 0.5) -> dict[str, float]:
    """P/R/F1 of the positive class, macro-F1, ROC-AUC and PR-AUC (average precision).

    A sentence is predicted positive when its score is >= ``threshold``. ROC-AUC and PR-AUC
    are NaN when the gold labels hold a single class (they are undefined there).
    """
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
