"""Evaluate predictions against gold annotations at every level a corpus supports."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from bench.data.schema import Document
from bench.metrics.documents import density, document_metrics
from bench.metrics.sentences import binary_metrics, sentiment_metrics
from bench.metrics.spans import exact_match, overlap_credit
from bench.scorers.base import DocumentPrediction, sentiment_units
from bench.tasks import Task


@dataclass
class SentenceItems:
    """Per-sentence (or per-unit) gold and scores, kept for reports and later analysis."""

    doc_ids: list[str] = field(default_factory=list)
    offsets: list[tuple[int, int]] = field(default_factory=list)
    gold: list[Any] = field(default_factory=list)
    scores: list[Any] = field(default_factory=list)


@dataclass
class Evaluation:
    metrics: dict[str, float]
    sentences: SentenceItems


def sentence_items(task: Task, docs: Sequence[Document], preds: Sequence[DocumentPrediction],
                   spans_are_gold: bool) -> SentenceItems:
    items = SentenceItems()
    for doc, pred in zip(docs, preds, strict=True):
        if task.kind == "sentiment":
            for unit, probs in zip(sentiment_units(doc), pred.sentiment, strict=True):
                if unit.gold is not None:
                    items.doc_ids.append(doc.id)
                    items.offsets.append(unit.target or (unit.start, unit.end))
                    items.gold.append(unit.gold)
                    items.scores.append(list(probs))
            continue
        for sentence, score in zip(doc.sentences, pred.sentence_scores, strict=True):
            gold = task.sentence_gold(doc, sentence, spans_are_gold)
            if gold is not None:
                items.doc_ids.append(doc.id)
                items.offsets.append((sentence.start, sentence.end))
                items.gold.append(int(gold))
                items.scores.append(float(score))
    return items


def evaluate(task: Task, docs: Sequence[Document], preds: Sequence[DocumentPrediction], levels: Sequence[str],
             threshold: float = 0.5, spans_are_gold: bool | None = None) -> Evaluation:
    """Metrics named ``<level>.<metric>`` (e.g. ``span.overlap.f1``, ``sentence.roc_auc``).

    ``spans_are_gold`` says whether the corpus's spans are gold for the task (so sentence gold
    can be derived from them); by default, whether ``span`` is among the levels.
    """
    metrics: dict[str, float] = {}
    spans_are_gold = "span" in levels if spans_are_gold is None else spans_are_gold
    if "span" in levels and task.category:
        gold = [[(s.start, s.end) for s in d.spans_of(task.category)] for d in docs]
        pred = [[(s.start, s.end) for s in p.spans if s.category == task.category] for p in preds]
        for name, value in exact_match(pred, gold).items():
            metrics[f"span.exact.{name}"] = value
        for name, value in overlap_credit(pred, gold).items():
            metrics[f"span.overlap.{name}"] = value
    items = sentence_items(task, docs, preds, spans_are_gold)
    if "sentence" in levels and items.gold:
        if task.kind == "sentiment":
            result = sentiment_metrics(items.gold, np.array(items.scores))
        else:
            result = binary_metrics(items.gold, items.scores, threshold)
        metrics.update({f"sentence.{k}": v for k, v in result.items()})
    if "document" in levels and task.category:
        gold_d = [density(len(d.spans_of(task.category)), d.text) for d in docs]
        pred_d = [density(sum(s.category == task.category for s in p.spans), d.text) for d, p in zip(docs, preds)]
        metrics.update({f"document.{k}": v for k, v in document_metrics(gold_d, pred_d).items()})
    metrics["n_documents"] = float(len(docs))
    return Evaluation(metrics, items)


HEADLINE = {
    "binary": ("span.overlap.f1", "span.exact.f1", "sentence.f1", "sentence.macro_f1", "sentence.roc_auc"),
    "sentiment": ("sentence.macro_f1", "sentence.accuracy", "sentence.spearman"),
}


def headline(task: Task, metrics: dict[str, float]) -> dict[str, float]:
    """The metrics shown in the console summary, in a fixed order."""
    return {k: metrics[k] for k in HEADLINE[task.kind] if k in metrics and not math.isnan(metrics[k])}
