"""Task types. A task is built from ``conf/task/<name>.yaml``, whose ``_target_`` names its class:

- :class:`SpanDetection`: spans of one category, scored at span, sentence and document level;
- :class:`UnitClassification`: one of N classes per sentence or target mention;
- :class:`SpanLabelling`: one of N labels per given gold span (SemEval-2020 Task 11 TC).
"""

from __future__ import annotations

from typing import Any, Mapping

from omegaconf import DictConfig, OmegaConf

from bench.errors import ConfigError
from bench.tasks.base import Task
from bench.tasks.outputs import Output, span_label_output, span_output, unit_probability_output
from bench.tasks.span_detection import SpanDetection
from bench.tasks.span_labelling import SpanLabelling
from bench.tasks.unit_classification import UnitClassification

__all__ = ["Output", "SpanDetection", "SpanLabelling", "Task", "UnitClassification", "build_task", "load_task",
           "span_label_output", "span_output", "unit_probability_output"]


def build_task(cfg: DictConfig | Mapping[str, Any]) -> Task:
    """Instantiate the task class named by ``cfg._target_`` with the config's parameters."""
    from bench.targets import instantiate_target

    params = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
    assert isinstance(params, dict)
    return instantiate_target(params, Task, f"task {params.get('name')!r}", "task._target_")


def load_task(name: str) -> Task:
    """The task of ``conf/task/<name>.yaml``."""
    from bench.config import available, config_dir  # not at the top: bench.config imports the config schema

    path = config_dir() / "task" / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"unknown task {name!r}; available: {', '.join(available('task'))}")
    return build_task(OmegaConf.load(path))
