"""Publishing a finished job's files: to the job's output folder and to its MLflow run, all or nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import mlflow

from bench.errors import DataError
from bench.tracking.mlflow_run import TrackedRun


def _discard_run_artifacts(run_id: str) -> None:
    """Remove whatever part of the artifacts reached the run's store before a failure (best effort)."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    try:
        get_artifact_repository(mlflow.get_run(run_id).info.artifact_uri).delete_artifacts()
    except Exception:  # noqa: BLE001 - some stores cannot delete; the run is marked FAILED either way
        pass


def _cannot_write(exc: BaseException, where: Path | str) -> DataError:
    if isinstance(exc, OSError):
        name = exc.filename or where
        return DataError(f"cannot write {name}: {exc.strerror or exc}; nothing was published")
    text = str(exc).strip().splitlines()
    return DataError(f"cannot log the artifacts to MLflow ({type(exc).__name__}: {text[0] if text else ''}); "
                     "nothing was published")


def publish(folder: Path, output_dir: Path, tracked: TrackedRun) -> Path:
    """Copy ``folder`` to ``output_dir/artifacts`` and log it to the run; on any failure neither keeps a part.

    The local copy is staged in ``.artifacts.partial`` and renamed into place only after MLflow has
    every file, so a full disk leaves neither a half-written folder nor a half-logged run.
    """
    target = output_dir / "artifacts"
    staging = output_dir / ".artifacts.partial"
    try:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(folder, staging)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise _cannot_write(exc, staging) from None
    try:
        tracked.log_artifacts(folder)
    except Exception as exc:  # the artifact store's own error types; OSError for local stores
        shutil.rmtree(staging, ignore_errors=True)
        if tracked.run_id:
            _discard_run_artifacts(tracked.run_id)
        raise _cannot_write(exc, "the MLflow artifact store") from None
    if target.exists():  # a re-run into the same folder replaces the earlier files
        shutil.rmtree(target)
    staging.rename(target)
    return target
