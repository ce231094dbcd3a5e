"""Public corpora read from their raw files: counts, label maps, span texts, splits, bad data."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from bench.config import corpus_config
from bench.data.load import load_corpus
from bench.errors import DataError
from bench.stats import corpus_statistics

pytestmark = pytest.mark.shared_data


def _stats(corpus_loader, name: str) -> dict:
    corpus = corpus_loader(name)
    return corpus_statistics(corpus, {k: list(v) for k, v in corpus_config(name).tasks.items()})


def test_ptc_counts_and_labels(corpus_loader) -> None:
    stats = _stats(corpus_loader, "ptc")
    assert stats["documents"] == 371
    assert sum(stats["spans"].values()) == 6129
    assert stats["spans"]["loaded_language/loaded_language"] == 2123
    assert stats["spans"]["loaded_language/name_calling"] == 1058
    assert stats["spans"]["propaganda/doubt"] == 493
    assert len(stats["native_labels"]) == 14


def test_ptc_span_texts_equal_labelled_substrings(corpus_loader, shared_data: Path) -> None:
    corpus = corpus_loader("ptc")
    doc = corpus["111111112"]
    line = next(l for l in (shared_data / "ptc-semeval2020-task11/train-task2-TC.labels").read_text().splitlines()
                if l.startswith("111111112\tName_Calling"))
    _, technique, start, end = line.split("\t")
    span = next(s for s in doc.spans if (s.start, s.end) == (int(start), int(end)) and s.native_label == technique)
    assert span.text == doc.text[int(start):int(end)] and span.label == "loaded_language/name_calling"
    assert all(s.text == d.text[s.start:s.end] for d in corpus.documents for s in d.spans)


def test_babe_counts_labels_and_biased_words(corpus_loader) -> None:
    corpus = corpus_loader("babe")
    stats = _stats(corpus_loader, "babe")
    assert stats["documents"] == 3674
    assert stats["balance"]["loaded_language"] == {"negative": 1863, "positive": 1810, "unlabelled": 1}
    assert corpus.notes["unlocated_biased_words"] > 0  # counted and reported, not silently dropped
    doc = next(d for d in corpus.documents if "characteristically bizarre syntax" in d.text)
    assert {s.text for s in doc.spans} == {"bizarre", "characteristically"}
    assert doc.metadata["outlet"] == "Alternet" and doc.metadata["leaning"] == "left"
    assert doc.sentences[0].labels["opinion"] == "somewhat_opinionated"
    assert all(s.text.lower() == d.text[s.start:s.end].lower() for d in corpus.documents for s in d.spans)


def test_mbic_counts_and_agreement(corpus_loader) -> None:
    stats = _stats(corpus_loader, "mbic")
    assert stats["documents"] == 1700
    assert stats["balance"]["loaded_language"] == {"negative": 533, "positive": 1018, "unlabelled": 149}
    corpus = corpus_loader("mbic")
    assert all(0 < d.metadata["agreement"] <= 1 and d.metadata["annotators"] >= 1 for d in corpus.documents)


def test_basil_spans_and_events(corpus_loader) -> None:
    corpus = corpus_loader("basil")
    stats = _stats(corpus_loader, "basil")
    assert stats["documents"] == 300
    assert stats["spans"] == {"informational_bias/selective": 1246, "loaded_language/lexical_bias": 480}
    assert corpus.notes["unlocated_spans"] == 0
    doc = corpus["2b95d2cf-e979-4f9c-ae27-9a5370934f23_1"]
    fierce = next(s for s in doc.spans if s.text == "fierce")
    assert fierce.label == "loaded_language/lexical_bias" and doc.text[fierce.start:fierce.end] == "fierce"
    assert doc.metadata["outlet"] == "nyt" and doc.metadata["event"] == "2b95d2cf-e979-4f9c-ae27-9a5370934f23"


def test_uncertainty_corpora(corpus_loader) -> None:
    conll = _stats(corpus_loader, "conll2010")
    assert conll["documents"] == 3000
    assert conll["balance"]["unverified_sources"] == {"negative": 1500, "positive": 1500}
    assert not any("&quot;" in d.text for d in corpus_loader("conll2010").documents)
    szeged = corpus_loader("szeged")
    stats = _stats(corpus_loader, "szeged")
    assert stats["documents"] == 4530 and stats["sentences"] == 20748
    assert stats["balance"]["unverified_sources"]["positive"] == 2606
    types = Counter(s.native_label for d in szeged.documents for s in d.spans)
    assert types == {"epistemic": 1771, "doxastic": 909, "condition": 491, "investigation": 94}


def test_newsmtsc_native_splits(corpus_loader) -> None:
    corpus = corpus_loader("newsmtsc")
    assert len(corpus.split("devtest_rw")) == 1067 and len(corpus.split("devtest_mt")) == 721
    assert len(corpus.split("train")) + len(corpus.split("validation")) == 7758
    targets = Counter(s.sub_label for d in corpus.split("devtest_rw") for s in d.spans)
    assert targets == {"negative": 429, "neutral": 455, "positive": 262}


@pytest.mark.parametrize("name, group_key", [("ptc", "article"), ("babe", "article"), ("basil", "event"),
                                              ("szeged", "article"), ("conll2010", None)])
def test_splits_are_disjoint_grouped_and_seeded(corpus_loader, name: str, group_key: str | None) -> None:
    corpus = corpus_loader(name)
    ids = {k: set(v) for k, v in corpus.splits.items()}
    assert not (ids["train"] & ids["test"]) and not (ids["train"] & ids["validation"])
    assert not (ids["validation"] & ids["test"])
    assert sum(len(v) for v in ids.values()) == len(corpus)
    assert 0.15 < len(ids["test"]) / len(corpus) < 0.25
    if group_key:
        groups = {k: {corpus[i].metadata.get(group_key) for i in v} for k, v in ids.items()}
        assert not (groups["train"] & groups["test"]) and not (groups["validation"] & groups["test"])
    again = load_corpus(corpus_config(name))
    assert again.splits == corpus.splits and again.fingerprint == corpus.fingerprint


def _babe_copy(shared_data: Path, tmp_path: Path, extra_lines: list[str]) -> dict:
    (tmp_path / "data").mkdir()
    source = (shared_data / "babe/data/final_labels_SG2.csv").read_text(encoding="utf-8-sig").splitlines()
    (tmp_path / "data" / "final_labels_SG2.csv").write_text("\n".join(source[:40] + extra_lines) + "\n",
                                                            encoding="utf-8")
    cfg = corpus_config("babe")
    cfg.root = str(tmp_path)
    return cfg


def test_malformed_row_names_file_and_line_and_lenient_counts(shared_data: Path, tmp_path: Path) -> None:
    bad = 'Some sentence.;https://x.example/a;Fox News;t;right;Maybe;Entirely factual;[]'
    cfg = _babe_copy(shared_data, tmp_path, [bad])
    with pytest.raises(DataError, match=r"final_labels_SG2.csv:41: label_bias 'Maybe'"):
        load_corpus(cfg)
    lenient = load_corpus(cfg, strict=False)
    assert lenient.skipped["malformed_rows"] == 1 and len(lenient) == 39


def test_held_out_rows_in_the_same_format_load(shared_data: Path, tmp_path: Path) -> None:
    new = '"The senator\'s outrageous scheme collapsed.";https://x.example/b;Outlet;topic;left;Biased;' \
          'Expresses writer’s opinion;"[\'outrageous\', \'scheme\']"'
    cfg = _babe_copy(shared_data, tmp_path, [new])
    corpus = load_corpus(cfg)
    doc = next(d for d in corpus.documents if d.text.startswith("The senator"))
    assert [s.text for s in doc.spans] == ["outrageous", "scheme"]
    assert doc.sentences[0].labels == {"loaded_language": 1, "opinion": "opinion"}


def test_missing_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    cfg = corpus_config("ptc")
    cfg.root = str(tmp_path / "nowhere")
    with pytest.raises(DataError, match="data directory for corpus 'ptc' not found"):
        load_corpus(cfg)


def test_malformed_ptc_label_line(shared_data: Path, tmp_path: Path) -> None:
    root = tmp_path / "ptc"
    (root / "a").mkdir(parents=True)
    (root / "l").mkdir()
    shutil.copy(shared_data / "ptc-semeval2020-task11/train-articles/article111111111.txt", root / "a")
    (root / "l" / "article111111111.task2-TC.labels").write_text("111111111\tDoubt\t149\tx\n")
    cfg = {"name": "p", "loader": "ptc", "root": str(root), "files": {"articles": "a", "labels": "l"}}
    with pytest.raises(DataError, match=r"article111111111.task2-TC.labels:1"):
        load_corpus(cfg)
    assert load_corpus(cfg, strict=False).skipped == {"malformed_label_lines": 1}


def test_stats_command_prints_every_corpus(capsys) -> None:
    from bench.stats import main

    main(["--format", "json", "conll2010", "reference"])
    rows = json.loads(capsys.readouterr().out)
    assert [r["corpus"] for r in rows] == ["conll2010", "reference"]
    assert rows[0]["splits"] == {"test": 600, "validation": 300, "train": 2100}
