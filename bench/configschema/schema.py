"""Dataclass schema of the job config (``conf/config.yaml``), registered in Hydra's ConfigStore.

``conf/config.yaml`` lists ``base_config`` first in its defaults list, so Hydra merges every
value of the file and every command-line override into these typed nodes: ``seed=abc``,
``progress=maybe`` or an unknown key such as ``subset.evaluate=3`` fail while the config is
composed, before the job starts. Ranges (``seed`` ≥ 0, ...) are checked afterwards by
:func:`bench.configschema.validate_job_config`.

The groups owned by their own configs (``paths``, ``corpus``, ``task``, ``model``,
``tracking``) are left untyped (``Any``) here; their values are checked by the rule tables in
:mod:`bench.configschema.groups`. Defaults mirror ``conf/config.yaml``, which stays the
documented source of the values.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

#: the ConfigStore name that ``conf/config.yaml`` lists first in its defaults
SCHEMA_NAME = "base_config"


@dataclass
class SubsetConfig:
    """Seeded sample sizes per split; null keeps every document."""

    train: Optional[int] = None
    validation: Optional[int] = None
    eval: Optional[int] = None


@dataclass
class EvaluationConfig:
    """Bootstrap intervals, calibration and slice settings."""

    bootstrap_resamples: int = 1000
    confidence: float = 0.95
    calibration_bins: int = 10
    slices: List[str] = field(default_factory=list)
    span_label_slices: bool = False
    min_slice_documents: int = 20
    #: behavioural suites to run (bench.behaviour.SUITES)
    behaviour: List[str] = field(default_factory=list)
    #: invariance suite: the largest score change that still passes
    behaviour_tolerance: float = 0.1


@dataclass
class ReportConfig:
    """HTML reports: how many worst-scored documents to render."""

    worst_documents: int = 3


@dataclass
class CacheConfig:
    """Prediction and trained-model cache."""

    enabled: bool = True
    dir: str = MISSING


@dataclass
class JobConfig:
    """One (corpus, task, model) job."""

    paths: Any = MISSING
    corpus: Any = MISSING
    task: Any = MISSING
    model: Any = MISSING
    tracking: Any = MISSING
    #: the corpus a trainable model learns from (the ``corpus@train_corpus`` group; None: ``corpus``)
    train_corpus: Any = None
    #: the reference article every model is shown against (the ``corpus@reference`` group; None: none)
    reference: Any = None
    seed: int = 13
    verbose: bool = False
    progress: bool = True
    #: skip a job whose config and data already have a FINISHED run
    resume: bool = True
    #: the training corpus's split a model learns from, or ``all`` (None: train where it has one, else all)
    train_split: Optional[str] = None
    eval_split: Optional[str] = None
    subset: SubsetConfig = field(default_factory=SubsetConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)


def register_schema() -> None:
    """Store :class:`JobConfig` as ``base_config`` (idempotent; call before composing)."""
    ConfigStore.instance().store(name=SCHEMA_NAME, node=JobConfig, provider="newsbias-bench")


#: the typed sections of :class:`JobConfig` (the others are untyped groups)
SECTIONS: dict[str, type] = {"subset": SubsetConfig, "evaluation": EvaluationConfig, "report": ReportConfig,
                             "cache": CacheConfig}


def schema_keys(section: str = "") -> list[str] | None:
    """Field names of the typed node ``section`` ("" for the root), or None where it is untyped."""
    node = JobConfig if not section else SECTIONS.get(section)
    return [f.name for f in fields(node)] if node is not None else None
