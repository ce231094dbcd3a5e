"""The corpus cache: parsed corpora saved as Arrow ``DatasetDict``s under ``<cache>/corpora/<key>``.

An entry is a folder holding ``dataset/`` (a :class:`datasets.DatasetDict` with one split, ``all``:
every document in corpus order, its fingerprint the corpus's) and ``corpus.json`` (name, source,
fingerprint, the named splits as ordered id lists, skipped counts and notes). Keeping one ``all``
split plus the id lists keeps the corpus's document order (its fingerprint depends on it) and makes
``Corpus.split(name)`` exactly what the loader produced, at the cost of a list look-up.

Entries are written to a temporary folder beside their place and renamed into it, so a reader sees a
whole entry or none, and of two concurrent writers the second simply drops its copy. An entry that
cannot be read is evicted with a :class:`~bench.errors.CacheWarning` and rebuilt.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
import warnings
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from bench.data.arrow import NotExact, dataset_documents, encode_json
from bench.data.corpus import Corpus
from bench.data.corpus_key import CORPUS_FORMAT_VERSION
from bench.errors import CacheWarning

SPLIT = "all"
META = "corpus.json"
DATASET = "dataset"


def entry_folder(cache_dir: Path, key: str) -> Path:
    """Where the corpus with cache key ``key`` is kept under the cache root ``cache_dir``."""
    return Path(cache_dir) / "corpora" / key


@contextmanager
def _quiet_progress() -> Iterator[None]:
    """``datasets`` without its progress bars (they would interleave with the harness's output)."""
    from datasets.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    was_disabled = are_progress_bars_disabled()
    disable_progress_bars()
    try:
        yield
    finally:
        if not was_disabled:
            enable_progress_bars()


def read_entry(folder: Path, key: str) -> Corpus:
    """The corpus saved in ``folder``; any exception means the entry cannot be used."""
    from datasets import DatasetDict, load_from_disk

    meta = json.loads((folder / META).read_text(encoding="utf-8"))
    if meta.get("format") != CORPUS_FORMAT_VERSION or meta.get("key") != key:
        raise ValueError(f"written for format {meta.get('format')!r}, key {meta.get('key')!r}")
    with _quiet_progress():
        saved = load_from_disk(str(folder / DATASET))
    if not isinstance(saved, DatasetDict) or list(saved) != [SPLIT]:
        raise ValueError(f"expected a DatasetDict with the one split {SPLIT!r}")
    corpus = Corpus(name=meta["name"], documents=dataset_documents(saved[SPLIT]),
                    splits={str(k): list(v) for k, v in meta["splits"].items()},
                    skipped=Counter(meta["skipped"]), notes=dict(meta["notes"]), source=meta["source"],
                    from_cache=True)
    if corpus.fingerprint != meta["fingerprint"]:
        raise ValueError(f"documents have fingerprint {corpus.fingerprint}, the entry says {meta['fingerprint']}")
    return corpus


def write_entry(folder: Path, key: str, corpus: Corpus) -> None:
    """Save ``corpus`` as ``folder``, atomically; :class:`NotExact` if it would not round-trip."""
    from datasets import DatasetDict

    dataset = DatasetDict({SPLIT: corpus.to_dataset()})
    meta: dict[str, Any] = {"format": CORPUS_FORMAT_VERSION, "key": key, "name": corpus.name,
                            "source": corpus.source, "fingerprint": corpus.fingerprint,
                            "documents": len(corpus), "splits": corpus.splits, "skipped": dict(corpus.skipped),
                            "notes": corpus.notes}
    meta_text = encode_json(meta, f"corpus {corpus.name!r} splits, skipped counts or notes")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{key}.", suffix=".tmp"))
    try:
        with _quiet_progress():
            dataset.save_to_disk(str(staging / DATASET))
        (staging / META).write_text(meta_text, encoding="utf-8")
        os.rename(staging, folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if (folder / META).is_file():  # another process saved the same entry first
            return
        raise


def evict(folder: Path) -> None:
    """Remove an entry: first renamed out of the way (so no reader sees it half-deleted), then deleted."""
    doomed = folder.with_name(f".{folder.name}.evicted-{uuid.uuid4().hex[:8]}")
    try:
        os.rename(folder, doomed)
    except OSError:
        return  # already gone (another process evicted it)
    shutil.rmtree(doomed, ignore_errors=True)


def cached_corpus(cache_dir: Path, key: str, parse: Callable[[], Corpus]) -> Corpus:
    """The corpus under ``key`` from the cache, else ``parse()`` saved there; errors of ``parse``
    propagate and nothing is saved. A cache that cannot be read or written costs a warning, never the load."""
    folder = entry_folder(cache_dir, key)
    if folder.is_dir():
        try:
            return read_entry(folder, key)
        except Exception as exc:  # noqa: BLE001 — whatever is wrong with the entry, it is rebuilt
            warnings.warn(f"corpus cache entry {folder} could not be read and is rebuilt "
                          f"({type(exc).__name__}: {str(exc)[:200]})", CacheWarning, stacklevel=3)
            evict(folder)
    corpus = parse()
    try:
        write_entry(folder, key, corpus)
    except NotExact as exc:
        warnings.warn(f"corpus {corpus.name!r} is not cached: {exc}", CacheWarning, stacklevel=3)
    except OSError as exc:
        warnings.warn(f"corpus {corpus.name!r} could not be saved to the cache {folder.parent} "
                      f"({exc.strerror or exc})", CacheWarning, stacklevel=3)
    return corpus
