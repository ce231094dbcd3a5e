"""Prediction cache keyed on model fingerprint, task and document fingerprint (JSON files)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from bench.data.schema import Document
from bench.errors import ConfigError
from bench.predictions import DocumentPrediction


#: bump when the stored prediction format changes, so old entries are never read
PREDICTION_FORMAT = 2


def document_fingerprint(doc: Document) -> str:
    """What a prediction may depend on: the text, the sentences and the annotated spans (target
    mentions and spans to label are inputs of some tasks)."""
    payload = json.dumps({"format": PREDICTION_FORMAT, "id": doc.id, "text": doc.text,
                          "sentences": [(s.start, s.end) for s in doc.sentences],
                          "spans": [(s.start, s.end, s.label, s.native_label) for s in doc.spans]},
                         ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


class PredictionCache:
    """Stores each document's prediction as JSON under ``root/<model>/<task>/<doc>.json``."""

    def __init__(self, root: Path, model_fingerprint: str, task: str) -> None:
        self.folder = root / model_fingerprint / task
        self.hits = 0
        self.misses = 0

    def _path(self, doc: Document) -> Path:
        return self.folder / f"{document_fingerprint(doc)}.json"

    def get(self, doc: Document) -> DocumentPrediction | None:
        path = self._path(doc)
        if not path.is_file():
            self.misses += 1
            return None
        try:
            prediction = DocumentPrediction.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.misses += 1
            return None
        self.hits += 1
        return prediction

    def put(self, doc: Document, prediction: DocumentPrediction) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(prediction.to_dict(), handle, ensure_ascii=False)
        os.replace(tmp, self._path(doc))


def check_cache_dir(path: Path, key: str = "cache.dir") -> Path:
    """``path`` as a usable cache folder (created if absent), or one line saying why it is not."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{key}={path}: is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise ConfigError(f"{key}={path}: cannot use it as the cache folder ({exc.strerror or exc})") from None
    return path
