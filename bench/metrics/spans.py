"""Span-level P/R/F1: exact match and SemEval-2020 Task 11 overlap credit.

Both are computed from per-document sufficient statistics, so that corpus-level scores of any
resample of documents (bootstrap) are sums over those documents.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Sequence

import numpy as np

Offsets = tuple[int, int]


def merge_overlapping(spans: Iterable[Offsets]) -> list[Offsets]:
    """Union of the spans: overlapping spans become one."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def exact_counts(pred: Sequence[Offsets], gold: Sequence[Offsets]) -> tuple[int, int, int]:
    """(true positives, predictions, gold spans) for one document; duplicate offsets count once."""
    p, g = set(pred), set(gold)
    return len(p & g), len(p), len(g)


def overlap_sums(pred: Sequence[Offsets], gold: Sequence[Offsets]) -> tuple[float, float, int, int]:
    """(Σ_s Σ_t |s∩t|/|s|, Σ_s Σ_t |s∩t|/|t|, |S|, |T|) for one document after merging each side."""
    pred_m, gold_m = merge_overlapping(pred), merge_overlapping(gold)
    p_sum = r_sum = 0.0
    for s_start, s_end in pred_m:
        for t_start, t_end in gold_m:
            inter = min(s_end, t_end) - max(s_start, t_start)
            if inter > 0:
                p_sum += inter / (s_end - s_start)
                r_sum += inter / (t_end - t_start)
    return p_sum, r_sum, len(pred_m), len(gold_m)


def exact_from_counts(counts: np.ndarray) -> dict[str, float]:
    """Micro P/R/F1 from rows of (tp, predicted, gold). Zero denominators give 0 (sklearn's zero_division=0)."""
    tp, n_pred, n_gold = counts.sum(axis=0) if len(counts) else (0, 0, 0)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    return {"precision": float(precision), "recall": float(recall), "f1": f1(precision, recall),
            "n_predicted": float(n_pred), "n_gold": float(n_gold), "true_positives": float(tp)}


def overlap_from_sums(sums: np.ndarray) -> dict[str, float]:
    """SemEval-2020 Task 11 P/R/F1 from rows of (p_sum, r_sum, |S|, |T|)."""
    p_sum, r_sum, n_pred, n_gold = sums.sum(axis=0) if len(sums) else (0.0, 0.0, 0, 0)
    precision = p_sum / n_pred if n_pred else 0.0
    recall = r_sum / n_gold if n_gold else 0.0
    return {"precision": float(precision), "recall": float(recall), "f1": f1(precision, recall)}


def exact_from_totals(totals: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`exact_from_counts` of many resamples at once, from their summed (tp, predicted, gold) rows."""
    tp, n_pred, n_gold = np.asarray(totals, dtype=float).reshape(-1, 3).T
    return _prf(tp, n_pred, tp, n_gold) | {"n_predicted": n_pred, "n_gold": n_gold, "true_positives": tp}


def overlap_from_totals(totals: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`overlap_from_sums` of many resamples at once, from their summed (p_sum, r_sum, |S|, |T|) rows."""
    p_sum, r_sum, n_pred, n_gold = np.asarray(totals, dtype=float).reshape(-1, 4).T
    return _prf(p_sum, n_pred, r_sum, n_gold)


def _prf(p_num: np.ndarray, p_den: np.ndarray, r_num: np.ndarray, r_den: np.ndarray) -> dict[str, np.ndarray]:
    precision = np.divide(p_num, p_den, out=np.zeros(p_num.shape), where=p_den != 0)
    recall = np.divide(r_num, r_den, out=np.zeros(r_num.shape), where=r_den != 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros(both.shape), where=both != 0)
    return {"precision": precision, "recall": recall, "f1": f1}


def exact_match(predicted: Sequence[Sequence[Offsets]], gold: Sequence[Sequence[Offsets]]) -> dict[str, float]:
    """Micro P/R/F1 over documents; a prediction counts when its offsets equal a gold span's."""
    rows = np.array([exact_counts(p, g) for p, g in zip(predicted, gold, strict=True)], dtype=float).reshape(-1, 3)
    return exact_from_counts(rows)


def overlap_credit(predicted: Sequence[Sequence[Offsets]], gold: Sequence[Sequence[Offsets]]) -> dict[str, float]:
    """SemEval-2020 Task 11 span identification scores (Da San Martino et al., 2020).

    With C(s, t, h) = |s ∩ t| / h, precision is (1/|S|) Σ_s Σ_t C(s, t, |s|) and recall is
    (1/|T|) Σ_s Σ_t C(s, t, |t|), summed over all documents; S are predicted and T gold spans.
    As in the task, overlapping spans of one side are first merged into their union, so each
    character is credited once and both scores stay within [0, 1].
    """
    rows = np.array([overlap_sums(p, g) for p, g in zip(predicted, gold, strict=True)], dtype=float).reshape(-1, 4)
    return overlap_from_sums(rows)


def recall_by_label(predicted: Sequence[Sequence[Offsets]],
                    gold: Sequence[Sequence[tuple[int, int, str]]]) -> dict[str, dict[str, float]]:
    """Per gold label: how many spans, the share found exactly, and overlap-credited recall.

    Predictions carry no label, so this is recall only: for each gold span of label L, the share
    of its characters covered by (merged) predictions, averaged over L's spans.
    """
    found: dict[str, list[float]] = defaultdict(list)
    exact: dict[str, list[float]] = defaultdict(list)
    for pred_doc, gold_doc in zip(predicted, gold, strict=True):
        merged = merge_overlapping(pred_doc)
        pred_set = set(pred_doc)
        for start, end, label in gold_doc:
            covered = sum(max(0, min(end, e) - max(start, s)) for s, e in merged)
            found[label].append(covered / (end - start))
            exact[label].append(float((start, end) in pred_set))
    return {label: {"n_gold": float(len(values)), "overlap_recall": float(np.mean(values)),
                    "exact_recall": float(np.mean(exact[label]))} for label, values in sorted(found.items())}
