"""Span labelling: give each gold span one of N labels (SemEval-2020 Task 11 technique classification).

The spans are given (taken from the gold annotations); a model only labels them. Scored as in the
shared task: micro-F1 over spans (one label per span, so it equals accuracy), plus macro-F1 and
F1 per label.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from bench.data.schema import Document, Span
from bench.errors import ConfigError
from bench.predictions import DocumentPrediction, TextExample
from bench.tasks.base import words
from bench.tasks.multiclass import MulticlassItems
from bench.tasks.outputs import Output, span_label_output


class SpanLabelling(MulticlassItems):
    """Label every gold span whose ``native_label`` (or sub-label) is one of ``labels``.

    ``span_categories`` limits the gold spans to some categories (None: every span with a label in
    ``labels``). A classifier sees the span's sentence and the span text.
    """

    item_level = "span_label"
    headline = ("span_label.micro_f1", "span_label.macro_f1")
    primary = "span_label.micro_f1"
    same_label_display = True

    def __init__(self, name: str, labels: Sequence[str], span_categories: Sequence[str] | None = None,
                 description: str = "", levels: Sequence[str] = ("span_label",)) -> None:
        super().__init__(name, description, levels)
        if len(set(labels)) < 2 or len(set(labels)) != len(labels):
            raise ConfigError(f"task.labels={list(labels)}: needs at least two distinct labels")
        self.labels = tuple(labels)
        self.span_categories = tuple(span_categories) if span_categories else None

    def _config(self) -> dict[str, Any]:
        return {"labels": list(self.labels), "span_categories": list(self.span_categories or []) or None}

    def needs(self) -> list[tuple[Output, tuple[str, ...]]]:
        return [(span_label_output(), ("span_label",))]

    # ------------------------------------------------------------------ gold
    def label_of(self, span: Span) -> str | None:
        value = span.native_label or span.sub_label
        return value if value in self.labels else None

    def gold_spans(self, doc: Document) -> list[Span]:
        """The spans to label, in document order (duplicates of the same offsets and label kept once)."""
        seen, out = set(), []
        for span in sorted(doc.spans, key=lambda s: (s.start, s.end, s.label)):
            if self.span_categories and span.category not in self.span_categories:
                continue
            label = self.label_of(span)
            if label is None or (span.start, span.end, label) in seen:
                continue
            seen.add((span.start, span.end, label))
            out.append(span)
        return out

    def _context(self, doc: Document, span: Span) -> str:
        sentence = next((s for s in doc.sentences if s.start <= span.start < s.end), None)
        return doc.sentence_text(sentence) if sentence else doc.text[span.start : span.end]

    # ------------------------------------------------------------------ classification view
    @property
    def class_names(self) -> tuple[str, ...]:
        return self.labels

    def text_examples(self, docs: Sequence[Document], *, labelled_only: bool = True) -> list[TextExample]:
        return [TextExample(doc.id, self._context(doc, span), doc.text[span.start : span.end],
                            self.labels.index(self.label_of(span)))  # type: ignore[arg-type]
                for doc in docs for span in self.gold_spans(doc)]

    def unit_count(self, doc: Document) -> int:
        return len(self.gold_spans(doc))

    # ------------------------------------------------------------------ scoring
    def record(self, doc: Document, pred: DocumentPrediction, spans_are_gold: bool) -> dict[str, Any]:
        items = [{"start": s.start, "end": s.end, "gold": self.label_of(s), "score": list(probs)}
                 for s, probs in zip(self.gold_spans(doc), pred.unit_probs, strict=True)]
        return {**pred.to_dict(), "items": items, "n_words": words(doc.text), "scored_spans": [], "gold_spans": []}

    # ------------------------------------------------------------------ display
    def gold_display(self, doc: Document) -> list[Span]:
        return [Span(s.start, s.end, f"{self.name}/{self.label_of(s)}", s.text) for s in self.gold_spans(doc)]

    def predicted_display(self, doc: Document, pred: DocumentPrediction, output: Output,
                          threshold: float) -> list[Span]:
        shown = []
        for span, probs in zip(self.gold_spans(doc), pred.unit_probs):
            best = int(np.argmax(probs))
            shown.append(Span(span.start, span.end, f"{self.name}/{self.labels[best]}", span.text, float(probs[best])))
        return shown

    def legend(self) -> list[str]:
        return [f"{self.name}-{label}" for label in self.labels]

    def reference_summary(self, doc: Document, pred: DocumentPrediction, output: Output, threshold: float,
                          model: str, title: str = "Reference article") -> list[str]:
        gold = self.gold_display(doc)
        shown = self.predicted_display(doc, pred, output, threshold)
        agree = sum(g.label == p.label for g, p in zip(gold, shown))
        return [f"{title} — {model} on {self.name}: {agree}/{len(gold)} spans labelled as in gold"]
