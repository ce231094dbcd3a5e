"""The one interface every scorer implements (scikit-learn style ``fit`` / ``predict``)."""

from __future__ import annotations

import hashlib
import inspect
import json
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Sequence

import numpy as np

from bench.data.schema import Document, Span
from bench.predictions import DocumentPrediction
from bench.tasks import Output, Task

__all__ = ["DocumentPrediction", "Scorer", "noisy_or", "sentence_scores_from_spans"]


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
    """Base class. Subclasses declare ``outputs`` and implement ``predict_document`` (or ``predict``)."""

    #: what the scorer can produce; a task runs with it when one of the task's needs is among these
    outputs: ClassVar[tuple[Output, ...]] = ()
    #: decision threshold on sentence scores; trainable scorers tune it on validation data
    threshold: float = 0.5

    def declared_outputs(self) -> tuple[Output, ...]:
        """The outputs of this instance (a pipeline adapter's depend on its settings)."""
        return self.outputs

    def check_task(self, task: Task) -> tuple[Output, tuple[str, ...]]:
        """The output this scorer gives ``task`` and the levels it can be scored at (a clear error if none)."""
        return task.match(type(self).__name__, self.declared_outputs())

    def fit(self, train: Sequence[Document], task: Task, validation: Sequence[Document] | None = None) -> "Scorer":
        """Train on ``train`` (a no-op for rule-based scorers). Returns self."""
        self.check_task(task)
        return self

    @abstractmethod
    def predict_document(self, doc: Document, task: Task) -> DocumentPrediction:
        """Spans with scores, sentence scores and/or sentiment for one document."""

    def predict(self, documents: Sequence[Document], task: Task) -> list[DocumentPrediction]:
        return [self.predict_document(doc, task) for doc in documents]

    #: constructor arguments that do not change predictions (where a model comes from, where it runs)
    not_params: ClassVar[frozenset[str]] = frozenset({"load_from", "device", "batch_size"})

    def params(self) -> dict[str, Any]:
        """The settings that determine predictions (the model fingerprint and cache keys): every
        constructor argument, read back from the attribute of the same name, plus :meth:`content_params`."""
        names = [n for n in inspect.signature(type(self).__init__).parameters
                 if n not in ("self", "args", "kwargs") and n not in self.not_params]
        missing = [n for n in names if not hasattr(self, n)]
        if missing:
            raise TypeError(f"{type(self).__name__} keeps no attribute for constructor argument(s) {missing}")
        return {**{n: getattr(self, n) for n in names}, **self.content_params()}

    def content_params(self) -> dict[str, Any]:
        """What determines predictions beyond the settings (a lexicon's size, pattern texts, weights)."""
        return {}

    def fingerprint(self) -> str:
        payload = json.dumps({"class": type(self).__qualname__, "params": self.params()}, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    #: whether the job may cache this scorer's predictions per document (False: the scorer caches its own work)
    caches_predictions: ClassVar[bool] = True

    def run_metrics(self) -> dict[str, float]:
        """Metrics of the scorer's own work during the run (requests, tokens, ...), logged with the run's."""
        return {}

    def run_tags(self) -> dict[str, str]:
        """Tags the scorer adds to the run."""
        return {}

    def run_artifacts(self) -> dict[str, str]:
        """Files (name → text) the scorer adds to the run's artifacts, e.g. the prompt it sent."""
        return {}
