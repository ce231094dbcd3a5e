"""VADER sentiment (Hutto & Gilbert 2014) as a three-class sentence scorer."""

from __future__ import annotations

from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from bench.data.schema import Document
from bench.scorers.base import DocumentPrediction, Scorer, sentiment_units
from bench.tasks import Task


def compound_to_probabilities(compound: float, neutral_band: float) -> list[float]:
    """Map VADER's compound score to negative/neutral/positive probabilities.

    The argmax reproduces VADER's rule (positive >= band, negative <= -band, else neutral);
    the probabilities grow monotonically with the distance from the band's edge.
    """
    c = max(-1.0, min(1.0, compound))
    magnitude = abs(c)
    if magnitude >= neutral_band:
        polar = 0.51 + 0.49 * (magnitude - neutral_band) / max(1e-9, 1 - neutral_band)
        neutral = 1.0 - polar
    else:
        neutral = 0.51 + 0.49 * (neutral_band - magnitude) / neutral_band
        polar = 1.0 - neutral
    return [polar, neutral, 0.0] if c < 0 else [0.0, neutral, polar]


class VaderScorer(Scorer):
    supported_tasks = ("sentiment",)

    def __init__(self, neutral_band: float = 0.05) -> None:
        self.neutral_band = neutral_band
        self.analyzer = SentimentIntensityAnalyzer()

    def params(self) -> dict[str, Any]:
        return {"neutral_band": self.neutral_band}

    def predict_document(self, doc: Document, task: Task) -> DocumentPrediction:
        rows = [
            compound_to_probabilities(self.analyzer.polarity_scores(doc.text[u.start : u.end])["compound"],
                                      self.neutral_band)
            for u in sentiment_units(doc)
        ]
        return DocumentPrediction(doc.id, sentiment=rows)
