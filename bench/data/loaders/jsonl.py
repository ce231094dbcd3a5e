"""The harness's own corpus format: one JSON document per line (see corpora/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.data.registry import LoadResult, register_loader
from bench.data.schema import Document, Span
from bench.data.sentences import split_sentences
from bench.errors import DataError


def _parse_line(raw: dict[str, Any], path: Path, line_no: int) -> Document:
    for key in ("id", "text"):
        if not isinstance(raw.get(key), str):
            raise DataError(f"field {key!r} is missing or not a string", path=str(path), line=line_no)
    doc_id, text = raw["id"], raw["text"]
    spans = []
    for i, s in enumerate(raw.get("spans", [])):
        try:
            spans.append(Span(int(s["start"]), int(s["end"]), str(s["label"]), str(s.get("text", ""))))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(
                f"span #{i} needs integer 'start', 'end' and a 'label' ({exc})",
                path=str(path), line=line_no, doc_id=doc_id,
            ) from None
    sentences = split_sentences(text)
    by_offsets = {(s.start, s.end): s for s in sentences}
    for i, labelled in enumerate(raw.get("sentence_labels", [])):
        key = (labelled.get("start"), labelled.get("end"))
        if key not in by_offsets:
            raise DataError(
                f"sentence_labels #{i} [{key[0]}:{key[1]}] is not a sentence of the text as the splitter sees it",
                path=str(path), line=line_no, doc_id=doc_id,
            )
        by_offsets[key].labels.update({k: v for k, v in labelled.items() if k not in ("start", "end")})
    return Document(
        id=doc_id,
        text=text,
        metadata=dict(raw.get("metadata", {})),
        spans=spans,
        sentences=sentences,
        doc_labels=dict(raw.get("doc_labels", {})),
    )


@register_loader("jsonl")
def load_jsonl(root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any]) -> LoadResult:
    """Read ``files.documents`` (JSON lines: id, text, metadata, spans, sentence_labels)."""
    path = root / files["documents"]
    if not path.is_file():
        raise DataError("corpus file not found", path=str(path))
    documents: list[Document] = []
    skipped = 0
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                if not isinstance(raw, dict):
                    raise DataError("a line must hold one JSON object", path=str(path), line=line_no)
                documents.append(_parse_line(raw, path, line_no))
            except json.JSONDecodeError as exc:
                if strict:
                    raise DataError(f"invalid JSON ({exc.msg} at column {exc.colno})", path=str(path), line=line_no) from None
                skipped += 1
            except DataError:
                if strict:
                    raise
                skipped += 1
    return LoadResult(documents, skipped={"malformed_lines": skipped} if skipped else {})
