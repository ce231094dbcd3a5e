"""Review-grade analyses of one run: bootstrap intervals, calibration, slices and plots."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bench.data.schema import Document
from bench.evaluation import EvalTable
from bench.metrics.bootstrap import confidence_intervals
from bench.metrics.spans import recall_by_label

_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /]+")


def metric_key(value: object) -> str:
    """A slice value as an MLflow-safe metric name part."""
    return _UNSAFE.sub("_", str(value)).strip("_ ") or "unknown"


def intervals(table: EvalTable, *, n_resamples: int, seed: int, confidence: float) -> dict[str, float]:
    """``<metric>.ci_low`` / ``<metric>.ci_high`` for every headline metric (documents resampled)."""
    names = table.task.headline_names(table.levels)
    found = confidence_intervals(table, names, len(table.doc_ids), n_resamples=n_resamples, seed=seed,
                                 confidence=confidence)
    out = {}
    for name, (low, high) in found.items():
        out[f"{name}.ci_low"], out[f"{name}.ci_high"] = low, high
    return out


def plots(table: EvalTable, folder: Path, title: str, n_bins: int) -> list[Path]:
    """The task's diagnostic plots (confusion matrix, PR curve, reliability diagram) as PNG files."""
    if not len(table.item_gold):
        return []
    folder.mkdir(parents=True, exist_ok=True)
    return table.task.plots(table.item_gold, table.item_scores, table.threshold, folder, title, n_bins)


def slices(table: EvalTable, docs: Sequence[Document], records: Sequence[dict[str, Any]],
           keys: Sequence[str], span_labels: bool, min_documents: int) -> list[dict[str, Any]]:
    """Headline metrics per metadata value (outlet, leaning, topic, ...) and recall per gold label."""
    rows: list[dict[str, Any]] = []
    names = table.task.headline_names(table.levels)
    chosen: list[tuple[str, str, list[int]]] = []
    for key in keys:
        groups: dict[str, list[int]] = {}
        for i, doc in enumerate(docs):
            value = doc.metadata.get(key)
            if value not in (None, ""):
                groups.setdefault(str(value), []).append(i)
        chosen += [(key, value, members) for value, members in sorted(groups.items())
                   if len(members) >= min_documents]
    if chosen:  # every slice at once: a slice is a resample that draws each of its documents once
        counts = np.zeros((len(chosen), len(table.doc_ids)))
        for row, (_, _, members) in enumerate(chosen):
            counts[row, members] = 1
        found = table.resampled(counts)
        for row, (key, value, members) in enumerate(chosen):
            rows.append({"slice": key, "value": value, "documents": len(members),
                         **{n: float(found[n][row]) if n in found else math.nan for n in names}})
    if span_labels and "span" in table.levels:
        pred = [[(s["start"], s["end"]) for s in r["scored_spans"]] for r in records]
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
