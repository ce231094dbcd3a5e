"""``python -m bench``: the Hydra app that runs one (corpus, task, model) job per config."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from bench.cli.errors import fail, fail_config, verbose_requested
from bench.config import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def job(cfg: DictConfig) -> None:
    from bench.experiment import Experiment
    from bench.report.console import console, summary_table

    try:
        hydra_cfg = HydraConfig.get()
        output_dir = Path(hydra_cfg.runtime.output_dir)
        multirun = hydra_cfg.mode is not None and hydra_cfg.mode.name == "MULTIRUN"
        sweep_id = str(hydra_cfg.sweep.dir) if multirun else ""
        result = Experiment(cfg, output_dir, sweep_id=sweep_id).run()
        if not multirun:
            console.print(summary_table([result.summary]))
            console.print(f"MLflow run {result.summary['run_id']} in experiment {result.summary['experiment']} "
                          f"({result.summary['tracking_uri']}); files in {output_dir}")
    except Exception as exc:  # one clear line; traceback only with verbose
        fail(exc, bool(cfg.get("verbose")) or verbose_requested())


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM ends the job like Ctrl-C would: the MLflow run is marked FAILED with the reason."""
    raise SystemExit(128 + signum)


def main() -> None:
    """Run the app; Hydra's own errors (unknown names, bad overrides) become one line too."""
    signal.signal(signal.SIGTERM, _terminated)
    verbose = verbose_requested()
    # let Hydra raise instead of printing its multi-line report, so we can report it in one line
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        job()
    except SystemExit:
        raise
    except Exception as exc:
        fail_config(exc, verbose)
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    main()
