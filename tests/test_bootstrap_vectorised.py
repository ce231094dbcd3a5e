"""The vectorised resample metrics equal scikit-learn's (and the scalar metrics') on every resample.

A resample is a row of counts; the reference is the scalar metric of the resample with its items
repeated (``np.repeat``), and, for the rankings, scikit-learn with ``sample_weight``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import bootstrap
from sklearn.metrics import average_precision_score, roc_auc_score

from bench.evaluation import evaluate
from bench.metrics.bootstrap import confidence_intervals, paired_bootstrap, resample_counts, resample_indices
from bench.metrics.calibration import (binary_calibration, binary_calibration_resampled, multiclass_calibration,
                                       multiclass_calibration_resampled)
from bench.metrics.documents import document_metrics, document_metrics_resampled
from bench.metrics.sentences import (binary_metrics, binary_metrics_resampled, multiclass_metrics,
                                     multiclass_metrics_resampled, ranking_resampled)
from bench.metrics.spans import exact_from_counts, exact_from_totals, overlap_from_sums, overlap_from_totals
from bench.scorers.lexicon import LoadedLanguageLexiconScorer
from bench.tasks import SpanDetection

TOLERANCE = 1e-12
CLASSES = ("negative", "neutral", "positive")


def _same(vectorised: dict[str, np.ndarray], reference: list[dict[str, float]], row: int) -> None:
    """Every metric the scalar function gives for resample ``row`` equals the vectorised one."""
    for name, value in reference[row].items():
        got = float(vectorised[name][row])
        if math.isnan(value):
            assert math.isnan(got), (name, row, got)
        else:
            assert abs(got - value) <= TOLERANCE, (name, row, got, value)


def _expanded(counts: np.ndarray) -> list[np.ndarray]:
    return [np.repeat(np.arange(counts.shape[1]), row) for row in counts]


@st.composite
def resamples(draw: st.DrawFn, n: int) -> np.ndarray:
    """2-4 resamples of ``n`` items as counts (0-3 copies each), none of them empty."""
    rows = draw(st.integers(2, 4))
    counts = np.array(draw(st.lists(st.lists(st.integers(0, 3), min_size=n, max_size=n), min_size=rows,
                                    max_size=rows)))
    counts[:, draw(st.integers(0, n - 1))] += 1
    return counts


# few distinct values, so that ties between scores (and with the threshold) are common
SCORES = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.5000001, 0.7, 0.9, 1.0])


@st.composite
def binary_case(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    n = draw(st.integers(1, 25))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    scores = np.array(draw(st.lists(SCORES | st.floats(0, 1), min_size=n, max_size=n)))
    return y, scores, draw(SCORES), draw(resamples(n))


@settings(max_examples=40, deadline=None)
@given(binary_case())
def test_binary_metrics_of_each_resample_equal_scikit_learn(case: tuple) -> None:
    y, scores, threshold, counts = case
    vectorised = binary_metrics_resampled(y, scores, threshold, counts)
    calibration = binary_calibration_resampled(y, scores, 10, counts)
    for row, idx in enumerate(_expanded(counts)):
        _same(vectorised, [binary_metrics(y[idx], scores[idx], threshold)] * (row + 1), row)
        _same(calibration, [binary_calibration(y[idx], scores[idx])] * (row + 1), row)


@settings(max_examples=40, deadline=None)
@given(binary_case())
def test_rankings_equal_scikit_learn_with_sample_weights(case: tuple) -> None:
    y, scores, _, counts = case
    auc, ap = ranking_resampled(y, scores, counts)
    for row, weights in enumerate(counts):
        kept = weights > 0
        if len(np.unique(y[kept])) < 2:
            assert math.isnan(auc[row]) and math.isnan(ap[row])
            continue
        assert abs(auc[row] - roc_auc_score(y, scores, sample_weight=weights)) <= TOLERANCE
        assert abs(ap[row] - average_precision_score(y, scores, sample_weight=weights)) <= TOLERANCE


@st.composite
def multiclass_case(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 20))
    y = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    raw = np.array(draw(st.lists(st.lists(st.sampled_from([0.0, 0.2, 0.5, 1.0, 3.0]) | st.floats(0, 3),
                                          min_size=3, max_size=3), min_size=n, max_size=n))) + 1e-3
    return y, raw / raw.sum(axis=1, keepdims=True), draw(resamples(n))


@settings(max_examples=30, deadline=None)
@given(multiclass_case())
def test_multiclass_metrics_of_each_resample_equal_scikit_learn(case: tuple) -> None:
    y, probs, counts = case
    vectorised = multiclass_metrics_resampled(y, probs, CLASSES, counts, ordinal=True)
    calibration = multiclass_calibration_resampled(y, probs, 10, counts)
    for row, idx in enumerate(_expanded(counts)):
        _same(vectorised, [multiclass_metrics(y[idx], probs[idx], CLASSES, ordinal=True)] * (row + 1), row)
        _same(calibration, [multiclass_calibration(y[idx], probs[idx])] * (row + 1), row)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_span_and_document_metrics_of_each_resample(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 12))
    exact = np.array(data.draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5), st.integers(0, 5)),
                                        min_size=n, max_size=n)), dtype=float)
    exact[:, 1:] = np.maximum(exact[:, 1:], exact[:, :1])  # true positives ≤ predicted, gold
    overlap = np.column_stack([exact[:, 0] * 0.7, exact[:, 0] * 0.9, exact[:, 1], exact[:, 2]])
    density = np.array(data.draw(st.lists(st.tuples(SCORES, SCORES), min_size=n, max_size=n)), dtype=float)
    counts = data.draw(resamples(n))
    got_exact, got_overlap = exact_from_totals(counts @ exact), overlap_from_totals(counts @ overlap)
    got_docs = document_metrics_resampled(density[:, 0], density[:, 1], counts)
    for row, idx in enumerate(_expanded(counts)):
        _same(got_exact, [exact_from_counts(exact[idx])] * (row + 1), row)
        _same(got_overlap, [overlap_from_sums(overlap[idx])] * (row + 1), row)
        _same(got_docs, [document_metrics(density[idx, 0], density[idx, 1])] * (row + 1), row)


def test_hand_computed_auc_and_average_precision_with_ties() -> None:
    # scores 0.8 (pos), 0.8 (neg), 0.3 (pos), 0.1 (neg); the first item drawn twice:
    # pairs (pos, neg) weighted: 0.8p×2 vs 0.8n tie → 2×0.5, vs 0.1n → 2; 0.3p vs 0.1n → 1; vs 0.8n → 0
    # AUC = (1 + 2 + 1) / (3 × 2) = 2/3; AP: at 0.8, P = 2/3, ΔR = 2/3; at 0.3, P = 3/4, ΔR = 1/3
    auc, ap = ranking_resampled([1, 0, 1, 0], [0.8, 0.8, 0.3, 0.1], np.array([[2, 1, 1, 1]]))
    assert auc[0] == pytest.approx(2 / 3, abs=1e-15)
    assert ap[0] == pytest.approx(2 / 3 * 2 / 3 + 1 / 3 * 3 / 4, abs=1e-15)


def test_resample_draws_are_scipys() -> None:
    # the same documents as scipy.stats.bootstrap draws with default_rng(seed)
    seen: list[np.ndarray] = []
    bootstrap((np.arange(7),), lambda idx: (seen.append(idx.copy()), 0.0)[1], vectorized=False, n_resamples=5,
              method="percentile", rng=np.random.default_rng(3))
    assert np.array_equal(np.array(seen[:5]), resample_indices(7, 5, 3))
    counts = resample_counts(resample_indices(7, 5, 3), 7)
    assert counts.shape == (5, 7) and (counts.sum(axis=1) == 7).all()


@pytest.fixture(scope="module")
def babe_tables(corpus_loader):
    """The lexicon's and a shuffled copy's evaluation of BABE's test split (spans, sentences, documents)."""
    task = SpanDetection("loaded_language", "loaded_language")
    docs = corpus_loader("babe").split("test")
    preds = LoadedLanguageLexiconScorer().predict(docs, task)
    levels = ["span", "sentence", "document"]
    a = evaluate(task, docs, preds, levels, threshold=0.5).table
    b = evaluate(task, docs, preds[1:] + preds[:1], levels, threshold=0.5).table  # wrong document for each
    return a, b


@pytest.mark.shared_data
def test_intervals_on_babe_equal_the_per_resample_path(babe_tables) -> None:
    a, b = babe_tables
    names = [n for n in a.metrics() if n != "n_documents"]
    full = a.resampled(np.ones((1, len(a.doc_ids))))
    for name, value in a.metrics().items():
        assert full[name][0] == pytest.approx(value, abs=TOLERANCE, nan_ok=True), name
    fast = confidence_intervals(a, names, len(a.doc_ids), n_resamples=30, seed=5)
    slow = confidence_intervals(a.metrics, names, len(a.doc_ids), n_resamples=30, seed=5)
    assert fast.keys() == slow.keys()
    for name in names:
        assert fast[name] == pytest.approx(slow[name], abs=TOLERANCE, nan_ok=True), name
    assert fast["sentence.roc_auc"][0] < a.metrics()["sentence.roc_auc"] < fast["sentence.roc_auc"][1]
    paired = paired_bootstrap(a, b, ["sentence.f1", "span.overlap.f1"], len(a.doc_ids), n_resamples=30, seed=5)
    reference = paired_bootstrap(a.metrics, b.metrics, ["sentence.f1", "span.overlap.f1"], len(a.doc_ids),
                                 n_resamples=30, seed=5)
    for fast_row, slow_row in zip(paired, reference):
        assert fast_row.p_value == slow_row.p_value
        assert (fast_row.ci_low, fast_row.ci_high) == pytest.approx((slow_row.ci_low, slow_row.ci_high),
                                                                     abs=TOLERANCE)
    # the lexicon on the right documents beats the same spans put on the wrong ones
    assert paired[1].difference > 0 and paired[1].p_value < 0.05
