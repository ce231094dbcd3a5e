"""Fast multi-pattern term matching (Aho-Corasick) with inflections and word boundaries."""

from __future__ import annotations

from itertools import product
from typing import Iterable

import ahocorasick
from lemminflect import getAllInflections

from bench.data.lexicons import LexiconEntry

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})


def normalise(text: str) -> str:
    """Lower-case with the same length as ``text`` (so offsets carry over) and plain apostrophes."""
    lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    return lowered.translate(_APOSTROPHES)


def inflections(word: str) -> set[str]:
    forms = {word}
    for variants in getAllInflections(word).values():
        forms.update(v.lower() for v in variants)
    return forms


def term_variants(term: str) -> set[str]:
    """The term with its first and last word inflected (all combinations)."""
    words = normalise(term).split()
    if len(words) == 1:
        return inflections(words[0])
    heads = inflections(words[0])
    tails = inflections(words[-1])
    return {" ".join([h, *words[1:-1], t]) for h, t in product(heads, tails)}


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class TermMatcher:
    """Finds lexicon terms in text: whole words only, leftmost-longest, non-overlapping."""

    def __init__(self, entries: Iterable[LexiconEntry], inflect: bool = True) -> None:
        self._automaton = ahocorasick.Automaton()
        best: dict[str, LexiconEntry] = {}
        for entry in entries:
            for form in term_variants(entry.term) if inflect else {normalise(entry.term)}:
                # the heavier entry wins when two terms share a surface form
                if form not in best or entry.weight > best[form].weight:
                    best[form] = entry
        for form, entry in best.items():
            self._automaton.add_word(form, (form, entry))
        self.size = len(best)
        if best:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[tuple[int, int, LexiconEntry]]:
        if not self.size:
            return []
        norm = normalise(text)
        candidates = []
        for end_index, (form, entry) in self._automaton.iter(norm):
            start, end = end_index - len(form) + 1, end_index + 1
            if start > 0 and _is_word_char(norm[start - 1]):
                continue
            if end < len(norm) and _is_word_char(norm[end]):
                continue
            candidates.append((start, end, entry))
        candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
        chosen: list[tuple[int, int, LexiconEntry]] = []
        last_end = -1
        for start, end, entry in candidates:
            if start >= last_end:
                chosen.append((start, end, entry))
                last_end = end
        return chosen
