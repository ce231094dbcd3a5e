"""Review-grade analyses of one run: bootstrap intervals, calibration, slices and plots."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bench.data.schema import SENTIMENT_CLASSES, Document
from bench.evaluation import EvalTable, headline_names
from bench.metrics.bootstrap import confidence_intervals
from bench.metrics.calibration import binary_calibration, multiclass_calibration
from bench.metrics.spans import recall_by_label
from bench.report.plots import confusion_matrix_png, precision_recall_png, reliability_png

_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /]+")


def metric_key(value: object) -> str:
    """A slice value as an MLflow-safe metric name part."""
    return _UNSAFE.sub("_", str(value)).strip("_ ") or "unknown"


def intervals(table: EvalTable, *, n_resamples: int, seed: int, confidence: float) -> dict[str, float]:
    """``<metric>.ci_low`` / ``<metric>.ci_high`` for every headline metric (documents resampled)."""
    names = headline_names(table.task, table.levels)
    found = confidence_intervals(table.metrics, names, len(table.doc_ids), n_resamples=n_resamples, seed=seed,
                                 confidence=confidence)
    out = {}
    for name, (low, high) in found.items():
        out[f"{name}.ci_low"], out[f"{name}.ci_high"] = low, high
    return out


def _sentiment_arrays(table: EvalTable) -> tuple[np.ndarray, np.ndarray]:
    gold = np.array([SENTIMENT_CLASSES.index(g) for g in table.item_gold], dtype=int)
    return gold, np.asarray(table.item_scores, dtype=float).reshape(-1, len(SENTIMENT_CLASSES))


def calibration(table: EvalTable, n_bins: int) -> dict[str, float]:
    if not len(table.item_gold):
        return {}
    if table.task.kind == "sentiment":
        gold, probs = _sentiment_arrays(table)
        result = multiclass_calibration(gold, probs, n_bins)
    else:
        result = binary_calibration(table.item_gold, table.item_scores, n_bins)
    return {f"sentence.{k}": v for k, v in result.items()}


def plots(table: EvalTable, folder: Path, title: str, n_bins: int) -> list[Path]:
    """Confusion matrix, PR curve (binary tasks) and reliability diagram as PNG files."""
    if not len(table.item_gold):
        return []
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    if table.task.kind == "sentiment":
        gold, probs = _sentiment_arrays(table)
        pred = probs.argmax(axis=1)
        made.append(confusion_matrix_png(gold, pred, range(3), SENTIMENT_CLASSES, title, folder / "confusion_matrix.png"))
        made.append(reliability_png(pred == gold, probs.max(axis=1), n_bins, f"{title} (top label)",
                                    folder / "reliability_diagram.png"))
        return made
    gold = np.asarray(table.item_gold, dtype=int)
    scores = np.asarray(table.item_scores, dtype=float)
    made.append(confusion_matrix_png(gold, (scores >= table.threshold).astype(int), [0, 1], ["negative", "positive"],
                                     f"{title} (threshold {table.threshold:.2f})", folder / "confusion_matrix.png"))
    if len(np.unique(gold)) == 2:
        made.append(precision_recall_png(gold, scores, table.threshold, title, folder / "precision_recall.png"))
    made.append(reliability_png(gold, scores, n_bins, title, folder / "reliability_diagram.png"))
    return made


def slices(table: EvalTable, docs: Sequence[Document], records: Sequence[dict[str, Any]],
           keys: Sequence[str], span_labels: bool, min_documents: int) -> list[dict[str, Any]]:
    """Headline metrics per metadata value (outlet, leaning, topic, ...) and recall per gold label."""
    rows: list[dict[str, Any]] = []
    names = headline_names(table.task, table.levels)
    for key in keys:
        groups: dict[str, list[int]] = {}
        for i, doc in enumerate(docs):
            value = doc.metadata.get(key)
            if value not in (None, ""):
                groups.setdefault(str(value), []).append(i)
        for value, members in sorted(groups.items()):
            if len(members) < min_documents:
                continue
            metrics = table.metrics(members)
            rows.append({"slice": key, "value": value, "documents": len(members),
                         **{n: metrics.get(n, math.nan) for n in names}})
    if span_labels and table.task.category:
        category = table.task.category
        pred = [[(s["start"], s["end"]) for s in r["spans"] if s["label"].partition("/")[0] == category]
                for r in records]
        gold = [[(s["start"], s["end"], s.get("native_label") or s["label"]) for s in r["gold_spans"]] for r in records]
        for label, values in recall_by_label(pred, gold).items():
            rows.append({"slice": "gold_label", "value": label, "documents": None, **values})
    return rows


def slice_metrics(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Slice rows as MLflow metrics: ``slice.<key>.<value>.<metric>``."""
    out = {}
    for row in rows:
        for name, value in row.items():
            if name in ("slice", "value", "documents") or not isinstance(value, (int, float)) or value is None:
                continue
            out[f"slice.{metric_key(row['slice'])}.{metric_key(row['value'])}.{name}"] = float(value)
    return out


def write_slices(rows: Sequence[dict[str, Any]], folder: Path) -> None:
    """``slices.json`` (records) and ``slices.csv`` for the artifact viewer."""
    import pandas as pd

    (folder / "slices.json").write_text(json.dumps(list(rows), indent=2, ensure_ascii=False), encoding="utf-8")
    pd.DataFrame(list(rows)).to_csv(folder / "slices.csv", index=False)
