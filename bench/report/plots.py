"""PNG plots for the MLflow run: confusion matrix, precision-recall curve, reliability diagram."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay, PrecisionRecallDisplay  # noqa: E402

from bench.metrics.calibration import reliability_points  # noqa: E402


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def confusion_matrix_png(gold: Sequence[object], pred: Sequence[object], labels: Sequence[object],
                         display_labels: Sequence[str], title: str, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(4.6, 4))
    ConfusionMatrixDisplay.from_predictions(gold, pred, labels=list(labels), display_labels=list(display_labels),
                                            ax=ax, colorbar=False, cmap="Blues")
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def precision_recall_png(gold: Sequence[int], scores: Sequence[float], threshold: float, title: str,
                         path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(4.8, 4))
    PrecisionRecallDisplay.from_predictions(gold, scores, ax=ax, name="model", plot_chance_level=True)
    pred = np.asarray(scores) >= threshold
    y = np.asarray(gold).astype(bool)
    if pred.any() and y.any():
        ax.plot([(pred & y).sum() / y.sum()], [(pred & y).sum() / pred.sum()], "o", color="crimson",
                label=f"threshold {threshold:.2f}")
        ax.legend(loc="lower left", fontsize=8)
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def reliability_png(correct: Sequence[float], confidence: Sequence[float], n_bins: int, title: str,
                    path: Path) -> Path:
    observed, predicted = reliability_points(correct, confidence, n_bins)
    fig, (ax, hist) = plt.subplots(2, 1, figsize=(4.6, 5.2), gridspec_kw={"height_ratios": [3, 1]}, sharex=True)
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfectly calibrated")
    ax.plot(predicted, observed, "o-", label="model")
    ax.set_ylabel("observed frequency")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(title, fontsize=10)
    hist.hist(np.clip(confidence, 0, 1), bins=n_bins, range=(0, 1), color="steelblue")
    hist.set_xlabel("predicted probability")
    hist.set_ylabel("items")
    return _save(fig, path)
