"""Loaded-language lexicon scorer: curated terms (+ optional public lexicons), no training."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

from bench.data.lexicons import LexiconEntry, curated_loaded_language, lexicon_digest, load_extra_lexicon
from bench.data.schema import Document, Span
from bench.scorers.base import DocumentPrediction, Scorer, sentence_scores_from_spans
from bench.scorers.matching import TermMatcher
from bench.tasks import Task, span_output


class LoadedLanguageLexiconScorer(Scorer):
    """Marks every lexicon term (with inflections, multi-word aware) as a loaded-language span.

    ``extra_lexicons`` adds public lexicons from paths, each a mapping with ``kind``
    (word_list | mpqa_strong | percent_comment_list), ``path``, ``sub_label`` and ``weight``.
    """

    outputs = (span_output("loaded_language"),)

    def __init__(self, extra_lexicons: Sequence[dict[str, Any]] = (), use_curated: bool = True,
                 inflect: bool = True, threshold: float = 0.5) -> None:
        self.extra_lexicons = [dict(x) for x in extra_lexicons]
        self.use_curated = use_curated
        self.inflect = inflect
        self.threshold = threshold
        entries: list[LexiconEntry] = curated_loaded_language() if use_curated else []
        for extra in self.extra_lexicons:
            path = Path(str(extra["path"]))
            entries += [replace(e, sources=(path.name,)) for e in load_extra_lexicon(
                str(extra["kind"]), path, str(extra.get("sub_label", "lexical_bias")), float(extra.get("weight", 0.5)))]
        self.matcher = TermMatcher(entries, inflect=inflect)
        self._digest = lexicon_digest(entries)

    def content_params(self) -> dict[str, Any]:
        """The matcher's size and a digest of the entries, so an edited lexicon never reuses cached predictions."""
        return {"size": self.matcher.size, "entries": self._digest}

    def predict_document(self, doc: Document, task: Task) -> DocumentPrediction:
        spans = [
            Span(start, end, f"loaded_language/{entry.sub_label}", doc.text[start:end], entry.weight,
                 attributes={"term": entry.term, "source": ";".join(entry.sources)})
            for start, end, entry in self.matcher.find(doc.text)
        ]
        return DocumentPrediction(doc.id, spans, sentence_scores_from_spans(doc, spans))
