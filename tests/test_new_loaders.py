"""Lim 2020, Hube & Fetahu NPOV and WNC loaders: counts against SOURCE.md, label rules, pairs, bad input;
MBIC's per-annotator labels."""

from __future__ import annotations

import csv
import io
import shutil
from collections import Counter
from pathlib import Path

import pytest

from bench.config import corpus_config
from bench.data.load import load_corpus
from bench.data.loaders.lim2020 import majority
from bench.data.loaders.wnc import edit_spans, pair_of
from bench.data.registry import LOADERS
from bench.errors import DataError

pytestmark = pytest.mark.shared_data

LIM = "biased-sents-lim2020"


def test_lim2020_counts_match_source_md(shared_data: Path) -> None:
    corpus = load_corpus(corpus_config("lim2020"))
    assert len(corpus.documents) == 46 and corpus.notes["rows"] == 215
    # SOURCE.md: 3,925 non-empty sentence cells, one rating each; plus one title per article
    bodies = [s for d in corpus.documents for s in d.sentences[1:]]
    assert sum(len(s.labels["bias_ratings"]) for s in bodies) == 3925
    assert len(bodies) + 46 == sum(len(d.sentences) for d in corpus.documents) == 888
    # SOURCE.md counts every rating cell (1: 1,297, 2: 1,487, 3: 1,209, 4: 307); 375 rate an empty
    # sentence cell (1: 240, 2: 71, 3: 60, 4: 4) and have nothing to attach to
    kept = Counter(r for s in bodies for r in s.labels["bias_ratings"])
    assert corpus.notes["ratings_without_sentence"] == 375
    assert {k: kept[k] + dropped for k, dropped in {1: 240, 2: 71, 3: 60, 4: 4}.items()} == \
        {1: 1297, 2: 1487, 3: 1209, 4: 307}
    events = Counter(d.metadata["event"] for d in corpus.documents)
    assert set(events) == {"Johnson", "NFL", "Facebook", "NorthKora"}


def test_lim2020_label_is_the_majority_of_ratings_of_3_or_4(shared_data: Path) -> None:
    corpus = load_corpus(corpus_config("lim2020"))
    doc = corpus["lim2020-001"]
    title = doc.sentences[0]
    assert doc.sentence_text(title).startswith("Dan Johnson suicide: Lawmaker accused")
    assert title.labels["bias_ratings"] == [2, 3, 3, 4]  # the four workers' ratings of the title (column t)
    assert title.labels["annotator_votes"]["loaded_language"] == [0, 1, 1, 1]
    assert title.labels["loaded_language"] == 1
    assert doc.sentence_text(doc.sentences[1]).startswith("LOUISVILLE - Dan Johnson posted")
    assert doc.metadata["outlet"] == "Washington Post" and doc.metadata["leaning"] == "left-center"
    assert majority([1, 0]) is None and majority([1, 1, 0]) == 1 and majority([0, 0, 1, 1, 0]) == 0
    ties = sum(s.labels["loaded_language"] is None for d in corpus.documents for s in d.sentences)
    assert ties == corpus.notes["tied_sentences"] > 0


def _lim_copy(shared_data: Path, tmp_path: Path, edit) -> Path:
    source = shared_data / LIM / "Sora_LREC2020_biasedsentences.csv"
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"), newline="")))
    edit(rows)
    folder = tmp_path / LIM
    folder.mkdir()
    with (folder / source.name).open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return folder


def test_lim2020_bad_rating_names_file_and_line(shared_data: Path, tmp_path: Path) -> None:
    def bad(rows: list[list[str]]) -> None:
        rows[1][rows[0].index("3")] = "7"

    folder = _lim_copy(shared_data, tmp_path, bad)
    with pytest.raises(DataError, match=r"Sora_LREC2020_biasedsentences\.csv:\d+: column '3': rating '7' is not 1"):
        LOADERS["lim2020"](folder, {"ratings": "Sora_LREC2020_biasedsentences.csv"}, strict=True, options={})
    lenient = LOADERS["lim2020"](folder, {"ratings": "Sora_LREC2020_biasedsentences.csv"}, strict=False, options={})
    assert lenient.skipped == {"malformed_rows": 1} and lenient.notes["rows"] == 214


def test_npov_counts_per_file(shared_data: Path) -> None:
    cfg = corpus_config("npov")
    result = LOADERS["npov_statements"](Path(str(cfg.root)), dict(cfg.files), strict=True, options={})
    # SOURCE.md counts lines with wc -l: statements_biased has 1,842 line breaks and a last line without one
    assert {k: v for k, v in result.notes.items() if k.startswith("statements.")} == {
        "statements.biased": 1843, "statements.neutral_cw_hard": 3109, "statements.neutral_featured": 5000,
        "statements.neutral_type_balanced": 1994}
    labels = Counter(d.sentences[0].labels["loaded_language"] for d in result.documents)
    assert labels == {1: 1843, 0: 3109 + 5000 + 1994}
    # cw-hard repeats statements (and one is also in the biased file): repeats share a split group
    assert result.notes["statements_in_biased_and_neutral"] == 1 and result.notes["repeated_statements"] == 35
    first = result.documents[0]
    assert first.text.startswith("David J. Hanson Ph.D., Professor Emeritus") and first.metadata["set"] == "biased"


def test_wnc_pairs_stay_together(shared_data: Path) -> None:
    corpus = load_corpus(corpus_config("wnc"))
    assert len(corpus.split("test")) == 100 and len(corpus.documents) == 1100
    assert len(corpus.split("train")) + len(corpus.split("validation")) == 1000
    doc = corpus["wnc-test-00002"]
    assert pair_of(doc) == ("peter spirer is an academy award and emmy award nominated film director .",
                            "peter spirer is a film director .")
    assert [s.labels["loaded_language"] for s in doc.sentences] == [1, 0]
    assert [s.text for s in doc.spans] == ["an academy award and emmy award nominated"]
    assert corpus.notes["identical_pairs"] == 5
    assert edit_spans("a b c d", "a x c") == [(2, 3), (6, 7)]


def test_wnc_misaligned_files_are_an_error(shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "wnc"
    shutil.copytree(shared_data / "wnc-sample-pryzant-test-data", folder)
    post = folder / "post.test"
    post.write_text("\n".join(post.read_text(encoding="utf-8").splitlines()[:-1]) + "\n", encoding="utf-8")
    files = {"test": "pre.test", "test_neutralised": "post.test"}
    with pytest.raises(DataError, match=r"pre\.test: 100 biased sentences but 99 neutralised ones in post\.test"):
        LOADERS["wnc_pairs"](folder, files, strict=True, options={})


def test_mbic_keeps_each_annotators_labels(corpus_loader) -> None:
    corpus = corpus_loader("mbic")
    for doc in corpus.documents:
        votes = doc.sentences[0].labels["annotator_votes"]
        assert len(votes["loaded_language"]) == len(votes["opinion"]) == doc.metadata["annotators"] \
            == len(doc.metadata["annotator_ids"]) == len(doc.metadata["annotator_words"])
        assert sum(votes["loaded_language"]) / len(votes["loaded_language"]) == pytest.approx(
            doc.metadata["share_biased"], abs=1e-4)
    first = corpus.documents[0].sentences[0].labels["annotator_votes"]
    assert first["loaded_language"] == [1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
    assert first["opinion"][:3] == ["somewhat_opinionated", "factual", "factual"]
