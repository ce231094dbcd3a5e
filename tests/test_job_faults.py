"""Whole-job faults through the command line: failing sweep jobs, signals, a full disk."""

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

from cli_helpers import job_runs, run_bench, tracking_uri

pytestmark = pytest.mark.slow


def _runs(tmp_path: Path):
    client = MlflowClient(tracking_uri(tmp_path))
    return job_runs(client, [e.experiment_id for e in client.search_experiments()])


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def test_sweep_runs_every_job_and_reports_each_failure(tmp_path: Path) -> None:
    result = run_bench(tmp_path, "-m", "model=vader,lexicon,unverified_patterns")
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "2 of 3 jobs failed" in result.stdout
    assert "reference/loaded_language/vader: model VaderScorer does not support task 'loaded_language'" \
        in result.stdout
    runs = _runs(tmp_path)
    by_model = {r.data.tags["model"]: r.info.status for r in runs}
    assert by_model == {"vader": "FAILED", "lexicon": "FINISHED", "unverified_patterns": "FAILED"}
    assert len(list((tmp_path / "multirun").glob("*/artifacts/predictions.jsonl"))) == 1


ENV = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")


def _args(tmp_path: Path, run_dir: Path, *overrides: str) -> list[str]:
    return [sys.executable, "-m", "bench", f"tracking.uri={tracking_uri(tmp_path)}", "progress=false",
            f"cache.dir={tmp_path / 'cache'}", f"hydra.run.dir={run_dir}", *overrides]


def _start(tmp_path: Path, *overrides: str) -> subprocess.Popen[str]:
    return subprocess.Popen(_args(tmp_path, tmp_path / "out", *overrides), cwd=tmp_path, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _running_runs(db: Path) -> int:
    """RUNNING runs, read with plain sqlite (an MLflow client would migrate a store still being created)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
            return connection.execute("SELECT COUNT(*) FROM runs WHERE status = 'RUNNING'").fetchone()[0]
    except sqlite3.Error:  # not created yet, or mid-migration
        return 0


def _wait_for_running_run(tmp_path: Path, process: subprocess.Popen[str], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1][-2000:]
        if (tmp_path / "mlflow.db").exists() and _running_runs(tmp_path / "mlflow.db"):
            return
        time.sleep(0.5)
    process.kill()
    pytest.fail("the job never started its MLflow run")


@pytest.mark.parametrize("sig, code, word", [(signal.SIGINT, 130, "interrupted"),
                                             (signal.SIGTERM, 143, "terminated")])
def test_signal_during_training_marks_the_run_failed(tmp_path: Path, sig: signal.Signals, code: int,
                                                      word: str) -> None:
    # MiniLM fine-tuned for many epochs on the reference article: still training when the signal comes
    process = _start(tmp_path, "model=minilm", "model.epochs=200", "model.device=cpu", "model.patience=1000")
    _wait_for_running_run(tmp_path, process)
    time.sleep(3)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr[-2000:]
    lines = _error_lines(stderr)
    assert len(lines) == 1 and word in lines[0] and "Traceback" not in stderr, stderr[-2000:]
    runs = _runs(tmp_path)
    assert len(runs) == 1 and runs[0].info.status == "FAILED"
    assert word in runs[0].data.tags["failure_reason"]
    assert not (tmp_path / "out" / "artifacts").exists()
    assert not (tmp_path / "out" / ".artifacts.partial").exists()


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 256 KiB tmpfs (needs root and mount rights; skipped with the reason where they are missing)."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path, leave: int) -> None:
    """Fill ``folder``'s file system until ``leave`` bytes are free."""
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    if free > leave:
        (folder / "ballast").write_bytes(b"\0" * (free - leave))


def test_full_disk_while_publishing_outputs_publishes_nothing(tmp_path: Path, small_disk: Path) -> None:
    _fill(small_disk, 40_000)
    out = small_disk / "out"
    result = subprocess.run(_args(tmp_path, out), cwd=tmp_path, env=ENV, capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = _error_lines(result.stderr)
    assert len(lines) == 1 and "cannot write" in lines[0] and "No space left on device" in lines[0], lines
    assert not (out / ".artifacts.partial").exists() and not (out / "artifacts").exists()
    runs = _runs(tmp_path)
    assert len(runs) == 1 and runs[0].info.status == "FAILED"
    assert "No space left on device" in runs[0].data.tags["failure_reason"]
    client = MlflowClient(tracking_uri(tmp_path))
    assert not client.list_artifacts(runs[0].info.run_id)


def test_full_artifact_store_keeps_no_half_logged_run(tmp_path: Path, small_disk: Path) -> None:
    """The default artifact location is ./mlruns: run from a full disk with the database elsewhere."""
    _fill(small_disk, 40_000)
    result = subprocess.run(_args(tmp_path, tmp_path / "out"), cwd=small_disk, env=ENV, capture_output=True,
                            text=True, timeout=600, check=False)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = _error_lines(result.stderr)
    assert len(lines) == 1 and "No space left on device" in lines[0], lines
    assert not (tmp_path / "out" / ".artifacts.partial").exists() and not (tmp_path / "out" / "artifacts").exists()
    runs = _runs(tmp_path)
    assert len(runs) == 1 and runs[0].info.status == "FAILED"
    assert not list((small_disk / "mlruns").rglob("predictions.jsonl"))
