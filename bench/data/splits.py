"""Seeded, stratified train/validation/test splits grouped so no group crosses splits."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from bench.data.schema import Document


def _one_fold(labels: np.ndarray, groups: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Hold out about ``fraction`` of the items as one fold of a StratifiedGroupKFold."""
    n_splits = max(2, round(1 / fraction))
    n_groups = len(set(groups.tolist()))
    n_splits = min(n_splits, n_groups)
    if n_splits < 2:
        return np.arange(len(labels)), np.array([], dtype=int)
    from sklearn.model_selection import StratifiedGroupKFold  # only when a corpus is parsed, not read from cache

    # StratifiedGroupKFold warns when a class has fewer members than folds; the split is still valid
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    keep, held = next(splitter.split(np.zeros(len(labels)), labels, groups))
    return keep, held


def grouped_split(
    documents: Sequence[Document],
    *,
    group_of: Callable[[Document], str],
    label_of: Callable[[Document], int],
    test_fraction: float,
    validation_fraction: float,
    seed: int,
) -> dict[str, list[str]]:
    """Split documents into train/validation/test by group, stratified by ``label_of``.

    Test takes ``test_fraction`` of the groups; validation takes ``validation_fraction`` of
    the whole from what is left. Deterministic for a given seed and document order.
    """
    ids = np.array([d.id for d in documents])
    groups = np.array([group_of(d) for d in documents])
    labels = np.array([label_of(d) for d in documents])
    splits: dict[str, list[str]] = {}
    rest = np.arange(len(documents))
    if test_fraction > 0:
        keep, held = _one_fold(labels, groups, test_fraction, seed)
        splits["test"] = sorted(ids[held].tolist())
        rest = keep
    if validation_fraction > 0:
        share = validation_fraction / (1 - test_fraction)
        keep, held = _one_fold(labels[rest], groups[rest], share, seed + 1)
        splits["validation"] = sorted(ids[rest][held].tolist())
        rest = rest[keep]
    splits["train"] = sorted(ids[rest].tolist())
    return splits
