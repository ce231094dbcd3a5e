"""Read finished runs back from MLflow (local store or server) as evaluation tables."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlflow.entities import Run
from mlflow.tracking import MlflowClient

from bench.errors import ConfigError
from bench.evaluation import EvalTable
from bench.tasks import Task

os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


@dataclass
class RunTable:
    run: Run
    table: EvalTable

    @property
    def model(self) -> str:
        return self.run.data.tags.get("model", self.run.info.run_id[:8])

    @property
    def key(self) -> tuple[str, str, str, int]:
        """What must match for two runs to be compared on the same items."""
        tags = self.run.data.tags
        return (tags.get("corpus_fingerprint", ""), tags.get("eval_split", ""), tags.get("task", ""),
                len(self.table.doc_ids))


def task_of(run: Run) -> Task:
    params = run.data.params
    category = params.get("task.category")
    return Task(name=params["task.name"], kind=params["task.kind"],  # type: ignore[arg-type]
                category=None if category in (None, "None") else category,
                levels=tuple(run.data.tags.get("levels", "sentence").split(",")))


def load_run_table(client: MlflowClient, run_id: str) -> RunTable:
    """Rebuild a run's :class:`EvalTable` from its ``predictions.jsonl`` artifact."""
    try:
        run = client.get_run(run_id)
    except Exception as exc:  # MLflow raises its own exception types for unknown ids
        raise ConfigError(f"MLflow run {run_id!r} not found at {client.tracking_uri}: {exc}") from None
    if run.info.status != "FINISHED":
        raise ConfigError(f"MLflow run {run_id} is {run.info.status}, not FINISHED")
    task = task_of(run)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(client.download_artifacts(run_id, "predictions.jsonl", tmp))
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    threshold = float(run.data.metrics.get("threshold", 0.5))
    return RunTable(run, EvalTable.from_records(task, records, list(task.levels), threshold))
