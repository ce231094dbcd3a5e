"""NewsMTSC (Hamborg & Donnay 2021): target-dependent sentiment in news sentences, own splits."""

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
from bench.errors import DataError

POLARITY = {2.0: "negative", 4.0: "neutral", 6.0: "positive"}


def _group(gid: str) -> str:
    """``allsides_703_283_55_…`` -> ``allsides_703_283`` (source, article ids) for grouping."""
    return "_".join(gid.split("_")[:3])


def _target(raw: object, i: int, text: str) -> Span:
    """One target mention as a ``sentiment_target/<polarity>`` span; ValueError if malformed."""
    target = require_object(raw, f"target #{i}")
    start = require_int(target.get("from"), f"target #{i} 'from'")
    end = require_int(target.get("to"), f"target #{i} 'to'")
    polarity = target.get("polarity")
    if isinstance(polarity, bool) or not isinstance(polarity, (int, float)) or float(polarity) not in POLARITY:
        raise ValueError(f"target #{i} polarity {polarity!r} is not 2.0, 4.0 or 6.0")
    if not 0 <= start < end <= len(text) or text[start:end] != target.get("mention"):
        raise ValueError(f"target #{i} {target.get('mention')!r} is not at {start}:{end}")
    return Span(start, end, f"sentiment_target/{POLARITY[float(polarity)]}", text[start:end],
                native_label=str(float(polarity)))


def _sentence(line: str) -> tuple[dict[str, Any], str, list[Span]]:
    """The parsed line, its normalised sentence and target spans; ValueError if malformed."""
    try:
        raw = require_object(json.loads(line), "a line")
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ValueError("invalid JSON (nested too deeply)") from None
    text = raw.get("sentence_normalized")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("field 'sentence_normalized' is missing, empty or not a string")
    targets = require_list(raw.get("targets"), "field 'targets'")
    return raw, text, [_target(t, i, text) for i, t in enumerate(targets)]


@register_loader("newsmtsc")
def load_newsmtsc(root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any],
                  reading: Reading = Reading()) -> LoadResult:
    """One JSON-lines file per native split (``files``: split name -> file)."""
    documents, splits, skipped = [], {}, 0
    for split, relative in files.items():
        path = require_file(root, relative)
        ids = []
        for number, line in text_lines(path, reading.encoding):
            if not line.strip():
                continue
            try:
                try:
                    raw, text, spans = _sentence(line)
                except ValueError as exc:
                    raise DataError(str(exc), path=str(path), line=number) from None
                check_document_size(text, reading, path, line=number)
            except DataError:
                if strict:
                    raise
                skipped += 1
                continue
            doc_id = f"{split}-{number:05d}"
            ids.append(doc_id)
            gid = raw.get("primary_gid")
            documents.append(Document(doc_id, text, {"article": _group(gid if isinstance(gid, str) else doc_id),
                                                     "native_split": split, "line": number},
                                      spans, [Sentence(0, len(text))]))
        if not ids:
            raise DataError(f"no sentences in split {split!r} (empty file, or every line malformed)", path=str(path))
        splits[split] = ids
    return LoadResult(documents, splits=splits, skipped={"malformed_lines": skipped} if skipped else {})
