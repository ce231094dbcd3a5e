"""Calibration: expected calibration error, Brier score and reliability-curve data.

``*_resampled`` give the same metrics for many bootstrap resamples at once (weights: how often
each item was drawn).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from bench.metrics.weighted import mean_or_nan, weight_matrix


def expected_calibration_error(correct: Sequence[float], confidence: Sequence[float], n_bins: int = 10) -> float:
    """ECE with equal-width bins on [0, 1]: Σ_b (n_b / n) |accuracy_b − confidence_b|.

    For a binary scorer pass the gold labels and P(positive); for multi-class, whether the top
    class is right and its probability (top-label ECE).
    """
    y = np.asarray(correct, dtype=float)
    p = np.clip(np.asarray(confidence, dtype=float), 0, 1)
    if not len(y):
        return math.nan
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            total += mask.sum() / len(y) * abs(y[mask].mean() - p[mask].mean())
    return float(total)


def binary_calibration(y_true: Sequence[int], scores: Sequence[float], n_bins: int = 10) -> dict[str, float]:
    y, s = np.asarray(y_true, dtype=int), np.clip(np.asarray(scores, dtype=float), 0, 1)
    return {"ece": expected_calibration_error(y, s, n_bins),
            "brier": float(np.mean((s - y) ** 2)) if len(y) else math.nan}


def multiclass_calibration(gold_index: Sequence[int], probabilities: np.ndarray, n_bins: int = 10) -> dict[str, float]:
    """Top-label ECE and the multi-class Brier score (mean squared error to the one-hot gold)."""
    y = np.asarray(gold_index, dtype=int)
    probs = np.asarray(probabilities, dtype=float)
    if not len(y):
        return {"ece": math.nan, "brier": math.nan}
    onehot = np.eye(probs.shape[1])[y]
    top = probs.argmax(axis=1)
    return {"ece": expected_calibration_error(top == y, probs.max(axis=1), n_bins),
            "brier": float(np.mean(np.sum((probs - onehot) ** 2, axis=1)))}


def reliability_points(correct: Sequence[float], confidence: Sequence[float], n_bins: int = 10
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(observed frequency, mean confidence) per non-empty bin, from scikit-learn."""
    from sklearn.calibration import calibration_curve

    return calibration_curve(np.asarray(correct, dtype=int), np.clip(np.asarray(confidence, dtype=float), 0, 1),
                             n_bins=n_bins, strategy="uniform")


def _bins(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    return np.minimum((confidence * n_bins).astype(int), n_bins - 1)


def ece_resampled(correct: Sequence[float], confidence: Sequence[float], n_bins: int,
                  weights: np.ndarray) -> np.ndarray:
    """:func:`expected_calibration_error` of every resample: Σ_b |Σ_{i∈b} w_i (y_i − p_i)| / Σ w."""
    y = np.asarray(correct, dtype=float)
    p = np.clip(np.asarray(confidence, dtype=float), 0, 1)
    w = weight_matrix(weights, len(y))
    gaps = np.zeros((len(y), n_bins))
    gaps[np.arange(len(y)), _bins(p, n_bins)] = y - p
    return mean_or_nan(np.abs(w @ gaps).sum(axis=1), w.sum(axis=1))


def binary_calibration_resampled(y_true: Sequence[int], scores: Sequence[float], n_bins: int,
                                 weights: np.ndarray) -> dict[str, np.ndarray]:
    y, s = np.asarray(y_true, dtype=float), np.clip(np.asarray(scores, dtype=float), 0, 1)
    w = weight_matrix(weights, len(y))
    return {"ece": ece_resampled(y, s, n_bins, w), "brier": mean_or_nan(w @ (s - y) ** 2, w.sum(axis=1))}


def multiclass_calibration_resampled(gold_index: Sequence[int], probabilities: np.ndarray, n_bins: int,
                                     weights: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`multiclass_calibration` of every resample (top-label ECE, multi-class Brier)."""
    y = np.asarray(gold_index, dtype=int)
    probs = np.asarray(probabilities, dtype=float)
    w = weight_matrix(weights, len(y))
    onehot = np.eye(probs.shape[1])[y]
    top = probs.argmax(axis=1)
    squared = np.sum((probs - onehot) ** 2, axis=1)
    return {"ece": ece_resampled(top == y, probs.max(axis=1), n_bins, w),
            "brier": mean_or_nan(w @ squared, w.sum(axis=1))}
