"""Span detection: find the spans of one category (loaded language, unverified sources, ...).

Scored at span level (exact and SemEval-2020 Task 11 overlap credit), at sentence level (a sentence
is positive when a gold span overlaps it, unless the corpus labels sentences itself) and at
document level (span density). A sentence classifier runs it at sentence level only.

The sentence-level units are the document's sentences, or with ``units: quote_attribution`` a
quotation merged with the clause that attributes it (``“…?” Telegram account X questioned.``): the
quoted claim and its source are one unit, positive when a gold span overlaps either part, scored
with the highest score of its sentences.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bench.data.schema import Document, Sentence, Span
from bench.data.sentences import quote_attribution_units
from bench.errors import ConfigError
from bench.metrics.calibration import binary_calibration, binary_calibration_resampled
from bench.metrics.sentences import binary_metrics, binary_metrics_resampled
from bench.predictions import DocumentPrediction, TextExample
from bench.tasks.base import Task, words
from bench.tasks.outputs import Output, span_output, unit_probability_output

CLASSES = ("negative", "positive")
#: what a sentence-level unit is: each sentence, or a quotation merged with its attribution clause
UNITS = ("sentence", "quote_attribution")


class SpanDetection(Task):
    """Spans of ``category``; sentence gold from the corpus's sentence label ``name`` or from gold spans."""

    headline = ("span.overlap.f1", "span.exact.f1", "sentence.f1", "sentence.macro_f1", "sentence.roc_auc")
    primary = "sentence.f1"

    def __init__(self, name: str, category: str, description: str = "",
                 levels: Sequence[str] = ("span", "sentence", "document"), units: str = "sentence") -> None:
        super().__init__(name, description, levels)
        if not category:
            raise ConfigError(f"task.category={category if category is not None else 'null'}: a span-detection task "
                              "needs the span category it scores (e.g. loaded_language)")
        if units not in UNITS:
            raise ConfigError(f"task.units={units}: must be one of {', '.join(UNITS)}")
        self.category = category
        self.span_category = category
        self.units = units

    def _config(self) -> dict[str, Any]:
        return {"category": self.category, **({"units": self.units} if self.units != "sentence" else {})}

    def needs(self) -> list[tuple[Output, tuple[str, ...]]]:
        return [(span_output(self.category), ("span", "sentence", "document")),
                (unit_probability_output(CLASSES), ("sentence",))]

    # ------------------------------------------------------------------ units
    def scored_units(self, doc: Document) -> list[tuple[Sentence, range]]:
        """The sentence-level units of ``doc`` in order, each with the indices of its sentences.

        A merged unit spans its sentences and carries this task's label when any of them has one
        (positive if any is; None if all are unlabelled)."""
        if self.units == "sentence":
            return [(s, range(i, i + 1)) for i, s in enumerate(doc.sentences)]
        out = []
        for first, last in quote_attribution_units(doc.text, doc.sentences):
            members = doc.sentences[first:last]
            if len(members) == 1:
                out.append((members[0], range(first, last)))
                continue
            values = [m.labels[self.name] for m in members if self.name in m.labels]
            known = [int(v) for v in values if v is not None]
            labels = {self.name: max(known) if known else None} if values else {}
            out.append((Sentence(members[0].start, members[-1].end, labels), range(first, last)))
        return out

    def unit_scores(self, doc: Document, pred: DocumentPrediction) -> list[tuple[Sentence, float]]:
        """Each unit with its score: the highest score of its sentences."""
        if len(pred.sentence_scores) != len(doc.sentences):
            raise ValueError(f"document {doc.id!r}: {len(pred.sentence_scores)} sentence scores for "
                             f"{len(doc.sentences)} sentences")
        return [(unit, max(float(pred.sentence_scores[i]) for i in members))
                for unit, members in self.scored_units(doc)]

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
            for unit, _ in self.scored_units(doc):
                gold = self.sentence_gold(doc, unit, True)
                if gold is None and labelled_only:
                    continue
                out.append(TextExample(doc.id, doc.sentence_text(unit), None, gold))
        return out

    def pack(self, docs: Sequence[Document], rows: Sequence[Sequence[float]]) -> list[DocumentPrediction]:
        """One row per unit (:meth:`text_examples` order); each sentence of a unit gets the unit's score."""
        out, row = [], 0
        for doc in docs:
            scores: list[float] = []
            for _, members in self.scored_units(doc):
                scores += [float(rows[row][1])] * len(members)
                row += 1
            out.append(DocumentPrediction(doc.id, sentence_scores=scores))
        return out

    # ------------------------------------------------------------------ scoring
    def record(self, doc: Document, pred: DocumentPrediction, spans_are_gold: bool) -> dict[str, Any]:
        items = []
        for unit, score in self.unit_scores(doc, pred):
            gold = self.sentence_gold(doc, unit, spans_are_gold)
            if gold is not None:
                items.append({"start": unit.start, "end": unit.end, "gold": gold, "score": score})
        return {**pred.to_dict(), "items": items, "n_words": words(doc.text),
                "scored_spans": [s.to_dict() for s in pred.spans if s.category == self.category],
                "gold_spans": [s.to_dict() for s in doc.spans_of(self.category)]}

    def item_metrics(self, gold: Sequence[Any], scores: np.ndarray, threshold: float) -> dict[str, float]:
        return binary_metrics([int(g) for g in gold], scores, threshold)

    def item_metrics_resampled(self, gold: Sequence[Any], scores: np.ndarray, threshold: float,
                               weights: np.ndarray) -> dict[str, np.ndarray]:
        return binary_metrics_resampled([int(g) for g in gold], scores, threshold, weights)

    def item_decisions(self, scores: np.ndarray, threshold: float) -> np.ndarray:
        return (np.asarray(scores, dtype=float) >= threshold).astype(int)

    def calibration(self, gold: Sequence[Any], scores: np.ndarray, n_bins: int) -> dict[str, float]:
        return binary_calibration([int(g) for g in gold], scores, n_bins)

    def calibration_resampled(self, gold: Sequence[Any], scores: np.ndarray, n_bins: int,
                              weights: np.ndarray) -> dict[str, np.ndarray]:
        return binary_calibration_resampled([int(g) for g in gold], scores, n_bins, weights)

    def plots(self, gold: Sequence[Any], scores: np.ndarray, threshold: float, folder: Path, title: str,
              n_bins: int) -> list[Path]:
        from bench.report.plots import confusion_matrix_png, precision_recall_png, reliability_png  # matplotlib

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
                for s, score in self.unit_scores(doc, pred) if score >= threshold]

    def legend(self) -> list[str]:
        return [self.category]

    def reference_summary(self, doc: Document, pred: DocumentPrediction, output: Output, threshold: float,
                          model: str, title: str = "Reference article") -> list[str]:
        found = self.predicted_display(doc, pred, output, threshold)
        if output.kind == "spans":
            gold, unit, verb = doc.spans_of(self.category), "spans", "found"
        else:
            gold = [Span(s.start, s.end, f"{self.category}/sentence", doc.sentence_text(s))
                    for s, _ in self.scored_units(doc) if self.sentence_gold(doc, s, True)]
            unit, verb = "sentences", "flagged"
        keys = {(s.start, s.end) for s in gold}
        lines = [f"{title} — {model} on {self.name}: {len(found)} {unit} {verb}, {len(gold)} in gold"]
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
