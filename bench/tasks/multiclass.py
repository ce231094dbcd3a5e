"""Scoring shared by the task types whose items get one of N classes (unit classification, span labelling)."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bench.data.schema import Document
from bench.metrics.calibration import multiclass_calibration, multiclass_calibration_resampled
from bench.metrics.sentences import multiclass_metrics, multiclass_metrics_resampled
from bench.predictions import DocumentPrediction
from bench.tasks.base import Task


class MulticlassItems(Task):
    """Items with a gold class name and a probability row over ``class_names``, decided by argmax."""

    #: whether the classes are ordered (then a Spearman correlation is reported)
    ordinal: bool = False

    @abstractmethod
    def unit_count(self, doc: Document) -> int:
        """How many classified units (rows of ``unit_probs``) the document has."""

    def pack(self, docs: Sequence[Document], rows: Sequence[Sequence[float]]) -> list[DocumentPrediction]:
        out, row = [], 0
        for doc in docs:
            n = self.unit_count(doc)
            out.append(DocumentPrediction(doc.id, unit_probs=[[float(x) for x in r] for r in rows[row : row + n]]))
            row += n
        return out

    def _indices(self, gold: Sequence[Any]) -> np.ndarray:
        return np.array([self.class_names.index(g) for g in gold], dtype=int)

    def _probs(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(scores, dtype=float).reshape(-1, len(self.class_names))

    def item_metrics(self, gold: Sequence[Any], scores: np.ndarray, threshold: float) -> dict[str, float]:
        return multiclass_metrics(self._indices(gold), self._probs(scores), self.class_names, self.ordinal)

    def item_metrics_resampled(self, gold: Sequence[Any], scores: np.ndarray, threshold: float,
                               weights: np.ndarray) -> dict[str, np.ndarray]:
        return multiclass_metrics_resampled(self._indices(gold), self._probs(scores), self.class_names, weights,
                                            self.ordinal)

    def item_decisions(self, scores: np.ndarray, threshold: float) -> np.ndarray:
        return np.array([self.class_names[i] for i in self._probs(scores).argmax(axis=1)], dtype=object)

    def calibration(self, gold: Sequence[Any], scores: np.ndarray, n_bins: int) -> dict[str, float]:
        return multiclass_calibration(self._indices(gold), self._probs(scores), n_bins)

    def calibration_resampled(self, gold: Sequence[Any], scores: np.ndarray, n_bins: int,
                              weights: np.ndarray) -> dict[str, np.ndarray]:
        return multiclass_calibration_resampled(self._indices(gold), self._probs(scores), n_bins, weights)

    def plots(self, gold: Sequence[Any], scores: np.ndarray, threshold: float, folder: Path, title: str,
              n_bins: int) -> list[Path]:
        from bench.report.plots import confusion_matrix_png, reliability_png  # matplotlib, only when plotting

        y, probs = self._indices(gold), self._probs(scores)
        pred = probs.argmax(axis=1)
        return [confusion_matrix_png(y, pred, range(len(self.class_names)), list(self.class_names), title,
                                     folder / "confusion_matrix.png"),
                reliability_png(pred == y, probs.max(axis=1), n_bins, f"{title} (top label)",
                                folder / "reliability_diagram.png")]
