"""The job's steps, one at a time, on the reference article: each fills its part of the run state."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from bench.config import config_dir, corpus_config
from bench.data.load import load_corpus
from bench.errors import InSampleWarning
from bench.job import check_job, steps
from bench.job.state import RunState


def _state(tmp_path: Path, *overrides: str, scratch: str = "scratch") -> RunState:
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=[f"cache.dir={tmp_path / 'cache'}", "progress=false", *overrides])
    (tmp_path / scratch).mkdir()
    return RunState(cfg, check_job(cfg), tmp_path / "out", tmp_path / scratch)


def test_each_step_fills_its_part_of_the_state(tmp_path: Path) -> None:
    state = _state(tmp_path, "model=lexicon")
    steps.resolve_levels(state)
    assert state.levels == ["span", "sentence", "document"] and state.spans_are_gold
    steps.build_model(state)
    assert state.output is not None and state.output.kind == "spans" and state.levels == ["span", "sentence",
                                                                                          "document"]
    steps.load_data(state)
    assert state.corpus is not None and state.corpus.fingerprint == load_corpus(corpus_config("reference")).fingerprint
    assert state.eval_split == "all" and len(state.eval_docs) == 1 and state.train_corpus is state.corpus
    steps.fit_model(state)
    assert state.training_metrics == {} and not state.model_dir.exists()
    steps.predict(state)
    assert state.predictions[0].spans and state.tags["cache_misses"] == 1
    steps.evaluate_predictions(state)
    assert state.evaluation is not None
    # the lexicon finds 5 of the 12 gold loaded-language spans exactly and predicts 6 (adjudicated gold,
    # corpora/reference/ADJUDICATION.md: "invading" is no longer gold)
    assert state.evaluation.metrics["span.exact.precision"] == pytest.approx(5 / 6)
    assert state.evaluation.metrics["span.exact.recall"] == pytest.approx(5 / 12)
    steps.analyse(state)
    assert {"sentence.ece", "sentence.brier", "inference.seconds", "threshold"} <= set(state.metrics)
    steps.show_reference(state)
    assert state.reference is not None and state.reference.documents == state.eval_docs


def test_a_sentence_classifier_narrows_the_levels_and_its_model_is_cached(tmp_path: Path) -> None:
    state = _state(tmp_path, "model=tfidf_logreg", "model.min_df=1", "model.C=1.0")
    steps.resolve_levels(state)
    steps.build_model(state)
    assert state.levels == ["sentence"] and "span,document" in state.tags["levels_skipped"]
    steps.load_data(state)
    with pytest.warns(InSampleWarning, match="1 of the 1 evaluated documents were in the training data"):
        steps.fit_model(state)  # the reference article has no train split: it trains on what it evaluates
    assert state.tags["model_source"] == "trained" and (state.model_dir / "pipeline.skops").is_file()
    assert state.tags["in_sample"] == "true"
    again = _state(tmp_path, "model=tfidf_logreg", "model.min_df=1", "model.C=1.0", scratch="again")
    with pytest.warns(InSampleWarning):
        for step in (steps.resolve_levels, steps.build_model, steps.load_data, steps.fit_model):
            step(again)
    assert again.tags["model_source"].startswith("cache:")
    assert again.scorer is not None and state.scorer is not None
    assert again.scorer.fingerprint() == state.scorer.fingerprint()


def test_train_split_all_trains_on_the_whole_corpus(tmp_path: Path, shared_data) -> None:
    state = _state(tmp_path, "corpus=babe", "model=majority", "train_split=all")
    for step in (steps.resolve_levels, steps.build_model, steps.load_data):
        step(state)
    train, validation = steps.training_data(state)
    assert len(train) == 3_674 and validation is None
    state = _state(tmp_path, "corpus=babe", "model=majority", scratch="default")
    for step in (steps.resolve_levels, steps.build_model, steps.load_data):
        step(state)
    train, validation = steps.training_data(state)
    assert len(train) == 2_571 and validation is not None and len(validation) == 367


def test_the_training_corpus_has_settings_of_its_own(tmp_path: Path, shared_data) -> None:
    state = _state(tmp_path, "corpus@train_corpus=babe", "train_corpus.files.labels=data/final_labels_SG1.csv",
                   "model=tfidf_logreg")
    assert state.cfg.train_corpus.files.labels == "data/final_labels_SG1.csv"
    assert state.cfg.corpus.name == "reference" and "labels" not in state.cfg.corpus.files
    for step in (steps.resolve_levels, steps.build_model, steps.load_data):
        step(state)
    assert state.train_corpus is not None and state.train_corpus.name == "babe"
    assert state.tags["train_corpus_fingerprint"] != "09b7ab19411ef39e"  # SG1, not the default SG2


def test_the_training_corpus_data_dir_moves_only_the_training_corpus(tmp_path: Path) -> None:
    state = _state(tmp_path, "corpus=mbic", "corpus@train_corpus=babe", "train_corpus.data_dir=/elsewhere",
                   "model=tfidf_logreg")
    assert state.cfg.train_corpus.root == "/elsewhere/babe"
    assert state.cfg.corpus.root != "/elsewhere/mbic" and state.cfg.corpus.root.endswith("/mbic")
