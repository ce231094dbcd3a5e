"""Custom JSON-lines spans given by their words and occurrence, resolved at load; the same documents as
hand-computed offsets, and one error line naming file and line when the words cannot be placed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from bench.data.load import load_corpus
from bench.data.loaders.jsonl import occurrence_offsets
from bench.errors import DataError

TEXT = "Officials reportedly said the dictator fled. The dictator denied it, reportedly."


def _corpus(tmp_path: Path, *docs: dict) -> list:
    (tmp_path / "documents.jsonl").write_text("\n".join(json.dumps(d) for d in docs) + "\n", encoding="utf-8")
    cfg = {"name": "mine", "loader": "jsonl", "root": str(tmp_path), "files": {"documents": "documents.jsonl"},
           "strict": True, "splits": {"strategy": "none"}}
    return load_corpus(cfg).documents


def test_words_with_occurrence_give_the_same_document_as_offsets(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    by_words = _corpus(tmp_path / "a", {
        "id": "d1", "text": TEXT, "spans": [
            {"text": "Officials", "label": "unverified_source/anonymous_source"},
            {"text": "reportedly", "occurrence": 2, "label": "unverified_source/hedge"},
            {"text": "dictator", "occurrence": 1, "label": "loaded_language/name_calling"}]})[0]
    (tmp_path / "b").mkdir()
    second = TEXT.index("reportedly", TEXT.index("reportedly") + 1)
    by_offsets = _corpus(tmp_path / "b", {
        "id": "d1", "text": TEXT, "spans": [
            {"start": 0, "end": 9, "text": "Officials", "label": "unverified_source/anonymous_source"},
            {"start": second, "end": second + 10, "text": "reportedly", "label": "unverified_source/hedge"},
            {"start": 30, "end": 38, "text": "dictator", "label": "loaded_language/name_calling"}]})[0]
    assert by_words == by_offsets
    assert [TEXT[s.start:s.end] for s in by_words.spans] == ["Officials", "reportedly", "dictator"]


@pytest.mark.parametrize(("span", "message"), [
    ({"text": "dictator", "label": "loaded_language/name_calling"}, "occurs 2 times; add 'occurrence'"),
    ({"text": "dictator", "occurrence": 3, "label": "loaded_language/name_calling"}, "'occurrence' 3 is out of range"),
    ({"text": "tyrant", "label": "loaded_language/name_calling"}, "text 'tyrant' does not occur"),
    ({"text": "dictator", "occurrence": 1.5, "label": "loaded_language/name_calling"}, "'occurrence' must be"),
    ({"start": 30, "end": 38, "text": "dictator", "occurrence": 1, "label": "loaded_language/name_calling"},
     "both offsets and 'occurrence'"),
])
def test_unplaceable_words_are_one_error_naming_file_and_line(tmp_path: Path, span: dict, message: str) -> None:
    good = {"id": "d0", "text": "A calm report."}
    with pytest.raises(DataError, match=message) as err:
        _corpus(tmp_path, good, {"id": "d1", "text": TEXT, "spans": [span]})
    assert f"documents.jsonl:2" in str(err.value) and "document 'd1'" in str(err.value)


@given(st.text(alphabet="ab ", min_size=1, max_size=40), st.text(alphabet="ab", min_size=1, max_size=3),
       st.integers(1, 5))
def test_resolved_offsets_hold_the_words(text: str, surface: str, occurrence: int) -> None:
    count = sum(text.startswith(surface, i) for i in range(len(text)))
    if not 1 <= occurrence <= count:
        with pytest.raises(ValueError):
            occurrence_offsets(text, surface, occurrence, "span #0")
        return
    start, end = occurrence_offsets(text, surface, occurrence, "span #0")
    assert text[start:end] == surface
    assert sum(text.startswith(surface, i) for i in range(start)) == occurrence - 1
