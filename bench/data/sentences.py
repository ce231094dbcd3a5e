"""Sentence splitting with character offsets (pysbd, a rule-based splitter for English news)."""

from __future__ import annotations

import re
from functools import lru_cache

import pysbd

from bench.data.schema import Sentence

_PARAGRAPH = re.compile(r"[^\n]+")


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences; each sentence's offsets index ``text`` exactly.

    Paragraphs (lines) are split separately so that a sentence never crosses a line break.
    pysbd returns sentence strings; they are located in the text in order, which keeps
    offsets exact even where the splitter normalises surrounding white space.
    """
    sentences: list[Sentence] = []
    for paragraph in _PARAGRAPH.finditer(text):
        base = paragraph.start()
        body = paragraph.group()
        cursor = 0
        for piece in _segmenter().segment(body):
            stripped = piece.strip()
            if not stripped:
                continue
            found = body.find(stripped, cursor)
            if found < 0:  # splitter altered the text: fall back to the rest of the paragraph
                found = cursor
                stripped = body[cursor:].strip()
                if not stripped:
                    break
                found = body.find(stripped, cursor)
            start, end = base + found, base + found + len(stripped)
            sentences.append(Sentence(start, end))
            cursor = found + len(stripped)
    return sentences
