"""The harness's own corpus format: one JSON document per line (see corpora/README.md).

Each non-blank line is one JSON object:

- ``id`` (string, required) and ``text`` (string, required, not blank);
- ``metadata`` (object), ``doc_labels`` (object): optional;
- ``spans``: optional array of ``{"start": int, "end": int, "label": "category/sub_label", "text": str}``
  (character offsets into ``text``, end exclusive; integers only, so ``62.7`` or ``true`` is an error),
  or, without offsets, ``{"text": str, "occurrence": int, "label": …}``: the ``occurrence``-th (1-based)
  appearance of ``text`` in the document, resolved and checked at load (``occurrence`` may be left out
  when the words appear once);
- ``sentences``: optional array of ``[start, end]`` integer pairs, the document's own sentence
  boundaries (within the text, in order, not overlapping); without it the text is split by
  :func:`bench.data.sentences.split_sentences` (pysbd, one paragraph per line);
- ``sentence_labels``: optional array of ``{"start": int, "end": int, <task>: value}`` whose offsets
  must be one of the document's sentences.

The file is decoded with ``corpus.encoding`` (default UTF-8); a document longer than
``corpus.max_document_chars`` is refused. Every problem is reported as ``file:line``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.data.loaders._common import (
    check_document_size,
    require_file,
    require_int,
    require_list,
    require_object,
    text_lines,
)
from bench.data.registry import LoadResult, Reading, register_loader
from bench.data.schema import Document, Sentence, Span
from bench.data.sentences import given_sentences, split_sentences
from bench.errors import DataError


def occurrence_offsets(text: str, surface: str, occurrence: int | None, what: str) -> tuple[int, int]:
    """``[start, end)`` of the ``occurrence``-th (1-based) appearance of ``surface`` in ``text``.

    Without ``occurrence`` the surface must appear exactly once; every other case is a ValueError that
    says how often it appears.
    """
    if not surface:
        raise ValueError(f"{what} needs a non-empty 'text' to be found in the document")
    starts, at = [], text.find(surface)
    while at != -1:
        starts.append(at)
        at = text.find(surface, at + 1)
    if not starts:
        raise ValueError(f"{what} text {surface!r} does not occur in the document")
    if occurrence is None:
        if len(starts) > 1:
            raise ValueError(f"{what} text {surface!r} occurs {len(starts)} times; add 'occurrence' (1 … "
                             f"{len(starts)}) or offsets")
        occurrence = 1
    if not 1 <= occurrence <= len(starts):
        raise ValueError(f"{what} 'occurrence' {occurrence} is out of range: {surface!r} occurs "
                         f"{len(starts)} time{'s' if len(starts) > 1 else ''}")
    return starts[occurrence - 1], starts[occurrence - 1] + len(surface)


def _span(raw: object, i: int, text: str) -> Span:
    """A span by offsets (``start``, ``end``) or by its words (``text`` with an optional 1-based
    ``occurrence``), resolved against the document text."""
    item = require_object(raw, f"span #{i}")
    label, surface = item.get("label"), item.get("text", "")
    if not isinstance(label, str):
        raise ValueError(f"span #{i} needs a string 'label', got {label!r}")
    if not isinstance(surface, str):
        raise ValueError(f"span #{i} 'text' must be a string, got {surface!r}")
    if "start" not in item and "end" not in item:
        occurrence = item.get("occurrence")
        if occurrence is not None:
            occurrence = require_int(occurrence, f"span #{i} 'occurrence'")
        start, end = occurrence_offsets(text, surface, occurrence, f"span #{i}")
        return Span(start, end, label, surface)
    if "occurrence" in item:
        raise ValueError(f"span #{i} gives both offsets and 'occurrence'; give one of them")
    start, end = require_int(item.get("start"), f"span #{i} 'start'"), require_int(item.get("end"), f"span #{i} 'end'")
    return Span(start, end, label, surface)


def _label_sentences(sentences: list[Sentence], labelled: list[Any]) -> None:
    """Attach ``sentence_labels`` to the sentences with the same offsets."""
    by_offsets = {(s.start, s.end): s for s in sentences}
    for i, raw in enumerate(labelled):
        item = require_object(raw, f"sentence_labels #{i}")
        key = (item.get("start"), item.get("end"))
        if key not in by_offsets or not all(isinstance(v, int) and not isinstance(v, bool) for v in key):
            raise ValueError(f"sentence_labels #{i} [{key[0]}:{key[1]}] is not a sentence of the document "
                             "(its 'sentences' field, or the text as the splitter sees it)")
        by_offsets[key].labels.update({k: v for k, v in item.items() if k not in ("start", "end")})


def _document(raw: dict[str, Any], path: Path, line_no: int, reading: Reading) -> Document:
    """One document from a parsed line; ValueError for a malformed field (the caller adds file:line)."""
    for key in ("id", "text"):
        if not isinstance(raw.get(key), str):
            raise ValueError(f"field {key!r} is missing or not a string")
    doc_id, text = raw["id"], raw["text"]
    if not text.strip():
        raise ValueError("field 'text' is empty")
    check_document_size(text, reading, path, line=line_no, doc_id=doc_id)
    metadata = require_object(raw.get("metadata", {}), "field 'metadata'")
    doc_labels = require_object(raw.get("doc_labels", {}), "field 'doc_labels'")
    spans = [_span(s, i, text) for i, s in enumerate(require_list(raw.get("spans", []), "field 'spans'"))]
    if "sentences" in raw:
        sentences = given_sentences(text, require_list(raw["sentences"], "field 'sentences'"))
    else:
        sentences = split_sentences(text)
    _label_sentences(sentences, require_list(raw.get("sentence_labels", []), "field 'sentence_labels'"))
    return Document(id=doc_id, text=text, metadata=dict(metadata), spans=spans, sentences=sentences,
                    doc_labels=dict(doc_labels))


def _parse_line(line: str, path: Path, line_no: int, reading: Reading) -> Document:
    """The document on one line, or a DataError naming ``path:line_no`` (and the document id)."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON ({exc.msg} at column {exc.colno})", path=str(path), line=line_no) from None
    except RecursionError:
        raise DataError("invalid JSON (nested too deeply)", path=str(path), line=line_no) from None
    if not isinstance(raw, dict):
        raise DataError(f"a line must hold one JSON object, got {type(raw).__name__}", path=str(path), line=line_no)
    try:
        return _document(raw, path, line_no, reading)
    except ValueError as exc:
        doc_id = raw["id"] if isinstance(raw.get("id"), str) else None
        raise DataError(str(exc), path=str(path), line=line_no, doc_id=doc_id) from None


@register_loader("jsonl")
def load_jsonl(root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any],
               reading: Reading = Reading()) -> LoadResult:
    """Read ``files.documents`` (JSON lines: id, text, metadata, spans, sentences, sentence_labels)."""
    if "documents" not in files:
        raise DataError("the jsonl loader needs corpus.files.documents (the JSON-lines file)", path=str(root))
    path = require_file(root, files["documents"])
    documents: list[Document] = []
    skipped = 0
    for line_no, line in text_lines(path, reading.encoding):
        if not line.strip():
            continue
        try:
            documents.append(_parse_line(line, path, line_no, reading))
        except DataError:
            if strict:
                raise
            skipped += 1
    return LoadResult(documents, skipped={"malformed_lines": skipped} if skipped else {})
