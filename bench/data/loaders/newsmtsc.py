"""NewsMTSC (Hamborg & Donnay 2021): target-dependent sentiment in news sentences, own splits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.data.loaders._common import require_file
from bench.data.registry import LoadResult, register_loader
from bench.data.schema import Document, Sentence, Span
from bench.errors import DataError

POLARITY = {2.0: "negative", 4.0: "neutral", 6.0: "positive"}


def _group(gid: str) -> str:
    """``allsides_703_283_55_…`` -> ``allsides_703_283`` (source, article ids) for grouping."""
    return "_".join(gid.split("_")[:3])


@register_loader("newsmtsc")
def load_newsmtsc(root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any]) -> LoadResult:
    documents, splits, skipped = [], {}, 0
    for split, relative in files.items():
        path = require_file(root, relative)
        ids = []
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    raw = json.loads(line)
                    text = raw["sentence_normalized"]
                    spans = []
                    for target in raw["targets"]:
                        start, end, polarity = int(target["from"]), int(target["to"]), float(target["polarity"])
                        if polarity not in POLARITY:
                            raise DataError(f"polarity {polarity} is not 2.0, 4.0 or 6.0", path=str(path), line=number)
                        if text[start:end] != target["mention"]:
                            raise DataError(f"target {target['mention']!r} is not at {start}:{end}",
                                            path=str(path), line=number)
                        spans.append(Span(start, end, f"sentiment_target/{POLARITY[polarity]}", text[start:end],
                                          native_label=str(polarity)))
                except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                    if strict:
                        raise DataError(f"malformed line ({type(exc).__name__}: {exc})", path=str(path),
                                        line=number) from None
                    skipped += 1
                    continue
                except DataError:
                    if strict:
                        raise
                    skipped += 1
                    continue
                doc_id = f"{split}-{number:05d}"
                ids.append(doc_id)
                documents.append(Document(doc_id, text, {"article": _group(raw.get("primary_gid", doc_id)),
                                                         "native_split": split, "line": number},
                                          spans, [Sentence(0, len(text))]))
        splits[split] = ids
    return LoadResult(documents, splits=splits, skipped={"malformed_lines": skipped} if skipped else {})
