"""The majority-class baseline: every unit gets the class distribution of the training data."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from bench.data.schema import Document
from bench.errors import ConfigError, DataError
from bench.predictions import DocumentPrediction
from bench.scorers.trainable import TrainableScorer, read_meta, write_meta
from bench.tasks import Task, span_label_output, unit_probability_output


class MajorityClassScorer(TrainableScorer):
    """Predicts the training prior for every unit: its decision is the majority class.

    Its scores are constant, so ranking metrics (ROC-AUC) sit at chance and its accuracy is the
    majority class's share: the floor every learned model must clear.
    """

    outputs = (unit_probability_output(), span_label_output())

    def __init__(self, smoothing: float = 0.0, load_from: str | None = None, seed: int = 13,
                 tune_threshold: bool = False) -> None:
        self.smoothing = smoothing
        self.prior: list[float] = []
        super().__init__(load_from=load_from, seed=seed, tune_threshold=tune_threshold)

    def _fit(self, train: Sequence[Document], task: Task, validation: Sequence[Document] | None) -> None:
        labels = [e.label for e in task.text_examples(train)]
        if not labels:
            raise ConfigError(f"task {task.name!r}: the training data has no labelled examples")
        counts = np.bincount(np.asarray(labels, dtype=int), minlength=len(task.class_names)) + self.smoothing
        self.prior = (counts / counts.sum()).tolist()
        self.training_metrics = {"train.examples": float(len(labels)),
                                 "train.majority_share": float(max(self.prior))}

    def predict(self, documents: Sequence[Document], task: Task) -> list[DocumentPrediction]:
        self.require_fitted(task)
        n = len(task.text_examples(documents, labelled_only=False))
        return task.pack(documents, [list(self.prior)] * n)

    def predict_document(self, doc: Document, task: Task) -> DocumentPrediction:
        return self.predict([doc], task)[0]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        write_meta(folder, {"class": type(self).__name__, "task": self.task_name, "threshold": self.threshold,
                            "params": self.params(), "prior": self.prior})

    def load(self, folder: Path) -> None:
        meta = read_meta(folder, type(self).__name__, {"prior": list})
        prior = meta["prior"]
        if not prior or not all(isinstance(p, (int, float)) and 0 <= p <= 1 for p in prior):
            raise DataError("bench_meta.json: 'prior' is not a list of probabilities", path=str(folder))
        self.prior = [float(p) for p in prior]
        self.task_name, self.threshold = meta["task"], float(meta["threshold"])
