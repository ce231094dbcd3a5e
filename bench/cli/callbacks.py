"""Hydra callback for sweeps: the sweep's parent MLflow run, and one summary table of all its jobs."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, ClassVar

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from bench.report.console import console, summary_table
from bench.tracking.sweeps import Sweep, end_sweep, start_sweep

log = logging.getLogger(__name__)


class SweepSummary(Callback):
    #: how many jobs of the last sweep in this process failed (the app exits non-zero if any did)
    failed_jobs: ClassVar[int] = 0

    def __init__(self) -> None:
        self.sweep: Sweep | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Record the sweep (key, overrides, this driver process) for its jobs' parent runs."""
        self.sweep = start_sweep(Path(str(config.hydra.sweep.dir)), [str(o) for o in config.hydra.overrides.task])

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        rows = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(sweep_dir.glob("*/summary.json"))]
        failed = [r for r in rows if r.get("status", "ok") not in ("ok", "skipped")]
        SweepSummary.failed_jobs = len(failed)
        self._end_parents(rows, len(failed))
        if not rows:
            return
        console.print(summary_table(rows, title=f"Sweep summary ({len(rows)} runs, {sweep_dir})"))
        skipped = [r for r in rows if r.get("status") == "skipped"]
        if skipped:
            console.print(f"{len(skipped)} of {len(rows)} jobs skipped: the same config and data had finished "
                          "(resume=false reruns them)")
        if failed:
            console.print(f"{len(failed)} of {len(rows)} jobs failed; the others finished:")
            for row in failed:
                console.print(f"  {row['corpus']}/{row['task']}/{row['model']}: {row.get('error', '')}", markup=False)
        finished = [r for r in rows if r.get("status", "ok") == "ok"]
        if finished:
            console.print("Open the MLflow UI to compare them: mlflow ui --backend-store-uri "
                          f"{finished[0].get('tracking_uri', 'sqlite:///mlflow.db')} "
                          "(experiments newsbias/<corpus>/<task>)")

    def _end_parents(self, rows: list[dict[str, Any]], failed: int) -> None:
        """Mark the sweep's parent runs (in every store its jobs tracked into) FINISHED or FAILED."""
        if self.sweep is None:
            return
        from mlflow.tracking import MlflowClient

        for uri in sorted({str(r["tracking_uri"]) for r in rows if r.get("tracking_uri")}):
            try:
                end_sweep(MlflowClient(uri), self.sweep, failed)
            except Exception as exc:  # noqa: BLE001 - the jobs' results stand; say why the parent stays open
                log.warning("could not end the sweep's parent runs in %s: %s", uri, exc)
