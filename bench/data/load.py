"""Load a corpus from its config: run its loader, validate, and attach splits."""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

import bench.data.loaders  # noqa: F401  (registers loaders)
from bench.data.corpus import Corpus
from bench.data.registry import LOADERS
from bench.data.schema import SENTIMENT_CLASSES, Document, validate_document
from bench.data.splits import grouped_split
from bench.errors import ConfigError, DataError
from bench.tasks import Task


def _stratify_label(doc: Document, task_name: str | None, category: str | None) -> int:
    if task_name:
        for sentence in doc.sentences:
            value = sentence.labels.get(task_name)
            if value is not None:
                return SENTIMENT_CLASSES.index(value) if isinstance(value, str) else int(value)
        if category and doc.spans_of(category):
            return 1
    return 0


def load_corpus(cfg: DictConfig | dict[str, Any], *, strict: bool | None = None) -> Corpus:
    """Load the corpus described by a ``conf/corpus/*.yaml`` config."""
    c = cfg if isinstance(cfg, DictConfig) else OmegaConf.create(cfg)
    loader_name = str(c.loader)
    if loader_name not in LOADERS:
        raise ConfigError(f"corpus {c.name!r}: unknown loader {loader_name!r}; known: {', '.join(sorted(LOADERS))}")
    root = Path(str(c.root))
    if not root.is_dir():
        raise DataError(
            f"data directory for corpus {c.name!r} not found (set NEWSBIAS_DATA_DIR or paths.data_dir=...)",
            path=str(root),
        )
    is_strict = bool(c.get("strict", True)) if strict is None else strict
    files = {k: str(v) for k, v in (c.get("files") or {}).items()}
    options = OmegaConf.to_container(c.options, resolve=True) if c.get("options") else {}
    result = LOADERS[loader_name](root, files, strict=is_strict, options=options)  # type: ignore[arg-type]

    skipped: Counter[str] = Counter(result.skipped)
    documents: list[Document] = []
    for doc in result.documents:
        try:
            validate_document(doc, str(root / next(iter(files.values()), "")))
        except DataError:
            if is_strict:
                raise
            skipped["invalid_documents"] += 1
            continue
        documents.append(doc)

    splits = {k: list(v) for k, v in result.splits.items()}
    split_cfg = c.get("splits") or {}
    strategy = str(split_cfg.get("strategy", "none"))
    if strategy == "grouped" or (strategy == "native" and split_cfg.get("validation_from_train")):
        group_key = split_cfg.get("group_by")
        task_name = split_cfg.get("stratify_by")
        category = split_cfg.get("stratify_category")
        pool = documents
        if strategy == "native":
            train_ids = set(splits.get("train", []))
            pool = [d for d in documents if d.id in train_ids]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            computed = grouped_split(
                pool,
                group_of=lambda d: str(d.metadata.get(group_key, d.id)) if group_key else d.id,
                label_of=lambda d: _stratify_label(d, task_name, category),
                test_fraction=float(split_cfg.get("test_fraction", 0.2)) if strategy == "grouped" else 0.0,
                validation_fraction=float(
                    split_cfg.get("validation_fraction", 0.1)
                    if strategy == "grouped"
                    else split_cfg.get("validation_from_train")
                ),
                seed=int(split_cfg.get("seed", 13)),
            )
        splits.update(computed)
    kept = {d.id for d in documents}
    splits = {name: [i for i in ids if i in kept] for name, ids in splits.items()}
    return Corpus(
        name=str(c.name),
        documents=documents,
        splits=splits,
        skipped=skipped,
        notes=dict(result.notes),
        source=str(root),
    )


def corpus_supports(cfg: DictConfig, task: Task) -> list[str]:
    """The evaluation levels the corpus has gold for, for ``task`` (empty: unsupported)."""
    tasks = cfg.get("tasks") or {}
    return list(tasks.get(task.name, []) or [])
