"""Bootstrap over documents: confidence intervals and the paired comparison of two systems.

Documents are drawn with replacement, seeded: the same draws ``scipy.stats.bootstrap`` makes with
``rng=np.random.default_rng(seed)``. A statistic is either

- an object with ``metrics(indices)`` and ``resampled(counts)`` (an :class:`~bench.evaluation.EvalTable`):
  all resamples are scored at once from the (resamples × documents) matrix of how often each
  document was drawn, vectorised; or
- a plain function ``indices -> {name: value}``, called once per resample.

Percentile intervals are read off the bootstrap distribution with NaN-aware percentiles, because a
resample can leave a metric undefined (e.g. ROC-AUC with a single class).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Protocol, Sequence, Union, runtime_checkable

import numpy as np

#: resamples scored together (bounds the memory of the per-item weight matrices)
CHUNK = 250


@runtime_checkable
class ResampledStatistic(Protocol):
    """Metrics of a set of documents, and of many resamples of them at once."""

    def metrics(self, doc_indices: np.ndarray | Sequence[int] | None = None) -> dict[str, float]: ...

    def resampled(self, counts: np.ndarray) -> Mapping[str, np.ndarray]: ...


Statistic = Union[ResampledStatistic, Callable[[np.ndarray], Mapping[str, float]]]


def resample_indices(n_items: int, n_resamples: int, seed: int) -> np.ndarray:
    """(resamples × items) indices drawn with replacement, as ``scipy.stats.bootstrap`` draws them."""
    return np.random.default_rng(seed).integers(0, n_items, (n_resamples, n_items))


def resample_counts(indices: np.ndarray, n_items: int) -> np.ndarray:
    """How often each item appears in each resample (rows of ``indices``)."""
    rows = np.asarray(indices, dtype=np.int64)
    flat = rows + n_items * np.arange(len(rows), dtype=np.int64)[:, None]
    return np.bincount(flat.ravel(), minlength=len(rows) * n_items).reshape(len(rows), n_items)


def _full(statistic: Statistic, n_items: int) -> Mapping[str, float]:
    if isinstance(statistic, ResampledStatistic):
        return statistic.metrics()
    return statistic(np.arange(n_items))


def _distribution(statistic: Statistic, names: Sequence[str], indices: np.ndarray, n_items: int) -> np.ndarray:
    """Bootstrap distribution (names × resamples) of ``statistic`` over the resamples ``indices``."""
    out = np.full((len(names), len(indices)), math.nan)
    vectorised = isinstance(statistic, ResampledStatistic)
    for start in range(0, len(indices), CHUNK):
        block = indices[start : start + CHUNK]
        if vectorised:
            values = statistic.resampled(resample_counts(block, n_items))  # type: ignore[union-attr]
            for row, name in enumerate(names):
                if name in values:
                    out[row, start : start + len(block)] = values[name]
            continue
        for offset, idx in enumerate(block):
            found = statistic(idx)  # type: ignore[operator]
            out[:, start + offset] = [found.get(name, math.nan) for name in names]
    return out


def confidence_intervals(statistic: Statistic, names: Sequence[str], n_items: int, *, n_resamples: int = 1000,
                         seed: int = 13, confidence: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile interval for each named metric of ``statistic``.

    An interval is (NaN, NaN) with fewer than two items or when most resamples leave it undefined.
    """
    if n_items < 2 or not names:
        return {name: (math.nan, math.nan) for name in names}
    dist = _distribution(statistic, names, resample_indices(n_items, n_resamples, seed), n_items)
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


def paired_bootstrap(metrics_a: Statistic, metrics_b: Statistic, names: Sequence[str], n_items: int, *,
                     n_resamples: int = 1000, seed: int = 13, confidence: float = 0.95) -> list[PairedResult]:
    """Resample documents once for both systems; test H0: no difference (two-sided), per metric.

    The p-value is twice the share of resampled differences on the other side of zero from the
    observed difference (the paired bootstrap test of Koehn 2004 / Berg-Kirkpatrick et al. 2012),
    capped at 1.
    """
    full_a, full_b = _full(metrics_a, n_items), _full(metrics_b, n_items)
    indices = resample_indices(n_items, n_resamples, seed)
    dist_all = _distribution(metrics_a, names, indices, n_items) - _distribution(metrics_b, names, indices, n_items)
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
