"""SemEval-2020 Task 11 Propaganda Techniques Corpus: article texts + technique spans (TC labels)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bench.data.loaders._common import check_document_size, gold_file_notes, read_text, slug
from bench.data.registry import LoadResult, Reading, register_loader
from bench.data.schema import Document, Sentence, Span
from bench.errors import DataError

#: PTC techniques that are loaded language in this harness; every technique is kept as native label
LOADED = {"Loaded_Language": "loaded_language/loaded_language", "Name_Calling,Labeling": "loaded_language/name_calling"}
_ARTICLE = re.compile(r"article(\d+)\.txt$")


def _lines_as_sentences(text: str) -> list[Sentence]:
    """PTC articles hold one sentence per line (title first)."""
    sentences, offset = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = offset + line.index(stripped)
            sentences.append(Sentence(start, start + len(stripped)))
        offset += len(line) + 1
    return sentences


def _offset(value: str, what: str) -> int:
    """A decimal character offset; ValueError naming the field otherwise."""
    if not (value.strip().isascii() and value.strip().isdigit()):
        raise ValueError(f"{what} offset {value!r} is not a non-negative integer")
    return int(value)


@register_loader("ptc")
def load_ptc(root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any],
             reading: Reading = Reading()) -> LoadResult:
    """PTC: ``article<id>.txt`` (one sentence per line, title first) and ``article<id>.task2-TC.labels``
    (``id<TAB>technique<TAB>start<TAB>end``, offsets into the article as read, byte-order mark included)."""
    articles_dir = root / files["articles"]
    labels_dir = root / files["labels"]
    for folder in (articles_dir, labels_dir):
        if not folder.is_dir():
            raise DataError("corpus folder not found", path=str(folder))
    documents, skipped = [], {"malformed_label_lines": 0, "empty_articles": 0, "articles_without_labels": 0}
    relabel = {str(k): str(v) for k, v in (options.get("relabel") or {}).items()}
    label_files: list[Path] = []
    article_paths = sorted(articles_dir.glob("article*.txt"))
    for path in article_paths:
        match = _ARTICLE.search(path.name)
        if not match:
            continue
        article_id = match.group(1)
        # as Python's text mode reads it (newlines translated, a BOM kept): the offsets count that text
        text = read_text(path, reading.encoding, universal_newlines=True, strip_bom=False)
        if not text.strip():
            if strict:
                raise DataError("empty article", path=str(path))
            skipped["empty_articles"] += 1
            continue
        check_document_size(text, reading, path, doc_id=article_id)
        spans = []
        label_path = labels_dir / f"article{article_id}.task2-TC.labels"
        if label_path.is_file():
            label_files.append(label_path)
            label_text = read_text(label_path, reading.encoding, universal_newlines=True)
            for line_no, line in enumerate(label_text.split("\n"), start=1):
                if not line.strip():
                    continue
                parts = line.split("\t")
                try:
                    if len(parts) != 4 or parts[0] != article_id:
                        raise ValueError("expected article_id<TAB>technique<TAB>start<TAB>end")
                    technique, start, end = parts[1], _offset(parts[2], "start"), _offset(parts[3], "end")
                    if not 0 <= start < end <= len(text):
                        raise ValueError(f"offsets {start}-{end} outside the article (length {len(text)})")
                except ValueError as exc:
                    if strict:
                        raise DataError(str(exc), path=str(label_path), line=line_no) from None
                    skipped["malformed_label_lines"] += 1
                    continue
                # options.relabel maps a technique to another label (ptc_sourcing: Doubt -> unverified_source/doubt)
                label = relabel.get(technique) or LOADED.get(technique, f"propaganda/{slug(technique)}")
                spans.append(Span(start, end, label, text[start:end], native_label=technique))
        elif strict:
            raise DataError("label file for article not found", path=str(label_path))
        else:  # no gold for it: skipped and counted, never scored as an article without propaganda
            skipped["articles_without_labels"] += 1
            continue
        documents.append(Document(
            id=article_id, text=text, spans=spans, sentences=_lines_as_sentences(text),
            metadata={"title": text.split("\n", 1)[0].strip(), "article": article_id},
        ))
    if not article_paths:
        raise DataError("no article*.txt files found", path=str(articles_dir))
    notes = gold_file_notes(root, labels_dir, "article<id>.task2-TC.labels", label_files,
                            len(documents) + skipped["articles_without_labels"])
    return LoadResult(documents, skipped={k: v for k, v in skipped.items() if v}, notes=notes)
