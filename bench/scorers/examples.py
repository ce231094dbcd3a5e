"""Training examples drawn from documents: sentence texts with gold labels, and token BIO tags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from bench.data.schema import SENTIMENT_CLASSES, Document
from bench.scorers.base import DocumentPrediction, sentiment_units
from bench.tasks import Task

_TOKEN = re.compile(r"\w+(?:[’'\-]\w+)*|[^\w\s]")


@dataclass(frozen=True)
class TextExample:
    """One classification input: a sentence (and optional target mention) with its gold label."""

    doc_id: str
    text: str
    target: str | None
    label: Any


def sentence_examples(task: Task, docs: Sequence[Document], *, labelled_only: bool = True) -> list[TextExample]:
    """Binary tasks: every sentence with gold; sentiment: every unit (sentence or target)."""
    out = []
    for doc in docs:
        if task.kind == "sentiment":
            for unit in sentiment_units(doc):
                if unit.gold is None and labelled_only:
                    continue
                target = doc.text[unit.target[0] : unit.target[1]] if unit.target else None
                label = SENTIMENT_CLASSES.index(unit.gold) if unit.gold is not None else None
                out.append(TextExample(doc.id, doc.text[unit.start : unit.end], target, label))
            continue
        for sentence in doc.sentences:
            gold = task.sentence_gold(doc, sentence, True)
            if gold is None and labelled_only:
                continue
            out.append(TextExample(doc.id, doc.sentence_text(sentence), None, None if gold is None else int(gold)))
    return out


def predictions_from_rows(task: Task, documents: Sequence[Document], rows: Sequence[Sequence[float]]
                          ) -> list[DocumentPrediction]:
    """Split per-example class probabilities (in :func:`sentence_examples` order, unlabelled
    included) back into one prediction per document: P(positive) per sentence for binary tasks,
    the three probabilities per unit for sentiment."""
    out, row = [], 0
    for doc in documents:
        n = len(sentiment_units(doc)) if task.kind == "sentiment" else len(doc.sentences)
        block = [list(map(float, r)) for r in rows[row : row + n]]
        row += n
        if task.kind == "sentiment":
            out.append(DocumentPrediction(doc.id, sentiment=block))
        else:
            out.append(DocumentPrediction(doc.id, sentence_scores=[r[1] for r in block]))
    return out


def tokenize(text: str, offset: int = 0) -> list[tuple[int, int, str]]:
    """Word and punctuation tokens with character offsets (shifted by ``offset``)."""
    return [(m.start() + offset, m.end() + offset, m.group()) for m in _TOKEN.finditer(text)]


def bio_tags(tokens: Sequence[tuple[int, int, Any]], spans: Sequence[tuple[int, int]]) -> list[str]:
    """B/I/O tag per token: a token overlapping a span is B if it starts the span's run, else I.

    Overlapping spans should be merged first (``bench.metrics.spans.merge_overlapping``).
    """
    tags: list[str] = []
    previous = None
    for start, end, _ in tokens:
        span = next((s for s in spans if s[0] < end and start < s[1]), None)
        tags.append("O" if span is None else ("I" if span == previous else "B"))
        previous = span
    return tags


def spans_from_bio(tokens: Sequence[tuple[int, int, Any]], tags: Sequence[str]) -> list[tuple[int, int]]:
    """Merge B/I runs back into character spans (first token's start to last token's end).

    An I without a preceding B or I opens a span, as in the conlleval convention.
    """
    spans: list[tuple[int, int]] = []
    current: list[int] | None = None
    for (start, end, _), tag in zip(tokens, tags, strict=True):
        if tag == "B" or (tag == "I" and current is None):
            if current is not None:
                spans.append((current[0], current[1]))
            current = [start, end]
        elif tag == "I" and current is not None:
            current[1] = end
        elif current is not None:
            spans.append((current[0], current[1]))
            current = None
    if current is not None:
        spans.append((current[0], current[1]))
    return spans
