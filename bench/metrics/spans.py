"""Span-level P/R/F1: exact match and SemEval-2020 Task 11 overlap credit."""

from __future__ import annotations

from typing import Iterable, Sequence

Offsets = tuple[int, int]


def merge_overlapping(spans: Iterable[Offsets]) -> list[Offsets]:
    """Union of the spans: overlapping or touching-with-overlap spans become one."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _prf(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def exact_match(predicted: Sequence[Sequence[Offsets]], gold: Sequence[Sequence[Offsets]]) -> dict[str, float]:
    """Micro P/R/F1 over documents; a prediction counts when its offsets equal a gold span's.

    Duplicate offsets within a document count once. With no predictions precision is 0;
    with no gold spans recall is 0 (scikit-learn's ``zero_division=0`` convention).
    """
    tp = n_pred = n_gold = 0
    for pred_doc, gold_doc in zip(predicted, gold, strict=True):
        p, g = set(pred_doc), set(gold_doc)
        tp += len(p & g)
        n_pred += len(p)
        n_gold += len(g)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    return {"precision": precision, "recall": recall, "f1": _prf(precision, recall),
            "n_predicted": float(n_pred), "n_gold": float(n_gold), "true_positives": float(tp)}


def overlap_credit(predicted: Sequence[Sequence[Offsets]], gold: Sequence[Sequence[Offsets]]) -> dict[str, float]:
    """SemEval-2020 Task 11 span identification scores (Da San Martino et al., 2020).

    With C(s, t, h) = |s ∩ t| / h, precision is (1/|S|) Σ_s Σ_t C(s, t, |s|) and recall is
    (1/|T|) Σ_s Σ_t C(s, t, |t|), summed over all documents; S are predicted and T gold spans.
    As in the task, overlapping spans of one side are first merged into their union, so each
    character is credited once and both scores stay within [0, 1].
    """
    p_sum = r_sum = 0.0
    n_pred = n_gold = 0
    for pred_doc, gold_doc in zip(predicted, gold, strict=True):
        pred_m, gold_m = merge_overlapping(pred_doc), merge_overlapping(gold_doc)
        n_pred += len(pred_m)
        n_gold += len(gold_m)
        for s_start, s_end in pred_m:
            for t_start, t_end in gold_m:
                inter = min(s_end, t_end) - max(s_start, t_start)
                if inter > 0:
                    p_sum += inter / (s_end - s_start)
                    r_sum += inter / (t_end - t_start)
    precision = p_sum / n_pred if n_pred else 0.0
    recall = r_sum / n_gold if n_gold else 0.0
    return {"precision": precision, "recall": recall, "f1": _prf(precision, recall)}
