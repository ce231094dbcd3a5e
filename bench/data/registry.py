"""Loader registry: each corpus config names a loader registered here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from bench.data.schema import Document


@dataclass
class LoadResult:
    """What a loader returns: documents, native splits (ids) if any, and what it skipped."""

    documents: list[Document]
    splits: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)


class Loader(Protocol):
    def __call__(self, root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any]) -> LoadResult: ...


LOADERS: dict[str, Loader] = {}


def register_loader(name: str) -> Callable[[Loader], Loader]:
    def decorate(fn: Loader) -> Loader:
        LOADERS[name] = fn
        return fn

    return decorate
