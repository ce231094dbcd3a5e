"""Bad corpus input gives one clear error naming file, line, document and span."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.data.load import load_corpus
from bench.errors import DataError

GOOD = {"id": "d1", "text": "The dictator spoke.", "spans": [{"start": 4, "end": 12, "label": "loaded_language/name_calling", "text": "dictator"}]}


def _corpus(tmp_path: Path, lines: list[str], strict: bool = True):
    (tmp_path / "documents.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = {"name": "t", "loader": "jsonl", "root": str(tmp_path), "files": {"documents": "documents.jsonl"}}
    return load_corpus(cfg, strict=strict)


def _with_span(**changes) -> str:
    doc = json.loads(json.dumps(GOOD))
    doc["spans"][0].update(changes)
    return json.dumps(doc)


def test_good_document_loads(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, [json.dumps(GOOD)])
    assert corpus.documents[0].spans[0].text == "dictator"


def test_span_outside_text(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"documents.jsonl.*document 'd1'.*span \[4:99\].*outside the text"):
        _corpus(tmp_path, [_with_span(end=99, text="")])


def test_surface_form_mismatch(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"document 'd1'.*stored surface form 'tyrant' differs"):
        _corpus(tmp_path, [_with_span(text="tyrant")])


def test_unknown_label(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"unknown category 'bias'"):
        _corpus(tmp_path, [_with_span(label="bias/word")])


def test_malformed_json_names_line(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"documents.jsonl:2: invalid JSON"):
        _corpus(tmp_path, [json.dumps(GOOD), "{not json"])


def test_missing_file(tmp_path: Path) -> None:
    cfg = {"name": "t", "loader": "jsonl", "root": str(tmp_path), "files": {"documents": "nope.jsonl"}}
    with pytest.raises(DataError, match=r"nope.jsonl: corpus file not found"):
        load_corpus(cfg)


def test_lenient_mode_skips_and_counts(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, [json.dumps(GOOD), "{not json", _with_span(text="tyrant").replace('"d1"', '"d2"')],
                     strict=False)
    assert [d.id for d in corpus.documents] == ["d1"]
    assert corpus.skipped == {"malformed_lines": 1, "invalid_documents": 1}
