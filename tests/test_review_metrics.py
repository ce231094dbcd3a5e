"""Intervals, paired tests and calibration against hand-computed values, plus properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.metrics.bootstrap import confidence_intervals, paired_bootstrap
from bench.metrics.calibration import binary_calibration, expected_calibration_error, multiclass_calibration
from bench.metrics.significance import mcnemar


def test_interval_of_two_documents_is_hand_computable() -> None:
    # resampled means of {0, 1} are 0, 0.5, 1 with probabilities 1/4, 1/2, 1/4:
    # the 2.5th percentile is 0 and the 97.5th is 1
    values = np.array([0.0, 1.0])
    ci = confidence_intervals(lambda idx: {"mean": values[idx].mean()}, ["mean"], 2, n_resamples=2000, seed=1)
    assert ci["mean"] == (0.0, 1.0)


def test_interval_of_a_constant_is_a_point() -> None:
    ci = confidence_intervals(lambda idx: {"m": 0.7}, ["m"], 50, n_resamples=200)
    assert ci["m"] == pytest.approx((0.7, 0.7))


def test_interval_undefined_with_one_document() -> None:
    low, high = confidence_intervals(lambda idx: {"m": 1.0}, ["m"], 1)["m"]
    assert math.isnan(low) and math.isnan(high)


def test_paired_bootstrap_identical_and_dominated_systems() -> None:
    scores = np.random.default_rng(0).random(40)
    same = paired_bootstrap(lambda i: {"m": scores[i].mean()}, lambda i: {"m": scores[i].mean()}, ["m"], 40,
                            n_resamples=300)[0]
    assert same.difference == 0 and same.p_value == 1.0 and (same.ci_low, same.ci_high) == (0.0, 0.0)
    better = paired_bootstrap(lambda i: {"m": scores[i].mean() + 0.1}, lambda i: {"m": scores[i].mean()}, ["m"], 40,
                              n_resamples=300)[0]
    assert better.difference == pytest.approx(0.1) and better.p_value == 0.0
    assert better.ci_low == pytest.approx(0.1) and better.ci_high == pytest.approx(0.1)
    assert better.relative == pytest.approx(0.1 / scores.mean())


def test_mcnemar_hand_computed() -> None:
    # A right where B is wrong on 2 items, the reverse on 1: binomial(2; 3, 0.5) two-sided p = 1
    result = mcnemar([1, 1, 1, 0], [1, 1, 0, 0], [0, 0, 1, 0])
    assert (result.a_only, result.b_only, result.p_value, result.odds_ratio) == (2, 1, 1.0, 2.0)
    # 10 discordant pairs all in A's favour: p = 2 * 0.5**10
    gold = [1] * 10
    result = mcnemar(gold, [1] * 10, [0] * 10)
    assert result.p_value == pytest.approx(2 * 0.5**10) and math.isinf(result.odds_ratio)


def test_calibration_hand_computed() -> None:
    # bins: 0.9 and 0.95 -> bin 9 (accuracy 1, confidence 0.925), 0.2 -> bin 2, 0.6 -> bin 6
    assert expected_calibration_error([1, 0, 1, 1], [0.9, 0.2, 0.6, 0.95]) == pytest.approx(
        0.5 * 0.075 + 0.25 * 0.2 + 0.25 * 0.4)
    assert binary_calibration([1, 0], [0.8, 0.3])["brier"] == pytest.approx((0.2**2 + 0.3**2) / 2)
    multi = multiclass_calibration([0], np.array([[0.7, 0.2, 0.1]]))
    assert multi["brier"] == pytest.approx(0.3**2 + 0.2**2 + 0.1**2)
    assert multi["ece"] == pytest.approx(0.3)


probabilities = st.lists(st.floats(0, 1), min_size=1, max_size=60)


@given(probabilities, st.data())
def test_ece_is_bounded(conf: list[float], data) -> None:
    correct = data.draw(st.lists(st.booleans(), min_size=len(conf), max_size=len(conf)))
    assert 0.0 <= expected_calibration_error(correct, conf) <= 1.0


@given(st.integers(1, 9), st.integers(1, 30))
def test_ece_is_zero_when_confidence_matches_accuracy(hits: int, repeats: int) -> None:
    correct = ([1] * hits + [0] * (10 - hits)) * repeats
    assert expected_calibration_error(correct, [hits / 10 + 0.001] * len(correct)) == pytest.approx(0.001, abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=3, max_size=30), st.lists(st.floats(0, 1), min_size=3, max_size=30))
def test_paired_bootstrap_is_antisymmetric(xs: list[float], ys: list[float]) -> None:
    n = min(len(xs), len(ys))
    a, b = np.array(xs[:n]), np.array(ys[:n])
    ab = paired_bootstrap(lambda i: {"m": a[i].mean()}, lambda i: {"m": b[i].mean()}, ["m"], n, n_resamples=100)[0]
    ba = paired_bootstrap(lambda i: {"m": b[i].mean()}, lambda i: {"m": a[i].mean()}, ["m"], n, n_resamples=100)[0]
    assert ab.difference == pytest.approx(-ba.difference)
    assert ab.p_value == pytest.approx(ba.p_value)
    assert 0 <= ab.p_value <= 1
