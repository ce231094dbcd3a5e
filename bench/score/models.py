"""Which model scores each signal: a ``conf/model`` name, a saved model folder, or ``NAME:FOLDER``.

A name is composed with Hydra's compose API against the packaged configs (with the signal's task),
so a model is configured exactly as in a job; a folder is a model saved by a run (its ``model/``
artifact), checked before anything in it is parsed (:mod:`bench.scorers.model_files`) and matched
to the model config whose class wrote it. :class:`ModelChoice` is plain data, so a Ray actor can
build the same scorer from it; :func:`build` makes the scorer and checks that it serves the task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml
from omegaconf import DictConfig, OmegaConf

from bench.config import available, config_dir, register_resolvers
from bench.configschema import validate_model
from bench.errors import BenchError, ConfigError, DataError
from bench.job.steps import build_scorer
from bench.scorers.base import Scorer
from bench.scorers.model_files import MAX_META_BYTES, read_json_file
from bench.scorers.trainable import META_FILE, TrainableScorer, folder_fingerprint
from bench.tasks import Output, Task, build_task

#: the value that leaves a signal out
NONE = "none"
_ABSENT = object()
#: ``model.load_from`` values that name an MLflow artifact (downloaded by the scorer) rather than a folder
_URI_SCHEMES = ("runs:/", "models:/", "mlflow-artifacts:/")
_NAME_AND_SOURCE = re.compile(r"^(?P<name>[A-Za-z0-9_]+):(?P<source>.+)$")


@dataclass(frozen=True)
class Signal:
    """One per-article signal: its column prefix (and option name) and the task that defines it."""

    name: str
    task: str

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def default(self) -> str:
        """The task's rule-based baseline (``conf/model/baseline_<task>.yaml``): no training needed."""
        return f"baseline_{self.task}"


SIGNALS: tuple[Signal, ...] = (Signal("loaded_language", "loaded_language"),
                               Signal("unverified_sources", "unverified_sources"),
                               Signal("sentiment", "sentiment"))


@dataclass(frozen=True)
class ModelChoice:
    """A signal's resolved task and model configs (plain containers)."""

    signal: str
    spec: str
    task: dict[str, Any]
    model: dict[str, Any]


@dataclass
class SignalModel:
    """A built scorer for one signal, with the output it gives the task."""

    choice: ModelChoice
    task: Task
    scorer: Scorer
    output: Output

    @property
    def signal(self) -> str:
        return self.choice.signal

    @property
    def threshold(self) -> float:
        return float(self.scorer.threshold)

    def identity(self) -> dict[str, Any]:
        """What the scores depend on: the scorer class, its fingerprint and decision threshold."""
        return {"class": type(self.scorer).__qualname__, "fingerprint": self.scorer.fingerprint(),
                "threshold": self.threshold}


def resolve(signal: Signal, spec: str, overrides: Sequence[str] = ()) -> ModelChoice | None:
    """The model ``spec`` names for ``signal`` (None for ``none``); ``overrides`` are ``model.KEY=VALUE``
    settings, applied to the model when it has the key."""
    spec = spec.strip()
    if spec.lower() == NONE:
        return None
    register_resolvers()
    name, load_from = _name_and_source(signal, spec)
    cfg = _compose(signal, spec, name)
    if load_from is not None:
        if "load_from" not in cfg.model:
            raise ConfigError(f"{signal.option} {spec}: model {name!r} learns nothing, so it loads no saved folder")
        cfg.model.load_from = load_from
    for override in overrides:
        key, equals, value = override.lstrip("+").partition("=")
        if not key.startswith("model.") or not equals:
            raise ConfigError(f"{override}: only model settings (model.KEY=VALUE) can be given here")
        if OmegaConf.select(cfg, key, default=_ABSENT) is not _ABSENT:  # models without the key ignore it
            OmegaConf.update(cfg, key, yaml.safe_load(value), merge=False)
    validate_model(cfg)
    model = OmegaConf.to_container(cfg.model, resolve=True)
    task = OmegaConf.to_container(cfg.task, resolve=True)
    assert isinstance(model, dict) and isinstance(task, dict)
    return ModelChoice(signal.name, spec, task, model)


def build(choice: ModelChoice) -> SignalModel:
    """Instantiate the scorer and task; a learning model must have been trained for this task."""
    task = build_task(choice.task)
    scorer = build_scorer(OmegaConf.create(choice.model))
    output, _ = scorer.check_task(task)
    if isinstance(scorer, TrainableScorer):
        if not scorer.is_fitted:
            raise ConfigError(f"--{choice.signal.replace('_', '-')} {choice.spec}: model {choice.model.get('name')!r} "
                              "learns from data; give the folder of a model trained for this task (a run's model/ "
                              "artifact), or NAME:FOLDER")
        scorer.require_fitted(task)
        assert scorer.model_folder is not None
        scorer.set_fingerprint(folder_fingerprint(scorer.model_folder))
    return SignalModel(choice, task, scorer, output)


def build_all(choices: Sequence[ModelChoice]) -> list[SignalModel]:
    return [build(choice) for choice in choices]


# ------------------------------------------------------------------------------------ helpers
def _name_and_source(signal: Signal, spec: str) -> tuple[str, str | None]:
    """(model config name, folder to load or None) for a name, a folder or ``NAME:FOLDER``."""
    found = _NAME_AND_SOURCE.match(spec)
    if found and found["name"] in available("model"):
        source = found["source"]
        if source.startswith(_URI_SCHEMES):
            return found["name"], source
        return found["name"], str(_model_folder(signal, spec, Path(source)))
    if spec in available("model"):
        return spec, None
    path = Path(spec).expanduser()
    if path.is_dir():
        return _config_for_folder(signal, _model_folder(signal, spec, path)), str(path.resolve())
    if "/" in spec or path.suffix:
        raise ConfigError(f"{signal.option} {spec}: no such model folder")
    return spec, None


def _model_folder(signal: Signal, spec: str, path: Path) -> Path:
    """A saved model folder, made absolute (workers on other machines see the same path)."""
    path = path.expanduser().resolve()
    if not path.is_dir():
        raise ConfigError(f"{signal.option} {spec}: no such model folder")
    if not (path / META_FILE).is_file():
        raise ConfigError(f"{signal.option} {spec}: {path} has no {META_FILE}; it is not a model folder saved by "
                          "newsbias-bench (a run's model/ artifact)")
    return path


def _config_for_folder(signal: Signal, folder: Path) -> str:
    """The model config whose ``_target_`` class wrote the folder (its ``bench_meta.json`` says which)."""
    meta = read_json_file(folder / META_FILE, MAX_META_BYTES, META_FILE)
    cls = meta.get("class") if isinstance(meta, dict) else None
    if not isinstance(cls, str):
        raise DataError(f"{META_FILE} names no model class", path=str(folder / META_FILE))
    for name in available("model"):
        target = OmegaConf.load(config_dir() / "model" / f"{name}.yaml").get("_target_")
        if isinstance(target, str) and target.rpartition(".")[2] == cls:
            return name
    raise ConfigError(f"{signal.option} {folder}: no model config builds a {cls}; give NAME:FOLDER")


def _compose(signal: Signal, spec: str, name: str) -> DictConfig:
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException

    if name not in available("model"):
        raise ConfigError(f"{signal.option} {spec}: unknown model; give a model folder, NAME:FOLDER, '{NONE}', or "
                          f"one of: {', '.join(available('model'))}")
    try:
        with initialize_config_dir(str(config_dir()), version_base="1.3"):
            return compose("config", overrides=[f"task={signal.task}", f"model={name}"])
    except (HydraException, BenchError) as exc:
        text = str(exc).strip()
        raise ConfigError(f"{signal.option} {spec}: {text.splitlines()[0] if text else type(exc).__name__}") \
            from None
