"""Invariance: swapping a named entity for one from the other political side must not move the score.

Cases are the stored test set ``corpora/behaviour/entity_swaps.v1.jsonl``: a sentence with one entity
slot and the fills of both sides of its swap group (e.g. Putin, Lukashenko vs Biden, Macron, Scholz,
Sunak). Every side-A version is compared with every side-B version. Per group:
``mean_abs_change`` (interval over cases), ``max_abs_change``, ``flip_rate`` (the decision at the
model's threshold differs), ``beyond_tolerance`` (|change| > ``evaluation.behaviour_tolerance``),
``pass_rate`` (neither), and the political-symmetry figure ``signed_gap``: mean score of the side-A
versions minus the side-B versions (positive: side A scored higher), with its interval over cases.
"""

from __future__ import annotations

from itertools import product
from typing import Any

import numpy as np

from bench.behaviour.base import Pair, Predict, SuiteResult, failures, invariance_rows, score_texts, with_interval
from bench.behaviour.settings import BehaviourSettings
from bench.behaviour.testsets import SwapCase, entity_cases

NAME = "invariance"
DESCRIPTION = "entities swapped across political sides: the score must stay within the tolerance"


def applies(task: Any) -> str | None:
    if getattr(task, "span_category", None) is None:
        return f"needs a task with a binary sentence score (task {task.name!r} has none)"
    return None


def case_pairs(case: SwapCase) -> list[Pair]:
    """Every side-A version of the sentence against every side-B version."""
    return [Pair(f"{case.id}:{a}|{b}", case.filled(a), case.filled(b), "same", case.group,
                 {"case": case.id, "origin": case.origin, "A": a, "B": b})
            for a, b in product(case.fills["A"], case.fills["B"])]


def _group_metrics(cases: list[SwapCase], rows: list[dict[str, Any]], scores: dict[str, float],
                   settings: BehaviourSettings) -> dict[str, float]:
    changes = np.array([abs(r["change"]) for r in rows], dtype=float)
    by_case = [np.mean([abs(r["change"]) for r in rows if r["meta"]["case"] == c.id]) for c in cases]
    gaps = [np.mean([scores[c.filled(f)] for f in c.fills["A"]]) - np.mean([scores[c.filled(f)] for f in c.fills["B"]])
            for c in cases]
    out: dict[str, float] = {"n_cases": float(len(cases)), "n_pairs": float(len(rows))}
    with_interval(out, "mean_abs_change", np.array(by_case), **settings.bootstrap())
    out["max_abs_change"] = float(changes.max()) if len(changes) else float("nan")
    out["flip_rate"] = float(np.mean([r["flipped"] for r in rows])) if rows else float("nan")
    out["beyond_tolerance"] = float(np.mean(changes > settings.tolerance)) if len(changes) else float("nan")
    out["pass_rate"] = float(np.mean([r["passed"] for r in rows])) if rows else float("nan")
    with_interval(out, "signed_gap", np.array(gaps), **settings.bootstrap())
    return out


def evaluate(cases: list[SwapCase], scores: dict[str, float], settings: BehaviourSettings
             ) -> tuple[dict[str, float], list[dict[str, Any]]]:
    pairs = [p for c in cases for p in case_pairs(c)]
    rows = invariance_rows(pairs, scores, settings.threshold, settings.tolerance)
    metrics = _group_metrics(cases, rows, scores, settings)
    metrics.pop("signed_gap"), metrics.pop("signed_gap.ci_low"), metrics.pop("signed_gap.ci_high")
    metrics["tolerance"] = settings.tolerance
    for group in sorted({c.group for c in cases}):
        members = [c for c in cases if c.group == group]
        part = [r for r in rows if r["group"] == group]
        metrics.update({f"{group}.{k}": v for k, v in _group_metrics(members, part, scores, settings).items()})
    return metrics, rows


def run(predict: Predict, settings: BehaviourSettings) -> SuiteResult:
    loaded = entity_cases(settings.data_dir)
    cases: list[SwapCase] = loaded.items
    texts = [c.filled(f) for c in cases for side in ("A", "B") for f in c.fills[side]]
    scores = score_texts(texts, predict)
    metrics, rows = evaluate(cases, scores, settings)
    notes = {"test_set": loaded.path.name, "tolerance": str(settings.tolerance),
             **{f"skipped.{k}": f"{v} cases (PolNeAR not in the data directory)" for k, v in loaded.skipped.items()}}
    return SuiteResult(NAME, DESCRIPTION, metrics, failures(rows, settings.max_failures), notes,
                       n_failures=sum(not r["passed"] for r in rows))
