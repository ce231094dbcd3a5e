"""Fitting a model, or reusing one: the model cache (keyed on settings and training data) and ``model.load_from``."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import warnings
from pathlib import Path
from typing import Any, Sequence

from bench.data.corpus import Corpus
from bench.data.schema import Document
from bench.errors import BenchError, CacheWarning, DataError
from bench.scorers.base import Scorer
from bench.scorers.model_files import MAX_META_BYTES, read_json_file
from bench.scorers.trainable import TrainableScorer, folder_fingerprint
from bench.tasks import Task

TRAINING_RECORD = "bench_training.json"


def model_key(scorer: Scorer, task: Task, corpus: Corpus, train: Sequence[Document],
              validation: Sequence[Document] | None) -> str:
    """What a trained model depends on: its class and settings, the task and the training data."""
    return hashlib.sha256(json.dumps({
        "class": type(scorer).__qualname__, "task": task.config(),
        "params": scorer.training_params() if isinstance(scorer, TrainableScorer) else scorer.params(),
        "train": [corpus.fingerprint, [d.id for d in train]],
        "validation": [d.id for d in validation or []],
    }, sort_keys=True, default=str).encode()).hexdigest()[:16]


def load_cached_model(scorer: TrainableScorer, folder: Path) -> dict[str, Any] | None:
    """The cached model's training record, or None (absent, or unreadable: evicted and retrained)."""
    if not folder.is_dir():
        return None
    try:
        record = read_json_file(folder / TRAINING_RECORD, MAX_META_BYTES, TRAINING_RECORD)
        if not (isinstance(record, dict) and isinstance(record.get("metrics"), dict)
                and isinstance(record.get("history"), list)):
            raise DataError(f"{TRAINING_RECORD} lacks its metrics or history", path=str(folder))
        scorer.load_folder(folder)
        return record
    except BenchError as exc:
        warnings.warn(f"cached model {folder.name} could not be read and is rebuilt: {exc}", CacheWarning,
                      stacklevel=1)
        shutil.rmtree(folder, ignore_errors=True)
        return None


def _store(folder: Path, cached: Path) -> None:
    """Copy a trained model into the cache in one rename (a concurrent job sees all of it or none)."""
    staging = cached.with_name(cached.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(folder, staging)
    shutil.rmtree(cached, ignore_errors=True)
    staging.rename(cached)


def fit_or_reuse(scorer: Scorer, task: Task, corpus: Corpus, train: Sequence[Document],
                 validation: Sequence[Document] | None, *, cache_dir: Path | None, folder: Path,
                 progress: bool) -> tuple[dict[str, float], dict[str, str]]:
    """Make ``scorer`` ready for ``task``; the fitted model is written to ``folder``.

    Returns the training metrics and the run tags saying where the model came from.
    """
    if not isinstance(scorer, TrainableScorer):
        scorer.fit(train, task, validation)  # a no-op, or what a prompted model draws from the data (few-shot)
        return {}, {}
    if scorer.is_fitted:  # loaded with model.load_from
        scorer.require_fitted(task)
        assert scorer.model_folder is not None
        scorer.set_fingerprint(folder_fingerprint(scorer.model_folder))
        return {}, {"model_source": str(scorer.load_from)}
    key = model_key(scorer, task, corpus, train, validation)
    scorer.set_fingerprint(key)
    cached = cache_dir / "models" / key if cache_dir is not None else None
    record = load_cached_model(scorer, cached) if cached is not None else None
    if record is not None:
        assert cached is not None
        scorer.training_history = record["history"]
        shutil.copytree(cached, folder)
        return dict(record["metrics"]), {"model_source": f"cache:{key}"}
    started = time.perf_counter()
    scorer.show_progress = progress
    scorer.fit(train, task, validation)
    metrics = {"train.seconds": time.perf_counter() - started, "train.documents": float(len(train)),
               **scorer.training_metrics}
    scorer.save(folder)
    (folder / TRAINING_RECORD).write_text(json.dumps({"metrics": metrics, "history": scorer.training_history},
                                                     indent=2), encoding="utf-8")
    if cached is not None:
        _store(folder, cached)
    return metrics, {"model_source": "trained"}
