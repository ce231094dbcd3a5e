"""CoNLL-2010 Wikipedia sentences (certain/uncertain) and the Szeged Uncertainty Corpus (cue spans)."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from bench.data.loaders._common import check_document_size, csv_rows, read_text, require_file
from bench.data.registry import LoadResult, Reading, register_loader
from bench.data.schema import Document, Sentence, Span
from bench.errors import DataError

CONLL_LABELS = {"-1": 1, "1": 0}  # -1 uncertain (weasel/hedge) -> positive for unverified_sources


@register_loader("conll2010_sentences")
def load_conll2010(root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any],
                   reading: Reading = Reading()) -> LoadResult:
    """Pattern's CoNLL-2010 sample: ``"label","sentence"`` rows, HTML-escaped, no header."""
    path = require_file(root, files["sentences"])
    documents, skipped = [], 0

    def skip_or_raise(error: DataError) -> None:
        nonlocal skipped
        if strict:
            raise error
        skipped += 1

    for number, row in csv_rows(path, reading.encoding, on_error=skip_or_raise):
        if not row:
            continue
        try:
            if len(row) != 2 or row[0] not in CONLL_LABELS:
                raise DataError(f"expected \"label\",\"sentence\" with label -1 or 1, got {row[:2]!r:.80}",
                                path=str(path), line=number)
            text = html.unescape(row[1]).strip()
            if not text:
                raise DataError("empty sentence", path=str(path), line=number)
            check_document_size(text, reading, path, line=number)
        except DataError as error:
            skip_or_raise(error)
            continue
        label = CONLL_LABELS[row[0]]
        documents.append(Document(f"conll2010-{number:05d}", text, {"line": number, "native_label": row[0]},
                                  [], [Sentence(0, len(text), {"unverified_sources": label})]))
    return LoadResult(documents, skipped={"malformed_rows": skipped} if skipped else {})


CUE_TYPES = {
    "speculation_modal_probable_": "epistemic",
    "speculation_hypo_doxastic _": "doxastic",
    "speculation_hypo_condition _": "condition",
    "speculation_hypo_investigation _": "investigation",
}


def _sentence_text(element: ET.Element, base: int, cues: list[tuple[int, int, str]]) -> str:
    """Text of a <Sentence> with its inline <ccue> elements; records cue offsets."""
    parts = [element.text or ""]
    offset = base + len(parts[0])
    for child in element:
        inner = "".join(child.itertext())
        if child.tag == "ccue":
            cues.append((offset, offset + len(inner), child.get("type", "")))
        parts.append(inner)
        offset += len(inner)
        parts.append(child.tail or "")
        offset += len(child.tail or "")
    return "".join(parts)


@register_loader("szeged_wiki")
def load_szeged(root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any],
                reading: Reading = Reading()) -> LoadResult:
    """Szeged Uncertainty Corpus, Wikipedia part: documents of sentences with inline cue elements.

    The file is decoded with ``corpus.encoding`` (its XML declaration is then ignored).
    """
    path = require_file(root, files["xml"])
    try:
        # the DOCTYPE is not resolved: ElementTree does not load external DTDs
        tree_root = ET.fromstring(read_text(path, reading.encoding))
    except ET.ParseError as exc:
        raise DataError(f"malformed XML ({exc})", path=str(path), line=exc.position[0]) from None
    documents, skipped, unknown_types = [], 0, 0
    for d_index, element in enumerate(tree_root.iter("Document"), start=1):
        doc_id = (element.findtext("DocID") or f"doc{d_index}").strip()
        text, sentences, spans = "", [], []
        for part in element.iter("DocumentPart"):
            for sentence_el in part.iter("Sentence"):
                if text:
                    text += "\n"
                cues: list[tuple[int, int, str]] = []
                sentence = _sentence_text(sentence_el, len(text), cues)
                sentences.append(Sentence(len(text), len(text) + len(sentence),
                                          {"part": part.get("type", "")}))
                text += sentence
                for start, end, cue_type in cues:
                    native = CUE_TYPES.get(cue_type)
                    if native is None:
                        unknown_types += 1
                        if strict:
                            raise DataError(f"unknown cue type {cue_type!r}", path=str(path), doc_id=doc_id)
                        continue
                    if end > start:
                        spans.append(Span(start, end, "unverified_source/hedge", text[start:end], native_label=native))
        sentences = [s for s in sentences if s.end > s.start]
        if not sentences:
            skipped += 1
            continue
        for s in sentences:
            s.labels.pop("part", None)
        check_document_size(text, reading, path, doc_id=doc_id)
        documents.append(Document(f"{d_index:05d}-{doc_id}", text, {"article": doc_id}, spans, sentences))
    skipped_counts = {k: v for k, v in {"empty_documents": skipped, "unknown_cue_types": unknown_types}.items() if v}
    return LoadResult(documents, skipped=skipped_counts)
