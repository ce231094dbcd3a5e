"""One MLflow run per (corpus, task, model); a run that fails is marked FAILED with the reason."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from types import TracebackType
from typing import Any

import mlflow
from mlflow.entities import Experiment
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from bench.errors import ConfigError
from bench.tracking.orphans import mark_orphaned_runs, process_tags
from bench.tracking.store import DEFAULT_TIMEOUT_S, prepare_store
from bench.tracking.sweeps import PARENT_RUN_TAG, Sweep, parent_run_id

#: MLflow's limit on a parameter value's length
_PARAM_LIMIT = 6000

log = logging.getLogger(__name__)


def set_experiment(name: str) -> Experiment:
    """``mlflow.set_experiment``, tolerating another process creating it at the same moment."""
    for attempt in range(3):
        try:
            return mlflow.set_experiment(name)
        except MlflowException as exc:
            if exc.error_code == "RESOURCE_ALREADY_EXISTS" and attempt < 2:
                continue  # created by a parallel job between MLflow's lookup and its create: look again
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ConfigError(f"MLflow experiment {name!r} cannot be used: {first[:300]}") from exc
    raise AssertionError("unreachable")


class TrackedRun:
    """Context manager around an MLflow run.

    Entering it checks (and if new, creates) the store within ``timeout_s``, marks runs orphaned
    by killed processes of this host KILLED, and starts a run tagged with this process's identity.
    """

    def __init__(self, *, uri: str | None, experiment: str, run_name: str, tags: dict[str, str],
                 timeout_s: float = DEFAULT_TIMEOUT_S, sweep: Sweep | None = None) -> None:
        self.uri, self.experiment, self.run_name, self.tags = uri, experiment, run_name, tags
        self.timeout_s = timeout_s
        self.sweep = sweep
        self.run_id: str | None = None

    def __enter__(self) -> "TrackedRun":
        self.uri = prepare_store(self.uri, self.timeout_s)
        mlflow.set_tracking_uri(self.uri)
        experiment = set_experiment(self.experiment)
        client = MlflowClient(self.uri)
        try:
            mark_orphaned_runs(client)
        except MlflowException as exc:  # housekeeping must not stop the job
            log.warning("could not check for orphaned runs: %s", exc)
        tags = {**self.tags, **process_tags()}
        if self.sweep is not None:  # a child of the sweep's parent run in this experiment
            tags[PARENT_RUN_TAG] = parent_run_id(client, experiment.experiment_id, self.sweep)
        run = mlflow.start_run(experiment_id=experiment.experiment_id, run_name=self.run_name, tags=tags)
        self.run_id = run.info.run_id
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            mlflow.end_run("FINISHED")
            return
        if isinstance(exc, SystemExit) and exc.code == 143:
            reason = "terminated (SIGTERM)"
        elif isinstance(exc, KeyboardInterrupt):
            reason = "interrupted"
        else:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        try:
            mlflow.set_tag("failure_reason", reason[:5000])
        finally:
            mlflow.end_run("FAILED")

    @property
    def tracking_uri(self) -> str:
        return mlflow.get_tracking_uri()

    def log_params(self, params: dict[str, str]) -> None:
        items = [(k, v if len(v) <= _PARAM_LIMIT else v[: _PARAM_LIMIT - 3] + "...") for k, v in params.items()]
        client = MlflowClient()
        for i in range(0, len(items), 100):
            client.log_batch(self.run_id, params=[mlflow.entities.Param(k, v) for k, v in items[i : i + 100]])

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> list[str]:
        """Log finite metrics; return the names of undefined (NaN) ones, which are not logged."""
        finite = {k: float(v) for k, v in metrics.items() if not math.isnan(v)}
        mlflow.log_metrics(finite, step=step)
        return sorted(k for k, v in metrics.items() if math.isnan(v))

    def set_tags(self, tags: dict[str, Any]) -> None:
        mlflow.set_tags({k: str(v) for k, v in tags.items()})

    def log_artifacts(self, folder: Path) -> None:
        mlflow.log_artifacts(str(folder))
