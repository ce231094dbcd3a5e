"""Span detection: find the spans of one category (loaded language, unverified sources, ...).

Scored at span level (exact and SemEval-2020 Task 11 overlap credit), at sentence level (a sentence
is positive when a gold span overlaps it, unless the corpus labels sentences itself) and at
document level (span density). A sentence classifier runs it at sentence level only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bench.data.schema import Document, Sentence, Span
from bench.errors import ConfigError
from bench.metrics.calibration import binary_calibration
from bench.metrics.sentences import binary_metrics
from bench.predictions import DocumentPrediction, TextExample
from bench.report.plots import confusion_matrix_png, precision_recall_png, reliability_png
from bench.tasks.base import Task, words
from bench.tasks.outputs import Output, span_output, unit_probability_output

CLASSES = ("negative", "positive")


class SpanDetection(Task):
    """Spans of ``category``; sentence gold from the corpus's sentence label ``name`` or from gold spans."""

    headline = ("span.overlap.f1", "span.exact.f1", "sentence.f1", "sentence.macro_f1", "sentence.roc_auc")
    primary = "sentence.f1"

    def __init__(self, name: str, category: str, description: str = "",
                 levels: Sequence[str] = ("span", "sentence", "document")) -> None:
        super().__init__(name, description, levels)
        if not category:
            raise ConfigError(f"task.category={category if category is not None else 'null'}: a span-detection task "
                              "needs the span category it scores (e.g. loaded_language)")
        self.category = category
        self.span_category = category

    def _config(self) -> dict[str, Any]:
        return {"category": self.category}

    def needs(self) -> list[tuple[Output, tuple[str, ...]]]:
        return [(span_output(self.category), ("span", "sentence", "document")),
                (unit_probability_output(CLASSES), ("sentence",))]

    # ------------------------------------------------------------------ gold
    def sentence_gold(self, doc: Document, sentence: Sentence, spans_are_gold: bool) -> int | None:
        """An explicit sentence label for this task, else whether a gold span overlaps the sentence.

        None where the corpus has no gold for the sentence (e.g. BABE's "No agreement").
        """
        if self.name in sentence.labels:
            value = sentence.labels[self.name]
            return None if value is None else int(value)
        if spans_are_gold:
            return int(any(s.start < sentence.end and sentence.start < s.end for s in doc.spans_of(self.category)))
        return None

    # ------------------------------------------------------------------ classification view
    @property
    def class_names(self) -> tuple[str, ...]:
        return CLASSES

    def text_examples(self, docs: Sequence[Document], *, labelled_only: bool = True) -> list[TextExample]:
        out = []
        for doc in docs:
            for sentence in doc.sentences:
                gold = self.sentence_gold(doc, sentence, True)
                if gold is None and labelled_only:
                    continue
                out.append(TextExample(doc.id, doc.sentence_text(sentence), None, gold))
        return out

    def pack(self, docs: Sequence[Document], rows: Sequence[Sequence[float]]) -> list[DocumentPrediction]:
        out, row = [], 0
        for doc in docs:
            n = len(doc.sentences)
            out.append(DocumentPrediction(doc.id, sentence_scores=[float(r[1]) for r in rows[row : row + n]]))
            row += n
        return out

    # ------------------------------------------------------------------ scoring
    def record(self, doc: Document, pred: DocumentPrediction, spans_are_gold: bool) -> dict[str, Any]:
        items = []
        for sentence, score in zip(doc.sentences, pred.sentence_scores, strict=True):
            gold = self.sentence_gold(doc, sentence, spans_are_gold)
            if gold is not None:
                items.append({"start": sentence.start, "end": sentence.end, "gold": gold, "score": float(score)})
        return {**pred.to_dict(), "items": items, "n_words": words(doc.text),
                "scored_spans": [s.to_dict() for s in pred.spans if s.category == self.category],
                "gold_spans": [s.to_dict() for s in doc.spans_of(self.category)]}

    def item_metrics(self, gold: Sequence[Any], scores: np.ndarray, threshold: float) -> dict[str, float]:
        return binary_metrics([int(g) for g in gold], scores, threshold)

    def item_decisions(self, scores: np.ndarray, threshold: float) -> np.ndarray:
        return (np.asarray(scores, dtype=float) >= threshold).astype(int)

    def calibration(self, gold: Sequence[Any], scores: np.ndarray, n_bins: int) -> dict[str, float]:
        return binary_calibration([int(g) for g in gold], scores, n_bins)

    def plots(self, gold: Sequence[Any], scores: np.ndarray, threshold: float, folder: Path, title: str,
              n_bins: int) -> list[Path]:
        y = np.asarray(gold, dtype=int)
        s = np.asarray(scores, dtype=float)
        made = [confusion_matrix_png(y, self.item_decisions(s, threshold), [0, 1], list(CLASSES),
                                     f"{title} (threshold {threshold:.2f})", folder / "confusion_matrix.png")]
        if len(np.unique(y)) == 2:
            made.append(precision_recall_png(y, s, threshold, title, folder / "precision_recall.png"))
        made.append(reliability_png(y, s, n_bins, title, folder / "reliability_diagram.png"))
        return made

    # ------------------------------------------------------------------ display
    def gold_display(self, doc: Document) -> list[Span]:
        return doc.spans_of(self.category)

    def predicted_display(self, doc: Document, pred: DocumentPrediction, output: Output,
                          threshold: float) -> list[Span]:
        if output.kind == "spans":
            return [s for s in pred.spans if s.category == self.category]
        return [Span(s.start, s.end, f"{self.category}/sentence", doc.sentence_text(s), score)
                for s, score in zip(doc.sentences, pred.sentence_scores) if score >= threshold]

    def legend(self) -> list[str]:
        return [self.category]

    def reference_summary(self, doc: Document, pred: DocumentPrediction, output: Output, threshold: float,
                          model: str) -> list[str]:
        found = self.predicted_display(doc, pred, output, threshold)
        if output.kind == "spans":
            gold, unit, verb = doc.spans_of(self.category), "spans", "found"
        else:
            gold = [Span(s.start, s.end, f"{self.category}/sentence", doc.sentence_text(s))
                    for s in doc.sentences if self.sentence_gold(doc, s, True)]
            unit, verb = "sentences", "flagged"
        keys = {(s.start, s.end) for s in gold}
        lines = [f"Reference article — {model} on {self.name}: {len(found)} {unit} {verb}, {len(gold)} in gold"]
        for span in found:
            overlaps = any(g.start < span.end and span.start < g.end for g in gold)
            mark = "exact" if (span.start, span.end) in keys else ("overlap" if overlaps else "not in gold")
            score = "" if span.score is None else f" {span.score:.2f}"
            text = span.text if len(span.text) <= 70 else span.text[:67] + "..."
            lines.append(f"  • {text!r:45} {span.label:42}{score}  [{mark}]")
        missed = [g for g in gold if not any(g.start < s.end and s.start < g.end for s in found)]
        if missed:
            lines.append("  missed: " + ", ".join(repr(g.text) for g in missed))
        return lines
