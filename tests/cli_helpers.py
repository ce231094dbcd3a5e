"""Run ``python -m bench`` in a subprocess or in this process against a throw-away MLflow store."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.tracking.provenance import project_root


def run_bench(tmp_path: Path, *overrides: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    multirun = "-m" in overrides
    overrides = tuple(o for o in overrides if o != "-m")
    args = [sys.executable, "-m", "bench", *(["-m"] if multirun else []), f"tracking.uri={uri}", "progress=false",
            f"cache.dir={tmp_path / 'cache'}", *overrides]
    if multirun:
        args.append(f"hydra.sweep.dir={tmp_path / 'multirun'}")
    else:
        args.append(f"hydra.run.dir={tmp_path / 'out'}")
    return subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


def tracking_uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


ROOT = project_root()


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_mlflow_server(folder: Path, timeout: float = 90) -> tuple[subprocess.Popen[bytes], str]:
    """An MLflow server on loopback with its store in ``folder``; (process, URL) once it answers /health."""
    import time
    import urllib.request

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}", "--artifacts-destination",
         str(folder / "artifacts"), "--workers", "1"], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"the MLflow server did not start on loopback within {timeout:.0f} s")


def job_runs(client, experiment_ids, **kwargs) -> list:
    """``client.search_runs`` without the parent runs that group a sweep's jobs."""
    return [r for r in client.search_runs(experiment_ids, **kwargs) if r.data.tags.get("sweep_parent") != "true"]


@dataclass
class Outcome:
    """Exit code and standard error of an in-process command-line run."""

    code: int | str | None
    stderr: str


def run_in_process(*args: str) -> Outcome:
    """``python -m bench ARGS`` in this process, its output captured."""
    from bench.__main__ import main

    saved = sys.argv
    sys.argv = ["bench", *args]
    err = io.StringIO()
    code: int | str | None = 0
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            main()
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.argv = saved
    return Outcome(code, err.getvalue())
