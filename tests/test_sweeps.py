"""Sweeps: jobs as child runs of a parent run, resumed after kill -9, and launched on a local Ray instance."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from cli_helpers import start_mlflow_server, tracking_uri

pytestmark = pytest.mark.slow

ENV = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")


def _sweep_args(tmp_path: Path, uri: str, *overrides: str) -> list[str]:
    return [sys.executable, "-m", "bench", "-m", f"tracking.uri={uri}", "progress=false",
            f"cache.dir={tmp_path / 'cache'}", f"hydra.sweep.dir={tmp_path / 'multirun' / str(time.time_ns())}",
            *overrides]


def _all_runs(uri: str) -> list:
    client = MlflowClient(uri)
    return client.search_runs([e.experiment_id for e in client.search_experiments()])


def _split(runs: list) -> tuple[list, list]:
    parents = [r for r in runs if r.data.tags.get("sweep_parent") == "true"]
    return parents, [r for r in runs if r.data.tags.get("sweep_parent") != "true"]


def _job_status(db: Path) -> list[tuple[str, str]]:
    """(model tag, status) of every job run in a SQLite store, read without touching its schema."""
    if not db.exists():
        return []
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)) as connection:
            return connection.execute(
                "SELECT m.value, r.status FROM runs r JOIN tags m ON m.run_uuid = r.run_uuid AND m.key = 'model' "
                "WHERE NOT EXISTS (SELECT 1 FROM tags p WHERE p.run_uuid = r.run_uuid AND p.key = 'sweep_parent' "
                "AND p.value = 'true')").fetchall()
    except sqlite3.Error:  # the sweep is still creating the store
        return []


def _wait(predicate, process: subprocess.Popen[str], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1][-2000:]
        if predicate():
            return
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail("the sweep never reached the expected state")


def test_sweep_killed_with_sigkill_resumes_without_duplicates(tmp_path: Path) -> None:
    uri = tracking_uri(tmp_path)
    sweep = ("task=loaded_language", "model=lexicon,minilm")
    process = subprocess.Popen(_sweep_args(tmp_path, uri, *sweep), cwd=tmp_path, env=ENV, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)

    def lexicon_done_minilm_running() -> bool:
        # read-only SQL: an MlflowClient here would run MLflow's schema migrations on the store the
        # sweep is still creating, racing with it
        status = dict(_job_status(tmp_path / "mlflow.db"))
        return status.get("lexicon") == "FINISHED" and status.get("minilm") == "RUNNING"

    _wait(lexicon_done_minilm_running, process)
    os.killpg(process.pid, signal.SIGKILL)  # the driver and its job, no chance to clean up
    process.wait(timeout=30)

    rerun = subprocess.run(_sweep_args(tmp_path, uri, *sweep), cwd=tmp_path, env=ENV, text=True,
                           capture_output=True, timeout=600, check=False)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "1 of 2 jobs skipped" in rerun.stdout

    parents, jobs = _split(_all_runs(uri))
    by_model = sorted((r.data.tags["model"], r.info.status) for r in jobs)
    # lexicon ran once; minilm's killed run is marked KILLED (not left RUNNING) and it ran again
    assert by_model == [("lexicon", "FINISHED"), ("minilm", "FINISHED"), ("minilm", "KILLED")]
    killed = next(r for r in jobs if r.info.status == "KILLED")
    assert "ended without finishing the run" in killed.data.tags["failure_reason"]
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert {r.data.tags["mlflow.parentRunId"] for r in jobs} == {parents[0].info.run_id}


def test_four_job_sweep_on_local_ray_into_a_loopback_server(tmp_path: Path) -> None:
    pytest.importorskip("hydra_plugins.hydra_ray_launcher")
    server, url = start_mlflow_server(tmp_path)
    try:
        sweep = ("hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2",
                 "+hydra.launcher.ray.init.include_dashboard=false",
                 "task=loaded_language,unverified_sources", "seed=1,2")
        first = subprocess.run(_sweep_args(tmp_path, url, *sweep), cwd=tmp_path, env=ENV, text=True,
                               capture_output=True, timeout=600, check=False)
        assert first.returncode == 0, first.stderr[-3000:]
        parents, jobs = _split(_all_runs(url))
        assert len(jobs) == 4 and {r.info.status for r in jobs} == {"FINISHED"}
        assert {(r.data.tags["task"], r.data.params["seed"]) for r in jobs} == {
            (t, s) for t in ("loaded_language", "unverified_sources") for s in ("1", "2")}
        # one parent per experiment the sweep touched; every job is a child of its experiment's parent
        assert len(parents) == 2 and {r.info.status for r in parents} == {"FINISHED"}
        parent_of = {r.info.experiment_id: r.info.run_id for r in parents}
        assert all(r.data.tags["mlflow.parentRunId"] == parent_of[r.info.experiment_id] for r in jobs)
        # the jobs ran in Ray workers (other processes than the driver) and shared one cache folder
        assert len({r.data.tags["process.pid"] for r in jobs}) >= 1
        assert all(r.data.tags["process.pid"] != parents[0].data.tags["process.pid"] for r in jobs)
        assert (tmp_path / "cache" / "corpora").is_dir()

        again = subprocess.run(_sweep_args(tmp_path, url, *sweep), cwd=tmp_path, env=ENV, text=True,
                               capture_output=True, timeout=600, check=False)
        assert again.returncode == 0, again.stderr[-3000:]
        assert "4 of 4 jobs skipped" in again.stdout
        assert len(_all_runs(url)) == 6  # no new job runs; the two parents reused
    finally:
        server.terminate()
        server.wait(timeout=20)
