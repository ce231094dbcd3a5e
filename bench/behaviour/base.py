"""What the suites share: test pairs, scoring sentences with a run's scorer, and the two kinds of test.

A *pair* is one sentence in two versions (``original`` and ``variant``) and what the variant's
score must do: ``higher`` or ``lower`` (directional tests; a tie fails) or ``same`` (invariance:
within a tolerance and the same decision at the model's threshold).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from bench.data.schema import Document, Sentence
from bench.metrics.bootstrap import confidence_intervals
from bench.predictions import DocumentPrediction

EXPECTATIONS = ("higher", "lower", "same")


@dataclass(frozen=True)
class Pair:
    """One sentence in two versions; ``group`` slices the results (direction, origin, swap group)."""

    id: str
    original: str
    variant: str
    expect: str
    group: str = ""
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.expect not in EXPECTATIONS:
            raise ValueError(f"pair {self.id}: expect must be one of {EXPECTATIONS}, got {self.expect!r}")


@dataclass
class SuiteResult:
    """One suite's metrics (named without the ``behaviour.<suite>.`` prefix), failures and notes."""

    name: str
    description: str
    metrics: dict[str, float] = field(default_factory=dict)
    #: failing pairs, worst first: dicts with id, group, original, variant, scores, change, why
    failures: list[dict[str, Any]] = field(default_factory=list)
    #: how the cases were chosen, what was skipped and why (logged as tags)
    notes: dict[str, str] = field(default_factory=dict)
    n_failures: int = 0
    skipped: str = ""

    def prefixed(self) -> dict[str, float]:
        return {f"behaviour.{self.name}.{k}": v for k, v in self.metrics.items()}


# ------------------------------------------------------------------------------------------ scoring
def category_check(category: str) -> Callable[[Any], str | None]:
    """An ``applies(task)`` for suites that need a task scoring ``category``: None when the suite
    fits the task, else why not."""
    def applies(task: Any) -> str | None:
        scored = getattr(task, "span_category", None)
        if scored != category:
            return f"needs a task scoring {category} (task {task.name!r} scores {scored})"
        return None
    return applies


def sentence_document(text: str) -> Document:
    """A one-sentence document; its id is a digest of the text (so identical texts share cache entries)."""
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
    return Document(f"behaviour-{digest}", text, {}, [], [Sentence(0, len(text))])


def score_of(pred: DocumentPrediction) -> float:
    """The score of a one-sentence document: its sentence-level P(positive)."""
    if not pred.sentence_scores:
        raise ValueError(f"prediction for {pred.doc_id} has no sentence score")
    return float(max(pred.sentence_scores))


Predict = Callable[[list[Document]], list[DocumentPrediction]]


def score_texts(texts: Sequence[str], predict: Predict) -> dict[str, float]:
    """The score of every distinct text, each predicted once."""
    unique = list(dict.fromkeys(texts))
    docs = [sentence_document(t) for t in unique]
    return {t: score_of(p) for t, p in zip(unique, predict(docs), strict=True)}


# ------------------------------------------------------------------------------------------ metrics
def _interval(values: np.ndarray, n_resamples: int, seed: int, confidence: float) -> tuple[float, float]:
    if len(values) < 2:
        return math.nan, math.nan
    return confidence_intervals(lambda idx: {"mean": float(np.mean(values[idx]))}, ["mean"], len(values),
                                n_resamples=n_resamples, seed=seed, confidence=confidence)["mean"]


def with_interval(out: dict[str, float], name: str, values: np.ndarray, *, n_resamples: int, seed: int,
                  confidence: float) -> None:
    """``out[name]`` = mean of ``values``, with its bootstrap interval as ``name.ci_low`` / ``name.ci_high``."""
    out[name] = float(np.mean(values)) if len(values) else math.nan
    out[f"{name}.ci_low"], out[f"{name}.ci_high"] = _interval(np.asarray(values, dtype=float), n_resamples, seed,
                                                              confidence)


def directional(pairs: Sequence[Pair], scores: dict[str, float], threshold: float) -> list[dict[str, Any]]:
    """Each directional pair's outcome: ``change`` (variant − original), ``gain`` (the change in the expected
    direction), ``passed`` (gain > 0: a tie fails) and whether the decision moved the expected way."""
    rows = []
    for pair in pairs:
        a, b = scores[pair.original], scores[pair.variant]
        sign = 1.0 if pair.expect == "higher" else -1.0
        gain = sign * (b - a)
        decided = (b >= threshold) != (a >= threshold) and (b >= threshold) == (sign > 0)
        rows.append({"id": pair.id, "group": pair.group, "original": pair.original, "variant": pair.variant,
                     "expect": pair.expect, "score_original": a, "score_variant": b, "change": b - a, "gain": gain,
                     "passed": gain > 0, "decision_follows": decided, "meta": pair.meta})
    return rows


def directional_metrics(rows: Sequence[dict[str, Any]], *, n_resamples: int, seed: int, confidence: float,
                        pass_name: str = "pass_rate", gain_name: str = "mean_gain") -> dict[str, float]:
    """Pass rate (pairwise accuracy), mean gain in the expected direction with its interval, ties and
    the share of pairs whose decision at the threshold moves the expected way."""
    if not rows:
        return {"n_pairs": 0.0}
    passed = np.array([r["passed"] for r in rows], dtype=float)
    gains = np.array([r["gain"] for r in rows], dtype=float)
    out: dict[str, float] = {"n_pairs": float(len(rows))}
    with_interval(out, pass_name, passed, n_resamples=n_resamples, seed=seed, confidence=confidence)
    with_interval(out, gain_name, gains, n_resamples=n_resamples, seed=seed, confidence=confidence)
    out["tie_rate"] = float(np.mean(gains == 0))
    out["decision_follow_rate"] = float(np.mean([r["decision_follows"] for r in rows]))
    return out


def invariance_rows(pairs: Sequence[Pair], scores: dict[str, float], threshold: float,
                    tolerance: float) -> list[dict[str, Any]]:
    """Each invariance pair's change, whether the decision flipped, and whether it passed
    (|change| ≤ tolerance and no flip)."""
    rows = []
    for pair in pairs:
        a, b = scores[pair.original], scores[pair.variant]
        flipped = (a >= threshold) != (b >= threshold)
        rows.append({"id": pair.id, "group": pair.group, "original": pair.original, "variant": pair.variant,
                     "expect": "same", "score_original": a, "score_variant": b, "change": b - a,
                     "gain": -abs(b - a), "flipped": flipped, "passed": abs(b - a) <= tolerance and not flipped,
                     "meta": pair.meta})
    return rows


def failures(rows: Sequence[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Failing rows, worst first (the largest move against the expectation)."""
    failed = sorted((r for r in rows if not r["passed"]), key=lambda r: (r["gain"], r["id"]))
    return failed[:limit]
