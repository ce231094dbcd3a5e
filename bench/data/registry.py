"""Loader registry: each corpus config names a loader registered here."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from bench.data.schema import Document
from bench.errors import ConfigError

#: default for ``corpus.max_document_chars``: longer documents are refused with one line
DEFAULT_MAX_DOCUMENT_CHARS = 2_000_000


@dataclass(frozen=True)
class Reading:
    """How loaders read files: ``corpus.encoding`` (text, CSV, JSON, XML) and ``corpus.max_document_chars``."""

    encoding: str = "utf-8"
    max_document_chars: int | None = DEFAULT_MAX_DOCUMENT_CHARS

    def __post_init__(self) -> None:
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise ConfigError(f"corpus.encoding {self.encoding!r} is not a known text encoding "
                              "(e.g. utf-8, latin-1, cp1252, utf-16)") from None
        limit = self.max_document_chars
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise ConfigError(f"corpus.max_document_chars must be a positive integer or null, got {limit!r}")

    @classmethod
    def of(cls, corpus: Any) -> Reading:
        """``corpus.encoding`` and ``corpus.max_document_chars`` of a corpus config (defaults: UTF-8, 2,000,000)."""
        encoding = str(corpus.get("encoding") or "utf-8")
        return cls(encoding=encoding, max_document_chars=corpus.get("max_document_chars", DEFAULT_MAX_DOCUMENT_CHARS))


@dataclass
class LoadResult:
    """What a loader returns: documents, native splits (ids) if any, and what it skipped."""

    documents: list[Document]
    splits: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)


class Loader(Protocol):
    def __call__(self, root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any],
                 reading: Reading) -> LoadResult: ...


LOADERS: dict[str, Loader] = {}


def register_loader(name: str) -> Callable[[Loader], Loader]:
    def decorate(fn: Loader) -> Loader:
        LOADERS[name] = fn
        return fn

    return decorate
