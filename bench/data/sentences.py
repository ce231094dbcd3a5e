"""Sentence splitting with character offsets (pysbd, a rule-based splitter for English news)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator, Sequence

import pysbd

from bench.data.schema import Sentence

_PARAGRAPH = re.compile(r"[^\n]+")

#: pysbd's time grows with the square of a paragraph's length (400k characters on one line took
#: about a minute), so longer paragraphs are first cut into pieces of at most this many characters.
#: News paragraphs are far shorter and are split exactly as pysbd splits them.
CHUNK_CHARS = 10_000
#: a safe place to cut: sentence-final punctuation (and closing quotes or brackets), white space,
#: then what can start a sentence
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[A-Z0-9\"'“‘(\[])")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def _last_end(pattern: re.Pattern[str], text: str, lo: int, hi: int) -> int | None:
    """End of the last match of ``pattern`` within ``text[lo:hi]``, if any."""
    last = None
    for match in pattern.finditer(text, lo, hi):
        last = match.end()
    return last


def chunk_bounds(body: str, limit: int = CHUNK_CHARS) -> Iterator[tuple[int, int]]:
    """``[start, end)`` pieces of ``body`` of at most ``limit`` characters, covering it in order.

    Each cut is the last sentence end in the second half of the window, else its last white space,
    else the window's end; so each step advances at least ``limit / 2`` and scans ``limit``
    characters: linear in ``len(body)``. A body within ``limit`` is one piece.
    """
    start, n = 0, len(body)
    while n - start > limit:
        lo, hi = start + max(1, limit // 2), start + limit
        cut = _last_end(_SENTENCE_END, body, lo, hi) or _last_end(_SPACE, body, lo, hi) or hi
        yield start, cut
        start = cut
    yield start, n


def _stripped(body: str, start: int, end: int) -> tuple[int, int] | None:
    """``body[start:end]`` without surrounding white space, as offsets (None if blank)."""
    piece = body[start:end]
    inner = piece.strip()
    if not inner:
        return None
    first = start + len(piece) - len(piece.lstrip())
    return first, first + len(inner)


def _segment(body: str) -> Iterator[tuple[int, int]]:
    """Offsets of pysbd's sentences in ``body``, located in order and stripped of white space.

    Text pysbd leaves out (it drops some punctuation-only runs such as `` !!``) becomes a sentence
    of its own, so every visible character of the body is in a sentence.
    """
    cursor = 0
    for piece in _segmenter().segment(body):
        stripped = piece.strip()
        if not stripped:
            continue
        found = body.find(stripped, cursor)
        if found < 0:  # the splitter altered the text: the rest of the body is one sentence
            break
        gap = _stripped(body, cursor, found)
        if gap:
            yield gap
        yield found, found + len(stripped)
        cursor = found + len(stripped)
    rest = _stripped(body, cursor, len(body))
    if rest:
        yield rest


def split_sentences(text: str, *, chunk_chars: int = CHUNK_CHARS) -> list[Sentence]:
    """Split ``text`` into sentences; each sentence's offsets index ``text`` exactly.

    Paragraphs (lines) are split separately so that a sentence never crosses a line break;
    a paragraph longer than ``chunk_chars`` (:data:`CHUNK_CHARS`) is first cut at sentence ends (:func:`chunk_bounds`)
    so that time stays linear in its length. pysbd returns sentence strings; they are located in
    the text in order, which keeps offsets exact even where the splitter normalises white space.
    """
    sentences: list[Sentence] = []
    for paragraph in _PARAGRAPH.finditer(text):
        body = paragraph.group()
        for chunk_start, chunk_end in chunk_bounds(body, chunk_chars):
            base = paragraph.start() + chunk_start
            for start, end in _segment(body[chunk_start:chunk_end]):
                sentences.append(Sentence(base + start, base + end))
    return sentences


def given_sentences(text: str, bounds: Sequence[object]) -> list[Sentence]:
    """Sentences from ``[[start, end], ...]`` supplied with a document, checked against ``text``.

    Offsets must be integers with ``0 <= start < end <= len(text)``, in order and not overlapping;
    otherwise ValueError says which pair is wrong.
    """
    sentences: list[Sentence] = []
    previous_end = 0
    for i, pair in enumerate(bounds):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in pair
        ):
            raise ValueError(f"sentences #{i} must be a pair of integers [start, end], got {pair!r}")
        start, end = pair
        if not 0 <= start < end <= len(text):
            raise ValueError(f"sentences #{i} [{start}, {end}] is empty or outside the text (length {len(text)})")
        if start < previous_end:
            raise ValueError(f"sentences #{i} [{start}, {end}] starts before the previous sentence ends "
                             f"({previous_end}); sentences must be ordered and not overlap")
        sentences.append(Sentence(start, end))
        previous_end = end
    return sentences


#: quotation marks that open / close a quotation (straight quotes do both)
_OPENING_QUOTES = "“‘\"'«„"
_CLOSING_QUOTES = "”’\"'»“"
_QUOTE_MARKS = set(_OPENING_QUOTES + _CLOSING_QUOTES) - {"'", "’"}  # apostrophes are not quote marks
#: verbs that introduce or close a quotation (news attribution: "…,” X said / questioned / wrote)
SAYING_VERBS = frozenset("""
    said says say saying told tells wrote writes write asked asks ask added adds claimed claims
    questioned questions stated states declared declares tweeted tweets posted posts insisted insists
    warned warns noted notes explained explains replied replies answered answers argued argues
    continued continues concluded concludes suggested suggests remarked remarks commented comments
    alleged alleges reported reports announced announces admitted admits acknowledged acknowledges
    responded responds recalled recalls wondered wonders speculated speculates predicted predicts
    """.split())
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
#: an attribution clause is short: the verb of saying starts it ("said the spokesman on Monday") or
#: ends it, followed at most by a time, place or manner phrase ("Telegram account General CVR
#: questioned", "he wrote on Telegram") or, after told/asked, by who was told ("she told reporters")
ATTRIBUTION_MAX_WORDS = 16
_TAIL_STARTS = frozenset("""
    in on at to from via during after before earlier later last this yesterday today tonight late
    citing adding referring according without online again
    """.split())
_ADDRESS_VERBS = frozenset({"told", "tells", "asked", "asks"})


def is_quotation(text: str) -> bool:
    """``text`` (one sentence) is wholly a quotation: it opens with a quotation mark and ends with one
    (after the closing punctuation: ``“Will they?”``, ``"It is over."``)."""
    stripped = text.strip()
    return len(stripped) > 2 and stripped[0] in _OPENING_QUOTES and stripped[-1] in _CLOSING_QUOTES


def opens_quotation(text: str) -> bool:
    """``text`` starts a quotation that it does not close (its first sentence of several)."""
    stripped = text.strip()
    return bool(stripped) and stripped[0] in _OPENING_QUOTES and sum(ch in _QUOTE_MARKS for ch in stripped) == 1


def is_attribution_clause(text: str) -> bool:
    """``text`` (one sentence, no quotation marks) only says who said the quotation before it: at most
    ``ATTRIBUTION_MAX_WORDS`` words with a verb of saying that either starts it (``said the
    spokesman``) or ends it, followed at most by a time, place or manner phrase, or after told/asked
    by up to four words naming who was told; never followed by ``that`` (a claim of its own)."""
    if any(ch in _QUOTE_MARKS for ch in text):
        return False
    tokens = [w.lower() for w in _WORD.findall(text)]
    if not tokens or len(tokens) > ATTRIBUTION_MAX_WORDS:
        return False
    for i, token in enumerate(tokens):
        if token not in SAYING_VERBS:
            continue
        tail = tokens[i + 1:]
        if "that" in tail:
            return False
        if i == 0 or not tail or tail[0] in _TAIL_STARTS or (token in _ADDRESS_VERBS and len(tail) <= 4):
            return True
    return False


def quote_attribution_units(text: str, sentences: Sequence[Sentence]) -> list[tuple[int, int]]:
    """Sentence index ranges ``[first, last)`` that are scored as one unit: a quotation (one sentence,
    or several from the one that opens it to the one that closes it) followed, on the same line, by
    the clause that attributes it (``“Will Turkey let the planes … fly to Syria?” Telegram account
    General CVR questioned.``) is one unit; every other sentence is a unit of its own. The ranges
    cover all sentences in order."""
    units: list[tuple[int, int]] = []
    i, n = 0, len(sentences)

    def same_line(a: int, b: int) -> bool:
        return "\n" not in text[sentences[a].end : sentences[b].start]

    while i < n:
        last = None
        first_text = text[sentences[i].start : sentences[i].end]
        if is_quotation(first_text):
            last = i
        elif opens_quotation(first_text):
            j = i + 1
            while j < n and same_line(j - 1, j):
                inner = text[sentences[j].start : sentences[j].end]
                if any(ch in _QUOTE_MARKS for ch in inner):
                    stripped = inner.strip()
                    last = j if stripped[-1] in _CLOSING_QUOTES and stripped[0] not in _OPENING_QUOTES else None
                    break
                j += 1
        if last is not None and last + 1 < n and same_line(last, last + 1) and is_attribution_clause(
                text[sentences[last + 1].start : sentences[last + 1].end]):
            units.append((i, last + 2))
            i = last + 2
        else:
            units.append((i, i + 1))
            i += 1
    return units
