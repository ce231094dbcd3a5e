"""A corpus: validated documents, their splits, a content fingerprint and an Arrow view."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import datasets
import pyarrow as pa

from bench.data.schema import Document, validate_document
from bench.errors import ConfigError


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

    def to_dataset(self, documents: Sequence[Document] | None = None) -> datasets.Dataset:
        """The documents as a :class:`datasets.Dataset` carrying the corpus fingerprint."""
        docs = self.documents if documents is None else documents
        table = pa.Table.from_pylist([d.to_record() for d in docs])
        fp = self.fingerprint if documents is None else fingerprint_documents(docs)
        return datasets.Dataset(table, fingerprint=fp)
