"""Resumable jobs: a job whose resolved config and data already have a FINISHED run is skipped.

The run key is a digest of the resolved job config without the settings that cannot change a
result (where runs are tracked, caches live, data folders sit; verbosity, progress bars,
``resume`` itself) and of the data fingerprints: each corpus's cache key (its parse settings, the
size and SHA-256 of every raw input file and the parsing code's version) and, for a model loaded
from a local folder, that folder's digest. Every run is tagged with it (:data:`RUN_KEY_TAG`), so a
rerun of an interrupted sweep (``kill -9`` included) finds the jobs that finished and runs only the
others. Runs left RUNNING by dead processes are marked KILLED when the next run starts
(:mod:`bench.tracking.orphans`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from mlflow.entities import Run
from mlflow.tracking import MlflowClient
from omegaconf import DictConfig, OmegaConf

from bench.data.corpus_key import corpus_cache_key

#: the tag holding a run's key
RUN_KEY_TAG = "run_key"
#: top-level settings that do not change what a job computes
VOLATILE_KEYS = ("tracking", "cache", "paths", "verbose", "progress", "resume")
#: corpus settings that only say where the files are (their content is in the corpus fingerprint)
LOCATION_KEYS = ("root", "data_dir")


def _corpus_fingerprint(c: DictConfig) -> str:
    strict = bool(c.get("strict", True))
    try:
        return corpus_cache_key(c, strict=strict)
    except OSError as exc:  # unreadable inputs: the job's own loading reports them properly
        return f"unreadable:{exc.errno}"


def _model_fingerprint(model: DictConfig) -> str | None:
    from bench.scorers.trainable import folder_fingerprint

    load_from = model.get("load_from")
    if not load_from or not Path(str(load_from)).is_dir():
        return None
    return folder_fingerprint(Path(str(load_from)))


def run_key(cfg: DictConfig) -> str:
    """A 32-hex-digit digest of what determines the job's results (see the module docstring)."""
    plain: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True)  # type: ignore[assignment]
    for key in VOLATILE_KEYS:
        plain.pop(key, None)
    data: dict[str, Any] = {}
    for group in ("corpus", "train_corpus", "reference"):
        node = cfg.get(group)
        if node is None:
            continue
        for key in LOCATION_KEYS:
            plain[group].pop(key, None)
        data[group] = _corpus_fingerprint(node)
    model_files = _model_fingerprint(cfg.model)
    if model_files:
        plain["model"].pop("load_from", None)
        data["model_files"] = model_files
    text = json.dumps({"config": plain, "data": data}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def finished_run(client: MlflowClient, experiment_name: str, key: str) -> Run | None:
    """The latest FINISHED run of ``experiment_name`` tagged with ``key``, if any."""
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is None:
        return None
    runs = client.search_runs([experiment.experiment_id],
                              filter_string=f"attributes.status = 'FINISHED' and tags.`{RUN_KEY_TAG}` = '{key}'",
                              order_by=["attributes.start_time DESC"], max_results=1)
    return runs[0] if runs else None
