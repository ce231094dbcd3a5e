"""VADER sentiment (Hutto & Gilbert 2014) as a three-class sentence scorer."""

from __future__ import annotations

from typing import Sequence

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from bench.data.schema import SENTIMENT_CLASSES, Document
from bench.scorers.base import DocumentPrediction, Scorer
from bench.tasks import Task, unit_probability_output


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
    """Three-class sentiment of each unit's sentence from VADER's compound score."""

    outputs = (unit_probability_output(SENTIMENT_CLASSES),)

    def __init__(self, neutral_band: float = 0.05) -> None:
        self.neutral_band = neutral_band
        self.analyzer = SentimentIntensityAnalyzer()

    def predict(self, documents: Sequence[Document], task: Task) -> list[DocumentPrediction]:
        order = [SENTIMENT_CLASSES.index(c) for c in task.class_names]  # the task's class order
        rows = [[probs[i] for i in order] for probs in (
            compound_to_probabilities(self.analyzer.polarity_scores(e.text)["compound"], self.neutral_band)
            for e in task.text_examples(documents, labelled_only=False))]
        return task.pack(documents, rows)

    def predict_document(self, doc: Document, task: Task) -> DocumentPrediction:
        return self.predict([doc], task)[0]
