"""Span metrics: hand-computed cases and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.metrics.spans import exact_match, merge_overlapping, overlap_credit


def test_exact_match_hand_computed() -> None:
    gold = [[(0, 5), (10, 20)], [(3, 8)]]
    pred = [[(0, 5), (11, 20)], [(3, 8), (30, 40)]]
    scores = exact_match(pred, gold)
    # 2 of 4 predictions are exact; 2 of 3 gold spans are found
    assert scores["precision"] == pytest.approx(0.5)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_overlap_credit_hand_computed() -> None:
    # gold [10, 20) (10 chars); prediction [15, 25) (10 chars) overlaps 5 chars
    scores = overlap_credit([[(15, 25)]], [[(10, 20)]])
    assert scores["precision"] == pytest.approx(0.5)
    assert scores["recall"] == pytest.approx(0.5)
    # gold [0, 10); predictions [0, 2) and [8, 10) -> P = (1 + 1) / 2, R = (2/10 + 2/10) / 1
    scores = overlap_credit([[(0, 2), (8, 10)]], [[(0, 10)]])
    assert scores["precision"] == pytest.approx(1.0)
    assert scores["recall"] == pytest.approx(0.4)
    assert scores["f1"] == pytest.approx(2 * 0.4 / 1.4)


def test_overlap_merges_overlapping_predictions() -> None:
    # two overlapping predictions count as their union [0, 8): P = 5/8, R = 1
    scores = overlap_credit([[(0, 5), (3, 8)]], [[(0, 5)]])
    assert scores["precision"] == pytest.approx(5 / 8)
    assert scores["recall"] == pytest.approx(1.0)


def test_empty_sides() -> None:
    assert overlap_credit([[]], [[(0, 3)]]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert exact_match([[(0, 3)]], [[]])["recall"] == 0.0


spans = st.lists(st.tuples(st.integers(0, 200), st.integers(1, 30)).map(lambda t: (t[0], t[0] + t[1])), max_size=8)
docs = st.lists(spans, min_size=1, max_size=4)


@given(docs)
def test_identical_predictions_score_one(gold: list[list[tuple[int, int]]]) -> None:
    if not any(gold):
        return
    assert overlap_credit(gold, gold)["f1"] == pytest.approx(1.0)
    assert exact_match(gold, gold)["f1"] == pytest.approx(1.0)


@given(docs, docs)
def test_scores_are_bounded_and_symmetric(pred: list, gold: list) -> None:
    n = min(len(pred), len(gold))
    pred, gold = pred[:n], gold[:n]
    forward, backward = overlap_credit(pred, gold), overlap_credit(gold, pred)
    for value in (*forward.values(), *exact_match(pred, gold).values()):
        assert value >= 0
    assert 0 <= forward["precision"] <= 1 + 1e-9 and 0 <= forward["recall"] <= 1 + 1e-9
    assert forward["precision"] == pytest.approx(backward["recall"])
    assert forward["f1"] == pytest.approx(backward["f1"])


@given(spans)
def test_merge_gives_disjoint_cover(items: list[tuple[int, int]]) -> None:
    merged = merge_overlapping(items)
    assert all(a[1] <= b[0] for a, b in zip(merged, merged[1:]))
    covered = {i for s, e in items for i in range(s, e)}
    assert covered == {i for s, e in merged for i in range(s, e)}


@given(docs)
def test_shifted_far_away_scores_zero(gold: list) -> None:
    pred = [[(s + 1000, e + 1000) for s, e in doc] for doc in gold]
    assert overlap_credit(pred, gold)["f1"] == 0.0
