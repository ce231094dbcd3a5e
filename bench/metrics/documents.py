"""Document-level metrics: predicted vs gold span density and their rank correlation."""

from __future__ import annotations

import math
import re
from typing import Sequence

import numpy as np

from bench.metrics.weighted import mean_or_nan, weight_matrix, weighted_spearman

_WORD = re.compile(r"\w+")


def density(n_spans: int, text: str) -> float:
    """Spans per 100 words of ``text``."""
    words = len(_WORD.findall(text))
    return 100.0 * n_spans / words if words else 0.0


def document_metrics(gold_density: Sequence[float], predicted_density: Sequence[float]) -> dict[str, float]:
    """Mean gold and predicted density, mean absolute error, and Spearman's rho across documents.

    Spearman's rho is NaN with fewer than three documents or a constant side.
    """
    from scipy.stats import spearmanr

    g = np.asarray(gold_density, dtype=float)
    p = np.asarray(predicted_density, dtype=float)
    varied = len(g) >= 3 and np.ptp(g) > 0 and np.ptp(p) > 0
    return {
        "gold_density": float(g.mean()) if len(g) else math.nan,
        "predicted_density": float(p.mean()) if len(p) else math.nan,
        "density_mae": float(np.abs(g - p).mean()) if len(g) else math.nan,
        "spearman": float(spearmanr(g, p).statistic) if varied else math.nan,
        "n": float(len(g)),
    }


def document_metrics_resampled(gold_density: Sequence[float], predicted_density: Sequence[float],
                               weights: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`document_metrics` of every resample (rows of ``weights``: how often each document was drawn)."""
    g = np.asarray(gold_density, dtype=float)
    p = np.asarray(predicted_density, dtype=float)
    w = weight_matrix(weights, len(g))
    n = w.sum(axis=1)
    return {"gold_density": mean_or_nan(w @ g, n), "predicted_density": mean_or_nan(w @ p, n),
            "density_mae": mean_or_nan(w @ np.abs(g - p), n), "spearman": weighted_spearman(g, p, w), "n": n}
