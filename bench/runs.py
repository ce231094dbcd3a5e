"""Read finished runs back from MLflow (local store or server) as evaluation tables."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlflow.entities import Run, ViewType
from mlflow.tracking import MlflowClient

from bench.errors import ConfigError
from bench.evaluation import EvalTable
from bench.tasks import Task, build_task, load_task

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


#: the run parameter holding the task's own description (``Task.config()`` as JSON)
TASK_SPEC_PARAM = "task.spec"


def task_of(run: Run) -> Task:
    """The task a run was scored with, rebuilt from its ``task.spec`` parameter (runs logged before
    tasks had one: the task config of the same name)."""
    params = run.data.params
    try:
        if TASK_SPEC_PARAM in params:
            return build_task(json.loads(params[TASK_SPEC_PARAM]))
        return load_task(params["task.name"])
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"MLflow run {run.info.run_id} is not a newsbias-bench model run "
                          f"(no readable {TASK_SPEC_PARAM} or task.name parameter: {exc})") from None


def levels_of(run: Run) -> list[str]:
    return run.data.tags.get("levels", "sentence").split(",")


def resolve_run_id(client: MlflowClient, run_id: str) -> str:
    """The full id of the run whose id is ``run_id`` or starts with it (as the leaderboard prints)."""
    given = run_id.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{1,32}", given):
        raise ConfigError(f"{run_id!r} is not an MLflow run id (32 hex digits, or a unique prefix of them)")
    if len(given) == 32:
        return given
    experiments = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL, max_results=1000)]
    matches: list[str] = []
    for i in range(0, len(experiments), 100):
        matches += [r.info.run_id for r in client.search_runs(
            experiments[i : i + 100], filter_string=f"attributes.run_id LIKE '{given}%'", run_view_type=ViewType.ALL,
            max_results=3)]
    if not matches:
        raise ConfigError(f"no MLflow run id starts with {run_id!r} at {client.tracking_uri}")
    if len(matches) > 1:
        shown = ", ".join(m[: len(given) + 4] + "…" for m in matches[:3])
        raise ConfigError(f"run id prefix {run_id!r} is ambiguous at {client.tracking_uri}: it matches "
                          f"{'at least ' if len(matches) >= 3 else ''}{len(matches)} runs ({shown}); give more digits")
    return matches[0]


def load_run_table(client: MlflowClient, run_id: str) -> RunTable:
    """Rebuild a run's :class:`EvalTable` from its ``predictions.jsonl`` artifact (``run_id``: id or prefix)."""
    run_id = resolve_run_id(client, run_id)
    try:
        run = client.get_run(run_id)
    except Exception:  # MLflow raises its own exception types for unknown ids
        raise ConfigError(f"no MLflow run {run_id} at {client.tracking_uri}") from None
    if run.info.status != "FINISHED":
        raise ConfigError(f"MLflow run {run_id} is {run.info.status}, not FINISHED")
    task = task_of(run)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = Path(client.download_artifacts(run_id, "predictions.jsonl", tmp))
        except Exception:  # MLflow and the artifact repositories raise their own types
            raise ConfigError(f"MLflow run {run_id} has no readable predictions.jsonl artifact") from None
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    threshold = float(run.data.metrics.get("threshold", 0.5))
    bins = int(run.data.params.get("evaluation.calibration_bins", 10))
    return RunTable(run, EvalTable.from_records(task, records, levels_of(run), threshold, bins))
