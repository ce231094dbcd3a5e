"""Quote-aware units: a quotation and the clause that attributes it are one sentence-level unit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.data.corpus import Corpus
from bench.data.schema import Document, Sentence, Span
from bench.data.sentences import (
    is_attribution_clause,
    is_quotation,
    quote_attribution_units,
    split_sentences,
)
from bench.errors import ConfigError
from bench.scorers.patterns import UnverifiedSourceScorer
from bench.tasks import SpanDetection, load_task

UNVERIFIED = load_task("unverified_sources")
LOADED = load_task("loaded_language")
REFERENCE_QUOTE = "“Will Turkey let the planes with Putin, his family and those who will join fly to Syria?”"


@pytest.mark.parametrize("clause, expected", [
    ("Telegram account General CVR questioned.", True),
    ("he said.", True),
    ("said the spokesman on Monday.", True),
    ("the minister told the BBC on Monday.", True),
    ("He said the plan would fail.", False),            # a claim of its own
    ("The minister told reporters that prices would rise.", False),
    ("Rumours over his health have circulated for months.", False),
    ("“Really?” she asked.", False),                     # holds a quotation
])
def test_attribution_clauses_by_hand(clause: str, expected: bool) -> None:
    assert is_attribution_clause(clause) is expected


def test_quotations_by_hand() -> None:
    assert is_quotation(REFERENCE_QUOTE)
    assert is_quotation('"It is over."')
    assert not is_quotation("“It is over,” he said.")
    assert not is_quotation("He said it was over.")


def _units(text: str) -> list[str]:
    sentences = split_sentences(text)
    return [text[sentences[a].start : sentences[b - 1].end] for a, b in quote_attribution_units(text, sentences)]


def test_units_merge_only_a_quotation_with_its_attribution() -> None:
    text = ("The talks ended. “Will they sign?” the envoy asked. “Yes.”\n"
            "The vote is on Friday. “We are ready. We will win.” Smith said on Monday. Prices rose.")
    assert _units(text) == ["The talks ended.", "“Will they sign?” the envoy asked.", "“Yes.”",
                            "The vote is on Friday.", "“We are ready. We will win.” Smith said on Monday.",
                            "Prices rose."]


def test_a_quotation_at_the_end_of_a_line_is_not_merged_with_the_next_line() -> None:
    assert _units("“Will they sign?”\nThe envoy asked.") == ["“Will they sign?”", "The envoy asked."]


_PIECES = st.sampled_from(["The talks ended.", "“Will they sign?”", "“We are ready.", "We will win.”",
                           "the envoy asked.", "Smith said on Monday.", "He said the plan would fail.",
                           "Prices rose sharply.", "“Yes,” she said."])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_PIECES, min_size=1, max_size=6), min_size=1, max_size=3))
def test_units_partition_the_sentences(paragraphs: list[list[str]]) -> None:
    text = "\n".join(" ".join(p) for p in paragraphs)
    sentences = split_sentences(text)
    units = quote_attribution_units(text, sentences)
    # the units cover every sentence once, in order
    assert [i for a, b in units for i in range(a, b)] == list(range(len(sentences)))
    for a, b in units:
        if b - a > 1:
            # a merged unit is a quotation followed by its attribution clause, on one line
            last = sentences[b - 1]
            assert is_attribution_clause(text[last.start : last.end])
            assert "\n" not in text[sentences[a].start : last.end]
            quoted = text[sentences[a].start : sentences[b - 2].end]
            assert quoted[0] in "“\"" and quoted[-1] in "”\""


def test_reference_quote_and_attribution_are_one_positive_unit(reference: Corpus) -> None:
    doc = reference.documents[0]
    units = UNVERIFIED.scored_units(doc)
    merged = [(u, m) for u, m in units if len(m) > 1]
    assert len(merged) == 1
    unit, members = merged[0]
    assert doc.sentence_text(unit) == REFERENCE_QUOTE + " Telegram account General CVR questioned."
    assert len(units) == len(doc.sentences) - 1
    # the quoted claim alone has no gold span; with its attribution the unit is positive
    assert UNVERIFIED.sentence_gold(doc, doc.sentences[members[0]], True) == 0
    assert UNVERIFIED.sentence_gold(doc, unit, True) == 1
    # loaded language keeps sentence units
    assert len(LOADED.scored_units(doc)) == len(doc.sentences)
    record = UNVERIFIED.record(doc, UnverifiedSourceScorer().predict_document(doc, UNVERIFIED), True)
    item = next(i for i in record["items"] if i["start"] == unit.start)
    assert item["end"] == unit.end and item["gold"] == 1 and item["score"] == pytest.approx(0.85)


def test_classifier_rows_are_units_and_spread_to_their_sentences() -> None:
    text = "Prices rose. “Will they sign?” Smith asked."
    doc = Document("d", text, spans=[Span(31, 36, "unverified_source/anonymous_source", "Smith")],
                   sentences=split_sentences(text))
    assert len(doc.sentences) == 3
    examples = UNVERIFIED.text_examples([doc])
    assert [(e.text, e.label) for e in examples] == [("Prices rose.", 0), ("“Will they sign?” Smith asked.", 1)]
    pred = UNVERIFIED.pack([doc], [[0.9, 0.1], [0.2, 0.8]])[0]
    assert pred.sentence_scores == [0.1, 0.8, 0.8]
    assert [i["score"] for i in UNVERIFIED.record(doc, pred, True)["items"]] == [0.1, 0.8]


def test_explicit_sentence_labels_merge_positive_if_any() -> None:
    text = "“Will they sign?” the envoy asked."
    sentences = [Sentence(0, 17, {"unverified_sources": 0}), Sentence(18, len(text), {"unverified_sources": 1})]
    doc = Document("d", text, sentences=sentences)
    [(unit, _)] = UNVERIFIED.scored_units(doc)
    assert unit.labels == {"unverified_sources": 1}


def test_unknown_unit_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="task.units=paragraph"):
        SpanDetection("x", "unverified_source", units="paragraph")
