"""Annotator-disagreement metrics: hand-computed cases, properties, and MBIC's annotator labels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.data.schema import Document, Sentence
from bench.metrics.disagreement import (bucket, disagreement_metrics, entropy, evaluate_disagreement, soft_brier,
                                        soft_log_loss, vote_distribution)
from bench.predictions import DocumentPrediction
from bench.tasks import load_task


def _doc(doc_id: str, votes: list[list[object]], key: str = "loaded_language") -> Document:
    text = " ".join(f"Sentence {i}." for i in range(len(votes)))
    sentences, offset = [], 0
    for i, v in enumerate(votes):
        length = len(f"Sentence {i}.")
        sentences.append(Sentence(offset, offset + length, {"annotator_votes": {key: v}}))
        offset += length + 1
    return Document(doc_id, text, {}, [], sentences)


def test_binary_case_computed_by_hand() -> None:
    # P(biased) 0.8, 0.4, 0.7 against votes 3/3 biased, 2/4 (a tie), 1/3 biased
    docs = [_doc("a", [[1, 1, 1], [1, 0, 0, 1]]), _doc("b", [[0, 0, 1]])]
    preds = [DocumentPrediction("a", sentence_scores=[0.8, 0.4]), DocumentPrediction("b", sentence_scores=[0.7])]
    m = evaluate_disagreement(load_task("loaded_language"), docs, preds, 0.5, n_resamples=50)
    ce = (-math.log(0.8) - 0.5 * (math.log(0.6) + math.log(0.4)) - (2 / 3 * math.log(0.3) + 1 / 3 * math.log(0.7))) / 3
    assert m["disagreement.soft.log_loss"] == pytest.approx(ce)
    assert m["disagreement.soft.brier"] == pytest.approx((0.2**2 + 0.1**2 + (0.7 - 1 / 3) ** 2) / 3)
    assert m["disagreement.soft.entropy"] == pytest.approx((math.log(2) - (2 / 3 * math.log(2 / 3)
                                                                            + 1 / 3 * math.log(1 / 3))) / 3)
    assert m["disagreement.share.spearman"] == pytest.approx(0.5)  # ranks (3, 1, 2) vs (3, 2, 1)
    # unanimous: decided biased, right; majority (2 of 3 say not biased): decided biased, wrong;
    # split: the tie has no majority label, so it counts but has no accuracy
    assert (m["disagreement.bucket.unanimous.n"], m["disagreement.bucket.unanimous.accuracy"]) == (1, 1.0)
    assert (m["disagreement.bucket.majority.n"], m["disagreement.bucket.majority.accuracy"]) == (1, 0.0)
    assert m["disagreement.bucket.split.n"] == 1 and math.isnan(m["disagreement.bucket.split.accuracy"])
    assert m["disagreement.soft.log_loss.ci_low"] <= ce <= m["disagreement.soft.log_loss.ci_high"]


def test_three_classes_for_the_opinion_task() -> None:
    doc = _doc("a", [["factual", "factual", "opinion", "somewhat_opinionated"]], key="opinion")
    pred = DocumentPrediction("a", unit_probs=[[0.5, 0.3, 0.2]])
    m = evaluate_disagreement(load_task("opinion"), [doc], [pred], 0.5, n_resamples=20)
    assert m["disagreement.soft.log_loss"] == pytest.approx(-(0.5 * math.log(0.5) + 0.25 * math.log(0.3)
                                                              + 0.25 * math.log(0.2)))
    assert m["disagreement.soft.brier"] == pytest.approx(0.05**2 * 2)
    assert "disagreement.share.spearman" not in m  # the share of "biased" is a two-class figure
    assert m["disagreement.bucket.split.n"] == 1  # half the annotators chose the largest class


def test_single_annotator_items_are_left_out() -> None:
    docs = [_doc("a", [[1], []])]
    assert evaluate_disagreement(load_task("loaded_language"), docs,
                                 [DocumentPrediction("a", sentence_scores=[0.9, 0.1])], 0.5) == {}


def test_buckets() -> None:
    assert bucket(vote_distribution([1, 1, 1], 2)) == "unanimous"
    assert bucket(vote_distribution([1, 1, 0], 2)) == "majority"  # two thirds
    assert bucket(vote_distribution([1, 1, 1, 0, 0], 2)) == "split"  # 3-2
    assert bucket(vote_distribution([1] * 7 + [0] * 4, 2)) == "split"  # 7/11 < 2/3


@st.composite
def _rows(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 8))
    k = draw(st.integers(2, 4))
    def dist() -> list[float]:
        raw = draw(st.lists(st.floats(0.01, 1.0), min_size=k, max_size=k))
        return [x / sum(raw) for x in raw]
    return np.array([dist() for _ in range(n)]), np.array([dist() for _ in range(n)])


@settings(max_examples=60, deadline=None)
@given(_rows())
def test_cross_entropy_is_never_below_the_annotators_entropy(rows: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = rows
    assert soft_log_loss(p, q) >= entropy(q) - 1e-9  # Gibbs' inequality
    assert soft_log_loss(q, q) == pytest.approx(entropy(q))
    assert soft_brier(q, q) == pytest.approx(0.0) and soft_brier(p, q) >= 0


def test_mbic_buckets_follow_its_annotator_agreement(corpus_loader) -> None:
    corpus = corpus_loader("mbic")
    docs = corpus.split("test")
    preds = [DocumentPrediction(d.id, sentence_scores=[0.6]) for d in docs]
    m = evaluate_disagreement(load_task("loaded_language"), docs, preds, 0.5, n_resamples=20)
    agreement = [d.metadata["agreement"] for d in docs]
    assert m["disagreement.n_items"] == len(docs) == 340
    assert m["disagreement.bucket.unanimous.n"] == sum(a == 1.0 for a in agreement)
    assert m["disagreement.bucket.split.n"] == sum(a < 2 / 3 - 1e-3 for a in agreement)
    # a constant P(biased) = 0.6 decides "biased" everywhere: its accuracy in a bucket is the share of
    # items whose majority said biased; its correlation with the share of biased votes is undefined
    shares = np.array([d.metadata["share_biased"] for d in docs])
    unanimous = np.array(agreement) == 1.0
    assert m["disagreement.bucket.unanimous.accuracy"] == pytest.approx(np.mean(shares[unanimous] == 1.0))
    assert math.isnan(m["disagreement.share.spearman"])
    assert m["disagreement.soft.brier"] == pytest.approx(np.mean((0.6 - shares) ** 2), abs=1e-3)
    assert disagreement_metrics(np.array([[0.4, 0.6]]), np.array([[0.0, 1.0]]), np.array([1]))[
        "bucket.unanimous.accuracy"] == 1.0
