"""Annotator-disagreement-aware metrics, for corpora that keep every annotator's label.

A sentence with several annotators has a label *distribution* (the share of annotators per class),
not just a majority label. Against it:

- ``soft.log_loss``: cross-entropy −Σ_k q_k log p_k of the model's probabilities p against the
  annotator distribution q (soft labels); ``soft.entropy`` is the annotators' own entropy −Σ q log q,
  the lowest cross-entropy any model can reach, so ``soft.log_loss − soft.entropy`` is the KL divergence;
- ``soft.brier``: (p − q)² for two classes (as ``sentence.brier`` with hard labels), Σ_k (p_k − q_k)² for more;
- ``share.spearman`` / ``share.pearson`` (two classes): correlation of P(positive) with the share of
  annotators who chose the positive class (said "biased");
- ``bucket.<b>.accuracy``: accuracy of the model's decision against the majority label within each
  agreement bucket: ``unanimous`` (every annotator agrees), ``majority`` (the largest class has at
  least two thirds of the votes), ``split`` (less than two thirds: 3–2, 6–4, ties). Tied items have
  no majority label: they count in ``bucket.split.n`` but not in its accuracy.

Sentences carry their annotators' labels as ``labels["annotator_votes"][<label key>]`` (a list,
one entry per annotator; 0/1 for span-detection tasks, class names for unit classification).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy.stats import pearsonr, spearmanr

from bench.data.schema import Document
from bench.metrics.bootstrap import confidence_intervals
from bench.predictions import DocumentPrediction

VOTES_KEY = "annotator_votes"
#: the largest class needs at least this share of the votes for the ``majority`` bucket
MAJORITY_SHARE = 2 / 3
BUCKETS = ("unanimous", "majority", "split")
#: probabilities are clipped to [EPS, 1] before the logarithm
EPS = 1e-12
#: metrics given a bootstrap interval
WITH_INTERVALS = ("soft.log_loss", "soft.brier", "share.spearman")


def vote_distribution(votes: Sequence[int], n_classes: int) -> np.ndarray:
    """Share of the votes per class index (votes are class indices)."""
    counts = np.bincount(np.asarray(votes, dtype=int), minlength=n_classes).astype(float)
    return counts / counts.sum()


def soft_log_loss(probabilities: np.ndarray, targets: np.ndarray) -> float:
    """Mean cross-entropy of probability rows against target distributions (natural log)."""
    p = np.clip(np.asarray(probabilities, dtype=float), EPS, 1.0)
    q = np.asarray(targets, dtype=float)
    return float(np.mean(-np.sum(q * np.log(p), axis=1))) if len(q) else math.nan


def entropy(targets: np.ndarray) -> float:
    """Mean entropy of the target distributions (the floor of :func:`soft_log_loss`)."""
    q = np.asarray(targets, dtype=float)
    if not len(q):
        return math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0)
    return float(np.mean(-terms.sum(axis=1)))


def soft_brier(probabilities: np.ndarray, targets: np.ndarray) -> float:
    """(p − q)² of the positive class for two classes; Σ_k (p_k − q_k)² for more."""
    p, q = np.asarray(probabilities, dtype=float), np.asarray(targets, dtype=float)
    if not len(q):
        return math.nan
    if p.shape[1] == 2:
        return float(np.mean((p[:, 1] - q[:, 1]) ** 2))
    return float(np.mean(np.sum((p - q) ** 2, axis=1)))


def bucket(distribution: np.ndarray) -> str:
    """``unanimous``, ``majority`` or ``split`` from the share of the largest class."""
    top = float(np.max(distribution))
    if math.isclose(top, 1.0):
        return "unanimous"
    return "majority" if top >= MAJORITY_SHARE - 1e-9 else "split"


def majority_class(distribution: np.ndarray) -> int | None:
    """The index of the largest class, None on a tie."""
    order = np.argsort(distribution)[::-1]
    if len(order) > 1 and math.isclose(distribution[order[0]], distribution[order[1]]):
        return None
    return int(order[0])


def _correlation(fn: Any, x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(fn(x, y)[0])


def disagreement_metrics(probabilities: np.ndarray, targets: np.ndarray, decisions: np.ndarray,
                         buckets: np.ndarray | None = None, majorities: np.ndarray | None = None) -> dict[str, float]:
    """Every metric of this module for items with model probabilities, annotator distributions and the
    model's decided class index (names without a prefix). ``buckets`` and ``majorities`` (−1: tie) are
    computed from ``targets`` unless given."""
    p, q, d = np.asarray(probabilities, dtype=float), np.asarray(targets, dtype=float), np.asarray(decisions)
    if buckets is None:
        buckets = np.array([bucket(row) for row in q], dtype=object)
    if majorities is None:
        majorities = np.array([-1 if (m := majority_class(row)) is None else m for row in q], dtype=int)
    out = {"soft.log_loss": soft_log_loss(p, q), "soft.entropy": entropy(q), "soft.brier": soft_brier(p, q),
           "n_items": float(len(q))}
    if p.ndim == 2 and p.shape[1] == 2:
        out["share.spearman"] = _correlation(spearmanr, p[:, 1], q[:, 1])
        out["share.pearson"] = _correlation(pearsonr, p[:, 1], q[:, 1])
    for name in BUCKETS:
        mask = buckets == name
        decided = mask & (majorities >= 0)
        out[f"bucket.{name}.n"] = float(mask.sum())
        out[f"bucket.{name}.accuracy"] = float(np.mean(d[decided] == majorities[decided])) if decided.any() \
            else math.nan
    return out


@dataclass
class AnnotatedItems:
    """Items with several annotators: probabilities, annotator distributions, decisions, their documents."""

    probabilities: np.ndarray
    targets: np.ndarray
    decisions: np.ndarray
    item_doc: np.ndarray
    n_documents: int

    def __post_init__(self) -> None:
        self.buckets = np.array([bucket(row) for row in self.targets], dtype=object)
        self.majorities = np.array([-1 if (m := majority_class(row)) is None else m for row in self.targets],
                                   dtype=int)
        self._doc_items = [np.flatnonzero(self.item_doc == i) for i in range(self.n_documents)]

    def __len__(self) -> int:
        return len(self.targets)

    def metrics(self, doc_indices: np.ndarray | Sequence[int] | None = None) -> dict[str, float]:
        """The metrics over the items of the given documents (with repeats), default all."""
        if doc_indices is None:
            chosen = np.arange(len(self.targets))
        else:
            parts = [self._doc_items[i] for i in doc_indices]
            chosen = np.concatenate(parts) if parts else np.array([], dtype=int)
        return disagreement_metrics(self.probabilities[chosen], self.targets[chosen], self.decisions[chosen],
                                    self.buckets[chosen], self.majorities[chosen])


def _scored_units(task: Any, doc: Document, pred: DocumentPrediction) -> list[tuple[int, int, list[float]]]:
    """(start, end, probability row) of each sentence-level unit the task scored (none for other task types)."""
    from bench.tasks import SpanDetection, UnitClassification  # not at the top: bench.tasks imports bench.metrics

    if isinstance(task, UnitClassification):
        return [(u.start, u.end, list(row)) for u, row in zip(task.units(doc), pred.unit_probs) if u.target is None]
    if isinstance(task, SpanDetection):
        return [(s.start, s.end, [1.0 - float(score), float(score)]) for s, score in task.unit_scores(doc, pred)]
    return []


def _vote_indices(votes: Sequence[Any], classes: Sequence[str]) -> list[int]:
    out = []
    for vote in votes:
        if vote is None:
            continue
        if isinstance(vote, bool) or isinstance(vote, int):
            out.append(int(vote))
        elif str(vote) in classes:
            out.append(list(classes).index(str(vote)))
    return out


def annotated_items(task: Any, docs: Sequence[Document], preds: Sequence[DocumentPrediction],
                    threshold: float) -> AnnotatedItems:
    """The scored units of ``docs`` whose sentence has two or more annotator votes for the task."""
    key = getattr(task, "label_key", None) or task.name
    classes = tuple(task.class_names)
    probs, targets, item_doc = [], [], []
    for i, (doc, pred) in enumerate(zip(docs, preds, strict=True)):
        by_offsets = {(s.start, s.end): s for s in doc.sentences}
        for start, end, row in _scored_units(task, doc, pred):
            sentence = by_offsets.get((start, end))
            votes = (sentence.labels.get(VOTES_KEY) or {}).get(key) if sentence is not None else None
            indices = _vote_indices(votes or [], classes)
            if len(indices) < 2 or max(indices) >= len(classes):
                continue
            probs.append(row)
            targets.append(vote_distribution(indices, len(classes)))
            item_doc.append(i)
    p = np.asarray(probs, dtype=float).reshape(-1, len(classes))
    if len(classes) == 2:
        decisions = (p[:, 1] >= threshold).astype(int)
    else:
        decisions = p.argmax(axis=1) if len(p) else np.array([], dtype=int)
    return AnnotatedItems(p, np.asarray(targets, dtype=float).reshape(-1, len(classes)), decisions,
                          np.asarray(item_doc, dtype=int), len(docs))


def evaluate_disagreement(task: Any, docs: Sequence[Document], preds: Sequence[DocumentPrediction],
                          threshold: float, *, n_resamples: int = 1000, seed: int = 13,
                          confidence: float = 0.95) -> dict[str, float]:
    """``disagreement.*`` metrics (with bootstrap intervals over documents for the main ones); empty when
    no evaluated item has two or more annotator labels."""
    items = annotated_items(task, docs, preds, threshold)
    if not len(items):
        return {}
    metrics = items.metrics()
    docs_with_items = np.unique(items.item_doc)
    names = [n for n in WITH_INTERVALS if n in metrics and not math.isnan(metrics[n])]
    intervals = confidence_intervals(lambda idx: items.metrics(docs_with_items[idx]), names, len(docs_with_items),
                                     n_resamples=n_resamples, seed=seed, confidence=confidence)
    for name, (low, high) in intervals.items():
        metrics[f"{name}.ci_low"], metrics[f"{name}.ci_high"] = low, high
    return {f"disagreement.{k}": v for k, v in metrics.items()}
