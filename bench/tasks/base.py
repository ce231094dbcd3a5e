"""The task interface: what a task reads from documents, what it needs from a scorer, how it is scored and shown.

Everything task-specific lives in a :class:`Task` subclass; the job, the evaluation table, the
analyses, the reports and the review commands only call these methods.
"""

from __future__ import annotations

import fnmatch
import re
from abc import ABC, abstractmethod
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar, Sequence

import numpy as np

from bench.data.schema import Document, Span
from bench.errors import ConfigError
from bench.metrics.weighted import per_resample
from bench.predictions import DocumentPrediction, TextExample
from bench.tasks.outputs import Output

#: metrics where lower is better, as glob patterns over metric names (everything else: higher is better)
LOWER_IS_BETTER: tuple[str, ...] = ("*.ece", "*.brier", "*.density_mae", "*.log_loss", "inference.seconds",
                                    "train.seconds*", "*.unnamed_share_mae")

_WORD = re.compile(r"\w+")


class Task(ABC):
    """One scoring task, built from ``conf/task/<name>.yaml`` (``_target_`` names the subclass)."""

    #: level name of the task's scored items (metric prefix): ``sentence`` or ``span_label``
    item_level: ClassVar[str] = "sentence"
    #: the metrics shown in summaries, in order; the first one present ranks leaderboards
    headline: ClassVar[tuple[str, ...]] = ()
    #: the metric that ranks models on this task by default (leaderboards)
    primary: ClassVar[str] = ""
    #: reports colour gold and predictions by label (classification) rather than by category
    same_label_display: ClassVar[bool] = False

    def __init__(self, name: str, description: str = "", levels: Sequence[str] = ()) -> None:
        self.name = name
        self.description = description
        self.levels = tuple(levels)

    # ------------------------------------------------------------------ identity
    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def config(self) -> dict[str, Any]:
        """The parameters that rebuild this task (logged with each run)."""
        return {"_target_": f"{type(self).__module__}.{type(self).__qualname__}", "name": self.name,
                "description": self.description, "levels": list(self.levels), **self._config()}

    def _config(self) -> dict[str, Any]:
        return {}

    #: the span category a span-producing scorer marks for this task (None: the task scores no spans)
    span_category: str | None = None

    # ------------------------------------------------------------------ scorers
    @abstractmethod
    def needs(self) -> list[tuple[Output, tuple[str, ...]]]:
        """Accepted scorer outputs, best first, each with the levels it can be scored at."""

    def match(self, scorer_name: str, outputs: Sequence[Output]) -> tuple[Output, tuple[str, ...]]:
        """The first accepted output the scorer provides, with its levels; a clear error if none."""
        for need, levels in self.needs():
            for output in outputs:
                if output.provides(need):
                    return output, levels
        wanted = " or ".join(need.describe() for need, _ in self.needs())
        has = ", ".join(o.describe() for o in outputs) or "nothing"
        raise ConfigError(f"model {scorer_name} does not support task {self.name!r}: the task needs {wanted}; "
                          f"the model produces {has}")

    # ------------------------------------------------------------------ classification view
    @property
    @abstractmethod
    def class_names(self) -> tuple[str, ...]:
        """The classes a text classifier predicts for this task (column order of its probabilities)."""

    @abstractmethod
    def text_examples(self, docs: Sequence[Document], *, labelled_only: bool = True) -> list[TextExample]:
        """Classification inputs with gold class indices (None where unlabelled), in document order."""

    @abstractmethod
    def pack(self, docs: Sequence[Document], rows: Sequence[Sequence[float]]) -> list[DocumentPrediction]:
        """Per-example class probabilities (in :meth:`text_examples` order, unlabelled included) as predictions."""

    def class_balance(self, docs: Sequence[Document]) -> dict[str, int]:
        """Gold examples per class (``unlabelled``: units without gold), for corpus statistics."""
        counts = Counter(self.class_names[e.label] if e.label is not None else "unlabelled"
                         for e in self.text_examples(docs, labelled_only=False))
        return dict(sorted(counts.items()))

    # ------------------------------------------------------------------ gold and scoring
    @abstractmethod
    def record(self, doc: Document, pred: DocumentPrediction, spans_are_gold: bool) -> dict[str, Any]:
        """One JSON-ready ``predictions.jsonl`` record: ``items`` (scored units with gold and score),
        ``scored_spans`` and ``gold_spans`` (span level), ``n_words``."""

    @abstractmethod
    def item_metrics(self, gold: Sequence[Any], scores: np.ndarray, threshold: float) -> dict[str, float]:
        """Metrics of the scored items (named without the level prefix)."""

    def item_metrics_resampled(self, gold: Sequence[Any], scores: np.ndarray, threshold: float,
                               weights: np.ndarray) -> dict[str, np.ndarray]:
        """:meth:`item_metrics` of many bootstrap resamples (rows of ``weights``: how often each item
        was drawn), as arrays over resamples. Task types override it with a vectorised form."""
        return per_resample(lambda idx: self.item_metrics([gold[i] for i in idx], scores[idx], threshold), weights)

    @abstractmethod
    def item_decisions(self, scores: np.ndarray, threshold: float) -> np.ndarray:
        """Each item's decided label, comparable with its gold label."""

    def item_correct(self, gold: Sequence[Any], scores: np.ndarray, threshold: float) -> np.ndarray:
        return np.asarray(self.item_decisions(scores, threshold), dtype=object) == np.asarray(list(gold),
                                                                                             dtype=object)

    @abstractmethod
    def calibration(self, gold: Sequence[Any], scores: np.ndarray, n_bins: int) -> dict[str, float]:
        """Calibration metrics of the items (named without the level prefix)."""

    def calibration_resampled(self, gold: Sequence[Any], scores: np.ndarray, n_bins: int,
                              weights: np.ndarray) -> dict[str, np.ndarray]:
        """:meth:`calibration` of many bootstrap resamples, as arrays over resamples."""
        return per_resample(lambda idx: self.calibration([gold[i] for i in idx], scores[idx], n_bins), weights)

    def document_statistics(self, record: dict[str, Any]) -> tuple[float, ...]:
        """Numbers of one ``predictions.jsonl`` record that :meth:`document_measures` aggregates
        (document level; none by default)."""
        return ()

    def document_measures(self, stats: np.ndarray) -> dict[str, float]:
        """Document-level measures of the task's own from rows of :meth:`document_statistics`."""
        return {}

    @abstractmethod
    def plots(self, gold: Sequence[Any], scores: np.ndarray, threshold: float, folder: Path, title: str,
              n_bins: int) -> list[Path]:
        """Confusion matrix and the task's other diagnostic plots as PNG files."""

    def headline_names(self, levels: Sequence[str]) -> list[str]:
        return [k for k in self.headline if k.split(".")[0] in levels]

    def primary_metric(self) -> str:
        return self.primary or self.headline[0]

    @staticmethod
    def higher_is_better(metric: str) -> bool:
        """Whether a larger value of ``metric`` is better (ECE, Brier, density error: lower is better)."""
        base = metric.removesuffix(".ci_low").removesuffix(".ci_high")
        return not any(fnmatch.fnmatch(base, pattern) for pattern in LOWER_IS_BETTER)

    # ------------------------------------------------------------------ display
    @abstractmethod
    def gold_display(self, doc: Document) -> list[Span]:
        """Gold annotations to highlight in a report."""

    @abstractmethod
    def predicted_display(self, doc: Document, pred: DocumentPrediction, output: Output,
                          threshold: float) -> list[Span]:
        """Predictions to highlight in a report."""

    @abstractmethod
    def legend(self) -> list[str]:
        """Category or class names the report's legend shows."""

    @abstractmethod
    def reference_summary(self, doc: Document, pred: DocumentPrediction, output: Output, threshold: float,
                          model: str, title: str = "Reference article") -> list[str]:
        """Console lines: what the model found in the reference article, marked against gold."""


def words(text: str) -> int:
    """Word count (for span densities per 100 words)."""
    return len(_WORD.findall(text))
