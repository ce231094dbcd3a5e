"""Attribution: find the spans of one role of attribution relations (source, cue or content).

A span-detection task over the span category ``attribution_<role>`` (PolNeAR's Source, Cue and
Content spans), scored with the span, sentence and document measures of :class:`SpanDetection`;
one role per task config (``attribution``: sources, ``attribution_cue``, ``attribution_content``), so
each role has its own MLflow experiment. ``proxy_categories`` lets a scorer of another span
category run it, its spans scored as this role's (the unverified-source patterns on ``source``: a
floor, since they mark only unverified sourcing and hedges).

With ``role: source`` the document level adds the **unnamed-source share**: the share of an
article's attributions whose source the text does not give. Gold: the article's attribution events
(``attribution/*`` anchor spans) without a Source (``attribution/no_source``) over all its events.
Predicted: the gold events whose anchor sentence holds no predicted source span, over all its events
(the model is asked, for each attribution, whether it finds its source next to it). Reported:
``document.unnamed_share_gold`` and ``_predicted`` (mean over articles with attributions),
``_mae`` (mean absolute difference per article) and ``_spearman`` (rank correlation across articles).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any, Sequence

import numpy as np
from scipy.stats import spearmanr

from bench.data.schema import Document, Span
from bench.errors import ConfigError
from bench.predictions import DocumentPrediction
from bench.tasks.outputs import Output, span_output, unit_probability_output
from bench.tasks.span_detection import CLASSES, SpanDetection

ROLES = ("source", "cue", "content")
#: category of the attribution events' anchors (sub-labels sourced, no_source)
EVENT_CATEGORY = "attribution"


class Attribution(SpanDetection):
    """Spans of one attribution role; with the source role, the unnamed-source share per article."""

    headline = ("span.overlap.f1", "span.exact.f1", "sentence.f1", "sentence.macro_f1", "sentence.roc_auc",
                "document.unnamed_share_mae")
    primary = "span.overlap.f1"

    def __init__(self, name: str, role: str = "source", description: str = "",
                 levels: Sequence[str] = ("span", "sentence", "document"), proxy_categories: Sequence[str] = (),
                 units: str = "sentence") -> None:
        if role not in ROLES:
            raise ConfigError(f"task.role={role}: must be one of {', '.join(ROLES)}")
        super().__init__(name, f"attribution_{role}", description, levels, units)
        self.role = role
        self.proxy_categories = tuple(str(c) for c in proxy_categories or ())

    def _config(self) -> dict[str, Any]:
        return {"role": self.role, "proxy_categories": list(self.proxy_categories),
                **({"units": self.units} if self.units != "sentence" else {})}

    def headline_names(self, levels: Sequence[str]) -> list[str]:
        names = super().headline_names(levels)
        return names if self.role == "source" else [n for n in names if not n.startswith("document.unnamed_share")]

    @property
    def predicted_categories(self) -> tuple[str, ...]:
        return (self.category, *self.proxy_categories)

    def needs(self) -> list[tuple[Output, tuple[str, ...]]]:
        levels = ("span", "sentence", "document")
        return [(span_output(self.category), levels),
                *[(span_output(c), levels) for c in self.proxy_categories],
                (unit_probability_output(CLASSES), ("sentence",))]

    # ------------------------------------------------------------------ scoring
    def record(self, doc: Document, pred: DocumentPrediction, spans_are_gold: bool) -> dict[str, Any]:
        out = super().record(doc, pred, spans_are_gold)
        predicted = [s for s in pred.spans if s.category in self.predicted_categories]
        out["scored_spans"] = [s.to_dict() for s in predicted]
        if self.role == "source":
            out["attributions"] = attribution_rows(doc, predicted)
        return out

    def document_statistics(self, record: dict[str, Any]) -> tuple[float, ...]:
        if self.role != "source":
            return ()
        return unnamed_shares(record.get("attributions") or [])

    def document_measures(self, stats: np.ndarray) -> dict[str, float]:
        return unnamed_share_measures(stats)

    # ------------------------------------------------------------------ display
    def predicted_display(self, doc: Document, pred: DocumentPrediction, output: Output,
                          threshold: float) -> list[Span]:
        if output.kind == "spans":
            return [s for s in pred.spans if s.category in self.predicted_categories]
        return super().predicted_display(doc, pred, output, threshold)


def attribution_rows(doc: Document, predicted: Sequence[Span]) -> list[dict[str, Any]]:
    """One row per gold attribution event: its anchor, whether it has a source, and whether a
    predicted source span lies in the sentence of its anchor."""
    starts = [s.start for s in doc.sentences]

    def sentence_of(offset: int) -> int:
        return max(0, bisect_right(starts, offset) - 1)

    with_prediction = {sentence_of(s.start) for s in predicted} | {sentence_of(max(s.start, s.end - 1))
                                                                   for s in predicted}
    rows: dict[str, dict[str, Any]] = {}
    for span in doc.spans_of(EVENT_CATEGORY):
        event = str(span.attributes.get("event", f"{span.start}-{span.end}"))
        if event in rows:
            continue
        rows[event] = {"event": event, "start": span.start, "end": span.end,
                       "sourced": span.sub_label == "sourced",
                       "predicted_sourced": sentence_of(span.start) in with_prediction}
    return list(rows.values())


def unnamed_shares(rows: Sequence[dict[str, Any]]) -> tuple[float, float]:
    """(gold, predicted) share of attributions whose source is not given; NaN without attributions."""
    if not rows:
        return math.nan, math.nan
    gold = sum(not r["sourced"] for r in rows) / len(rows)
    predicted = sum(not r["predicted_sourced"] for r in rows) / len(rows)
    return gold, predicted


def unnamed_share_measures(stats: np.ndarray) -> dict[str, float]:
    """Mean gold and predicted shares, their mean absolute difference and Spearman's rho over the
    articles that have attributions (rho is NaN with fewer than three or a constant side)."""
    stats = np.asarray(stats, dtype=float).reshape(-1, 2)
    kept = stats[~np.isnan(stats).any(axis=1)]
    if not len(kept):
        return {"unnamed_share_gold": math.nan, "unnamed_share_predicted": math.nan, "unnamed_share_mae": math.nan,
                "unnamed_share_spearman": math.nan}
    g, p = kept[:, 0], kept[:, 1]
    varied = len(g) >= 3 and np.ptp(g) > 0 and np.ptp(p) > 0
    return {"unnamed_share_gold": float(g.mean()), "unnamed_share_predicted": float(p.mean()),
            "unnamed_share_mae": float(np.abs(g - p).mean()),
            "unnamed_share_spearman": float(spearmanr(g, p).statistic) if varied else math.nan}
