"""The one interface every scorer implements (scikit-learn style ``fit`` / ``predict``)."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Sequence

import numpy as np

from bench.data.schema import Document, Span
from bench.errors import ConfigError
from bench.tasks import Task


@dataclass
class DocumentPrediction:
    """A scorer's output for one document.

    ``sentence_scores`` holds P(positive) for each of ``doc.sentences`` (binary tasks);
    ``sentiment`` holds negative/neutral/positive probabilities for each sentiment unit.
    """

    doc_id: str
    spans: list[Span] = field(default_factory=list)
    sentence_scores: list[float] = field(default_factory=list)
    sentiment: list[list[float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "spans": [s.to_dict() for s in self.spans],
            "sentence_scores": self.sentence_scores,
            "sentiment": self.sentiment,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "DocumentPrediction":
        return cls(
            doc_id=raw["doc_id"],
            spans=[
                Span(s["start"], s["end"], s["label"], s.get("text", ""), s.get("score"), s.get("native_label"),
                     s.get("attributes", {}))
                for s in raw["spans"]
            ],
            sentence_scores=list(raw["sentence_scores"]),
            sentiment=[list(r) for r in raw["sentiment"]],
        )


@dataclass(frozen=True)
class SentimentUnit:
    """One item to classify for sentiment: a sentence, optionally with a target mention in it."""

    start: int
    end: int
    target: tuple[int, int] | None
    gold: str | None


def sentiment_units(doc: Document) -> list[SentimentUnit]:
    """Targets of ``sentiment_target`` spans (with their sentence) if any, else sentences."""
    targets = doc.spans_of("sentiment_target")
    if targets:
        units = []
        for t in targets:
            sentence = next((s for s in doc.sentences if s.start <= t.start and t.end <= s.end), None)
            start, end = (sentence.start, sentence.end) if sentence else (0, len(doc.text))
            units.append(SentimentUnit(start, end, (t.start, t.end), t.sub_label))
        return units
    return [SentimentUnit(s.start, s.end, None, s.labels.get("sentiment")) for s in doc.sentences]


def noisy_or(scores: Sequence[float]) -> float:
    """P(at least one) for independent evidence scores: 1 - Π(1 - s)."""
    return float(1.0 - np.prod([1.0 - min(max(s, 0.0), 1.0) for s in scores])) if scores else 0.0


def sentence_scores_from_spans(doc: Document, spans: Sequence[Span]) -> list[float]:
    """Each sentence's score is the noisy-or of the scores of the spans inside it."""
    return [
        noisy_or([s.score if s.score is not None else 1.0 for s in spans if s.start < sent.end and sent.start < s.end])
        for sent in doc.sentences
    ]


class Scorer(ABC):
    """Base class. Subclasses set ``supported_tasks`` and implement ``predict_document``."""

    supported_tasks: ClassVar[tuple[str, ...]] = ()
    #: decision threshold on sentence scores; trainable scorers tune it on validation data
    threshold: float = 0.5

    def check_task(self, task: Task) -> None:
        if task.name not in self.supported_tasks:
            raise ConfigError(
                f"model {type(self).__name__} does not support task {task.name!r}; "
                f"it supports: {', '.join(self.supported_tasks)}"
            )

    def fit(self, train: Sequence[Document], task: Task, validation: Sequence[Document] | None = None) -> "Scorer":
        """Train on ``train`` (a no-op for rule-based scorers). Returns self."""
        self.check_task(task)
        return self

    @abstractmethod
    def predict_document(self, doc: Document, task: Task) -> DocumentPrediction:
        """Spans with scores, sentence scores and/or sentiment for one document."""

    def predict(self, documents: Sequence[Document], task: Task) -> list[DocumentPrediction]:
        return [self.predict_document(doc, task) for doc in documents]

    def params(self) -> dict[str, Any]:
        """The settings that determine predictions (used in the model fingerprint)."""
        return {}

    def fingerprint(self) -> str:
        payload = json.dumps({"class": type(self).__qualname__, "params": self.params()}, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]
