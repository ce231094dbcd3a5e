"""Hydra callback: after a sweep, print one summary table of all its jobs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from bench.report.console import console, summary_table


class SweepSummary(Callback):
    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        rows = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(sweep_dir.glob("*/summary.json"))]
        if rows:
            console.print(summary_table(rows, title=f"Sweep summary ({len(rows)} runs, {sweep_dir})"))
            console.print("Open the MLflow UI to compare them: mlflow ui --backend-store-uri "
                          f"{rows[0].get('tracking_uri', 'sqlite:///mlflow.db')} (experiments newsbias/<corpus>/<task>)")
