"""What scorers exchange with tasks: classification inputs and per-document predictions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.data.schema import Span


@dataclass(frozen=True)
class TextExample:
    """One classification input: a text, an optional second text (a target mention, a span), a label index."""

    doc_id: str
    text: str
    target: str | None
    label: int | None


@dataclass
class DocumentPrediction:
    """A scorer's output for one document, in the shapes the task asked for.

    ``spans``: predicted spans with scores. ``sentence_scores``: P(positive) for each of
    ``doc.sentences`` (span-detection tasks). ``unit_probs``: one probability row over the task's
    classes per unit (sentence or target) of a unit-classification task, or per gold span of a
    span-labelling task. ``notes``: what the scorer reports about this document (e.g. an LLM's
    failure reason); written to ``predictions.jsonl`` when present.
    """

    doc_id: str
    spans: list[Span] = field(default_factory=list)
    sentence_scores: list[float] = field(default_factory=list)
    unit_probs: list[list[float]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "doc_id": self.doc_id,
            "spans": [s.to_dict() for s in self.spans],
            "sentence_scores": self.sentence_scores,
            "unit_probs": self.unit_probs,
        }
        if self.notes:
            out["notes"] = self.notes
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "DocumentPrediction":
        return cls(
            doc_id=raw["doc_id"],
            spans=[
                Span(s["start"], s["end"], s["label"], s.get("text", ""), s.get("score"), s.get("native_label"),
                     s.get("attributes", {}))
                for s in raw["spans"]
            ],
            sentence_scores=[float(x) for x in raw["sentence_scores"]],
            unit_probs=[[float(x) for x in row] for row in raw["unit_probs"]],
            notes=dict(raw.get("notes") or {}),
        )
