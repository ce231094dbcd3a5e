"""Checks against what a corpus config declares: its split names and its slice (metadata) keys."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from omegaconf import DictConfig

from bench.configschema.rules import show, value_at
from bench.errors import ConfigError


def declared_splits(corpus: DictConfig) -> list[str]:
    """The split names a corpus config yields (``all`` always), as ``bench.data.load`` builds them.

    ``grouped``: train, plus test and validation unless their fraction is 0. ``native``: the
    loader's own splits, one per ``files`` entry (NewsMTSC), plus validation when carved from
    train. ``none``: only ``all``.
    """
    splits_cfg = corpus.get("splits") or {}
    strategy = str(splits_cfg.get("strategy", "none"))
    names = ["all"]
    if strategy == "grouped":
        names.append("train")
        if float(splits_cfg.get("validation_fraction", 0.1)) > 0:
            names.append("validation")
        if float(splits_cfg.get("test_fraction", 0.2)) > 0:
            names.append("test")
    elif strategy == "native":
        # the loader's splits: ``splits.names`` where files also name non-split inputs, else each files entry
        names += [str(k) for k in (splits_cfg.get("names") or corpus.get("files") or {})]
        if splits_cfg.get("validation_from_train"):
            names += [n for n in ("train", "validation") if n not in names]
    return names


def declared_slice_keys(corpus: DictConfig) -> list[str]:
    """Metadata keys a corpus declares: its ``slices`` list plus an optional ``metadata`` list."""
    keys: list[str] = []
    for name in ("slices", "metadata"):
        for key in value_at(corpus, name) if corpus.get(name) else []:
            if str(key) not in keys:
                keys.append(str(key))
    return keys


def validate_eval_split(cfg: DictConfig) -> None:
    """``eval_split`` is null or a split the evaluated corpus declares."""
    split = value_at(cfg, "eval_split")
    if split is None or not isinstance(cfg.get("corpus"), DictConfig):
        return
    known = declared_splits(cfg.corpus)
    if split not in known:
        raise ConfigError(f"eval_split={show(split)}: must be null or one of {', '.join(known)} "
                          f"(the splits of corpus {cfg.corpus.get('name')!r})")


def validate_slices(cfg: DictConfig) -> None:
    """Every ``evaluation.slices`` key is a metadata key the evaluated corpus declares."""
    keys = value_at(cfg, "evaluation.slices")
    if not keys or not isinstance(cfg.get("corpus"), DictConfig):
        return
    declared = declared_slice_keys(cfg.corpus)
    for key in keys:
        if key not in declared:
            allowed = f"keys from {', '.join(declared)}" if declared else "[] (it declares no slice keys)"
            raise ConfigError(f"evaluation.slices={show(keys)}: {key!r} is not a metadata key corpus "
                              f"{cfg.corpus.get('name')!r} declares; allowed: {allowed}")


def check_slice_keys(keys: Sequence[str], documents: Iterable[Any], corpus_name: str = "") -> None:
    """After loading: every slice key is carried by at least one document's metadata.

    ``documents`` are :class:`bench.data.schema.Document` objects (anything with ``metadata``).
    """
    if not keys:
        return
    present: set[str] = set()
    for doc in documents:
        present.update(k for k, v in (doc.metadata or {}).items() if v not in (None, ""))
    missing = [k for k in keys if k not in present]
    if missing:
        where = f"corpus {corpus_name!r}" if corpus_name else "the corpus"
        raise ConfigError(f"evaluation.slices={show(list(keys))}: no document of {where} has metadata key "
                          f"{missing[0]!r}; keys its documents have: {', '.join(sorted(present)) or 'none'}")
