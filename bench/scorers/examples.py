"""Word tokens with character offsets and BIO tags for span taggers."""

from __future__ import annotations

import re
from typing import Any, Sequence

_TOKEN = re.compile(r"\w+(?:[’'\-]\w+)*|[^\w\s]")


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
