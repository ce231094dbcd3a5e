"""Config helpers: path resolvers and loading a corpus config by name outside the main job."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from bench.configschema.schema import register_schema
from bench.errors import ConfigError
from bench.tracking.provenance import project_root


#: the ``bench`` package folder; an installed (non-editable) wheel holds ``conf/`` and ``corpora/`` in it
PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    """``bench/<name>`` of an installed wheel if present, else the source checkout's ``<name>/``
    (an editable install does not map ``bench.conf`` / ``bench.corpora``)."""
    installed = PACKAGE_DIR / name
    return installed if installed.is_dir() else PACKAGE_DIR.parent / name


def config_dir() -> Path:
    """The Hydra config groups: installed ``bench/conf``, else the checkout's ``conf/``."""
    return _shipped("conf")


def corpora_dir() -> Path:
    """The corpora this project authors: installed ``bench/corpora``, else the checkout's ``corpora/``."""
    return _shipped("corpora")


def _resolve_path(value: str) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (project_root() / path).resolve())


def register_resolvers() -> None:
    """``${bench.project_root:}``, ``${bench.corpora_dir:}`` and ``${bench.path:relative}``
    (relative to the project root: the checkout, or the working directory for an installed package).

    Also stores the job config schema (``base_config``, which ``conf/config.yaml`` extends) in
    Hydra's ConfigStore, so every caller that composes ``config`` has it.
    """
    register_schema()
    if not OmegaConf.has_resolver("bench.project_root"):
        OmegaConf.register_new_resolver("bench.project_root", lambda: str(project_root()))
    if not OmegaConf.has_resolver("bench.corpora_dir"):
        OmegaConf.register_new_resolver("bench.corpora_dir", lambda: str(corpora_dir()))
    if not OmegaConf.has_resolver("bench.path"):
        OmegaConf.register_new_resolver("bench.path", _resolve_path)


def _source_dir(schema: str, path: str) -> Path | None:
    """The folder of one Hydra config source (``file://`` or ``pkg://``), None for other kinds."""
    if schema == "file":
        return Path(path).resolve()
    if schema == "pkg":
        try:
            return Path(str(resources.files(path.replace("/", "."))))
        except (ModuleNotFoundError, TypeError):
            return None
    return None


def search_dirs() -> list[Path]:
    """Config folders in Hydra's search order: ``config_dir()``, then, inside a running job, the
    folders added by ``hydra.searchpath`` (or ``--config-dir``), so user configs are found by name."""
    dirs = [config_dir()]
    if HydraConfig.initialized():
        for source in HydraConfig.get().runtime.config_sources:
            folder = _source_dir(str(source.schema), str(source.path))
            if folder is not None and folder not in dirs:
                dirs.append(folder)
    return dirs


def find_config(group: str, name: str) -> Path | None:
    """``<group>/<name>.yaml`` in the first search folder that has it."""
    return next((d / group / f"{name}.yaml" for d in search_dirs() if (d / group / f"{name}.yaml").is_file()), None)


def available(group: str) -> list[str]:
    """Config names of a group across the search folders."""
    return sorted({p.stem for d in search_dirs() for p in (d / group).glob("*.yaml")})


def corpus_config(name: str, paths: DictConfig | None = None) -> DictConfig:
    """``conf/corpus/<name>.yaml`` (or a user config folder's) resolved against ``paths``
    (default: conf/paths/default.yaml)."""
    register_resolvers()
    path = find_config("corpus", name)
    if path is None:
        raise ConfigError(f"unknown corpus {name!r}; available: {', '.join(available('corpus'))}")
    paths_cfg = paths if paths is not None else OmegaConf.load(config_dir() / "paths" / "default.yaml")
    merged = OmegaConf.merge({"paths": paths_cfg}, {"corpus": OmegaConf.load(path)})
    OmegaConf.resolve(merged)
    return merged.corpus
