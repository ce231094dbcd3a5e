"""Hube & Fetahu 2019: Wikipedia statements, biased (NPOV-tagged, crowd-confirmed) or neutral.

One statement per line; the label is the file. ``files`` maps a role to a file: the role
``biased`` holds biased statements, every role starting with ``neutral`` neutral ones (the
dataset's three neutral samples: crowd-judged hard negatives, featured-article sentences and a
type-balanced sample). Each statement is a one-sentence document with the ``loaded_language``
label and the role as metadata (``set``); ``group`` is a digest of the whitespace- and
case-normalised statement, so repeated statements stay in one split.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

from bench.data.loaders._common import check_document_size, require_file, text_lines
from bench.data.registry import LoadResult, Reading, register_loader
from bench.data.schema import Document, Sentence
from bench.errors import ConfigError, DataError


def statement_group(text: str) -> str:
    """A short digest of the case- and whitespace-normalised statement."""
    return hashlib.sha1(" ".join(text.lower().split()).encode("utf-8")).hexdigest()[:12]


def _label(role: str) -> int:
    if role == "biased":
        return 1
    if role.startswith("neutral"):
        return 0
    raise ConfigError(f"corpus.files.{role}: a file role must be 'biased' or start with 'neutral' "
                      "(the label of a statement is its file's role)")


@register_loader("npov_statements")
def load_npov(root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any],
              reading: Reading = Reading()) -> LoadResult:
    """Plain-text statement files, one statement per line (``\\n`` or ``\\r\\n``), label by file role."""
    if "biased" not in files:
        raise ConfigError("corpus.files.biased is not set: the NPOV corpus needs its biased statements file")
    documents: list[Document] = []
    per_set: Counter[str] = Counter()
    labels_by_group: dict[str, set[int]] = {}
    for role, relative in files.items():
        label = _label(role)
        path = require_file(root, relative)
        for number, line in text_lines(path, reading.encoding):
            text = " ".join(line.split())
            if not text:
                continue
            check_document_size(text, reading, path, line=number)
            group = statement_group(text)
            labels_by_group.setdefault(group, set()).add(label)
            per_set[role] += 1
            documents.append(Document(f"npov-{role}-{number:05d}", text,
                                      {"set": role, "line": number, "group": group},
                                      [], [Sentence(0, len(text), {"loaded_language": label})]))
        if not per_set[role]:
            raise DataError("no statements (empty file)", path=str(path))
    groups = Counter(d.metadata["group"] for d in documents)
    notes = {**{f"statements.{k}": v for k, v in per_set.items()},
             "repeated_statements": sum(n - 1 for n in groups.values() if n > 1),
             "statements_in_biased_and_neutral": sum(len(v) > 1 for v in labels_by_group.values())}
    return LoadResult(documents, notes=notes)
