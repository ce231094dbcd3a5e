"""The harness's data model: documents with character-offset gold annotations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.errors import DataError

#: Span categories the harness scores, with the sub-labels its own corpora use.
#: Loaders of public corpora may add native sub-labels under the same categories.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "loaded_language": (
        "name_calling",
        "emotive",
        "exaggeration",
        "lexical_bias",
        "biased_word",
        "propaganda",
    ),
    "unverified_source": (
        "anonymous_source",
        "unverifiable_channel",
        "unattributed_report",
        "hedge",
        "rumour_speculation",
        "weasel",
        # PTC's Doubt and Appeal_to_Authority techniques, read as unverified sourcing (corpus ptc_sourcing)
        "doubt",
        "appeal_to_authority",
    ),
    "informational_bias": ("selective",),
    "propaganda": ("doubt", "appeal_to_authority", "exaggeration_minimisation", "repetition", "flag_waving"),
    "sentiment_target": ("negative", "neutral", "positive"),
    # attribution relations (PolNeAR): each event's anchor (with or without a source) and its role spans
    "attribution": ("sourced", "no_source"),
    "attribution_source": ("source",),
    "attribution_cue": ("cue",),
    "attribution_content": ("content",),
}

SENTIMENT_CLASSES: tuple[str, ...] = ("negative", "neutral", "positive")


def split_label(label: str) -> tuple[str, str]:
    """Split ``category/sub_label`` into its parts."""
    category, sep, sub = label.partition("/")
    if not sep or not category or not sub:
        raise ValueError(f"label {label!r} is not of the form category/sub_label")
    return category, sub


@dataclass(frozen=True, slots=True)
class Span:
    """A character-offset span ``[start, end)`` with a ``category/sub_label`` label."""

    start: int
    end: int
    label: str
    text: str = ""
    score: float | None = None
    native_label: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def category(self) -> str:
        return self.label.partition("/")[0]

    @property
    def sub_label(self) -> str:
        return self.label.partition("/")[2]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": self.start, "end": self.end, "label": self.label, "text": self.text}
        if self.score is not None:
            out["score"] = self.score
        if self.native_label is not None:
            out["native_label"] = self.native_label
        if self.attributes:
            out["attributes"] = self.attributes
        return out


@dataclass(slots=True)
class Sentence:
    """A sentence ``[start, end)`` of its document with optional gold labels.

    ``labels`` maps a task name to the gold value: 0/1 for the binary tasks, a class of
    :data:`SENTIMENT_CLASSES` for ``sentiment``.
    """

    start: int
    end: int
    labels: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Document:
    """One document: text, metadata, gold spans, sentences and optional labels."""

    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    spans: list[Span] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    doc_labels: dict[str, Any] = field(default_factory=dict)

    def spans_of(self, category: str) -> list[Span]:
        return [s for s in self.spans if s.category == category]

    def sentence_text(self, sentence: Sentence) -> str:
        return self.text[sentence.start : sentence.end]

    def to_record(self) -> dict[str, Any]:
        """The canonical record the corpus fingerprint hashes (values as strings). Keep it unchanged:
        fingerprints tag runs and key caches. The exact Arrow form is :mod:`bench.data.arrow`'s."""
        return {
            "id": self.id,
            "text": self.text,
            "metadata": {k: (None if v is None else str(v)) for k, v in sorted(self.metadata.items())},
            "spans": [
                {"start": s.start, "end": s.end, "label": s.label, "native_label": s.native_label or ""}
                for s in self.spans
            ],
            "sentences": [
                {"start": s.start, "end": s.end, "labels": {k: str(v) for k, v in sorted(s.labels.items())}}
                for s in self.sentences
            ],
            "doc_labels": {k: str(v) for k, v in sorted(self.doc_labels.items())},
        }


def validate_document(doc: Document, source: str, *, known_categories: set[str] | None = None) -> None:
    """Check every span and sentence of ``doc``; raise :class:`DataError` naming the culprit."""
    categories = known_categories or set(CATEGORIES)
    n = len(doc.text)
    if not doc.id:
        raise DataError("document has an empty id", path=source)
    for span in doc.spans:
        where = f"[{span.start}:{span.end}] {span.label!r}"
        try:
            category, _ = split_label(span.label)
        except ValueError as exc:
            raise DataError(str(exc), path=source, doc_id=doc.id, span=where) from None
        if category not in categories:
            raise DataError(
                f"unknown category {category!r} (known: {', '.join(sorted(categories))})",
                path=source, doc_id=doc.id, span=where,
            )
        if not (0 <= span.start < span.end <= n):
            raise DataError(f"offsets outside the text (length {n}) or empty", path=source, doc_id=doc.id, span=where)
        surface = doc.text[span.start : span.end]
        if span.text and surface != span.text:
            raise DataError(
                f"stored surface form {span.text!r} differs from the text at those offsets {surface!r}",
                path=source, doc_id=doc.id, span=where,
            )
    previous_end = 0
    for sentence in doc.sentences:
        if not (previous_end <= sentence.start < sentence.end <= n):
            raise DataError(
                f"sentence [{sentence.start}:{sentence.end}] is empty, overlaps the previous one or leaves the text",
                path=source, doc_id=doc.id,
            )
        previous_end = sentence.end
        sentiment = sentence.labels.get("sentiment")
        if sentiment is not None and sentiment not in SENTIMENT_CLASSES:
            raise DataError(
                f"sentence [{sentence.start}:{sentence.end}] has sentiment {sentiment!r}; "
                f"expected one of {', '.join(SENTIMENT_CLASSES)}",
                path=source, doc_id=doc.id,
            )
