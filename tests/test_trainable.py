"""Trainable scorers on tiny subsets: training, save/reload, offsets, caches, adapters."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mlflow.tracking import MlflowClient

from bench.data.corpus import Corpus
from bench.scorers.examples import bio_tags, spans_from_bio, tokenize
from bench.scorers.hf_common import resolve_model_path
from bench.scorers.hf_models import HFPipelineScorer, TransformerSentenceClassifier, TransformerTokenTagger
from bench.scorers.sklearn_models import CRFSpanTagger, SklearnSentenceClassifier
from bench.tasks import load_task
from cli_helpers import job_runs, run_bench, tracking_uri

os.environ.setdefault("HF_HUB_OFFLINE", "1")
LOADED = load_task("loaded_language")
TINY = {"epochs": 1, "max_steps_per_epoch": 6, "train_batch_size": 8, "batch_size": 16, "max_length": 64,
        "device": "cpu"}


@pytest.fixture(scope="module")
def babe_small(shared_data, corpus_loader) -> tuple[list, list, list]:
    corpus: Corpus = corpus_loader("babe")
    return corpus.split("train")[:240], corpus.split("validation")[:60], corpus.split("test")[:80]


def _scores(preds) -> np.ndarray:
    return np.array([s for p in preds for s in p.sentence_scores])


@pytest.mark.shared_data
@pytest.mark.parametrize("estimator", ["logreg", "linear_svm"])
def test_sklearn_classifier_trains_saves_and_reloads(babe_small, tmp_path: Path, estimator: str) -> None:
    train, validation, test = babe_small
    model = SklearnSentenceClassifier(estimator=estimator).fit(train, LOADED, validation)
    preds = model.predict(test, LOADED)
    assert 0 < model.threshold < 1 and len(set(np.round(_scores(preds), 6))) > 10
    model.save(tmp_path)
    reloaded = SklearnSentenceClassifier(load_from=str(tmp_path))
    assert reloaded.threshold == model.threshold
    np.testing.assert_array_equal(_scores(reloaded.predict(test, LOADED)), _scores(preds))


@pytest.mark.shared_data
def test_crf_tagger_spans_and_reload(babe_small, tmp_path: Path) -> None:
    train, validation, test = babe_small
    model = CRFSpanTagger(max_iterations=30).fit(train, LOADED, validation)
    preds = model.predict(test, LOADED)
    spans = [s for p in preds for s in p.spans]
    assert spans and all(s.text == next(d for d in test if d.id == p.doc_id).text[s.start:s.end]
                         for p in preds for s in p.spans)
    model.save(tmp_path)
    again = CRFSpanTagger(load_from=str(tmp_path)).predict(test, LOADED)
    assert [p.spans for p in again] == [p.spans for p in preds]


@pytest.mark.shared_data
@pytest.mark.slow
def test_minilm_classifier_training_changes_predictions_and_reloads(babe_small, tmp_path: Path) -> None:
    train, validation, test = babe_small
    model = TransformerSentenceClassifier(**TINY)
    assert model.trust_remote_code is False
    model._from_pretrained(resolve_model_path("minilm"), num_labels=2)  # untrained head, same seed
    model.task_name = LOADED.name
    before = _scores(model.predict(test, LOADED))
    model.fit(train, LOADED, validation)
    after = _scores(model.predict(test, LOADED))
    assert not np.allclose(before, after, atol=1e-4)
    assert model.training_history and "train_loss" in model.training_history[0]
    model.save(tmp_path)
    assert (tmp_path / "model.safetensors").is_file() and not list(tmp_path.glob("*.bin"))
    reloaded = TransformerSentenceClassifier(load_from=str(tmp_path), device="cpu")
    np.testing.assert_allclose(_scores(reloaded.predict(test, LOADED)), after, atol=1e-5)

    # the generic adapter on the same local folder gives the same probabilities
    adapter = HFPipelineScorer(model=str(tmp_path), pipeline_type="text-classification",
                               label_map={"LABEL_0": "negative", "LABEL_1": "positive"}, device="cpu",
                               max_length=64)
    np.testing.assert_allclose(_scores(adapter.predict(test[:10], LOADED)),
                               _scores(reloaded.predict(test[:10], LOADED)), atol=1e-4)


@pytest.mark.shared_data
@pytest.mark.slow
def test_minilm_tagger_trains_and_reloads(babe_small, tmp_path: Path) -> None:
    train, validation, test = babe_small
    model = TransformerTokenTagger(**{**TINY, "learning_rate": 3e-4, "max_steps_per_epoch": 12})
    model.fit(train, LOADED, validation)
    preds = model.predict(test, LOADED)
    for pred in preds:
        doc = next(d for d in test if d.id == pred.doc_id)
        assert len(pred.sentence_scores) == len(doc.sentences)
        assert all(0 <= s.start < s.end <= len(doc.text) and s.text == doc.text[s.start:s.end] for s in pred.spans)
    model.save(tmp_path)
    again = TransformerTokenTagger(load_from=str(tmp_path), device="cpu").predict(test, LOADED)
    np.testing.assert_allclose(_scores(again), _scores(preds), atol=1e-5)
    assert [[(s.start, s.end) for s in p.spans] for p in again] == [[(s.start, s.end) for s in p.spans] for p in preds]

    # the generic token-classification adapter groups the saved B-/I- labels into character spans
    adapter = HFPipelineScorer(model=str(tmp_path), pipeline_type="token-classification",
                               label_map={"loaded_language": "positive"}, device="cpu", max_length=64)
    for pred in adapter.predict(test[:20], LOADED):
        doc = next(d for d in test if d.id == pred.doc_id)
        assert len(pred.sentence_scores) == len(doc.sentences)
        assert all(s.text == doc.text[s.start:s.end] and 0 <= (s.score or 0) <= 1 for s in pred.spans)


def test_subword_offsets_map_back_exactly(reference: Corpus) -> None:
    """Gold spans of the reference article survive BIO encoding over MiniLM's subword offsets."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path("minilm"))
    doc = reference.documents[0]
    checked = 0
    for sentence in doc.sentences:
        text = doc.sentence_text(sentence)
        encoded = tokenizer(text, return_offsets_mapping=True)
        tokens = [(s + sentence.start, e + sentence.start, i) for i, (s, e) in enumerate(encoded["offset_mapping"])
                  if e > s]
        gold = sorted((s.start, s.end) for s in doc.spans if sentence.start <= s.start and s.end <= sentence.end)
        assert spans_from_bio(tokens, bio_tags(tokens, gold)) == gold
        checked += len(gold)
    assert checked == len(doc.spans)


@st.composite
def tokens_and_spans(draw):
    text = " ".join(draw(st.lists(st.text(alphabet="abcdef", min_size=1, max_size=6), min_size=1, max_size=25)))
    tokens = tokenize(text)
    cuts = sorted(draw(st.sets(st.integers(0, len(tokens)), max_size=8)))
    spans = []
    for a, b in zip(cuts[::2], cuts[1::2]):
        if b > a:
            spans.append((tokens[a][0], tokens[b - 1][1]))
    return tokens, spans


@given(tokens_and_spans())
@settings(max_examples=200)
def test_bio_round_trip_property(data) -> None:
    tokens, spans = data
    assert spans_from_bio(tokens, bio_tags(tokens, spans)) == spans


@pytest.mark.shared_data
@pytest.mark.slow
def test_rerun_hits_model_and_prediction_cache(shared_data, tmp_path: Path) -> None:
    args = ("corpus=babe", "model=tfidf_logreg", "subset.train=300", "subset.validation=80", "subset.eval=120")
    # the same job again (resume=false: run it although it finished) is served from the caches
    first, second = run_bench(tmp_path, *args), run_bench(tmp_path, *args, "resume=false")
    assert first.returncode == 0 and second.returncode == 0, second.stderr[-2000:]
    assert "skipped: the same config and data finished" in run_bench(tmp_path, *args).stdout
    client = MlflowClient(tracking_uri(tmp_path))
    runs = job_runs(client, [e.experiment_id for e in client.search_experiments()], order_by=["start_time ASC"])
    assert runs[0].data.tags["model_source"] == "trained" and runs[0].data.tags["cache_misses"] == "120"
    assert runs[1].data.tags["model_source"].startswith("cache:")
    assert runs[1].data.tags["cache_hits"] == "120" and runs[1].data.tags["cache_misses"] == "0"
    assert runs[0].data.metrics["sentence.f1"] == runs[1].data.metrics["sentence.f1"]
    artifacts = {a.path for a in client.list_artifacts(runs[0].info.run_id, "model")}
    assert {"model/pipeline.skops", "model/vocabulary.json", "model/bench_meta.json"} <= artifacts
    # the saved model is reusable through the config, and the cache can be switched off
    model_dir = Path(client.download_artifacts(runs[0].info.run_id, "model", str(tmp_path / "dl")))
    third = run_bench(tmp_path, *args[:2], f"model.load_from={model_dir}", "subset.eval=120", "cache.enabled=false")
    assert third.returncode == 0, third.stderr[-2000:]
    runs = job_runs(client, [e.experiment_id for e in client.search_experiments()], order_by=["start_time ASC"])
    assert runs[2].data.tags["model_source"] == str(model_dir) and runs[2].data.tags["cache_hits"] == "0"
    assert runs[2].data.metrics["sentence.f1"] == runs[0].data.metrics["sentence.f1"]


@pytest.mark.shared_data
@pytest.mark.slow
def test_train_on_one_corpus_evaluate_on_another(shared_data, tmp_path: Path) -> None:
    result = run_bench(tmp_path, "corpus@train_corpus=babe", "corpus=reference", "model=tfidf_logreg", "subset.train=400")
    assert result.returncode == 0, result.stderr[-2000:]
    client = MlflowClient(tracking_uri(tmp_path))
    run = job_runs(client, [e.experiment_id for e in client.search_experiments()])[0]
    assert run.data.tags["train_corpus"] == "babe" and run.data.tags["corpus"] == "reference"
    assert "sentence.f1" in run.data.metrics and "train.seconds" in run.data.metrics
