"""Building blocks for metrics of many bootstrap resamples at once.

A resample of ``n`` items is one row of a weight matrix ``W`` (resamples × items): how often each
item was drawn. A metric of the resample, with its repeated items, is then a function of weighted
sums over the original items, so all resamples are computed together with matrix products instead
of one call per resample. The scalar metric functions (scikit-learn's) stay the reference: the
tests compare both on random cases.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np


def weight_matrix(weights: np.ndarray, n_items: int) -> np.ndarray:
    """``weights`` as a float (resamples × items) matrix; a 1-D vector is one resample."""
    w = np.asarray(weights, dtype=float)
    w = w.reshape(1, -1) if w.ndim == 1 else w
    if w.ndim != 2 or w.shape[1] != n_items:
        raise ValueError(f"weights must have shape (resamples, {n_items}), not {np.shape(weights)}")
    return w


def divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` with 0 where the denominator is 0 (scikit-learn's ``zero_division=0``)."""
    num, den = np.broadcast_arrays(np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float))
    return np.divide(num, den, out=np.zeros(num.shape), where=den != 0)


def mean_or_nan(numerator: np.ndarray, total: np.ndarray) -> np.ndarray:
    """``numerator / total`` with NaN where the resample holds no item."""
    num, den = np.broadcast_arrays(np.asarray(numerator, dtype=float), np.asarray(total, dtype=float))
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den != 0)


def tie_groups(values: np.ndarray, descending: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order, group starts in that order, group of each item) for the distinct values of ``values``.

    ``order`` sorts the items (ascending, or descending); items with equal values form one group.
    """
    v = np.asarray(values, dtype=float)
    order = np.argsort(-v if descending else v, kind="stable")
    ordered = v[order]
    new_group = np.r_[True, ordered[1:] != ordered[:-1]] if len(v) else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(new_group)
    group = np.empty(len(v), dtype=int)
    group[order] = np.cumsum(new_group) - 1
    return order, starts, group


def group_sums(weights: np.ndarray, order: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per resample, the weight of each tie group (resamples × groups), groups in ``order``."""
    if not len(starts):
        return np.zeros((weights.shape[0], 0))
    return np.add.reduceat(weights[:, order], starts, axis=1)


def mid_ranks(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each item's rank within each resample (ties: the average rank, as ``scipy.stats.rankdata``),
    and the number of distinct values each resample holds.

    An item drawn k times is k tied copies; ranks start at 1.
    """
    order, starts, group = tie_groups(values)
    gw = group_sums(weights, order, starts)
    before = np.cumsum(gw, axis=1) - gw
    ranks = before + (gw + 1.0) / 2.0
    return ranks[:, group], (gw > 0).sum(axis=1)


def weighted_pearson(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Pearson's r per resample of per-item values ``x``, ``y`` (each 1-D or resamples × items)."""
    total = weights.sum(axis=1)
    safe = np.where(total > 0, total, 1.0)
    mx = (weights * x).sum(axis=1) / safe
    my = (weights * y).sum(axis=1) / safe
    dx = x - mx[:, None]
    dy = y - my[:, None]
    cov = (weights * dx * dy).sum(axis=1)
    var = (weights * dx * dx).sum(axis=1) * (weights * dy * dy).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(var)
    return np.clip(r, -1.0, 1.0)


def weighted_spearman(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Spearman's rho of each resample (Pearson's r of mid-ranks), NaN with fewer than 3 items
    or a constant side (as the scalar metrics define it)."""
    rx, distinct_x = mid_ranks(x, weights)
    ry, distinct_y = mid_ranks(y, weights)
    rho = weighted_pearson(rx, ry, weights)
    defined = (weights.sum(axis=1) >= 3) & (distinct_x > 1) & (distinct_y > 1)
    return np.where(defined, rho, np.nan)


def per_resample(metric: Callable[[np.ndarray], Mapping[str, float]], weights: np.ndarray) -> dict[str, np.ndarray]:
    """Fallback for metrics with no vectorised form: ``metric(indices)`` once per resample.

    Each row of ``weights`` (integer counts) is expanded into the indices it stands for; a resample
    with no item leaves every metric NaN.
    """
    rows: list[Mapping[str, float]] = []
    items = np.arange(weights.shape[1])
    for row in weights:
        counts = np.rint(row).astype(int)
        rows.append(metric(np.repeat(items, counts)) if counts.sum() else {})
    names = sorted({name for r in rows for name in r})
    return {name: np.array([float(r.get(name, np.nan)) for r in rows]) for name in names}
