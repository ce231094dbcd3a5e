"""Evaluate predictions against gold annotations at every level a corpus supports.

An :class:`EvalTable` keeps per-document sufficient statistics and per-sentence items, so that
metrics of any subset or resample of documents (slices, bootstrap, paired tests) are cheap and
identical in definition to the headline metrics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from bench.data.schema import Document
from bench.metrics.documents import document_metrics, document_metrics_resampled
from bench.metrics.spans import (exact_counts, exact_from_counts, exact_from_totals, overlap_from_sums,
                                 overlap_from_totals, overlap_sums)
from bench.metrics.weighted import per_resample
from bench.predictions import DocumentPrediction
from bench.tasks import Task


@dataclass
class EvalTable:
    """Everything the metrics need, per document and per sentence item."""

    task: Task
    levels: list[str]
    threshold: float
    doc_ids: list[str]
    exact: np.ndarray  # (documents, 3): tp, predicted, gold
    overlap: np.ndarray  # (documents, 4): p_sum, r_sum, predicted, gold
    density: np.ndarray  # (documents, 2): gold, predicted spans per 100 words
    item_doc: np.ndarray  # (items,) index of each item's document
    item_offsets: list[tuple[int, int]]
    item_gold: list[Any]
    item_scores: np.ndarray  # (items,) P(positive) or (items, classes) probabilities
    calibration_bins: int = 10
    #: (documents, k) statistics the task computes per document for measures of its own (k may be 0)
    doc_stats: np.ndarray | None = None
    _doc_items: list[np.ndarray] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        order = np.argsort(self.item_doc, kind="stable")
        bounds = np.searchsorted(self.item_doc[order], np.arange(len(self.doc_ids) + 1))
        self._doc_items = [order[bounds[i] : bounds[i + 1]] for i in range(len(self.doc_ids))]

    # ----------------------------------------------------------------- building
    @classmethod
    def from_records(cls, task: Task, records: Sequence[dict[str, Any]], levels: Sequence[str],
                     threshold: float, calibration_bins: int = 10) -> "EvalTable":
        """From ``predictions.jsonl`` records (what a run logs), so runs can be compared later."""
        exact, overlap, density, item_doc, offsets, gold, scores = [], [], [], [], [], [], []
        for i, rec in enumerate(records):
            scored = rec.get("scored_spans")
            if scored is None:  # records logged before they named their scored spans
                scored = [s for s in rec.get("spans", []) if s["label"].partition("/")[0] == task.span_category]
            pred = [(s["start"], s["end"]) for s in scored]
            gold_spans = [(s["start"], s["end"]) for s in rec.get("gold_spans", [])]
            exact.append(exact_counts(pred, gold_spans))
            overlap.append(overlap_sums(pred, gold_spans))
            n_words = max(1, int(rec.get("n_words", 0)))
            density.append((100.0 * len(gold_spans) / n_words, 100.0 * len(pred) / n_words))
            for item in rec["items"]:
                item_doc.append(i)
                offsets.append((item["start"], item["end"]))
                gold.append(item["gold"])
                scores.append(item["score"])
        stats = [tuple(task.document_statistics(rec)) for rec in records]
        return cls(task, list(levels), threshold, [r["doc_id"] for r in records],
                   np.array(exact, dtype=float).reshape(-1, 3), np.array(overlap, dtype=float).reshape(-1, 4),
                   np.array(density, dtype=float).reshape(-1, 2), np.array(item_doc, dtype=int),
                   offsets, gold, np.array(scores, dtype=float), calibration_bins,
                   np.array(stats, dtype=float).reshape(len(records), -1) if records else None)

    # ----------------------------------------------------------------- metrics
    def items_of(self, doc_indices: Iterable[int]) -> np.ndarray:
        chunks = [self._doc_items[i] for i in doc_indices]
        return np.concatenate(chunks) if chunks else np.array([], dtype=int)

    def metrics(self, doc_indices: np.ndarray | Sequence[int] | None = None) -> dict[str, float]:
        """Metrics named ``<level>.<metric>`` over the given documents (with repeats), default all."""
        idx = np.arange(len(self.doc_ids)) if doc_indices is None else np.asarray(doc_indices, dtype=int)
        out: dict[str, float] = {}
        if "span" in self.levels:
            out.update({f"span.exact.{k}": v for k, v in exact_from_counts(self.exact[idx]).items()})
            out.update({f"span.overlap.{k}": v for k, v in overlap_from_sums(self.overlap[idx]).items()})
        items = self.items_of(idx)
        level = self.task.item_level
        if level in self.levels and len(items):
            gold, scores = [self.item_gold[i] for i in items], self.item_scores[items]
            out.update({f"{level}.{k}": v for k, v in self.task.item_metrics(gold, scores, self.threshold).items()})
            out.update({f"{level}.{k}": v for k, v in self.task.calibration(gold, scores,
                                                                            self.calibration_bins).items()})
        if "document" in self.levels:
            out.update({f"document.{k}": v for k, v in
                        document_metrics(self.density[idx, 0], self.density[idx, 1]).items()})
            if self.doc_stats is not None and self.doc_stats.shape[1]:
                out.update({f"document.{k}": v for k, v in self.task.document_measures(self.doc_stats[idx]).items()})
        out["n_documents"] = float(len(idx))
        return out

    def resampled(self, counts: np.ndarray) -> dict[str, np.ndarray]:
        """:meth:`metrics` of many resamples at once, each an array over resamples.

        ``counts`` (resamples × documents) says how often each document was drawn; its items count
        as often. A metric a resample leaves undefined (no item, one class) is NaN.
        """
        w = np.asarray(counts, dtype=float).reshape(-1, len(self.doc_ids))
        out: dict[str, np.ndarray] = {}
        if "span" in self.levels:
            out.update({f"span.exact.{k}": v for k, v in exact_from_totals(w @ self.exact).items()})
            out.update({f"span.overlap.{k}": v for k, v in overlap_from_totals(w @ self.overlap).items()})
        level = self.task.item_level
        if level in self.levels and len(self.item_doc):
            item_w = w[:, self.item_doc]
            empty = item_w.sum(axis=1) == 0
            found = {**self.task.item_metrics_resampled(self.item_gold, self.item_scores, self.threshold, item_w),
                     **self.task.calibration_resampled(self.item_gold, self.item_scores, self.calibration_bins,
                                                       item_w)}
            out.update({f"{level}.{k}": np.where(empty, np.nan, v) for k, v in found.items()})
        if "document" in self.levels:
            out.update({f"document.{k}": v for k, v in
                        document_metrics_resampled(self.density[:, 0], self.density[:, 1], w).items()})
            if self.doc_stats is not None and self.doc_stats.shape[1]:
                stats = self.doc_stats
                out.update({f"document.{k}": v for k, v in
                            per_resample(lambda i: self.task.document_measures(stats[i]), w).items()})
        out["n_documents"] = w.sum(axis=1)
        return out

    def decisions(self) -> np.ndarray:
        """Every item's decided label (comparable with ``item_gold``)."""
        return self.task.item_decisions(self.item_scores, self.threshold)

    def document_scores(self) -> np.ndarray:
        """A per-document quality score for finding the worst documents (higher is better).

        With spans: overlap F1 of the document (NaN without gold or predicted spans); otherwise
        the accuracy of its item decisions.
        """
        scores = np.full(len(self.doc_ids), math.nan)
        for i in range(len(self.doc_ids)):
            if "span" in self.levels and (self.overlap[i, 2] or self.overlap[i, 3]):
                scores[i] = overlap_from_sums(self.overlap[i : i + 1])["f1"]
            elif len(self._doc_items[i]):
                items = self._doc_items[i]
                correct = self.task.item_correct([self.item_gold[j] for j in items], self.item_scores[items],
                                                 self.threshold)
                scores[i] = float(np.mean(correct))
        return scores


@dataclass
class Evaluation:
    metrics: dict[str, float]
    table: EvalTable
    records: list[dict[str, Any]]


def evaluate(task: Task, docs: Sequence[Document], preds: Sequence[DocumentPrediction], levels: Sequence[str],
             threshold: float = 0.5, spans_are_gold: bool | None = None, calibration_bins: int = 10) -> Evaluation:
    """Metrics named ``<level>.<metric>`` (e.g. ``span.overlap.f1``, ``sentence.roc_auc``).

    ``spans_are_gold`` says whether the corpus's spans are gold for the task (so sentence gold
    can be derived from them); by default, whether ``span`` is among the levels.
    """
    spans_are_gold = "span" in levels if spans_are_gold is None else spans_are_gold
    records = [task.record(doc, pred, spans_are_gold) for doc, pred in zip(docs, preds, strict=True)]
    table = EvalTable.from_records(task, records, levels, threshold, calibration_bins)
    return Evaluation(table.metrics(), table, records)


def headline(task: Task, metrics: dict[str, float]) -> dict[str, float]:
    """The metrics shown in the console summary, in the task's order."""
    return {k: metrics[k] for k in task.headline if k in metrics and not math.isnan(metrics[k])}
