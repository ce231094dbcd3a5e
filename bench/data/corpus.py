"""A corpus: validated documents, their splits, a content fingerprint and an Arrow (``datasets``) view."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from bench.data.arrow import documents_to_dataset
from bench.data.schema import Document, validate_document
from bench.errors import ConfigError

if TYPE_CHECKING:
    import datasets


def fingerprint_documents(documents: Iterable[Document]) -> str:
    """SHA-256 over the canonical JSON of every document's text and annotations."""
    digest = hashlib.sha256()
    for doc in documents:
        digest.update(json.dumps(doc.to_record(), sort_keys=True, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:16]


@dataclass
class Corpus:
    """Documents of one corpus with named splits (lists of document ids)."""

    name: str
    documents: list[Document]
    splits: dict[str, list[str]] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    notes: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    #: true when the documents were read from the corpus cache rather than parsed
    from_cache: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id = {}
        for doc in self.documents:
            if doc.id in self._by_id:
                raise ConfigError(f"corpus {self.name!r}: duplicate document id {doc.id!r}")
            self._by_id[doc.id] = doc
        self.fingerprint = fingerprint_documents(self.documents)

    def __len__(self) -> int:
        return len(self.documents)

    def __getitem__(self, doc_id: str) -> Document:
        return self._by_id[doc_id]

    def validate(self) -> None:
        for doc in self.documents:
            validate_document(doc, self.source or self.name)

    def split(self, name: str) -> list[Document]:
        """Documents of split ``name``; ``all`` is every document."""
        if name == "all":
            return list(self.documents)
        if name not in self.splits:
            raise ConfigError(
                f"corpus {self.name!r} has no split {name!r}; it has: {', '.join(['all', *self.splits])}"
            )
        return [self._by_id[i] for i in self.splits[name]]

    def to_dataset(self) -> datasets.Dataset:
        """Every document, in order, as a :class:`datasets.Dataset` whose fingerprint is the corpus's
        (the layout is :mod:`bench.data.arrow`'s; the corpus cache saves it)."""
        return documents_to_dataset(self.documents, fingerprint=self.fingerprint)
