"""Validate a composed job config before any data is read or any MLflow run starts."""

from __future__ import annotations

from typing import Iterator

from omegaconf import DictConfig, ListConfig, OmegaConf

from bench.behaviour import SUITES
from bench.configschema.corpus_rules import validate_eval_split, validate_slices
from bench.configschema.groups import SEED_MAX, validate_model, validate_task
from bench.configschema.rules import (Allowed, boolean, check, integer, list_of, number, one_of, optional, show, text,
                                      value_at)
from bench.configschema.schema import SECTIONS, schema_keys
from bench.errors import ConfigError

#: top-level keys and their ranges (types are also enforced by the schema at compose time)
JOB_RULES: dict[str, Allowed] = {
    "seed": integer(0, SEED_MAX),
    "verbose": boolean(),
    "progress": boolean(),
    "train_split": optional(text()),
    "eval_split": optional(text()),
    "subset.train": optional(integer(1)),
    "subset.validation": optional(integer(1)),
    "subset.eval": optional(integer(1)),
    "evaluation.bootstrap_resamples": integer(1),
    "evaluation.confidence": number(gt=0, lt=1),
    # a reliability diagram and a binned ECE need at least two bins
    "evaluation.calibration_bins": integer(2),
    "evaluation.slices": list_of(text(), words="a list of metadata key names"),
    "evaluation.span_label_slices": boolean(),
    "evaluation.min_slice_documents": integer(1),
    # behavioural suites (bench.behaviour), each named once
    "evaluation.behaviour": Allowed(lambda v: list_of(one_of(SUITES))(v) and len(set(v)) == len(v),
                                    f"a list of suites from {', '.join(SUITES)} (each once)"),
    "evaluation.behaviour_tolerance": number(gt=0, lt=1),
    "report.worst_documents": integer(0),
    "cache.enabled": boolean(),
    "cache.dir": text(),
}

REQUIRED = tuple(JOB_RULES)


def _unset_keys(node: DictConfig | ListConfig, prefix: str = "") -> Iterator[str]:
    """Dotted keys whose value is ``???``, found without resolving interpolations."""
    keys = node.keys() if isinstance(node, DictConfig) else range(len(node))
    for key in keys:
        full = f"{prefix}{key}"
        if OmegaConf.is_missing(node, key):
            yield full
        elif not OmegaConf.is_interpolation(node, key):
            child = node._get_node(key)
            if isinstance(child, (DictConfig, ListConfig)):
                yield from _unset_keys(child, f"{full}.")


def _missing_values(cfg: DictConfig) -> None:
    """No mandatory value (``???``) is left unset, e.g. ``model.model`` of ``hf_pipeline``."""
    missing = sorted(_unset_keys(cfg))
    if missing:
        raise ConfigError(f"{missing[0]}=???: must be set (e.g. on the command line: {missing[0]}=...)")


def _unknown_keys(cfg: DictConfig) -> None:
    """No key outside the schema in the typed sections (``+subset.evaluate=3`` gets past Hydra)."""
    for section in ["", *SECTIONS]:
        node = cfg if not section else cfg.get(section)
        known = schema_keys(section) or []
        for key in node.keys() if isinstance(node, DictConfig) else []:
            if key not in known:
                full = f"{section}.{key}" if section else str(key)
                raise ConfigError(f"{full}={show(value_at(cfg, full))}: unknown key; "
                                  f"{section or 'the config'} has: {', '.join(known)}")


def _corpus_names(cfg: DictConfig) -> None:
    """The training corpus has gold labels for the task, and the split a model learns from exists."""
    from bench.configschema.corpus_rules import declared_splits

    for key in ("train_corpus", "reference"):
        value = cfg.get(key)
        if value is not None and not isinstance(value, DictConfig):
            raise ConfigError(f"{key}={show(value)}: select it as a corpus config group: corpus@{key}={value} "
                              f"(its settings are then {key}.root=..., {key}.files.NAME=...)")
    task = OmegaConf.select(cfg, "task.name")
    train = cfg.get("train_corpus") or cfg.get("corpus")
    if train is None or task is None:
        return
    if cfg.get("train_corpus") is not None and task not in (train.get("tasks") or {}):
        raise ConfigError(f"train_corpus={train.get('name')}: corpus {train.get('name')!r} has no gold labels for "
                          f"task {task!r}; its tasks: {', '.join(train.get('tasks') or {}) or 'none'}")
    split = cfg.get("train_split")
    known = declared_splits(train)
    if split is not None and split not in known:
        raise ConfigError(f"train_split={split}: must be null or a split of corpus {train.get('name')!r}: "
                          f"{', '.join(known)}")


def validate_top_level(cfg: DictConfig) -> None:
    """No unknown keys; ``seed``, ``subset.*``, ``evaluation.*``, ``report.*``, ``cache.*`` ranges."""
    _unknown_keys(cfg)
    check(cfg, JOB_RULES, required=REQUIRED)


def validate_job_config(cfg: DictConfig) -> None:
    """Everything checkable from the composed config alone; raises ConfigError on the first problem.

    Order: unset mandatory values, top-level ranges, corpus names, task, model, eval split,
    slice keys. Each message is one line: ``<key>=<value>: must be <what is allowed>``.
    """
    _missing_values(cfg)
    validate_top_level(cfg)
    _corpus_names(cfg)
    validate_task(cfg)
    validate_model(cfg)
    validate_eval_split(cfg)
    validate_slices(cfg)
