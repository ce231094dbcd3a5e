"""Sentence- and document-level metrics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.metrics.documents import density, document_metrics
from bench.metrics.sentences import binary_metrics, multiclass_metrics


def test_binary_metrics_hand_computed() -> None:
    y = [1, 1, 0, 0, 1]
    s = [0.9, 0.4, 0.6, 0.1, 0.8]
    m = binary_metrics(y, s)
    # predictions at 0.5: 1,0,1,0,1 -> TP 2, FP 1, FN 1
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    # negative class: TN 1, FN 1, FP 1 -> F1 0.5; macro = (2/3 + 1/2) / 2
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.5) / 2)
    # pairs (pos, neg): 6; correctly ordered: 0.9>0.6,0.9>0.1,0.4>0.1,0.8>0.6,0.8>0.1 = 5
    assert m["roc_auc"] == pytest.approx(5 / 6)
    assert 0 < m["pr_auc"] <= 1


def test_single_class_auc_is_undefined() -> None:
    m = binary_metrics([1, 1], [0.2, 0.9])
    assert math.isnan(m["roc_auc"]) and math.isnan(m["pr_auc"])


def test_multiclass_metrics() -> None:
    gold = [0, 1, 2, 0]  # negative, neutral, positive, negative
    probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.6, 0.2, 0.2], [0.5, 0.4, 0.1]])
    m = multiclass_metrics(gold, probs, ("negative", "neutral", "positive"), ordinal=True)
    assert m["accuracy"] == pytest.approx(0.75) and m["micro_f1"] == pytest.approx(0.75)
    # negative: TP 2, FP 1 -> F1 0.8; neutral 1.0; positive 0.0
    assert m["f1_negative"] == pytest.approx(0.8)
    assert m["macro_f1"] == pytest.approx((0.8 + 1.0 + 0.0) / 3)
    # expected class index 0.3, 0.9, 0.6, 0.6 (ranks 1, 4, 2.5, 2.5) against gold 0, 1, 2, 0 (ranks 1.5, 3, 4,
    # 1.5): deviations (-1.5, 1.5, 0, 0) and (-1, 0.5, 1.5, -1), covariance 2.25, variances 4.5 -> 0.5
    assert m["spearman"] == pytest.approx(0.5)


def test_labels_with_commas_become_valid_metric_names() -> None:
    m = multiclass_metrics([0, 1], np.array([[0.9, 0.1], [0.2, 0.8]]), ("Name_Calling,Labeling", "Doubt"))
    assert m["f1_Name_Calling_Labeling"] == 1.0 and "spearman" not in m


def test_density_and_document_metrics() -> None:
    assert density(2, "one two three four") == pytest.approx(50.0)
    m = document_metrics([1.0, 2.0, 3.0], [0.5, 2.5, 3.5])
    assert m["density_mae"] == pytest.approx((0.5 + 0.5 + 0.5) / 3)
    assert m["spearman"] == pytest.approx(1.0)
    assert math.isnan(document_metrics([1.0], [2.0])["spearman"])
