"""Sentence-level metrics from scikit-learn: binary detection and 3-class sentiment."""

from __future__ import annotations

import math
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

from bench.data.schema import SENTIMENT_CLASSES


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


def sentiment_metrics(gold: Sequence[str], probabilities: np.ndarray) -> dict[str, float]:
    """Macro-F1 (NewsMTSC's F1m), accuracy, per-class F1 and Spearman of polarity scores.

    ``probabilities`` has one row per item with columns negative, neutral, positive.
    """
    probs = np.asarray(probabilities, dtype=float).reshape(-1, len(SENTIMENT_CLASSES))
    y = np.array([SENTIMENT_CLASSES.index(g) for g in gold], dtype=int)
    pred = probs.argmax(axis=1)
    labels = list(range(len(SENTIMENT_CLASSES)))
    per_class = f1_score(y, pred, average=None, labels=labels, zero_division=0)
    polarity = probs[:, 2] - probs[:, 0]
    rho = spearmanr(polarity, y - 1).statistic if len(y) > 2 and len(np.unique(y)) > 1 else math.nan
    out = {
        "macro_f1": float(f1_score(y, pred, average="macro", labels=labels, zero_division=0)),
        "accuracy": float(accuracy_score(y, pred)),
        "spearman": float(rho),
        "n": float(len(y)),
    }
    for name, value in zip(SENTIMENT_CLASSES, per_class):
        out[f"f1_{name}"] = float(value)
    return out
