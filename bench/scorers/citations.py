"""The ``source`` column of the curated resources: why each lexicon term or pattern is there.

Every entry of ``bench/resources/loaded_language.tsv`` and ``unverified_patterns.tsv`` cites at
least one justification, separated by ``;``:

- ``guideline:<sub_label>``: the row of that sub-label in ``corpora/ANNOTATION_GUIDELINE.md``
  (it must be the entry's own sub-label: an entry cannot borrow another rule);
- ``<lexicon>`` or ``<lexicon>:<entry>``: a public lexicon that lists the term (the loaded-language
  lexicon's term itself, or the named entry for a pattern). The lexicons are cited, never copied;
  ``LEXICONS`` says where each one lies under the data directory, so a test can check the entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.errors import DataError


@dataclass(frozen=True)
class CitedLexicon:
    """A public lexicon an entry may cite: its file under the data directory and how it is read."""

    path: str
    kind: str  # word_list | percent_comment_list | mpqa
    citation: str


LEXICONS: dict[str, CitedLexicon] = {
    "recasens2013": CitedLexicon("lexicons-recasens2013-mpqa/bias-lexicon/bias-lexicon_og.txt", "word_list",
                                 "Recasens, Danescu-Niculescu-Mizil & Jurafsky 2013, bias lexicon (654 lemmas)"),
    "mpqa2005": CitedLexicon("lexicons-recasens2013-mpqa/bias_related_lexicons/subjectivity_clues_hltemnlp05/"
                             "subjclueslen1-HLTEMNLP05.tff", "mpqa",
                             "Wilson, Wiebe & Hoffmann 2005, MPQA subjectivity clues"),
    "hyland2005": CitedLexicon("lexicons-recasens2013-mpqa/bias_related_lexicons/hedges_hyland2005.txt", "word_list",
                               "Hyland 2005, Metadiscourse: hedges (as bundled by Recasens et al. 2013)"),
    "report_verbs": CitedLexicon("lexicons-recasens2013-mpqa/bias_related_lexicons/report_verbs.txt", "word_list",
                                 "report verbs bundled with Recasens et al. 2013"),
    "wormer_hedges": CitedLexicon("lexicons-words-hedges-weasels/hedges/data.txt", "percent_comment_list",
                                  "words/hedges word list (Wormer, MIT licence)"),
    "wormer_weasels": CitedLexicon("lexicons-words-hedges-weasels/weasels/data.txt", "percent_comment_list",
                                   "words/weasels word list (Wormer, MIT licence)"),
}

#: the sub-labels the guideline defines a row for, per category
GUIDELINE_SUB_LABELS: dict[str, tuple[str, ...]] = {
    "loaded_language": ("name_calling", "emotive", "exaggeration"),
    "unverified_source": ("anonymous_source", "unverifiable_channel", "unattributed_report", "hedge",
                          "rumour_speculation"),
}


@dataclass(frozen=True)
class Citation:
    """One justification: a guideline row (``lexicon`` None) or a lexicon with an optional entry."""

    guideline: str | None = None
    lexicon: str | None = None
    entry: str | None = None

    def __str__(self) -> str:
        if self.guideline is not None:
            return f"guideline:{self.guideline}"
        return f"{self.lexicon}:{self.entry}" if self.entry else str(self.lexicon)


def parse_sources(value: str, *, category: str, sub_label: str, path: str, line: int) -> tuple[Citation, ...]:
    """The citations of one entry; a DataError naming file and line when there is none or one is unknown."""
    parts = [p.strip() for p in value.split(";") if p.strip()]
    if not parts:
        raise DataError("entry has no source: cite a guideline rule (guideline:<sub_label>) or a lexicon "
                        f"({', '.join(sorted(LEXICONS))})", path=path, line=line)
    rules = GUIDELINE_SUB_LABELS[category]
    out = []
    for part in parts:
        key, _, rest = part.partition(":")
        if key == "guideline":
            if rest not in rules:
                raise DataError(f"source {part!r}: the guideline has no {category} rule {rest!r} "
                                f"(rules: {', '.join(rules)})", path=path, line=line)
            if rest != sub_label:
                raise DataError(f"source {part!r} cites the rule of another sub-label than the entry's "
                                f"{sub_label!r}", path=path, line=line)
            out.append(Citation(guideline=rest))
        elif key in LEXICONS:
            out.append(Citation(lexicon=key, entry=rest.strip().lower() or None))
        else:
            raise DataError(f"source {part!r} is neither guideline:<sub_label> nor a known lexicon "
                            f"({', '.join(sorted(LEXICONS))})", path=path, line=line)
    return tuple(out)
