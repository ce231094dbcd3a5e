"""Shared behaviour of trainable scorers: threshold tuning, persistence, fingerprints."""

from __future__ import annotations

import hashlib
import json
from abc import abstractmethod
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from sklearn.metrics import precision_recall_curve

from bench.data.schema import Document
from bench.errors import ConfigError, DataError
from bench.scorers.base import Scorer
from bench.tasks import Task


def best_f1_threshold(y_true: Sequence[int], scores: Sequence[float]) -> float:
    """The score threshold that maximises F1 of the positive class (0.5 if undefined)."""
    y = np.asarray(y_true, dtype=int)
    if len(np.unique(y)) < 2:
        return 0.5
    precision, recall, thresholds = precision_recall_curve(y, np.asarray(scores, dtype=float))
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
    return float(thresholds[int(np.argmax(f1[:-1]))])


META_FILE = "bench_meta.json"


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """The harness's description of a saved model (class, task, threshold, settings)."""
    (folder / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True, default=str), encoding="utf-8")


def read_meta(folder: Path, expected_class: str) -> dict[str, Any]:
    path = folder / META_FILE
    if not path.is_file():
        raise DataError(f"saved model has no {META_FILE}", path=str(path))
    meta = json.loads(path.read_text(encoding="utf-8"))
    if meta.get("class") != expected_class:
        raise ConfigError(f"{folder} holds a {meta.get('class')} model, not a {expected_class}")
    return meta


def folder_fingerprint(folder: Path) -> str:
    """SHA-256 over the names and bytes of every file in ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class TrainableScorer(Scorer):
    """A scorer that learns from a corpus's train split and can be saved and reloaded."""

    trainable = True
    #: whether predictions include spans (sentence classifiers do not)
    produces_spans = False

    def __init__(self, load_from: str | None = None, seed: int = 13, tune_threshold: bool = True) -> None:
        self.seed = seed
        self.tune_threshold = tune_threshold
        self.training_metrics: dict[str, float] = {}
        self.training_history: list[dict[str, float]] = []
        self.task_name: str | None = None
        self._fingerprint: str | None = None
        self.load_from = load_from
        if load_from:
            path = Path(load_from)
            if not path.is_dir():
                raise ConfigError(f"model.load_from: {path} is not a saved model folder")
            self.load(path)

    @property
    def is_fitted(self) -> bool:
        return self.task_name is not None

    def fit(self, train: Sequence[Document], task: Task, validation: Sequence[Document] | None = None) -> "TrainableScorer":
        self.check_task(task)
        self._fit(train, task, validation)
        self.task_name = task.name
        return self

    @abstractmethod
    def _fit(self, train: Sequence[Document], task: Task, validation: Sequence[Document] | None) -> None: ...

    @abstractmethod
    def save(self, folder: Path) -> None:
        """Write the fitted model to ``folder`` (safetensors, skops or crfsuite files; never pickle)."""

    @abstractmethod
    def load(self, folder: Path) -> None:
        """Read a model written by :meth:`save`."""

    def set_fingerprint(self, value: str) -> None:
        self._fingerprint = value

    def fingerprint(self) -> str:
        if self._fingerprint is None:
            raise ConfigError(f"{type(self).__name__} has no fingerprint before it is fitted or loaded")
        return self._fingerprint

    def require_fitted(self, task: Task) -> None:
        if not self.is_fitted:
            raise ConfigError(f"{type(self).__name__} must be trained (or loaded with model.load_from) first")
        if task.name != self.task_name:
            raise ConfigError(f"this {type(self).__name__} was trained for task {self.task_name!r}, not {task.name!r}")
