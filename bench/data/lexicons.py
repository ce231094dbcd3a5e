"""Lexicon resources: the harness's curated lists and the public lexicons' raw formats."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bench.data.loaders._common import read_text
from bench.errors import DataError


@dataclass(frozen=True)
class LexiconEntry:
    term: str
    sub_label: str
    weight: float
    #: why the term is listed (curated lexicon: its ``source`` column; a public lexicon: its file)
    sources: tuple[str, ...] = ()


def _lines(path: Path, comment: str = "#") -> list[tuple[int, str]]:
    if not path.is_file():
        raise DataError("lexicon file not found", path=str(path))
    out = []
    for number, line in enumerate(read_text(path, universal_newlines=True).split("\n"), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith(comment):
            out.append((number, stripped))
    return out


def lexicon_digest(entries: Iterable[LexiconEntry]) -> str:
    """A digest of what entries match and weigh (term, sub-label, weight), for cache keys."""
    payload = json.dumps(sorted((e.term, e.sub_label, e.weight) for e in entries))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def curated_loaded_language(path: Path | None = None) -> list[LexiconEntry]:
    """The curated loaded-language lexicon shipped with the package (``term<TAB>sub_label<TAB>weight<TAB>source``);
    an entry without a valid source is a DataError naming the file and line."""
    from bench.scorers.citations import parse_sources

    path = path or Path(str(resources.files("bench") / "resources" / "loaded_language.tsv"))
    entries = []
    for number, line in _lines(path):
        parts = line.split("\t")
        if len(parts) != 4:
            missing = ": the entry has no source" if len(parts) == 3 else ""
            raise DataError(f"expected term<TAB>sub_label<TAB>weight<TAB>source{missing}", path=str(path), line=number)
        try:
            weight = float(parts[2])
        except ValueError:
            raise DataError(f"weight {parts[2]!r} is not a number", path=str(path), line=number) from None
        sources = parse_sources(parts[3], category="loaded_language", sub_label=parts[1], path=str(path), line=number)
        entries.append(LexiconEntry(parts[0].lower(), parts[1], weight, tuple(str(s) for s in sources)))
    return entries


def word_list(path: Path, sub_label: str, weight: float, comment: str = "#") -> list[LexiconEntry]:
    """One term per line (Recasens bias lexicon, Hyland hedges, report verbs, hedges/weasels lists)."""
    return [LexiconEntry(line.lower(), sub_label, weight) for _, line in _lines(path, comment)]


def mpqa_clues(path: Path, sub_label: str, weight: float, strength: str = "strongsubj") -> list[LexiconEntry]:
    """MPQA subjectivity clues (``type=... word1=...`` lines) of the given strength."""
    entries = []
    for number, line in _lines(path):
        fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
        if "type" not in fields or "word1" not in fields:
            raise DataError("an MPQA clue needs type= and word1=", path=str(path), line=number)
        if fields["type"] == strength:
            entries.append(LexiconEntry(fields["word1"].lower(), sub_label, weight))
    return entries


def load_extra_lexicon(kind: str, path: Path, sub_label: str, weight: float) -> list[LexiconEntry]:
    """Load a lexicon named by a model config's ``extra_lexicons`` entry."""
    if kind == "word_list":
        return word_list(path, sub_label, weight)
    if kind == "percent_comment_list":
        return word_list(path, sub_label, weight, comment="%")
    if kind == "mpqa_strong":
        return mpqa_clues(path, sub_label, weight)
    raise DataError(f"unknown lexicon kind {kind!r} (word_list, percent_comment_list, mpqa_strong)", path=str(path))
