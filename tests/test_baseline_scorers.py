"""Baseline scorers on the reference article and on targeted sentences."""

from __future__ import annotations

import pytest

from bench.data.corpus import Corpus
from bench.data.schema import Document
from bench.data.sentences import split_sentences
from bench.scorers.lexicon import LoadedLanguageLexiconScorer
from bench.scorers.patterns import UnverifiedSourceScorer
from bench.scorers.vader import VaderScorer, compound_to_probabilities
from bench.tasks import load_task

LOADED = load_task("loaded_language")
UNVERIFIED = load_task("unverified_sources")
SENTIMENT = load_task("sentiment")


def _doc(text: str) -> Document:
    return Document("x", text, sentences=split_sentences(text))


@pytest.fixture(scope="module")
def lexicon() -> LoadedLanguageLexiconScorer:
    return LoadedLanguageLexiconScorer()


def test_lexicon_finds_both_dictators(lexicon, reference: Corpus) -> None:
    doc = reference.documents[0]
    found = [s for s in lexicon.predict_document(doc, LOADED).spans if s.text == "dictator"]
    assert len(found) == 2 and all(s.label == "loaded_language/name_calling" for s in found)


def test_lexicon_inflections_multiword_and_boundaries(lexicon) -> None:
    pred = lexicon.predict_document(_doc("Two Dictators caused total disasters for thugs. A dictatorship is not "
                                         "listed."), LOADED)
    assert [s.text for s in pred.spans] == ["Dictators", "total disasters", "thugs"]
    assert pred.sentence_scores[0] > 0.9 and pred.sentence_scores[1] == 0.0


def test_lexicon_extra_lexicon_from_path(tmp_path) -> None:
    path = tmp_path / "extra.txt"
    path.write_text("# comment\nbureaucrat\n", encoding="utf-8")
    scorer = LoadedLanguageLexiconScorer(extra_lexicons=[{"kind": "word_list", "path": str(path),
                                                          "sub_label": "lexical_bias", "weight": 0.4}])
    spans = scorer.predict_document(_doc("The bureaucrats met."), LOADED).spans
    assert [(s.text, s.label, s.score) for s in spans] == [("bureaucrats", "loaded_language/lexical_bias", 0.4)]


def test_unverified_scorer_on_reference(reference: Corpus) -> None:
    doc = reference.documents[0]
    pred = UnverifiedSourceScorer().predict_document(doc, UNVERIFIED)
    texts = [s.text for s in pred.spans]
    assert texts.count("Telegram account General CVR") == 2
    for phrase in ("reportedly", "A Russian Telegram channel", "a new report has claimed", "is believed to be"):
        assert phrase in texts
    # the patterns follow the guideline, not the article's phrasing: its coordinated source phrase is missed
    assert not [t for t in texts if "intelligence agents" in t]
    assert len(pred.sentence_scores) == len(doc.sentences)


def test_unverified_scorer_leaves_plain_sentence_alone() -> None:
    pred = UnverifiedSourceScorer().predict_document(_doc("The minister signed the bill on Monday."), UNVERIFIED)
    assert pred.spans == [] and pred.sentence_scores == [0.0]


def test_vader_probabilities_follow_its_rule() -> None:
    for compound in (-0.9, -0.05, -0.01, 0.0, 0.03, 0.05, 0.7):
        probs = compound_to_probabilities(compound, 0.05)
        assert sum(probs) == pytest.approx(1.0)
        expected = 2 if compound >= 0.05 else 0 if compound <= -0.05 else 1
        assert max(range(3), key=probs.__getitem__) == expected
    pred = VaderScorer().predict_document(_doc("This is a wonderful, happy day. This is horrible and sad."), SENTIMENT)
    assert pred.unit_probs[0][2] > 0.5 and pred.unit_probs[1][0] > 0.5
