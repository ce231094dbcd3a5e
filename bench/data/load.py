"""Load a corpus from its config: run its loader, validate, and attach splits (or read it from the cache)."""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf

import bench.data.loaders  # noqa: F401  (registers loaders)
from bench.data.corpus import Corpus
from bench.data.corpus_cache import cached_corpus
from bench.data.corpus_key import corpus_cache_key
from bench.data.loaders._common import check_document_size
from bench.data.registry import LOADERS, Reading
from bench.data.schema import SENTIMENT_CLASSES, Document, validate_document
from bench.data.splits import grouped_split
from bench.errors import ConfigError, DataError

if TYPE_CHECKING:  # only for annotations: bench.tasks sits above bench.data
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


def _required(c: DictConfig, key: str, hint: str) -> str:
    """``c[key]`` as a string; a ConfigError when it is absent, null, empty or ``???``."""
    value = None if OmegaConf.is_missing(c, key) else c.get(key)
    if value is None or not str(value).strip():
        raise ConfigError(f"corpus config has no {key!r}: {hint}")
    return str(value)


def check_corpus_config(cfg: DictConfig | dict[str, Any]) -> DictConfig:
    """The config as a DictConfig, after checking it names the corpus, its loader and its root.

    A corpus's name comes from its own config (it files runs under ``newsbias/<name>/<task>``);
    for a custom JSONL corpus use ``corpus=jsonl corpus.name=NAME corpus.root=FOLDER``.
    """
    c = cfg if isinstance(cfg, DictConfig) else OmegaConf.create(cfg)
    name = _required(c, "name", "set corpus.name=NAME "
                                "(for your own JSONL: corpus=jsonl corpus.name=NAME corpus.root=FOLDER)")
    loader = _required(c, "loader", f"corpus {name!r} must name its loader ({', '.join(sorted(LOADERS))})")
    if loader not in LOADERS:
        raise ConfigError(f"corpus {name!r}: unknown loader {loader!r}; known: {', '.join(sorted(LOADERS))}")
    _required(c, "root", f"set corpus.root=FOLDER (the folder holding the files of corpus {name!r})")
    return c


def check_reference_root(corpus: DictConfig, reference_name: str = "reference",
                         paths: DictConfig | None = None) -> None:
    """Refuse the reference corpus's name on data read from another folder.

    Runs on the reference corpus are filed under ``newsbias/<reference>/…`` and shown as the
    reference article, so a ``corpus.root`` (or ``corpus.files``) override on that config would
    pass off other data as the reference article: use ``corpus=jsonl corpus.name=NAME`` instead.
    """
    from bench.config import corpus_config  # not at the top: bench.config sits above bench.data

    if OmegaConf.is_missing(corpus, "name") or str(corpus.get("name")) != reference_name:
        return
    own = corpus_config(reference_name, paths)
    here = (Path(str(corpus.get("root"))).resolve(), dict(corpus.get("files") or {}))
    if here != (Path(str(own.root)).resolve(), dict(own.get("files") or {})):
        raise ConfigError(f"corpus.root={corpus.get('root')}: corpus {reference_name!r} is this project's reference "
                          f"article and reads only {own.root}; for your own JSON-lines corpus use "
                          f"corpus=jsonl corpus.name=NAME corpus.root={corpus.get('root')}")


def _source(root: Path, files: dict[str, str]) -> str:
    """What an error about the whole corpus names: its one file, else its folder."""
    return str(root / next(iter(files.values()))) if len(files) == 1 else str(root)


def _check_text(doc: Document, reading: Reading, source: str) -> None:
    """Every loader's documents have text, within ``corpus.max_document_chars``."""
    if not doc.text.strip():
        raise DataError("document text is empty", path=source, doc_id=doc.id)
    check_document_size(doc.text, reading, Path(source), doc_id=doc.id)


def _nothing_loaded(name: str, source: str, skipped: Counter[str]) -> DataError:
    if skipped:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(skipped.items()))
        return DataError(f"corpus {name!r} has no documents: every one was skipped ({counts}); "
                         "run with corpus.strict=true to see the first problem", path=source)
    return DataError(f"corpus {name!r} has no documents (empty file, header only, or no text)", path=source)


def load_corpus(cfg: DictConfig | dict[str, Any], *, strict: bool | None = None,
                cache_dir: Path | None = None) -> Corpus:
    """Load the corpus described by a ``conf/corpus/*.yaml`` config.

    Settings besides the loader's ``files`` and ``options``: ``strict`` (default true: the first
    malformed row stops loading; false skips and counts it), ``encoding`` of the text files (default
    utf-8) and ``max_document_chars`` (default 2,000,000; null for no limit). A corpus with no
    documents left is an error in either mode.

    With ``cache_dir`` (the cache root), the parsed corpus is kept as an Arrow ``DatasetDict`` under
    ``cache_dir/corpora/<key>`` and later loads with the same key read it instead of parsing; the key
    covers the settings, strictness, the raw files' bytes and the parsing code
    (:mod:`bench.data.corpus_key`, :mod:`bench.data.corpus_cache`).
    """
    c = check_corpus_config(cfg)
    root = Path(str(c.root))
    if not root.is_dir():
        raise DataError(
            f"data directory for corpus {c.name!r} not found (set NEWSBIAS_DATA_DIR or paths.data_dir=...)",
            path=str(root),
        )
    is_strict = bool(c.get("strict", True)) if strict is None else strict
    reading = Reading.of(c)
    if cache_dir is None:
        return _parse_corpus(c, root, is_strict, reading)
    key = corpus_cache_key(c, strict=is_strict)
    return cached_corpus(Path(cache_dir), key, lambda: _parse_corpus(c, root, is_strict, reading))


def _parse_corpus(c: DictConfig, root: Path, is_strict: bool, reading: Reading) -> Corpus:
    """Run the corpus's loader, check every document, and attach the splits."""
    files = {k: str(v) for k, v in (c.get("files") or {}).items()}
    options = OmegaConf.to_container(c.options, resolve=True) if c.get("options") else {}
    loader = LOADERS[str(c.loader)]
    result = loader(root, files, strict=is_strict, options=options, reading=reading)  # type: ignore[arg-type]

    source = _source(root, files)
    skipped: Counter[str] = Counter(result.skipped)
    documents: list[Document] = []
    for doc in result.documents:
        try:
            _check_text(doc, reading, source)
            validate_document(doc, source)
        except DataError:
            if is_strict:
                raise
            skipped["invalid_documents"] += 1
            continue
        documents.append(doc)
    if not documents:
        raise _nothing_loaded(str(c.name), source, skipped)

    splits = {k: list(v) for k, v in result.splits.items()}
    split_cfg = c.get("splits") or {}
    strategy = str(split_cfg.get("strategy", "none"))
    if strategy == "grouped" or (strategy == "native" and split_cfg.get("validation_from_train")):
        group_key = split_cfg.get("group_by")
        task_name = split_cfg.get("stratify_by")
        category = split_cfg.get("stratify_category")
        # stratify by a metadata value (e.g. publisher) instead of the task label
        meta_key = split_cfg.get("stratify_metadata")
        pool = documents
        if strategy == "native":
            train_ids = set(splits.get("train", []))
            pool = [d for d in documents if d.id in train_ids]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            computed = grouped_split(
                pool,
                group_of=lambda d: str(d.metadata.get(group_key, d.id)) if group_key else d.id,
                label_of=(lambda d: str(d.metadata.get(meta_key))) if meta_key
                else (lambda d: _stratify_label(d, task_name, category)),
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
