"""HTML report: gold and predicted spans highlighted side by side (Jinja2, autoescaped)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from jinja2 import Environment, PackageLoader, select_autoescape

from bench.data.schema import Document, Span


#: legend entries the stylesheet colours itself (span categories, sentiment classes)
_STYLED = {"loaded_language", "unverified_source", "informational_bias", "sentiment_target", "sentiment-negative",
           "sentiment-neutral", "sentiment-positive"}
_UNSAFE_CSS = re.compile(r"[^A-Za-z0-9_-]")


def css_name(label: str) -> str:
    """A label as a CSS class name: ``category/sub`` → ``category-sub``, other characters → ``_``."""
    return _UNSAFE_CSS.sub("_", label.replace("/", "-"))


def palette(entries: Sequence[str]) -> list[tuple[str, str]]:
    """(CSS class, light colour) for legend entries the stylesheet does not colour (task classes and labels)."""
    import matplotlib

    colours = matplotlib.colormaps["tab20"].colors
    todo = [css_name(e) for e in entries if css_name(e) not in _STYLED]
    return [(name, matplotlib.colors.to_hex(tuple(0.55 * c + 0.45 for c in colours[i % len(colours)])))
            for i, name in enumerate(todo)]


@dataclass
class Segment:
    text: str
    labels: list[str]
    scores: list[float]
    #: no span over this piece overlaps any span on the other side (a miss or a false alarm)
    unmatched: bool = False

    @property
    def css(self) -> str:
        categories = sorted({label.partition("/")[0] for label in self.labels})
        classes = [f"hl hl-{css_name(c)}" for c in categories] + [f"hl-{css_name(label)}" for label in self.labels]
        return " ".join(classes + (["unmatched"] if self.unmatched else []))

    @property
    def title(self) -> str:
        parts = []
        for label, score in zip(self.labels, self.scores):
            parts.append(label if score != score else f"{label} ({score:.2f})")  # NaN: no score
        return "; ".join(parts)


def segments(text: str, spans: Sequence[Span], others: Sequence[Span] = (), same_label: bool = False
             ) -> list[Segment]:
    """Cut ``text`` at every span boundary; each piece carries the labels of the spans over it.

    A piece is ``unmatched`` when none of its spans overlaps a span of ``others`` (the other side)
    or, with ``same_label``, overlaps one with the same label (sentence sentiment classes).
    """
    cuts = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        covering = [s for s in spans if s.start <= a and b <= s.end]
        matched = any(o.start < s.end and s.start < o.end and (not same_label or o.label == s.label)
                      for s in covering for o in others)
        out.append(Segment(text[a:b], [s.label for s in covering],
                           [float("nan") if s.score is None else s.score for s in covering],
                           unmatched=bool(covering) and not matched))
    return out


def _environment() -> Environment:
    return Environment(loader=PackageLoader("bench", "report/templates"),
                       autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True))


def render_document_report(
    *,
    title: str,
    run_info: dict[str, Any],
    metrics: dict[str, float],
    documents: Sequence[tuple[Document, Sequence[Span], Sequence[Span]]],
    categories: Sequence[str],
    same_label: bool = False,
) -> str:
    """A self-contained HTML page; ``documents`` holds (document, gold spans, predicted spans)."""
    rendered = []
    for doc, gold, pred in documents:
        gold_keys = {(s.start, s.end) for s in gold}
        pred_keys = {(s.start, s.end) for s in pred}
        rendered.append({
            "doc": doc,
            "gold": segments(doc.text, gold, pred, same_label),
            "pred": segments(doc.text, pred, gold, same_label),
            "rows": sorted(
                [{"side": "gold", "span": s, "exact": (s.start, s.end) in pred_keys} for s in gold]
                + [{"side": "predicted", "span": s, "exact": (s.start, s.end) in gold_keys} for s in pred],
                key=lambda r: (r["span"].start, r["side"]),
            ),
        })
    return _environment().get_template("report.html.j2").render(
        title=title, run_info=run_info, metrics=metrics, documents=rendered,
        legend=[(c, css_name(c)) for c in categories], palette=palette(categories),
    )
