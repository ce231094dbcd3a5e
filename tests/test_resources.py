"""The curated resources carry a source for every entry, and the sources check out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lemminflect import getAllLemmas

from bench.config import corpora_dir
from bench.data.corpus import Corpus
from bench.data.lexicons import curated_loaded_language, mpqa_clues, word_list
from bench.data.schema import Document
from bench.data.sentences import split_sentences
from bench.errors import DataError
from bench.scorers.citations import GUIDELINE_SUB_LABELS, LEXICONS
from bench.scorers.lexicon import LoadedLanguageLexiconScorer
from bench.scorers.patterns import UnverifiedSourceScorer, load_patterns
from bench.tasks import load_task

PATTERNS = UnverifiedSourceScorer().patterns
LEXICON = curated_loaded_language()
UNVERIFIED = load_task("unverified_sources")
LOADED = load_task("loaded_language")


def test_every_entry_has_a_source() -> None:
    assert len(LEXICON) > 100 and len(PATTERNS) > 20
    for entry in LEXICON:
        assert entry.sources, entry
    for pattern in PATTERNS:
        assert pattern.sources, pattern


@pytest.mark.parametrize("source, message", [
    ("", r"entry has no source"),
    ("  ;  ", r"entry has no source"),
    ("guideline:rumour_speculation", r"cites the rule of another sub-label than the entry's 'hedge'"),
    ("guideline:emotive", r"the guideline has no unverified_source rule 'emotive'"),
    ("guideline:weasel", r"the guideline has no unverified_source rule 'weasel'"),
    ("wikipedia:reportedly", r"is neither guideline:<sub_label> nor a known lexicon"),
])
def test_a_pattern_without_a_valid_source_names_file_and_line(tmp_path: Path, source: str, message: str) -> None:
    path = tmp_path / "patterns.tsv"
    path.write_text(f"# header\nhedge\t0.8\tguideline:hedge\t\\bsaid\\b\nhedge\t0.8\t{source}\t\\breportedly\\b\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match=rf"^{re.escape(str(path))}:3: .*{message}"):
        load_patterns(path)


def test_the_old_three_column_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "patterns.tsv"
    path.write_text("hedge\t0.8\t\\breportedly\\b\n", encoding="utf-8")
    with pytest.raises(DataError, match=r":1: expected sub_label<TAB>weight<TAB>source<TAB>regex: the entry has no "
                                        r"source"):
        UnverifiedSourceScorer(patterns_path=str(path))


def test_a_lexicon_term_without_a_source_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.tsv"
    path.write_text("tyrant\tname_calling\t0.9\tguideline:name_calling;mpqa2005\nthug\tname_calling\t0.9\t\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match=rf"^{re.escape(str(path))}:2: .*the entry has no source"):
        curated_loaded_language(path)
    path.write_text("thug\tname_calling\t0.9\t ; \n", encoding="utf-8")
    with pytest.raises(DataError, match=r":1: entry has no source"):
        curated_loaded_language(path)


def test_every_cited_guideline_rule_is_a_row_of_the_guideline() -> None:
    guideline = (corpora_dir() / "ANNOTATION_GUIDELINE.md").read_text(encoding="utf-8")
    for rules in GUIDELINE_SUB_LABELS.values():
        for rule in rules:
            assert re.search(rf"^\| `{rule}` \|", guideline, flags=re.MULTILINE), rule


def _lexicon(shared_data: Path, name: str) -> set[str]:
    cited = LEXICONS[name]
    path = shared_data / cited.path
    if cited.kind == "mpqa":
        return {e.term for strength in ("strongsubj", "weaksubj") for e in mpqa_clues(path, "x", 0.0, strength)}
    return {e.term for e in word_list(path, "x", 0.0, comment="%" if cited.kind == "percent_comment_list" else "#")}


def test_every_cited_lexicon_lists_the_entry(shared_data: Path) -> None:
    lexicons = {name: _lexicon(shared_data, name) for name in LEXICONS}
    checked = 0
    for entry in LEXICON:
        forms = {entry.term} | {lemma for lemmas in getAllLemmas(entry.term).values() for lemma in lemmas}
        for source in entry.sources:
            name, _, word = source.partition(":")
            if name in lexicons:
                assert (forms | {word}) & lexicons[name], f"{entry.term}: {source}"
                checked += 1
    for pattern in PATTERNS:
        for source in pattern.sources:
            name, _, word = source.partition(":")
            if name in lexicons:
                assert word and word in lexicons[name], f"{pattern.regex.pattern}: {source}"
                assert word[:4] in pattern.regex.pattern.lower(), source
                checked += 1
    assert checked > 100


def test_reference_article_terms_are_attested_by_a_public_lexicon(reference: Corpus) -> None:
    """The curation rule: a lexicon term found in the reference article is listed by a public lexicon."""
    found = LoadedLanguageLexiconScorer().predict_document(reference.documents[0], LOADED).spans
    assert found
    for span in found:
        assert {"recasens2013", "mpqa2005"} & set(span.attributes["source"].split(";")), span.text


def _found(text: str) -> list[str]:
    doc = Document("x", text, sentences=split_sentences(text))
    return [s.text for s in UnverifiedSourceScorer().predict_document(doc, UNVERIFIED).spans]


def test_patterns_are_general_not_the_reference_articles_phrases() -> None:
    # generalised: any platform's account with its name, any unnamed officials of a named body
    assert _found("A Twitter account Visegrad24 posted it.") == ["A Twitter account Visegrad24"]
    assert _found("Former intelligence officials said so.") == ["Former intelligence officials"]
    assert _found("White House officials declined.") == ["White House officials"]
    # removed: phrasings that existed only because the reference article used them
    assert _found("Four countries would be on the cards.") == []
    assert _found("He cited tip offs from retired and active intelligence agents.") == []
    assert _found("Rail traffic was cut, potentially isolating the troops.") == []


def test_spans_carry_their_entrys_source() -> None:
    doc = Document("x", "The tyrant reportedly fled.", sentences=split_sentences("The tyrant reportedly fled."))
    [tyrant] = LoadedLanguageLexiconScorer().predict_document(doc, LOADED).spans
    assert tyrant.attributes["source"] == "guideline:name_calling;mpqa2005"
    [hedge] = UnverifiedSourceScorer().predict_document(doc, UNVERIFIED).spans
    assert hedge.attributes["source"] == "guideline:hedge;wormer_weasels:reportedly"
