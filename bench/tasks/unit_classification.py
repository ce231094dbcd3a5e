"""Unit classification: one of N classes per sentence, or per target mention where the corpus has targets.

Sentiment (negative / neutral / positive, per sentence or per NewsMTSC target) and opinion
(BABE's and MBIC's ``label_opinion``) are both this task type with different classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from bench.data.schema import Document, Span
from bench.errors import ConfigError
from bench.predictions import DocumentPrediction, TextExample
from bench.tasks.base import words
from bench.tasks.multiclass import MulticlassItems
from bench.tasks.outputs import Output, unit_probability_output


@dataclass(frozen=True)
class Unit:
    """One item to classify: a sentence, optionally with a target mention in it."""

    start: int
    end: int
    target: tuple[int, int] | None
    gold: str | None


class UnitClassification(MulticlassItems):
    """Classes ``classes`` per unit. Gold: the sentence label ``label_key``, or the sub-label of each
    ``target_category`` span (then the unit is the target within its sentence)."""

    headline = ("sentence.macro_f1", "sentence.accuracy", "sentence.spearman")
    primary = "sentence.macro_f1"
    same_label_display = True

    def __init__(self, name: str, classes: Sequence[str], label_key: str | None = None,
                 target_category: str | None = None, ordinal: bool = False, description: str = "",
                 levels: Sequence[str] = ("sentence",)) -> None:
        super().__init__(name, description, levels)
        if len(set(classes)) < 2 or len(set(classes)) != len(classes):
            raise ConfigError(f"task.classes={list(classes)}: needs at least two distinct classes")
        self.classes = tuple(classes)
        self.label_key = label_key or name
        self.target_category = target_category
        self.ordinal = ordinal

    def _config(self) -> dict[str, Any]:
        return {"classes": list(self.classes), "label_key": self.label_key, "target_category": self.target_category,
                "ordinal": self.ordinal}

    def needs(self) -> list[tuple[Output, tuple[str, ...]]]:
        return [(unit_probability_output(self.classes), ("sentence",))]

    # ------------------------------------------------------------------ gold
    def units(self, doc: Document) -> list[Unit]:
        """Target mentions (with their sentence) where the document has any, else its sentences."""
        targets = doc.spans_of(self.target_category) if self.target_category else []
        if targets:
            units = []
            for t in targets:
                sentence = next((s for s in doc.sentences if s.start <= t.start and t.end <= s.end), None)
                start, end = (sentence.start, sentence.end) if sentence else (0, len(doc.text))
                units.append(Unit(start, end, (t.start, t.end), self._known(t.sub_label)))
            return units
        return [Unit(s.start, s.end, None, self._known(s.labels.get(self.label_key))) for s in doc.sentences]

    def _known(self, value: Any) -> str | None:
        return str(value) if value is not None and str(value) in self.classes else None

    # ------------------------------------------------------------------ classification view
    @property
    def class_names(self) -> tuple[str, ...]:
        return self.classes

    def text_examples(self, docs: Sequence[Document], *, labelled_only: bool = True) -> list[TextExample]:
        out = []
        for doc in docs:
            for unit in self.units(doc):
                if unit.gold is None and labelled_only:
                    continue
                target = doc.text[unit.target[0] : unit.target[1]] if unit.target else None
                label = self.classes.index(unit.gold) if unit.gold is not None else None
                out.append(TextExample(doc.id, doc.text[unit.start : unit.end], target, label))
        return out

    def unit_count(self, doc: Document) -> int:
        return len(self.units(doc))

    # ------------------------------------------------------------------ scoring
    def record(self, doc: Document, pred: DocumentPrediction, spans_are_gold: bool) -> dict[str, Any]:
        items = []
        for unit, probs in zip(self.units(doc), pred.unit_probs, strict=True):
            if unit.gold is not None:
                start, end = unit.target or (unit.start, unit.end)
                items.append({"start": start, "end": end, "gold": unit.gold, "score": list(probs)})
        return {**pred.to_dict(), "items": items, "n_words": words(doc.text), "scored_spans": [], "gold_spans": []}

    # ------------------------------------------------------------------ display
    def gold_display(self, doc: Document) -> list[Span]:
        return [Span(*(u.target or (u.start, u.end)), f"{self.name}/{u.gold}") for u in self.units(doc) if u.gold]

    def predicted_display(self, doc: Document, pred: DocumentPrediction, output: Output,
                          threshold: float) -> list[Span]:
        shown = []
        for unit, probs in zip(self.units(doc), pred.unit_probs):
            best = int(np.argmax(probs))
            shown.append(Span(*(unit.target or (unit.start, unit.end)), f"{self.name}/{self.classes[best]}",
                              score=float(probs[best])))
        return shown

    def legend(self) -> list[str]:
        return [f"{self.name}-{c}" for c in self.classes]

    def reference_summary(self, doc: Document, pred: DocumentPrediction, output: Output, threshold: float,
                          model: str, title: str = "Reference article") -> list[str]:
        gold = {(s.start, s.end): s.label for s in self.gold_display(doc)}
        shown = self.predicted_display(doc, pred, output, threshold)
        agree = sum(gold.get((s.start, s.end)) == s.label for s in shown)
        return [f"{title} — {model} on {self.name}: {agree}/{len(gold)} units agree with gold"]
