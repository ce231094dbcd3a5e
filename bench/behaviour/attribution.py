"""Attribution swaps (directional): a named, checkable source swapped for an unverifiable one must raise
the unverified-sources score, and the swap back must lower it.

The pairs are the stored test set ``corpora/behaviour/attribution_swaps.v1.jsonl``: template
sentences, reference-article sentences and PolNeAR dev sentences (rebuilt from the data directory).
Metrics: ``pass_rate`` and ``mean_gain`` overall, per direction (``to_unverified``: the score must
rise; ``to_named``: it must fall), per origin, and over the pairs where only the source changed
(``source_only``; in the others "said" also became "claimed").
"""

from __future__ import annotations

from typing import Any

from bench.behaviour.base import category_check, Predict, SuiteResult, directional, directional_metrics, failures, score_texts
from bench.behaviour.settings import BehaviourSettings
from bench.behaviour.testsets import attribution_pairs

NAME = "attribution_swaps"
DESCRIPTION = "named sources swapped for unverifiable ones (the score must rise) and back (it must fall)"
CATEGORY = "unverified_source"


applies = category_check(CATEGORY)


def evaluate(rows: list[dict[str, Any]], settings: BehaviourSettings) -> dict[str, float]:
    boot = settings.bootstrap()
    metrics = directional_metrics(rows, **boot)
    for direction, gain in (("to_unverified", "mean_rise"), ("to_named", "mean_fall")):
        part = [r for r in rows if r["group"] == direction]
        metrics.update({f"{direction}.{k}": v for k, v in directional_metrics(part, gain_name=gain, **boot).items()})
    for origin in sorted({r["meta"]["origin"] for r in rows}):
        part = [r for r in rows if r["meta"]["origin"] == origin]
        metrics.update({f"origin.{origin}.{k}": v for k, v in directional_metrics(part, **boot).items()
                        if k in ("pass_rate", "mean_gain", "n_pairs")})
    part = [r for r in rows if not r["meta"]["cue_changed"]]
    metrics.update({f"source_only.{k}": v for k, v in directional_metrics(part, **boot).items()
                    if k in ("pass_rate", "mean_gain", "n_pairs")})
    return metrics


def run(predict: Predict, settings: BehaviourSettings) -> SuiteResult:
    loaded = attribution_pairs(settings.data_dir)
    scores = score_texts([t for p in loaded.items for t in (p.original, p.variant)], predict)
    rows = directional(loaded.items, scores, settings.threshold)
    notes = {"test_set": loaded.path.name,
             **{f"skipped.{k}": f"{v} cases (PolNeAR not in the data directory)" for k, v in loaded.skipped.items()}}
    return SuiteResult(NAME, DESCRIPTION, evaluate(rows, settings), failures(rows, settings.max_failures), notes,
                       n_failures=sum(not r["passed"] for r in rows))
