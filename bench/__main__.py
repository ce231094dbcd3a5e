"""``python -m bench``: the Hydra app that runs one (corpus, task, model) job per config."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from bench.cli.callbacks import SweepSummary
from bench.cli.errors import EXIT_INTERRUPTED, fail, fail_config, one_line_warnings, report, verbose_requested
from bench.config import config_dir, register_resolvers
from bench.errors import ConfigError, install_hint

register_resolvers()

#: ``python -m bench`` with no arguments: the README's main job, the three baselines on the reference article
DEFAULT_ARGS = ["-m", "task=loaded_language,unverified_sources,sentiment"]


def _failure_summary(cfg: DictConfig, exc: BaseException) -> dict[str, object]:
    """A sweep job's summary row for a job that failed (names resolved best-effort)."""
    def name(key: str) -> str:
        try:
            return str(OmegaConf.select(cfg, key, default="?"))
        except Exception:  # noqa: BLE001 - an unresolvable interpolation must not hide the real error
            return "?"
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return {"corpus": name("corpus.name"), "task": name("task.name"), "model": name("model.name"), "split": "",
            "headline": {}, "status": "failed", "error": reason}


#: absolute (installed ``bench/conf``, else the checkout's ``conf/``), so that the app composes the same way
#: under ``newsbias-bench``, ``python -m bench`` and when called in-process
CONFIG_DIR = str(config_dir())


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def job(cfg: DictConfig) -> None:
    from bench.job import run_job
    from bench.report.console import console, summary_table

    verbose = bool(cfg.get("verbose")) or verbose_requested()
    hydra_cfg = HydraConfig.get()
    output_dir = Path(hydra_cfg.runtime.output_dir)
    multirun = hydra_cfg.mode is not None and hydra_cfg.mode.name == "MULTIRUN"
    try:
        sweep_id = str(hydra_cfg.sweep.dir) if multirun else ""
        result = run_job(cfg, output_dir, sweep_id=sweep_id)
        for line in result.reference_lines:
            console.print(line, markup=False)
        if not multirun:
            console.print(summary_table([result.summary]))
            console.print(f"MLflow run {result.summary['run_id']} in experiment {result.summary['experiment']} "
                          f"({result.summary['tracking_uri']}); files in {output_dir}")
    except Exception as exc:  # one clear line; traceback only with verbose
        if not multirun:
            fail(exc, verbose)
        # in a sweep the other jobs still run: record the failure for the summary, exit non-zero at the end
        report(exc, verbose)
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / "summary.json").write_text(json.dumps(_failure_summary(cfg, exc), indent=2), encoding="utf-8")


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM ends the job like Ctrl-C would: the MLflow run is marked FAILED with the reason."""
    raise SystemExit(128 + signum)


def check_launcher_installed(argv: list[str]) -> None:
    """``hydra/launcher=ray`` or ``ray_cluster`` without the ray extra: one line naming the install."""
    launchers = [a.split("=", 1)[1] for a in argv if a.lstrip("+~").startswith("hydra/launcher=")]
    if any(name.startswith("ray") for name in launchers) and \
            importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None:
        raise ConfigError(f"hydra/launcher={launchers[-1]} runs sweeps on Ray, which needs the ray extra: "
                          f"{install_hint('ray')}")


def main() -> None:
    """Run the app; Hydra's own errors (unknown names, bad overrides) become one line too."""
    signal.signal(signal.SIGTERM, _terminated)
    if len(sys.argv) == 1:
        sys.argv.extend(DEFAULT_ARGS)
    verbose = verbose_requested()
    one_line_warnings()
    try:
        check_launcher_installed(sys.argv[1:])
    except ConfigError as exc:
        fail(exc, verbose)
    # let Hydra raise instead of printing its multi-line report, so we can report it in one line
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        job()
    except KeyboardInterrupt:
        print("newsbias-bench: interrupted; the MLflow run is marked FAILED and nothing was published",
              file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except SystemExit as exc:
        if exc.code == 128 + signal.SIGTERM:
            print("newsbias-bench: terminated (SIGTERM); the MLflow run is marked FAILED and nothing was published",
                  file=sys.stderr)
        raise
    except Exception as exc:
        fail_config(exc, verbose)
    finally:
        sys.stdout.flush()
    if SweepSummary.failed_jobs:
        sys.exit(2)


if __name__ == "__main__":
    main()
