"""Run the suites a job names in ``evaluation.behaviour`` with the job's scorer and task."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Sequence

from bench.behaviour import SUITES, attribution, invariance, neutralisation
from bench.behaviour.base import Predict, SuiteResult
from bench.behaviour.settings import BehaviourSettings
from bench.behaviour.testsets import behaviour_dir
from bench.behaviour.generate import ATTRIBUTION_FILE, ENTITY_FILE
from bench.errors import ConfigError, DataError

MODULES: dict[str, ModuleType] = {"neutralisation": neutralisation, "attribution_swaps": attribution,
                                  "invariance": invariance}
assert tuple(MODULES) == SUITES


def check_behaviour(names: Sequence[str], data_dir: Path | None) -> None:
    """Before a run starts: known suite names, and the files each named suite reads."""
    for name in names:
        if name not in MODULES:
            raise ConfigError(f"evaluation.behaviour: unknown suite {name!r}; known: {', '.join(SUITES)}")
    if "neutralisation" in names and (data_dir is None or not (data_dir / "wnc-sample-pryzant-test-data").is_dir()):
        raise DataError("evaluation.behaviour=[neutralisation] needs the WNC pairs in the data directory "
                        "(set NEWSBIAS_DATA_DIR or paths.data_dir)", path=str(data_dir))
    needs = {"attribution_swaps": ATTRIBUTION_FILE, "invariance": ENTITY_FILE}
    for name, file in needs.items():
        if name in names and not (behaviour_dir() / file).is_file():
            raise DataError(f"evaluation.behaviour=[{name}]: test set not found "
                            "(python -m bench.behaviour.generate writes it)", path=str(behaviour_dir() / file))


def run_behaviour(names: Sequence[str], predict: Predict, task: Any, settings: BehaviourSettings,
                  progress: Callable[[str], None] | None = None) -> list[SuiteResult]:
    """Each named suite that fits the task; the others come back with ``skipped`` set to the reason."""
    results = []
    for name in names:
        module = MODULES[name]
        reason = module.applies(task)
        if reason:
            results.append(SuiteResult(name, module.DESCRIPTION, skipped=reason))
            continue
        if progress:
            progress(name)
        results.append(module.run(predict, settings))
    return results


def metrics_and_tags(results: Sequence[SuiteResult]) -> tuple[dict[str, float], dict[str, str]]:
    """``behaviour.<suite>.*`` metrics and tags (notes, failures, skipped suites with their reason)."""
    metrics: dict[str, float] = {}
    tags: dict[str, str] = {}
    for result in results:
        if result.skipped:
            tags[f"behaviour.{result.name}"] = f"skipped: {result.skipped}"
            continue
        metrics.update(result.prefixed())
        metrics[f"behaviour.{result.name}.n_failures"] = float(result.n_failures)
        tags.update({f"behaviour.{result.name}.{k}": v for k, v in result.notes.items()})
    return metrics, tags
