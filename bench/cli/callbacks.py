"""Hydra callback: after a sweep, print one summary table of all its jobs, failures included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from bench.report.console import console, summary_table


class SweepSummary(Callback):
    #: how many jobs of the last sweep in this process failed (the app exits non-zero if any did)
    failed_jobs: ClassVar[int] = 0

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        rows = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(sweep_dir.glob("*/summary.json"))]
        failed = [r for r in rows if r.get("status", "ok") != "ok"]
        SweepSummary.failed_jobs = len(failed)
        if not rows:
            return
        console.print(summary_table(rows, title=f"Sweep summary ({len(rows)} runs, {sweep_dir})"))
        if failed:
            console.print(f"{len(failed)} of {len(rows)} jobs failed; the others finished:")
            for row in failed:
                console.print(f"  {row['corpus']}/{row['task']}/{row['model']}: {row.get('error', '')}", markup=False)
        finished = [r for r in rows if r.get("status", "ok") == "ok"]
        if finished:
            console.print("Open the MLflow UI to compare them: mlflow ui --backend-store-uri "
                          f"{finished[0].get('tracking_uri', 'sqlite:///mlflow.db')} "
                          "(experiments newsbias/<corpus>/<task>)")
