"""Run ``python -m bench`` in a subprocess against a throw-away MLflow store."""

from __future__ import annotations

import os
import subprocess
import sys
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
