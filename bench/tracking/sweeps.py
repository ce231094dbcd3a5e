"""A sweep's parent MLflow run: the sweep's jobs are its child runs, so the UI groups them.

The driver (``python -m bench -m …``) writes ``sweep.json`` into the sweep folder before any job
starts (:func:`start_sweep`): the sweep's key (a digest of its command-line overrides, leaving out
the launcher and ``resume``, so a rerun of the same sweep on another launcher is the same sweep)
and the driver's process tags. Each job then finds or creates the parent run of that key in its
own experiment (:func:`parent_run_id`), under a file lock in the sweep folder, and starts its run
as a child of it. A rerun of an interrupted sweep reuses the parents of the same key. When the
sweep ends the driver marks every parent FINISHED, or FAILED when one of its jobs failed
(:func:`end_sweep`); a parent left RUNNING by a killed driver is marked KILLED like any orphan.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock
from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient

from bench.tracking.orphans import process_tags

SWEEP_FILE = "sweep.json"
SWEEP_KEY_TAG, PARENT_TAG, PARENT_RUN_TAG = "sweep_key", "sweep_parent", "mlflow.parentRunId"
#: overrides that do not change which jobs a sweep runs or what they compute
_IGNORED_PREFIXES = ("hydra/launcher=", "hydra.launcher.", "+hydra.launcher.", "resume=", "verbose=", "progress=")


@dataclass(frozen=True)
class Sweep:
    key: str
    folder: Path
    overrides: tuple[str, ...]
    driver_tags: dict[str, str]

    @property
    def name(self) -> str:
        return f"sweep-{self.key[:8]}"


def sweep_key(overrides: list[str]) -> str:
    """Digest of the sweep's overrides (sorted; launcher and resume settings left out)."""
    kept = sorted(o for o in overrides if not o.startswith(_IGNORED_PREFIXES))
    return hashlib.sha256(json.dumps(kept).encode("utf-8")).hexdigest()[:16]


def start_sweep(folder: Path, overrides: list[str]) -> Sweep:
    """Write ``sweep.json`` (key, overrides, driver process) into the sweep folder; the sweep."""
    sweep = Sweep(sweep_key(overrides), folder, tuple(overrides), process_tags())
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SWEEP_FILE).write_text(json.dumps({"key": sweep.key, "overrides": list(overrides),
                                                 "driver": sweep.driver_tags}, indent=2), encoding="utf-8")
    return sweep


def read_sweep(folder: Path) -> Sweep | None:
    """The sweep whose folder is ``folder`` (None when the driver wrote no ``sweep.json``)."""
    path = folder / SWEEP_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return Sweep(str(data["key"]), folder, tuple(data.get("overrides", [])), dict(data.get("driver", {})))


def parent_run_id(client: MlflowClient, experiment_id: str, sweep: Sweep) -> str:
    """The sweep's parent run in ``experiment_id``: found by key (set RUNNING again) or created."""
    with FileLock(str(sweep.folder / ".parent.lock"), timeout=60):
        found = client.search_runs([experiment_id], f"tags.`{SWEEP_KEY_TAG}` = '{sweep.key}' "
                                   f"and tags.`{PARENT_TAG}` = 'true'", run_view_type=ViewType.ACTIVE_ONLY,
                                   order_by=["attributes.start_time ASC"], max_results=1)
        tags = {**sweep.driver_tags, "sweep_dir": str(sweep.folder), "sweep_overrides": " ".join(sweep.overrides)}
        if found:
            run_id = found[0].info.run_id
            if found[0].info.status != "RUNNING":
                client.update_run(run_id, status="RUNNING")
            for key, value in tags.items():
                client.set_tag(run_id, key, value[:5000])
            return run_id
        run = client.create_run(experiment_id, run_name=sweep.name,
                                tags={SWEEP_KEY_TAG: sweep.key, PARENT_TAG: "true",
                                      **{k: v[:5000] for k, v in tags.items()}})
        return run.info.run_id


def end_sweep(client: MlflowClient, sweep: Sweep, failed_jobs: int) -> int:
    """Mark the sweep's RUNNING parent runs FINISHED (FAILED if a job failed); how many were ended."""
    experiments = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY,
                                                                      max_results=1000)]
    ended = 0
    for i in range(0, len(experiments), 100):
        for run in client.search_runs(experiments[i:i + 100], f"tags.`{SWEEP_KEY_TAG}` = '{sweep.key}' and "
                                      f"tags.`{PARENT_TAG}` = 'true' and attributes.status = 'RUNNING'",
                                      max_results=1000):
            if failed_jobs:
                client.set_tag(run.info.run_id, "failure_reason", f"{failed_jobs} job(s) of the sweep failed")
            client.set_terminated(run.info.run_id, "FAILED" if failed_jobs else "FINISHED")
            ended += 1
    return ended
