"""Shared behaviour of trainable scorers: threshold tuning, persistence, fingerprints."""

from __future__ import annotations

import hashlib
import json
import tempfile
from abc import abstractmethod
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from sklearn.metrics import precision_recall_curve

from bench.data.schema import Document
from bench.errors import BenchError, ConfigError, DataError
from bench.predictions import DocumentPrediction
from bench.scorers.base import Scorer
from bench.scorers.model_files import MAX_META_BYTES, read_json_file
from bench.tasks import Task


def best_f1_threshold(y_true: Sequence[int], scores: Sequence[float]) -> float:
    """The score threshold that maximises F1 of the positive class (0.5 if undefined)."""
    y = np.asarray(y_true, dtype=int)
    if len(np.unique(y)) < 2:
        return 0.5
    precision, recall, thresholds = precision_recall_curve(y, np.asarray(scores, dtype=float))
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
    return float(thresholds[int(np.argmax(f1[:-1]))])


def tuned_threshold(task: Task, docs: Sequence[Document], preds: Sequence[DocumentPrediction]) -> float:
    """The F1-optimal sentence threshold on validation predictions (the items the task scores with gold)."""
    pairs = [(item["gold"], item["score"]) for doc, pred in zip(docs, preds)
             for item in task.record(doc, pred, True)["items"]]
    return best_f1_threshold([int(g) for g, _ in pairs], [float(s) for _, s in pairs])


META_FILE = "bench_meta.json"
#: ``model.load_from`` values that name an MLflow artifact rather than a local folder
_ARTIFACT_SCHEMES = ("runs:/", "models:/", "mlflow-artifacts:/")


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """The harness's description of a saved model (class, task, threshold, settings)."""
    (folder / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True, default=str), encoding="utf-8")


def read_meta(folder: Path, expected_class: str, required: dict[str, type | tuple[type, ...]] | None = None
              ) -> dict[str, Any]:
    """The saved model's description, checked: size, JSON, class, and the type of each required key."""
    path = folder / META_FILE
    meta = read_json_file(path, MAX_META_BYTES, META_FILE)
    if not isinstance(meta, dict):
        raise DataError(f"{META_FILE} must hold a JSON object, not {type(meta).__name__}", path=str(path))
    if meta.get("class") != expected_class:
        raise ConfigError(f"{folder} holds a {meta.get('class')} model, not a {expected_class}")
    schema: dict[str, type | tuple[type, ...]] = {"task": str, "threshold": (int, float), "params": dict,
                                                   **(required or {})}
    for key, kind in schema.items():
        if key not in meta:
            raise DataError(f"{META_FILE} has no {key!r} entry", path=str(path))
        if not isinstance(meta[key], kind) or isinstance(meta[key], bool):
            raise DataError(f"{META_FILE}: {key!r} has the wrong type ({type(meta[key]).__name__})", path=str(path))
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
    #: show training progress (epochs, steps, validation score); the job sets it from ``progress``
    show_progress = False

    def __init__(self, load_from: str | None = None, seed: int = 13, tune_threshold: bool = True) -> None:
        self.seed = seed
        self.tune_threshold = tune_threshold
        self.training_metrics: dict[str, float] = {}
        self.training_history: list[dict[str, float]] = []
        self.task_name: str | None = None
        self._fingerprint: str | None = None
        self.load_from = load_from
        #: the local folder the model was loaded from (an MLflow artifact is downloaded first)
        self.model_folder: Path | None = None
        if load_from:
            self._download: tempfile.TemporaryDirectory[str] | None = None
            self.model_folder = self._local_folder(load_from)
            self.load_folder(self.model_folder)

    def _local_folder(self, load_from: str) -> Path:
        """A local model folder for ``model.load_from``: a path, or an MLflow artifact URI (``runs:/…``)."""
        if load_from.startswith(_ARTIFACT_SCHEMES):
            import mlflow

            self._download = tempfile.TemporaryDirectory(prefix="newsbias-load-")
            try:
                return Path(mlflow.artifacts.download_artifacts(artifact_uri=load_from, dst_path=self._download.name))
            except Exception as exc:  # MLflow raises its own types for unknown runs and paths
                raise ConfigError(f"model.load_from: cannot download {load_from} "
                                  f"({type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''})"
                                  ) from None
        path = Path(load_from).expanduser()
        if not path.exists():
            raise ConfigError(f"model.load_from: {path} does not exist")
        if not path.is_dir():
            raise ConfigError(f"model.load_from: {path} is a file; give the saved model folder (the run's model/ "
                              "artifact)")
        if not (path / META_FILE).is_file():
            raise ConfigError(f"model.load_from: {path} has no {META_FILE}; it is not a model folder saved by "
                              "newsbias-bench")
        return path

    def load_folder(self, folder: Path) -> None:
        """:meth:`load` with every failure turned into one line naming the folder."""
        try:
            self.load(folder)
        except BenchError:
            raise
        except Exception as exc:  # library errors (transformers, pycrfsuite, OS) as one line
            text = str(exc).strip()
            raise DataError(f"saved model could not be loaded ({type(exc).__name__}: "
                            f"{text.splitlines()[0] if text else ''})", path=str(folder)) from None

    def training_params(self) -> dict[str, Any]:
        """The settings the trained model depends on (its cache key): :meth:`params` less inference-only ones."""
        return self.params()

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
