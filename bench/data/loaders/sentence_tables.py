"""BABE and MBIC: sentence-level bias/opinion labels and biased words located as spans."""

from __future__ import annotations

import warnings
import zipfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Iterator

from bench.data.loaders._common import check_document_size, csv_rows, locate_all, parse_word_list, require_file
from bench.data.registry import LoadResult, Reading, register_loader
from bench.data.schema import Document, Sentence, Span
from bench.errors import DataError

BIAS = {"Biased": 1, "Non-biased": 0, "No agreement": None}
OPINION = {"Entirely factual": "factual", "Somewhat factual but also opinionated": "somewhat_opinionated",
           "Expresses writer’s opinion": "opinion", "Expresses writer's opinion": "opinion", "No agreement": None}
REQUIRED = ("text", "news_link", "outlet", "topic", "type", "label_bias", "label_opinion", "biased_words")


def _require_columns(header: list[str], required: tuple[str, ...], path: Path) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(f"missing columns {missing} (header has {header[:12]})", path=str(path), line=1)


def _csv_rows(path: Path, reading: Reading, on_error: Callable[[DataError], None]
              ) -> Iterator[tuple[int, dict[str, str | None]]]:
    """Rows of a semicolon-separated file with a header, as ``csv.DictReader`` gives them (blank rows skipped)."""
    rows = csv_rows(path, reading.encoding, on_error=on_error, delimiter=";")
    first = next(rows, None)
    if first is None:
        raise DataError("empty file: expected a header row and sentence rows", path=str(path), line=1)
    header = first[1]
    _require_columns(header, REQUIRED, path)
    for number, row in rows:
        if row:
            yield number, {name: (row[i] if i < len(row) else None) for i, name in enumerate(header)}


def _open_workbook(path: Path) -> Any:
    import openpyxl  # only the Excel corpora need it (0.4 s to import)
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise DataError(f"not a readable Excel workbook ({type(exc).__name__}: {exc})", path=str(path)) from None


def _xlsx_rows(path: Path, sheet: str | None = None, required: tuple[str, ...] = REQUIRED
               ) -> Iterator[tuple[int, dict[str, Any]]]:
    # the MBIC/BABE workbooks use an Excel extension openpyxl does not need; its warning is noise
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Unknown extension is not supported", category=UserWarning)
        workbook = _open_workbook(path)
        try:
            if sheet and sheet not in workbook.sheetnames:
                raise DataError(f"no sheet {sheet!r} (sheets: {workbook.sheetnames})", path=str(path))
            worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
            rows = worksheet.iter_rows(values_only=True)
            first = next(rows, None)
            if first is None:
                raise DataError("empty workbook: expected a header row and sentence rows", path=str(path), line=1)
            header = [str(h) for h in first]
            _require_columns(header, required, path)
            table = [(number, dict(zip(header, values))) for number, values in enumerate(rows, start=2)
                     if not all(v is None for v in values)]
        finally:
            workbook.close()
    yield from table


def _document(corpus: str, number: int, row: dict[str, Any], path: Path, reading: Reading, unlocated: Counter[str],
              extra_metadata: dict[str, Any]) -> Document:
    text = str(row.get("text") or "").strip()
    if not text:
        raise DataError("empty text", path=str(path), line=number)
    check_document_size(text, reading, path, line=number)
    raw_bias, raw_opinion = str(row.get("label_bias") or "").strip(), str(row.get("label_opinion") or "").strip()
    if raw_bias not in BIAS:
        raise DataError(f"label_bias {raw_bias!r} is not one of {list(BIAS)}", path=str(path), line=number)
    if raw_opinion and raw_opinion not in OPINION:
        raise DataError(f"label_opinion {raw_opinion!r} is not one of {list(OPINION)}", path=str(path), line=number)
    doc_id = f"{corpus}-{number:05d}"
    spans = []
    for word in parse_word_list(row.get("biased_words"), path, number):
        hits = locate_all(text, word)
        if not hits:
            unlocated[word] += 1
        spans += [Span(s, e, "loaded_language/biased_word", text[s:e], native_label=word) for s, e in hits]
    # "No agreement" stays an explicit None: no gold, not "no bias"
    labels: dict[str, Any] = {"loaded_language": BIAS[raw_bias]}
    if OPINION.get(raw_opinion) is not None:
        labels["opinion"] = OPINION[raw_opinion]
    metadata = {"outlet": row.get("outlet"), "topic": row.get("topic"), "leaning": row.get("type"),
                "article": row.get("news_link"), "label_bias": raw_bias, "label_opinion": raw_opinion,
                "line": number, **extra_metadata}
    unique = {}
    for span in spans:  # a word listed twice (or in two spellings) marks the same offsets once
        unique.setdefault((span.start, span.end), span)
    return Document(doc_id, text, metadata, [unique[k] for k in sorted(unique)], [Sentence(0, len(text), labels)])


def _skipper(strict: bool, skipped: Counter[str]) -> Callable[[DataError], None]:
    """Raise a malformed row's error (strict), or count it in ``skipped['malformed_rows']``."""
    def handle(error: DataError) -> None:
        if strict:
            raise error
        skipped["malformed_rows"] += 1

    return handle


def _collect(corpus: str, rows: Iterator[tuple[int, dict[str, Any]]], path: Path, strict: bool, reading: Reading,
             extra: dict[str, dict[str, Any]] | None = None, skipped: Counter[str] | None = None) -> LoadResult:
    documents, unlocated = [], Counter()
    skipped = Counter() if skipped is None else skipped
    seen = 0
    for number, row in rows:
        seen += 1
        try:
            key = str(row.get("text") or "").strip()
            documents.append(_document(corpus, number, row, path, reading, unlocated, (extra or {}).get(key, {})))
        except DataError as error:
            _skipper(strict, skipped)(error)
    if not seen and not skipped:
        raise DataError("header only: no sentence rows", path=str(path))
    notes = {"unlocated_biased_words": sum(unlocated.values()),
             "unlocated_examples": [w for w, _ in unlocated.most_common(10)]}
    return LoadResult(documents, skipped=dict(skipped), notes=notes)


@register_loader("babe")
def load_babe(root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any],
              reading: Reading = Reading()) -> LoadResult:
    """BABE (Spinde et al. 2021): ``final_labels_SG2.csv`` (semicolon-separated, UTF-8 with BOM)."""
    path = require_file(root, files["labels"])
    skipped: Counter[str] = Counter()
    rows = _csv_rows(path, reading, _skipper(strict, skipped))
    return _collect(str(options.get("id_prefix", "babe")), rows, path, strict, reading, skipped=skipped)


def _agreement(path: Path) -> dict[str, dict[str, Any]]:
    """Per sentence text: crowd annotators, share voting Biased, agreement with the majority, and each
    annotator's own labels (``annotator_ids``, ``annotator_bias``, ``annotator_opinion``, ``annotator_words``,
    in the file's row order)."""
    votes: dict[str, list[str]] = defaultdict(list)
    raw: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for number, row in _xlsx_rows(path, "annotations", required=("text", "label_bias")):
        text = str(row.get("text") or "").strip()
        if text:
            votes[text].append(str(row.get("label_bias") or ""))
            raw[text].append({"line": number, **row})
    out = {}
    for text, labels in votes.items():
        counts = Counter(labels)
        majority = counts.most_common(1)[0][1]
        out[text] = {"annotators": len(labels), "share_biased": round(counts["Biased"] / len(labels), 4),
                     "agreement": round(majority / len(labels), 4), **_annotator_labels(raw[text], path)}
    return out


def _annotator_labels(rows: list[dict[str, Any]], path: Path) -> dict[str, Any]:
    """One entry per annotator row: its worker id, bias label, opinion label and marked words."""
    for row in rows:
        bias = str(row.get("label_bias") or "").strip()
        if bias not in ("Biased", "Non-biased"):
            raise DataError(f"label_bias {bias!r} is not Biased or Non-biased", path=str(path), line=row["line"])
        opinion = str(row.get("label_opinion") or "").strip()
        if opinion and opinion not in OPINION:
            raise DataError(f"label_opinion {opinion!r} is not one of {list(OPINION)}", path=str(path),
                            line=row["line"])
    return {"annotator_ids": [str(r.get("mturk_id") or "") for r in rows],
            "annotator_bias": [BIAS[str(r["label_bias"]).strip()] for r in rows],
            "annotator_opinion": [OPINION.get(str(r.get("label_opinion") or "").strip()) for r in rows],
            "annotator_words": [str(r.get("words") or "").strip() for r in rows]}


def _keep_votes(doc: Document) -> None:
    """Each annotator's labels as the sentence's ``annotator_votes`` (task -> one vote per annotator,
    None where an annotator gave no opinion label); the worker ids and marked words stay in metadata."""
    bias, opinion = doc.metadata.pop("annotator_bias", None), doc.metadata.pop("annotator_opinion", None)
    if bias is None:
        return
    doc.sentences[0].labels["annotator_votes"] = {"loaded_language": bias, "opinion": opinion}


@register_loader("mbic")
def load_mbic(root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any],
              reading: Reading = Reading()) -> LoadResult:
    """MBIC (Spinde et al. 2021): ``final_labels_MBIC.xlsx``, agreement from ``raw_labels_MBIC.xlsx``."""
    path = require_file(root, files["labels"])
    agreement = _agreement(require_file(root, files["raw_labels"])) if files.get("raw_labels") else {}
    result = _collect("mbic", _xlsx_rows(path), path, strict, reading, agreement)
    for doc in result.documents:
        _keep_votes(doc)
    result.notes["sentences_with_agreement"] = sum("agreement" in d.metadata for d in result.documents)
    return result
