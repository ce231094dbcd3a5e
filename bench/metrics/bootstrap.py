"""Bootstrap over documents: confidence intervals and the paired comparison of two systems.

Resampling is done by ``scipy.stats.bootstrap`` (documents drawn with replacement, seeded);
percentile intervals are read off its bootstrap distribution with NaN-aware percentiles,
because a resample can leave a metric undefined (e.g. ROC-AUC with a single class).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy.stats import bootstrap


def _distribution(statistic: Callable[[np.ndarray], np.ndarray], n_items: int, n_resamples: int,
                  seed: int) -> np.ndarray:
    """Bootstrap distribution (statistics × resamples) of ``statistic`` over item indices."""
    result = bootstrap((np.arange(n_items),), lambda idx: np.asarray(statistic(idx.astype(int)), dtype=float),
                       vectorized=False, n_resamples=n_resamples, method="percentile",
                       random_state=np.random.default_rng(seed))
    return np.atleast_2d(result.bootstrap_distribution)


def confidence_intervals(statistic: Callable[[np.ndarray], dict[str, float]], names: Sequence[str],
                         n_items: int, *, n_resamples: int = 1000, seed: int = 13,
                         confidence: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile interval for each named metric of ``statistic(indices)``.

    An interval is (NaN, NaN) with fewer than two items or when most resamples leave it undefined.
    """
    if n_items < 2 or not names:
        return {name: (math.nan, math.nan) for name in names}
    dist = _distribution(lambda idx: [statistic(idx).get(n, math.nan) for n in names], n_items, n_resamples, seed)
    alpha = (1 - confidence) / 2
    out = {}
    for name, row in zip(names, dist):
        finite = row[np.isfinite(row)]
        if len(finite) < 0.5 * len(row):
            out[name] = (math.nan, math.nan)
        else:
            out[name] = (float(np.percentile(finite, 100 * alpha)), float(np.percentile(finite, 100 * (1 - alpha))))
    return out


@dataclass(frozen=True)
class PairedResult:
    """Paired bootstrap of metric(A) - metric(B) on the same documents."""

    metric: str
    a: float
    b: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    n_resamples: int

    @property
    def relative(self) -> float:
        """The difference relative to B (effect size as a share of B's score)."""
        return self.difference / self.b if self.b else math.nan


def paired_bootstrap(metrics_a: Callable[[np.ndarray], dict[str, float]],
                     metrics_b: Callable[[np.ndarray], dict[str, float]], names: Sequence[str], n_items: int, *,
                     n_resamples: int = 1000, seed: int = 13, confidence: float = 0.95) -> list[PairedResult]:
    """Resample documents once for both systems; test H0: no difference (two-sided), per metric.

    The p-value is twice the share of resampled differences on the other side of zero from the
    observed difference (the paired bootstrap test of Koehn 2004 / Berg-Kirkpatrick et al. 2012),
    capped at 1.
    """
    everything = np.arange(n_items)
    full_a, full_b = metrics_a(everything), metrics_b(everything)

    def differences(idx: np.ndarray) -> list[float]:
        ma, mb = metrics_a(idx), metrics_b(idx)
        return [ma.get(n, math.nan) - mb.get(n, math.nan) for n in names]

    dist_all = _distribution(differences, n_items, n_resamples, seed)
    alpha = (1 - confidence) / 2
    results = []
    for name, dist in zip(names, dist_all):
        a, b = float(full_a.get(name, math.nan)), float(full_b.get(name, math.nan))
        observed = a - b
        dist = dist[np.isfinite(dist)]
        if not len(dist) or math.isnan(observed):
            results.append(PairedResult(name, a, b, observed, math.nan, math.nan, math.nan, n_resamples))
            continue
        if observed > 0:
            one_sided = float(np.mean(dist <= 0))
        elif observed < 0:
            one_sided = float(np.mean(dist >= 0))
        else:
            one_sided = 0.5
        results.append(PairedResult(name, a, b, observed, float(np.percentile(dist, 100 * alpha)),
                                    float(np.percentile(dist, 100 * (1 - alpha))), min(1.0, 2 * one_sided),
                                    n_resamples))
    return results
