"""Per-article scores and spans from a scorer's predictions, and the two output schemas.

A span signal (a span-detection task: loaded language, unverified sources) gives per article:

- ``<signal>_spans``: predicted spans of the task's category (every span, as the harness's
  document-level density counts them), and ``<signal>_per_100_words``: spans per 100 words
  (:func:`bench.metrics.documents.density`); both null for a sentence classifier, which marks no spans;
- ``<signal>_flagged_sentences`` / ``<signal>_sentence_share``: sentences whose score reaches the
  model's decision threshold, as a count and as a share of the article's sentences;
- ``<signal>_max_sentence_score``: the highest sentence score.

A class signal (a unit-classification task: sentiment) gives, for each class ``c``,
``<signal>_<c>_share`` (share of sentences whose most probable class is ``c``) and
``<signal>_<c>_probability`` (the mean probability of ``c`` over the sentences).
Shares, maxima and means are null for an article without sentences.

The spans dataset has one row per predicted span, flagged sentence (sentence classifiers) or
classified sentence (class signals), as the harness's reports show them.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pyarrow as pa

from bench.data.schema import Document
from bench.errors import ConfigError
from bench.metrics.documents import density
from bench.predictions import DocumentPrediction
from bench.scorers.base import sentence_scores_from_spans
from bench.score.models import SignalModel
from bench.tasks.base import words

ARTICLE_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("n_chars", pa.int64()), ("n_words", pa.int64()), ("n_sentences", pa.int64()))

SPAN_SCHEMA = pa.schema([("article_id", pa.string()), ("signal", pa.string()), ("start", pa.int64()),
                         ("end", pa.int64()), ("label", pa.string()), ("score", pa.float64()),
                         ("text", pa.string())])


def is_span_signal(model: SignalModel) -> bool:
    return model.task.span_category is not None


def signal_columns(model: SignalModel) -> list[tuple[str, pa.DataType]]:
    p = model.signal
    if is_span_signal(model):
        return [(f"{p}_spans", pa.int64()), (f"{p}_per_100_words", pa.float64()),
                (f"{p}_flagged_sentences", pa.int64()), (f"{p}_sentence_share", pa.float64()),
                (f"{p}_max_sentence_score", pa.float64())]
    return [column for c in model.task.class_names
            for column in ((f"{p}_{c}_share", pa.float64()), (f"{p}_{c}_probability", pa.float64()))]


def article_schema(metadata: pa.Schema, models: Sequence[SignalModel]) -> pa.Schema:
    """``id``, the metadata columns, the counts, then each signal's columns."""
    ours = [("id", pa.string()), *ARTICLE_COLUMNS, *(c for m in models for c in signal_columns(m))]
    clash = sorted(set(metadata.names) & {name for name, _ in ours})
    if clash:
        raise ConfigError(f"metadata {', '.join(map(repr, clash))} would overwrite output column(s) of the same name; "
                          "keep other metadata with --metadata, or rename them in the input")
    return pa.schema([ours[0], *metadata, *ours[1:]])


def sentence_scores(model: SignalModel, doc: Document, pred: DocumentPrediction) -> list[float]:
    """One score per sentence (from the spans, noisy-or, where a span scorer gives none)."""
    if len(pred.sentence_scores) == len(doc.sentences):
        return [float(s) for s in pred.sentence_scores]
    category = model.task.span_category
    return sentence_scores_from_spans(doc, [s for s in pred.spans if s.category == category])


def signal_scores(model: SignalModel, doc: Document, pred: DocumentPrediction) -> dict[str, Any]:
    """The signal's columns for one article."""
    p, n = model.signal, len(doc.sentences)
    if is_span_signal(model):
        scores = sentence_scores(model, doc, pred)
        flagged = sum(score >= model.threshold for score in scores)
        spans = len(model.task.predicted_display(doc, pred, model.output, model.threshold)) \
            if model.output.kind == "spans" else None
        return {f"{p}_spans": spans, f"{p}_per_100_words": None if spans is None else density(spans, doc.text),
                f"{p}_flagged_sentences": flagged, f"{p}_sentence_share": flagged / n if n else None,
                f"{p}_max_sentence_score": max(scores) if n else None}
    classes = model.task.class_names
    probs = np.asarray(pred.unit_probs, dtype=float).reshape(-1, len(classes))
    shares = np.bincount(probs.argmax(axis=1), minlength=len(classes)) / len(probs) if len(probs) else None
    means = probs.mean(axis=0) if len(probs) else None
    out: dict[str, Any] = {}
    for i, c in enumerate(classes):
        out[f"{p}_{c}_share"] = None if shares is None else float(shares[i])
        out[f"{p}_{c}_probability"] = None if means is None else float(means[i])
    return out


def span_rows(model: SignalModel, doc: Document, pred: DocumentPrediction) -> list[dict[str, Any]]:
    """The spans dataset's rows for one article and signal."""
    return [{"article_id": doc.id, "signal": model.signal, "start": s.start, "end": s.end, "label": s.label,
             "score": None if s.score is None else float(s.score), "text": doc.text[s.start : s.end]}
            for s in model.task.predicted_display(doc, pred, model.output, model.threshold)]


def article_row(doc: Document, metadata: dict[str, Any], models: Sequence[SignalModel],
                preds: Sequence[DocumentPrediction]) -> dict[str, Any]:
    row: dict[str, Any] = {"id": doc.id, **metadata, "n_chars": len(doc.text), "n_words": words(doc.text),
                           "n_sentences": len(doc.sentences)}
    for model, pred in zip(models, preds, strict=True):
        row.update(signal_scores(model, doc, pred))
    return row
