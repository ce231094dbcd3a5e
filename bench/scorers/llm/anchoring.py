"""Anchoring an LLM's verbatim quotes to character offsets of the document, in code.

A quote, without punctuation or spaces at its ends, is looked up exactly first, then with
whitespace runs, typographic quotes and dashes normalised, then also ignoring case. Each step maps back to the
original offsets, so a span's text is always the document's own text; a quote found by none of
them is unanchored (the caller counts and drops it). The n-th listing of the same quote anchors to
its n-th occurrence; occurrences that start and end on word boundaries are preferred.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: typographic variants mapped to their plain form (one character to one character)
_PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
                        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"',
                        "\u00bb": '"', "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
                        "\u2212": "-", "\u00a0": " "})
#: characters stripped from a quote's ends before the normalised lookups (no punctuation at span edges)
EDGE = " \t\r\n\"'.,;:!?\u2026()[]"


def normalise(text: str, fold: bool = False) -> tuple[str, list[int]]:
    """``text`` with plain quotes and dashes and single spaces (lower-cased with ``fold``), and for
    each character of the result the index of the original character it comes from."""
    out: list[str] = []
    index: list[int] = []
    previous_space = False
    for i, char in enumerate(text.translate(_PLAIN)):
        if char.isspace():
            if previous_space:
                continue
            char, previous_space = " ", True
        else:
            previous_space = False
            if fold:
                lowered = char.lower()
                char = lowered if len(lowered) == 1 else char
        out.append(char)
        index.append(i)
    return "".join(out), index


def _occurrences(haystack: str, needle: str) -> list[int]:
    """Start positions of ``needle``: those on word boundaries when there are any, else all."""
    if not needle:
        return []
    starts = [m.start() for m in re.finditer(re.escape(needle), haystack)]
    bounded = [s for s in starts
               if (s == 0 or not (haystack[s - 1].isalnum() and needle[0].isalnum()))
               and (s + len(needle) == len(haystack)
                    or not (haystack[s + len(needle)].isalnum() and needle[-1].isalnum()))]
    return bounded or starts


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    #: how it was found: exact, normalised or casefold
    how: str


@dataclass
class Anchorer:
    """Anchors the quotes of one reply to ``text`` (it remembers how often each quote was listed)."""

    text: str
    _views: dict[str, tuple[str, list[int]]] = field(default_factory=dict)
    _seen: dict[tuple[str, str], int] = field(default_factory=dict)

    def _view(self, how: str) -> tuple[str, list[int]]:
        if how not in self._views:
            self._views[how] = ((self.text, list(range(len(self.text)))) if how == "exact"
                                else normalise(self.text, fold=how == "casefold"))
        return self._views[how]

    def anchor(self, quote: str) -> Anchor | None:
        """The offsets of ``quote`` in the text, or None where it is not there."""
        for how in ("exact", "normalised", "casefold"):
            trimmed = quote.strip(EDGE)
            needle = trimmed if how == "exact" else normalise(trimmed, fold=how == "casefold")[0].strip()
            haystack, index = self._view(how)
            starts = _occurrences(haystack, needle)
            if not starts:
                continue
            nth = self._seen.get((how, needle), 0)
            self._seen[(how, needle)] = nth + 1
            start = starts[min(nth, len(starts) - 1)]  # listed more often than it occurs: the last one again
            first, last = index[start], index[start + len(needle) - 1] + 1
            return Anchor(first, last, how)
        return None
