"""Document-level metrics: predicted vs gold span density and their rank correlation."""

from __future__ import annotations

import math
import re
from typing import Sequence

import numpy as np
from scipy.stats import spearmanr

_WORD = re.compile(r"\w+")


def density(n_spans: int, text: str) -> float:
    """Spans per 100 words of ``text``."""
    words = len(_WORD.findall(text))
    return 100.0 * n_spans / words if words else 0.0


def document_metrics(gold_density: Sequence[float], predicted_density: Sequence[float]) -> dict[str, float]:
    """Mean gold and predicted density, mean absolute error, and Spearman's rho across documents.

    Spearman's rho is NaN with fewer than three documents or a constant side.
    """
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
