"""The corpus cache: parsed corpora saved as Arrow DatasetDicts and read back exactly."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import datasets
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.config import corpus_config
from bench.data.arrow import NotExact, dataset_documents, documents_to_dataset
from bench.data.corpus import Corpus, fingerprint_documents
from bench.data.corpus_cache import cached_corpus, entry_folder, write_entry
from bench.data.corpus_key import corpus_cache_key
from bench.data.load import check_corpus_config, load_corpus
from bench.data.registry import LOADERS
from bench.data.schema import Document, Sentence, Span
from bench.errors import CacheWarning, DataError

GOOD = {"id": "d1", "text": "The senator slammed the plan. Critics said it may fail.",
        "metadata": {"outlet": "X", "year": 2020, "share": 0.25, "tags": ["a", 1, None], "ok": True},
        "spans": [{"start": 12, "end": 19, "label": "loaded_language/emotive", "text": "slammed"}],
        "sentence_labels": [{"start": 0, "end": 29, "loaded_language": 1}]}


def _span_fields(span: Span) -> tuple[Any, ...]:
    return (span.start, span.end, span.label, span.text, span.score, span.native_label, span.attributes)


def _document_fields(doc: Document) -> tuple[Any, ...]:
    """Everything a document holds, with types (repr tells 1 from 1.0 and True)."""
    return (doc.id, doc.text, repr(doc.metadata), repr(doc.doc_labels),
            [(s.start, s.end, repr(s.labels)) for s in doc.sentences],
            [repr(_span_fields(s)) for s in doc.spans])


def assert_same_corpus(parsed: Corpus, cached: Corpus) -> None:
    assert [_document_fields(d) for d in cached.documents] == [_document_fields(d) for d in parsed.documents]
    assert (cached.name, cached.source, cached.fingerprint) == (parsed.name, parsed.source, parsed.fingerprint)
    assert cached.splits == parsed.splits and list(cached.splits) == list(parsed.splits)
    assert cached.skipped == parsed.skipped and cached.notes == parsed.notes
    for name in ["all", *parsed.splits]:
        assert [d.id for d in cached.split(name)] == [d.id for d in parsed.split(name)]


def _jsonl(folder: Path, lines: list[str], **settings: Any) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "documents.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"name": "mine", "loader": "jsonl", "root": str(folder), "files": {"documents": "documents.jsonl"},
            **settings}


def _forbid_loader(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"loader {name!r} was called although the corpus is cached")

    monkeypatch.setitem(LOADERS, name, refuse)


def test_reference_round_trips_through_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = corpus_config("reference")
    parsed = load_corpus(cfg)
    first = load_corpus(cfg, cache_dir=tmp_path)
    assert not first.from_cache and first.fingerprint == parsed.fingerprint
    _forbid_loader(monkeypatch, "jsonl")
    second = load_corpus(cfg, cache_dir=tmp_path)
    assert second.from_cache
    assert_same_corpus(parsed, second)
    [entry] = (tmp_path / "corpora").iterdir()
    saved = datasets.load_from_disk(str(entry / "dataset"))
    assert list(saved) == ["all"] and saved["all"].num_rows == 1
    assert json.loads((entry / "dataset" / "all" / "state.json").read_text())["_fingerprint"] == parsed.fingerprint
    with pytest.raises(AssertionError, match="was called"):
        load_corpus(cfg)  # without a cache folder the loader runs, as before


@pytest.mark.shared_data
@pytest.mark.parametrize("name, loader", [("basil", "basil"), ("szeged", "szeged_wiki")])
def test_public_corpus_round_trips_through_the_cache(shared_data: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch, name: str, loader: str) -> None:
    cfg = corpus_config(name)
    parsed = load_corpus(cfg)
    load_corpus(cfg, cache_dir=tmp_path)
    _forbid_loader(monkeypatch, loader)
    cached = load_corpus(cfg, cache_dir=tmp_path)
    assert cached.from_cache
    assert_same_corpus(parsed, cached)
    assert {"basil": "2b8c528362c5ac57", "szeged": "9abec4009b008556"}[name] == cached.fingerprint


def test_key_follows_bytes_and_settings_not_descriptions(tmp_path: Path) -> None:
    cfg = _jsonl(tmp_path / "data", [json.dumps(GOOD)], description="mine")
    key = corpus_cache_key(check_corpus_config(cfg), strict=True)
    assert key == corpus_cache_key(check_corpus_config({**cfg, "description": "other", "slices": ["outlet"]}),
                                   strict=True)
    assert key != corpus_cache_key(check_corpus_config(cfg), strict=False)
    for change in ({"encoding": "latin-1"}, {"max_document_chars": 10}, {"name": "yours"},
                   {"splits": {"strategy": "grouped"}}, {"options": {"x": 1}}):
        assert key != corpus_cache_key(check_corpus_config({**cfg, **change}), strict=True), change
    path = tmp_path / "data" / "documents.jsonl"
    path.write_bytes(path.read_bytes().replace(b"senator", b"Senator"))
    assert key != corpus_cache_key(check_corpus_config(cfg), strict=True)


def test_changed_file_is_parsed_again(tmp_path: Path) -> None:
    cfg = _jsonl(tmp_path / "data", [json.dumps(GOOD)])
    load_corpus(cfg, cache_dir=tmp_path / "cache")
    (tmp_path / "data" / "documents.jsonl").write_text(json.dumps({**GOOD, "text": GOOD["text"] + " More."}) + "\n",
                                                     encoding="utf-8")
    again = load_corpus(cfg, cache_dir=tmp_path / "cache")
    assert not again.from_cache and again.documents[0].text.endswith("More.")
    assert len(list((tmp_path / "cache" / "corpora").iterdir())) == 2


def test_lenient_loads_cache_separately_with_their_skipped_counts(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _jsonl(tmp_path / "data", [json.dumps(GOOD), "{not json"])
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match="documents.jsonl:2"):
        load_corpus(cfg, cache_dir=cache)
    assert not (cache / "corpora").exists() or not list((cache / "corpora").iterdir())  # a failed load saves nothing
    lenient = load_corpus(cfg, strict=False, cache_dir=cache)
    assert lenient.skipped == Counter({"malformed_lines": 1})
    _forbid_loader(monkeypatch, "jsonl")
    cached = load_corpus({**cfg, "strict": False}, cache_dir=cache)
    assert cached.from_cache and cached.skipped == Counter({"malformed_lines": 1})
    assert_same_corpus(lenient, cached)
    with pytest.raises(AssertionError, match="was called"):  # the strict load is not served the lenient entry
        load_corpus(cfg, cache_dir=cache)


@pytest.mark.parametrize("damage", ["truncate_arrow", "garble_meta", "drop_meta", "wrong_key"])
def test_unreadable_entry_is_evicted_with_a_warning_and_rebuilt(tmp_path: Path, damage: str) -> None:
    cfg = corpus_config("reference")
    parsed = load_corpus(cfg, cache_dir=tmp_path)
    [entry] = (tmp_path / "corpora").iterdir()
    arrow = next((entry / "dataset" / "all").glob("*.arrow"))
    meta = entry / "corpus.json"
    if damage == "truncate_arrow":
        arrow.write_bytes(arrow.read_bytes()[: arrow.stat().st_size // 2])
    elif damage == "garble_meta":
        meta.write_text("{", encoding="utf-8")
    elif damage == "drop_meta":
        meta.unlink()
    else:
        meta.write_text(json.dumps({**json.loads(meta.read_text()), "key": "0" * 24}), encoding="utf-8")
    with pytest.warns(CacheWarning, match="could not be read and is rebuilt"):
        rebuilt = load_corpus(cfg, cache_dir=tmp_path)
    assert not rebuilt.from_cache
    assert_same_corpus(parsed, rebuilt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = load_corpus(cfg, cache_dir=tmp_path)
    assert again.from_cache
    assert [p.name for p in (tmp_path / "corpora").iterdir()] == [entry.name]  # no staging or evicted leftovers


def test_second_writer_keeps_the_first_entry(tmp_path: Path) -> None:
    corpus = load_corpus(corpus_config("reference"))
    folder = entry_folder(tmp_path, "k" * 24)
    write_entry(folder, "k" * 24, corpus)
    before = sorted(p.name for p in folder.rglob("*"))
    write_entry(folder, "k" * 24, corpus)  # as if a concurrent load finished second
    assert sorted(p.name for p in folder.rglob("*")) == before
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]


def test_concurrent_loads_share_one_whole_entry(tmp_path: Path) -> None:
    script = ("import sys, warnings; warnings.simplefilter('error'); from pathlib import Path; "
              "from bench.config import corpus_config; from bench.data.load import load_corpus; "
              "c = load_corpus(corpus_config('reference'), cache_dir=Path(sys.argv[1])); print(c.fingerprint)")
    runs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
            for _ in range(3)]
    outputs = [run.communicate(timeout=120)[0].strip() for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0]
    assert set(outputs) == {load_corpus(corpus_config("reference")).fingerprint}
    [entry] = (tmp_path / "corpora").iterdir()  # one entry, no staging folders left behind
    assert load_corpus(corpus_config("reference"), cache_dir=tmp_path).from_cache


def test_values_that_would_change_are_not_cached(tmp_path: Path) -> None:
    doc = Document("d", "Some text.", metadata={"pair": (1, 2)}, sentences=[Sentence(0, 10)])
    with pytest.warns(CacheWarning, match="is not cached: .*tuple"):
        corpus = cached_corpus(tmp_path, "k" * 24, lambda: Corpus("mine", [doc]))
    assert corpus.documents == [doc] and not (tmp_path / "corpora" / ("k" * 24)).exists()
    for metadata in ({1: "int key"}, {"nested": {"set": {1}}}):
        with pytest.raises(NotExact):
            documents_to_dataset([Document("d", "x", metadata=metadata)], "f")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
LABELS = st.sampled_from(["loaded_language/emotive", "unverified_source/hedge", "propaganda/doubt"])


@st.composite
def documents(draw: st.DrawFn) -> Document:
    text = draw(st.text(min_size=1, max_size=60))
    n = len(text)
    cuts = sorted(set(draw(st.lists(st.integers(0, n), max_size=6))) | {0, n})
    sentences = [Sentence(a, b, draw(st.dictionaries(st.sampled_from(["loaded_language", "sentiment"]),
                                                     st.integers(0, 1) | st.sampled_from(["negative", "neutral"]),
                                                     max_size=2)))
                 for a, b in zip(cuts, cuts[1:]) if b > a]
    spans = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, n - 1))
        end = draw(st.integers(start + 1, n))
        spans.append(Span(start, end, draw(LABELS), draw(st.sampled_from(["", text[start:end]])),
                          draw(st.none() | st.floats(allow_nan=False)), draw(st.none() | st.text(max_size=6)),
                          draw(st.dictionaries(st.text(max_size=5), JSON, max_size=3))))
    return Document(draw(st.text(min_size=1, max_size=10)), text,
                    metadata=draw(st.dictionaries(st.text(max_size=6), JSON, max_size=4)),
                    spans=spans, sentences=sentences,
                    doc_labels=draw(st.dictionaries(st.text(max_size=6), JSON, max_size=2)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents(), max_size=4))
def test_arbitrary_documents_round_trip_through_arrow(docs: list[Document]) -> None:
    dataset = documents_to_dataset(docs, fingerprint="0123456789abcdef")
    back = dataset_documents(dataset)
    assert [_document_fields(d) for d in back] == [_document_fields(d) for d in docs]
    assert fingerprint_documents(back) == fingerprint_documents(docs)
    if len(docs) > 1:  # a slice of the table (contiguous select) and a reordering (indices mapping)
        assert [_document_fields(d) for d in dataset_documents(dataset.select(range(1, len(docs))))] == \
            [_document_fields(d) for d in docs[1:]]
        assert [d.id for d in dataset_documents(dataset.select(range(len(docs))[::-1]))] == [d.id for d in docs][::-1]
