"""The fast transformer inference paths predict what the plain path predicts (CPU, fp32), and the
faster CPU engines (int8, ONNX Runtime) stay close to it, on the reference article's sentences.

The "old path" below is the loop the scorers used before: length-sorted batches of ``batch_size``
sentences, each tokenised and padded inside the loop, one forward pass each.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir

from bench.config import config_dir
from bench.data.corpus import Corpus
from bench.errors import ConfigError
from bench.job import check_job, steps
from bench.job.state import RunState
from bench.scorers.hf_common import encode, padded_batches, plan_batches, prefetch, resolve_model_path
from bench.scorers.hf_models import TransformerSentenceClassifier, TransformerTokenTagger
from bench.tasks import SpanDetection

TASK = SpanDetection("loaded_language", "loaded_language")


def _untrained(cls: type, **settings: object) -> TransformerSentenceClassifier | TransformerTokenTagger:
    """MiniLM with a seeded, untrained head, ready to predict (predictions are deterministic)."""
    torch.manual_seed(0)
    scorer = cls(device="cpu", **settings)
    extra = {"num_labels": 3} if cls is TransformerTokenTagger else {"num_labels": 2}
    scorer._from_pretrained(resolve_model_path("minilm"), **extra)
    scorer.task_name, scorer.category = TASK.name, TASK.span_category
    return scorer


@pytest.fixture(scope="module")
def classifier() -> TransformerSentenceClassifier:
    return _untrained(TransformerSentenceClassifier, batch_size=8)


def _old_path(scorer: TransformerSentenceClassifier, texts: list[str]) -> np.ndarray:
    lengths = [len(ids) for ids in scorer.tokenizer(texts, truncation=True, max_length=scorer.max_length)["input_ids"]]
    out = np.zeros((len(texts), 2), dtype=np.float32)
    with torch.inference_mode():
        for batch in plan_batches(lengths, scorer.batch_size, None):
            encoded = scorer.tokenizer([texts[i] for i in batch], truncation=True, max_length=scorer.max_length,
                                       padding="longest", return_tensors="pt")
            out[batch] = torch.softmax(scorer.model(**encoded).logits, dim=-1).numpy()
    return out


def test_pre_tokenised_and_token_budget_batches_predict_as_the_old_path(classifier, reference: Corpus) -> None:
    examples = TASK.text_examples(reference.documents, labelled_only=False)[:16]
    texts = [e.text for e in examples]
    old = _old_path(classifier, texts)
    new = classifier._probabilities(examples)
    assert np.abs(new - old).max() < 1e-5 and (new.argmax(1) == old.argmax(1)).all()
    budget = copy.copy(classifier)
    budget.max_tokens_per_batch = 300  # a token budget: batches of different sizes
    sizes = [len(b.rows) for b in padded_batches(classifier.tokenizer, texts, None, max_length=128, batch_size=8,
                                                 max_tokens=300)]
    assert sum(sizes) == len(texts) and len(set(sizes)) > 1
    assert np.abs(budget._probabilities(examples) - old).max() < 1e-5
    assert classifier.inference_variant() == "" and classifier.fp32_reference() is None


def test_tagger_batched_spans_equal_one_sentence_at_a_time(reference: Corpus) -> None:
    tagger = _untrained(TransformerTokenTagger, batch_size=6, max_tokens_per_batch=400)
    batched = tagger.predict(reference.documents, TASK)[0]
    single = copy.copy(tagger)
    single.batch_size, single.max_tokens_per_batch = 1, None  # no padding at all
    alone = single.predict(reference.documents, TASK)[0]
    assert batched.spans and [(s.start, s.end) for s in batched.spans] == [(s.start, s.end) for s in alone.spans]
    assert np.allclose([s.score for s in batched.spans], [s.score for s in alone.spans], atol=1e-5)
    assert np.allclose(batched.sentence_scores, alone.sentence_scores, atol=1e-5)
    doc = reference.documents[0]
    assert all(doc.text[s.start : s.end] == s.text for s in batched.spans)


def test_cpu_engines_stay_close_to_fp32(classifier, reference: Corpus) -> None:
    examples = TASK.text_examples(reference.documents, labelled_only=False)[:16]
    fp32 = classifier._probabilities(examples)
    onnx = copy.copy(classifier)
    onnx.runtime, onnx._engine = "onnx", None
    assert np.abs(onnx._probabilities(examples) - fp32).max() < 1e-4  # same graph, another runtime
    int8 = copy.copy(classifier)
    int8.quantize, int8._engine = "int8", None
    diff = np.abs(int8._probabilities(examples) - fp32).max()
    assert 0 < diff < 0.05  # quantised weights: close, not equal
    bf16 = copy.copy(classifier)  # bf16 autocast on the CPU: the same fp32-trained model, another engine
    bf16.precision, bf16.dtype, bf16._engine = "bf16", torch.bfloat16, None
    assert 0 < np.abs(bf16._probabilities(examples) - fp32).max() < 0.05
    assert (onnx.inference_variant(), int8.inference_variant(), bf16.inference_variant()) == ("onnx", "int8", "bf16")
    assert bf16.training_params() == classifier.training_params() and bf16.params()["precision"] == "bf16"
    # inference settings are not part of the trained model's key; they are part of the predictions' fingerprint
    assert onnx.training_params() == int8.training_params() == classifier.training_params()
    assert "runtime" not in onnx.training_params() and onnx.params()["runtime"] == "onnx"
    classifier.set_fingerprint("abc")
    int8.set_fingerprint("abc")
    assert classifier.fingerprint() == "abc" and int8.fingerprint() == "abc+int8"


def test_unsupported_combinations_are_one_clear_error() -> None:
    with pytest.raises(ConfigError, match="runs on the CPU only"):
        TransformerSentenceClassifier(device="cuda", quantize="int8")
    with pytest.raises(ConfigError, match="model.precision=bf16"):
        TransformerSentenceClassifier(device="cpu", runtime="onnx", precision="bf16")
    with pytest.raises(ConfigError, match="model.runtime='tensorrt'"):
        TransformerSentenceClassifier(device="cpu", runtime="tensorrt")
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=["model=minilm", "model.precision=fp64"])
    with pytest.raises(ConfigError, match="model.precision=fp64"):
        check_job(cfg)


def test_token_budget_plans_and_prefetch() -> None:
    lengths = [5, 40, 12, 40, 7, 3, 25]
    plans = plan_batches(lengths, 100, 64)
    assert sorted(i for p in plans for i in p) == list(range(7))
    assert all(len(p) * max(lengths[i] for i in p) <= 64 or len(p) == 1 for p in plans)
    assert [lengths[p[0]] for p in plans] == sorted((lengths[p[0]] for p in plans), reverse=True)

    def broken():
        yield 1
        raise ValueError("tokeniser failed")

    with pytest.raises(ValueError, match="tokeniser failed"):
        list(prefetch(broken()))


def test_padded_batches_keep_pairs_and_offsets(classifier) -> None:
    texts, pairs = ["Putin is a dictator.", "Talks resumed."], ["Putin", None]
    batches = list(padded_batches(classifier.tokenizer, texts, pairs, max_length=32, batch_size=8, max_tokens=None,
                                  offsets=True))
    assert len(batches) == 1 and sorted(batches[0].rows.tolist()) == [0, 1]
    ids = batches[0].inputs["input_ids"][list(batches[0].rows).index(0)].tolist()
    assert classifier.tokenizer.decode([i for i in ids if i]) == "[CLS] putin is a dictator. [SEP] putin [SEP]"
    assert batches[0].inputs["token_type_ids"].max() == 1 and len(batches[0].offsets) == 2


@pytest.mark.parametrize("side", ["right", "left"])
def test_flat_encoding_pads_as_the_tokenizer_does(classifier, reference: Corpus, side: str) -> None:
    texts = [s for doc in reference.documents for s in (doc.sentence_text(x) for x in doc.sentences)][:12]
    tokenizer = copy.copy(classifier.tokenizer)
    tokenizer.padding_side = side
    encoded = encode(tokenizer, texts, None, 24, offsets=True)  # truncation at 24 cuts the long sentences
    rows = [11, 0, 5, 3, 7]
    mine = encoded.pad(rows, tokenizer.pad_token_id, left=side == "left")
    theirs = tokenizer([texts[r] for r in rows], truncation=True, max_length=24, padding="longest",
                       return_tensors="np", return_offsets_mapping=True)
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        assert (mine[name] == theirs[name]).all(), name
    for position, row in enumerate(rows):  # offsets per example, padding excluded
        kept = theirs["attention_mask"][position].astype(bool)
        assert (encoded.offsets[row] == theirs["offset_mapping"][position][kept]).all()
        assert (encoded.row("input_ids", row) == theirs["input_ids"][position][kept]).all()


def test_worker_processes_prepare_the_same_batches(classifier, reference: Corpus) -> None:
    texts = [s for doc in reference.documents for s in (doc.sentence_text(x) for x in doc.sentences)]
    settings = {"max_length": 64, "batch_size": 4, "max_tokens": 200, "offsets": True, "chunk": 6}
    inline = list(padded_batches(classifier.tokenizer, texts, None, **settings))
    workers = list(padded_batches(classifier.tokenizer, texts, None, workers=2, **settings))
    assert len(inline) == len(workers) > 2

    def by_first_row(batches):
        return {int(b.rows[0]): b for b in batches}

    mine, theirs = by_first_row(inline), by_first_row(workers)
    assert mine.keys() == theirs.keys()
    for first, batch in mine.items():
        other = theirs[first]
        assert (batch.rows == other.rows).all()
        assert all(torch.equal(batch.inputs[k], other.inputs[k]) for k in batch.inputs)
        assert all((a == b).all() for a, b in zip(batch.offsets, other.offsets))
    tagger = copy.copy(classifier)
    tagger.tokenizer_workers = 2  # the scorer's own path with workers predicts as without
    examples = TASK.text_examples(reference.documents, labelled_only=False)
    assert np.abs(tagger._probabilities(examples) - classifier._probabilities(examples)).max() < 1e-6


def test_the_run_logs_the_change_against_the_fp32_model(classifier, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    classifier.save(folder)
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=[f"cache.dir={tmp_path / 'cache'}", "progress=false", "model=minilm",
                                           f"model.load_from={folder}", "model.device=cpu", "model.quantize=int8"])
    (tmp_path / "scratch").mkdir()
    state = RunState(cfg, check_job(cfg), tmp_path / "out", tmp_path / "scratch")
    for step in (steps.resolve_levels, steps.build_model, steps.load_data, steps.fit_model, steps.predict,
                 steps.evaluate_predictions, steps.analyse):
        step(state)
    m = state.metrics
    assert m["fp32_reference.delta.sentence.f1"] == pytest.approx(m["sentence.f1"] - m["fp32_reference.sentence.f1"])
    assert 0 < m["fp32_reference.max_score_difference"] < 0.05 and m["fp32_reference.changed_decisions"] >= 0
    assert state.scorer is not None and state.scorer.fingerprint().endswith("+int8")
