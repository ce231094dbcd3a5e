"""The reference article's gold is its two passes' agreement plus one recorded decision per
disagreement or disputed item; the agreement figures are computed as documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.annotation import reference_agreement as ra
from bench.config import corpora_dir
from bench.data.corpus import Corpus
from bench.data.schema import Document, Sentence
from bench.errors import DataError

FOLDER = corpora_dir() / "reference"


@pytest.fixture(scope="module")
def passes(reference: Corpus) -> tuple[Document, ra.Pass, ra.Pass, list[ra.Decision]]:
    doc = reference.documents[0]
    return (doc, ra.read_pass(FOLDER / "annotation" / "pass1.jsonl", doc, "pass1"),
            ra.read_pass(FOLDER / "annotation" / "pass2.jsonl", doc, "pass2"),
            ra.read_decisions(FOLDER / "annotation" / "adjudication.jsonl", doc))


def test_gold_is_the_passes_agreement_plus_the_decisions(passes) -> None:
    doc, first, second, decisions = passes
    final = ra.adjudicate(first, second, decisions)
    gold = ra.gold_pass(doc)
    assert (gold.spans, gold.sentiment) == (final.spans, final.sentiment)
    assert len(first.spans) == 32 and len(gold.spans) == 26


def _decision(decisions: list[ra.Decision], doc: Document, text: str, occurrence: int = 0) -> ra.Decision:
    found = [d for d in decisions if d.kind == "span" and doc.text[d.key[0]:d.key[1]] == text]
    return found[occurrence]


@pytest.mark.parametrize("text, occurrence, kept", [
    ("invading", 0, False), ("flee", 0, False), ("shivering", 0, False), ("regimen", 0, True),
    ("Putin’s soldiers", 0, True), ("bargaining chip", 0, False), ("potentially", 0, False),
    ("British and defence intelligence officials", 0, True), ("appeared to", 0, False), ("appeared to", 1, False),
])
def test_every_disputed_span_is_settled_explicitly(passes, text: str, occurrence: int, kept: bool) -> None:
    doc, _, _, decisions = passes
    decision = _decision(decisions, doc, text, occurrence)
    assert decision.disputed and decision.rule and decision.reason
    assert bool(decision.final) is kept
    in_gold = any(doc.text[s.start:s.end] == text and s.start == decision.key[0] for s in doc.spans)
    assert in_gold is kept


def test_disputed_sentences_are_settled(passes) -> None:
    doc, _, _, decisions = passes
    by_sentence = {d.key: d for d in decisions if d.kind == "sentence"}
    belarus, copyright = by_sentence[11], by_sentence[23]
    assert doc.sentence_text(doc.sentences[11]).startswith("Belarus")
    assert doc.sentence_text(doc.sentences[23]).startswith("Unauthorized use")
    assert belarus.disputed and copyright.disputed
    assert doc.sentences[11].labels["sentiment"] == "neutral" == doc.sentences[23].labels["sentiment"]


def test_an_undecided_or_misrecorded_disagreement_is_an_error(passes) -> None:
    doc, first, second, decisions = passes
    with pytest.raises(DataError, match=r"span disagreements without a decision: \[\(140, 148"):
        ra.adjudicate(first, second, [d for d in decisions if d.key != (140, 148)])
    with pytest.raises(DataError, match="sentence 11: pass sentiments positive and neutral differ"):
        ra.adjudicate(first, second, [d for d in decisions if not (d.kind == "sentence" and d.key == 11)])
    wrong = [ra.Decision("span", (140, 148), (), (), (), "r", "x", False)]
    with pytest.raises(DataError, match=r"records pass1 as \[\], but pass1 has \[\(140, 148"):
        ra.adjudicate(first, second, wrong)


def test_a_pass_line_that_does_not_match_the_text_names_file_and_line(tmp_path: Path, passes) -> None:
    doc = passes[0]
    path = tmp_path / "pass.jsonl"
    path.write_text(json.dumps({"start": 59, "end": 69, "label": "unverified_source/hedge", "text": "reportedly"}) + "\n"
                    + json.dumps({"start": 0, "end": 7, "label": "loaded_language/emotive", "text": "Putin"}) + "\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match=rf"{path}:2: text 'Putin' is not the document's text at \[0, 7\)"):
        ra.read_pass(path, doc)


def test_agreement_figures_by_hand() -> None:
    text = "The tyrant reportedly fled. It rained. They won. Talks went on."
    doc = Document("d", text, sentences=[Sentence(0, 27), Sentence(28, 38), Sentence(39, 48), Sentence(49, 63)])
    a = ra.Pass("a", [(4, 10, "loaded_language/name_calling"), (11, 21, "unverified_source/hedge")],
                ["negative", "negative", "positive", "neutral"])
    b = ra.Pass("b", [(4, 10, "loaded_language/emotive"), (11, 21, "unverified_source/hedge")],
                ["negative", "positive", "positive", "neutral"])
    spans = ra.span_agreement(a, b, doc)
    # same offsets, another sub-label: no exact match, full overlap credit, in-span tokens agree
    assert spans["loaded_language"]["exact.f1"] == 0.0 and spans["loaded_language"]["overlap.f1"] == 1.0
    assert spans["loaded_language"]["token_kappa_binary"] == 1.0 and spans["loaded_language"]["token_kappa"] < 1.0
    assert spans["unverified_source"]["exact.f1"] == 1.0 and spans["all"]["exact.f1"] == 0.5
    # 3 of 4 sentences agree; chance agreement (2·1 + 1·2 + 1·1) / 16 = 5/16
    sentiment = ra.sentiment_agreement(a, b)
    assert sentiment["agreement"] == 0.75
    assert sentiment["kappa"] == pytest.approx((0.75 - 5 / 16) / (1 - 5 / 16))


def test_adjudication_record_shows_what_the_command_computes(passes) -> None:
    doc, first, second, decisions = passes
    record = (FOLDER / "ADJUDICATION.md").read_text(encoding="utf-8")
    assert ra.decisions_markdown(decisions, doc) in record
    table = ra.markdown(first, second, doc, [ra.gold_pass(doc)])
    for line in table.splitlines():
        assert line in record, line


def test_command_checks_the_gold(capsys) -> None:
    ra.main(["--check"])
    out = capsys.readouterr().out
    assert "| pass2 vs pass1 | 25 | 0.800 | 0.617 |" in out
    assert "| pass2 vs pass1 | all | 32 / 29 |" in out


# ------------------------------------------------------------------ the blind passes 4 and 5
BLIND = ("pass4", "pass5")
QUESTIONED = {(140, 148): (), (313, 324): (), (2727, 2738): (), (2913, 2924): (),
              (701, 717): ("loaded_language/emotive",), (1058, 1065): ("loaded_language/name_calling",)}


def _blind():
    doc = ra.reference_document()
    first, second = (ra.read_pass(FOLDER / "annotation" / f"{name}.jsonl", doc, name) for name in BLIND)
    return doc, first, second, ra.read_decisions(FOLDER / "annotation" / "adjudication_blind.jsonl", doc, BLIND)


def test_blind_passes_and_their_decisions_give_the_gold() -> None:
    doc, first, second, decisions = _blind()
    final, gold = ra.adjudicate(first, second, decisions), ra.gold_pass(doc)
    assert (final.spans, final.sentiment) == (gold.spans, gold.sentiment)
    # the one edge the re-adjudication changed: the source phrase without its verb of saying
    assert (1354, 1366, "unverified_source/unattributed_report") in gold.spans
    assert doc.text[1354:1366] == "a new report"


def test_every_questioned_decision_has_a_position() -> None:
    doc, _, _, decisions = _blind()
    by_region = {d.key: d for d in decisions if d.kind == "span"}
    for region, labels in QUESTIONED.items():
        decision = by_region[region]
        assert decision.disputed and decision.reason
        assert tuple(label for _, _, label in decision.final) == labels, doc.text[region[0]:region[1]]


def test_blind_record_shows_what_the_command_computes() -> None:
    doc, first, second, decisions = _blind()
    record = (FOLDER / "ADJUDICATION.md").read_text(encoding="utf-8")
    assert ra.decisions_markdown(decisions, doc, ("pass 4", "pass 5")) in record
    table = ra.markdown(first, second, doc, [ra.gold_pass(doc)])
    for line in table.split("Disagreements between")[0].splitlines():
        assert line in record, line


def test_blind_command_checks_the_gold(capsys) -> None:
    ra.main(["--blind", "--check"])
    assert "| pass5 vs pass4 | all | 25 / 25 |" in capsys.readouterr().out
