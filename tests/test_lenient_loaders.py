"""Loaders never fail silently: gold files that match no document are an error, even when lenient,
and a run records which files its gold came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from bench.config import config_dir
from bench.data.load import load_corpus
from bench.errors import DataError
from bench.job import check_job, steps
from bench.job.state import RunState

PTC_TEXT = "A title\n\nThe traitors lied again.\n"


def _ptc(tmp_path: Path, label_names: dict[str, str]) -> dict:
    (tmp_path / "articles").mkdir(parents=True)
    (tmp_path / "labels").mkdir()
    for article in ("1", "2"):
        (tmp_path / "articles" / f"article{article}.txt").write_text(PTC_TEXT, encoding="utf-8")
    for name, article in label_names.items():
        (tmp_path / "labels" / name).write_text(f"{article}\tName_Calling,Labeling\t13\t21\n", encoding="utf-8")
    return {"name": "tiny_ptc", "loader": "ptc", "root": str(tmp_path), "strict": False,
            "files": {"articles": "articles", "labels": "labels"}}


def test_ptc_labels_under_another_naming_scheme_fail_when_lenient(tmp_path: Path) -> None:
    cfg = _ptc(tmp_path, {"article1.task1-SI.labels": "1", "article2.task1-SI.labels": "2"})
    with pytest.raises(DataError) as caught:
        load_corpus(cfg)
    message = str(caught.value)
    assert str(tmp_path / "labels") in message
    assert "no gold annotation file matches any of the 2 articles" in message
    assert "article<id>.task2-TC.labels" in message and "article1.task1-SI.labels" in message


def test_ptc_article_without_labels_is_skipped_and_counted_not_negative(tmp_path: Path) -> None:
    corpus = load_corpus(_ptc(tmp_path, {"article1.task2-TC.labels": "1"}))
    assert [d.id for d in corpus.documents] == ["1"]
    assert [s.text for s in corpus.documents[0].spans] == ["traitors"]
    assert corpus.skipped == {"articles_without_labels": 1}
    assert corpus.notes["gold_files"] == "labels/article<id>.task2-TC.labels: 1 files for 2 articles"
    assert len(corpus.notes["gold_files_sha256"]) == 16
    with pytest.raises(DataError, match="label file for article not found"):
        load_corpus({**_ptc(tmp_path / "strict", {"article1.task2-TC.labels": "1"}), "strict": True})


def test_basil_annotations_under_another_naming_scheme_fail_when_lenient(tmp_path: Path) -> None:
    article = {"title": "A title", "body-paragraphs": [["The traitors lied."]], "source": "fox"}
    (tmp_path / "articles" / "2010").mkdir(parents=True)
    (tmp_path / "annotations" / "2010").mkdir(parents=True)
    (tmp_path / "articles" / "2010" / "1_fox.json").write_text(json.dumps(article), encoding="utf-8")
    (tmp_path / "annotations" / "2010" / "1_fox.annotations.json").write_text("{}", encoding="utf-8")
    cfg = {"name": "tiny_basil", "loader": "basil", "root": str(tmp_path), "strict": False,
           "files": {"articles": "articles", "annotations": "annotations"}}
    with pytest.raises(DataError, match=r"no gold annotation file matches any of the 1 articles: expected "
                                        r"<year>/<article>_ann\.json; it holds 1 files such as "
                                        r"2010/1_fox\.annotations\.json"):
        load_corpus(cfg)
    (tmp_path / "annotations" / "2010" / "1_fox_ann.json").write_text(
        json.dumps({"phrase-level-annotations": [], "article-level-annotations": {}}), encoding="utf-8")
    corpus = load_corpus(cfg)
    assert len(corpus.documents) == 1
    assert corpus.notes["gold_files"] == "annotations/<year>/<article>_ann.json: 1 files for 1 articles"


def _state(tmp_path: Path, *overrides: str) -> RunState:
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=["cache.enabled=false", "progress=false", "corpus=ptc", "model=lexicon",
                                           *overrides])
    (tmp_path / "scratch").mkdir(exist_ok=True)
    return RunState(cfg, check_job(cfg), tmp_path / "out", tmp_path / "scratch")


def test_a_run_records_its_gold_files_and_refuses_mismatched_ptc_labels(shared_data: Path, tmp_path: Path) -> None:
    state = _state(tmp_path)
    steps.load_data(state)
    assert state.tags["corpus_note.gold_files"] == ("train-labels-task2-technique-classification/"
                                                   "article<id>.task2-TC.labels: 371 files for 371 articles")
    assert len(state.tags["corpus_note.gold_files_sha256"]) == 16
    lenient = _state(tmp_path, "corpus.strict=false", "corpus.files.labels=train-labels-task1-span-identification")
    with pytest.raises(DataError, match="no gold annotation file matches any of the 371 articles"):
        steps.load_data(lenient)
