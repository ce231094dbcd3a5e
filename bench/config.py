"""Config helpers: path resolvers and loading a corpus config by name outside the main job."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from bench.configschema.schema import register_schema
from bench.errors import ConfigError
from bench.tracking.provenance import project_root


def _resolve_path(value: str) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (project_root() / path).resolve())


def register_resolvers() -> None:
    """``${bench.project_root:}`` and ``${bench.path:relative}`` (relative to the project root).

    Also stores the job config schema (``base_config``, which ``conf/config.yaml`` extends) in
    Hydra's ConfigStore, so every caller that composes ``config`` has it.
    """
    register_schema()
    if not OmegaConf.has_resolver("bench.project_root"):
        OmegaConf.register_new_resolver("bench.project_root", lambda: str(project_root()))
    if not OmegaConf.has_resolver("bench.path"):
        OmegaConf.register_new_resolver("bench.path", _resolve_path)


def config_dir() -> Path:
    return project_root() / "conf"


def available(group: str) -> list[str]:
    return sorted(p.stem for p in (config_dir() / group).glob("*.yaml"))


def corpus_config(name: str, paths: DictConfig | None = None) -> DictConfig:
    """``conf/corpus/<name>.yaml`` resolved against ``paths`` (default: conf/paths/default.yaml)."""
    register_resolvers()
    path = config_dir() / "corpus" / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"unknown corpus {name!r}; available: {', '.join(available('corpus'))}")
    paths_cfg = paths if paths is not None else OmegaConf.load(config_dir() / "paths" / "default.yaml")
    merged = OmegaConf.merge({"paths": paths_cfg}, {"corpus": OmegaConf.load(path)})
    OmegaConf.resolve(merged)
    return merged.corpus
