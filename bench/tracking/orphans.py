"""Runs whose process died without ending them (``kill -9``, a crash, power loss) are marked KILLED.

Every run records the host, pid and start time of the process that owns it (:func:`process_tags`).
:func:`mark_orphaned_runs` later finds RUNNING runs recorded on this host whose process no longer
exists (or whose pid now belongs to a newer process) and ends them as KILLED, with a
``failure_reason`` tag saying why. Runs from other hosts are left alone: their liveness is unknown.
"""

from __future__ import annotations

import logging
import os
import socket

import psutil
from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient

HOST_TAG, PID_TAG, STARTED_TAG = "process.host", "process.pid", "process.start_time"

log = logging.getLogger(__name__)


def process_tags() -> dict[str, str]:
    """Tags identifying this process: host name, pid and the process's start time (epoch seconds)."""
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid()),
            STARTED_TAG: f"{psutil.Process().create_time():.2f}"}


def process_alive(pid: int, started: float | None) -> bool:
    """Whether ``pid`` is a live process that started at ``started`` (pid reuse counts as dead)."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(process.create_time() - started) < 1.0
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # exists, owned by someone else
        return True


def mark_orphaned_runs(client: MlflowClient, experiment_ids: list[str] | None = None) -> list[str]:
    """End as KILLED the RUNNING runs of this host whose process is gone; return their ids.

    ``experiment_ids``: where to look (default: every active experiment of the store).
    """
    host = socket.gethostname()
    if experiment_ids is None:
        experiment_ids = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY,
                                                                             max_results=1000)]
    killed: list[str] = []
    for i in range(0, len(experiment_ids), 100):
        runs = client.search_runs(experiment_ids[i : i + 100],
                                  filter_string=f"attributes.status = 'RUNNING' and tags.`{HOST_TAG}` = '{host}'",
                                  max_results=1000)
        for run in runs:
            tags = run.data.tags
            try:
                pid = int(tags[PID_TAG])
                started = float(tags[STARTED_TAG]) if STARTED_TAG in tags else None
            except (KeyError, ValueError):
                continue
            if process_alive(pid, started):
                continue
            client.set_tag(run.info.run_id, "failure_reason",
                           f"process {pid} on {host} ended without finishing the run (killed or crashed); "
                           f"marked KILLED by process {os.getpid()}")
            client.set_terminated(run.info.run_id, "KILLED")
            killed.append(run.info.run_id)
    if killed:
        log.warning("marked %d orphaned MLflow run(s) KILLED: %s", len(killed), ", ".join(killed))
    return killed
