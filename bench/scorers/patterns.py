"""Unverified-source scorer: attribution and hedge patterns (+ optional public word lists)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

from bench.data.lexicons import load_extra_lexicon
from bench.data.loaders._common import read_text
from bench.data.schema import Document, Span
from bench.errors import DataError
from bench.scorers.base import DocumentPrediction, Scorer, sentence_scores_from_spans
from bench.scorers.citations import parse_sources
from bench.scorers.matching import TermMatcher
from bench.tasks import Task, span_output


@dataclass(frozen=True)
class Pattern:
    sub_label: str
    weight: float
    regex: re.Pattern[str]
    #: why the pattern is listed (the file's ``source`` column, see :mod:`bench.scorers.citations`)
    sources: tuple[str, ...] = ()


def load_patterns(path: Path) -> list[Pattern]:
    """``sub_label<TAB>weight<TAB>source<TAB>regex`` lines; a DataError naming file and line for a
    malformed line, a bad weight or expression, or an entry without a valid source."""
    if not path.is_file():
        raise DataError("pattern file not found", path=str(path))
    patterns = []
    for number, line in enumerate(read_text(path, universal_newlines=True).split("\n"), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            missing = ": the entry has no source" if len(parts) == 3 else ""
            raise DataError(f"expected sub_label<TAB>weight<TAB>source<TAB>regex{missing}", path=str(path),
                            line=number)
        sub_label, weight, source, expression = parts
        try:
            value = float(weight)
            regex = re.compile(expression, re.IGNORECASE)
        except (ValueError, re.error) as exc:
            raise DataError(f"bad weight or regular expression: {exc}", path=str(path), line=number) from None
        sources = parse_sources(source, category="unverified_source", sub_label=sub_label, path=str(path),
                                line=number)
        patterns.append(Pattern(sub_label, value, regex, tuple(str(s) for s in sources)))
    return patterns


def _resolve_overlaps(found: list[Span]) -> list[Span]:
    """Keep the stronger (then longer) of overlapping matches."""
    found.sort(key=lambda s: (-(s.score or 0), -(s.end - s.start), s.start))
    kept: list[Span] = []
    for span in found:
        if all(span.end <= k.start or k.end <= span.start for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


class UnverifiedSourceScorer(Scorer):
    """Flags anonymous or unverifiable attributions, unattributed reports, hedges and rumours."""

    outputs = (span_output("unverified_source"),)

    def __init__(self, patterns_path: str | None = None, extra_lexicons: Sequence[dict[str, Any]] = (),
                 threshold: float = 0.5) -> None:
        default = Path(str(resources.files("bench") / "resources" / "unverified_patterns.tsv"))
        self.patterns_path = patterns_path
        self.patterns = load_patterns(Path(patterns_path) if patterns_path else default)
        self.extra_lexicons = [dict(x) for x in extra_lexicons]
        entries = []
        for extra in self.extra_lexicons:
            entries += load_extra_lexicon(str(extra["kind"]), Path(str(extra["path"])),
                                          str(extra.get("sub_label", "hedge")), float(extra.get("weight", 0.3)))
        self.matcher = TermMatcher(entries)
        self.threshold = threshold

    def content_params(self) -> dict[str, Any]:
        return {"patterns": [(p.sub_label, p.weight, p.regex.pattern) for p in self.patterns]}

    def predict_document(self, doc: Document, task: Task) -> DocumentPrediction:
        found = [
            Span(m.start(), m.end(), f"unverified_source/{p.sub_label}", m.group(), p.weight,
                 attributes={"pattern": p.regex.pattern, "source": ";".join(p.sources)})
            for p in self.patterns
            for m in p.regex.finditer(doc.text)
            if m.end() > m.start()
        ]
        found += [
            Span(s, e, f"unverified_source/{entry.sub_label}", doc.text[s:e], entry.weight,
                 attributes={"term": entry.term, "source": ";".join(entry.sources)})
            for s, e, entry in self.matcher.find(doc.text)
        ]
        spans = _resolve_overlaps(found)
        return DocumentPrediction(doc.id, spans, sentence_scores_from_spans(doc, spans))
