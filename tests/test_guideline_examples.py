"""The annotation guideline's examples are quoted from other corpora, never from the reference article.

Every *italic* stretch of ``corpora/ANNOTATION_GUIDELINE.md`` is an example and is followed by its
citation ``(corpus:document_id)`` (optionally ``(note: corpus:document_id)``). Each example must
occur verbatim in the cited document, read from the data directory setting (``paths.data_dir``,
``NEWSBIAS_DATA_DIR``): ``ptc`` is PTC's train split, ``polnear`` PolNeAR's train split (never dev,
whose events the sourcing layer classifies). The guideline shares no lower-cased word 4-gram with the
reference article, so no example or rule paraphrases it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.config import corpora_dir, corpus_config
from bench.data.corpus import Corpus
from bench.data.loaders._common import read_text
from bench.data.loaders.polnear import parse_ann

GUIDELINE = corpora_dir() / "ANNOTATION_GUIDELINE.md"
BOLD = re.compile(r"\*\*[^*\n]+\*\*")
ITALIC = re.compile(r"(?<!\*)\*(?!\*)([^*\n]+?)\*(?!\*)")
CITATION = re.compile(r"\s*\((?:[^()\n]*?:\s)?(?P<corpus>[a-z]+):(?P<doc>[A-Za-z0-9_.\-]+)\)")
WORD = re.compile(r"\w+(?:['’]\w+)*")
# corpus of a citation -> (corpus config, its files key, the document's path under that folder)
SOURCES = {"ptc": ("ptc", "articles", "{doc}.txt"), "polnear": ("polnear", "train", "text/{doc}.txt")}
# the examples the guideline once gave that paraphrased the reference article
RETIRED = ("the president's war", "appeared to stumble during the televised parade", "a card to play",
           "pictured crying", "seen stumbling", "a pro-government telegram channel", "a recent report claimed")


@dataclass(frozen=True)
class Example:
    text: str
    corpus: str
    doc: str
    line: int


def cited_examples(markdown: str) -> tuple[list[Example], list[str]]:
    """The examples with their citations, and a problem line for each italic stretch without one."""
    examples, problems = [], []
    for number, line in enumerate(markdown.splitlines(), 1):
        plain = BOLD.sub(lambda m: " " * len(m.group(0)), line)
        for match in ITALIC.finditer(plain):
            cited = CITATION.match(plain, match.end())
            if cited is None:
                problems.append(f"line {number}: example *{match.group(1)}* has no (corpus:document_id) citation")
            else:
                examples.append(Example(match.group(1), cited["corpus"], cited["doc"], number))
    return examples, problems


def word_4grams(text: str) -> set[tuple[str, ...]]:
    words = WORD.findall(text.lower())
    return {tuple(words[i:i + 4]) for i in range(len(words) - 3)}


def occurs(example: str, text: str) -> bool:
    """``example`` verbatim in ``text``, not as part of a longer word."""
    return re.search(rf"(?<!\w){re.escape(example)}(?!\w)", text) is not None


def document_path(corpus: str, doc: str) -> Path:
    name, files_key, pattern = SOURCES[corpus]
    config = corpus_config(name)
    return Path(config.root) / str(config.files[files_key]) / pattern.format(doc=doc)


def example_problems(examples: list[Example], reference_text: str) -> list[str]:
    """One line per example that is not verbatim in its cited document or shares a 4-gram with the reference."""
    reference_grams = word_4grams(reference_text)
    problems = []
    for ex in examples:
        where = f"line {ex.line}: *{ex.text}* ({ex.corpus}:{ex.doc})"
        if ex.corpus not in SOURCES:
            problems.append(f"{where}: unknown corpus {ex.corpus!r} (known: {', '.join(SOURCES)})")
            continue
        path = document_path(ex.corpus, ex.doc)
        if not path.is_file():
            problems.append(f"{where}: no such document {path}")
        elif not occurs(ex.text, read_text(path)):
            problems.append(f"{where}: not found verbatim in {path}")
        shared = word_4grams(ex.text) & reference_grams
        if shared:
            problems.append(f"{where}: shares {sorted(shared)} with the reference article")
    return problems


def test_every_italic_stretch_is_a_cited_example() -> None:
    examples, problems = cited_examples(GUIDELINE.read_text(encoding="utf-8"))
    assert problems == []
    assert len(examples) >= 100
    assert {ex.corpus for ex in examples} == set(SOURCES)


def test_no_example_hides_in_code_or_quotation_marks() -> None:
    """Examples are italic (so the citation check sees them): code stretches hold labels, paths and
    settings only, and the prose quotes nothing."""
    text = GUIDELINE.read_text(encoding="utf-8")
    assert [c for c in re.findall(r"`([^`\n]+)`", text) if re.search(r"\s", c)] == []
    prose = ITALIC.sub("", BOLD.sub("", text))
    assert re.findall(r"[\"“”][^\"“”\n]*[\"“”]", prose) == []


def test_the_guideline_shares_no_4gram_with_the_reference_article(reference: Corpus) -> None:
    text = GUIDELINE.read_text(encoding="utf-8")
    assert word_4grams(text) & word_4grams(reference.documents[0].text) == set()
    for retired in RETIRED:
        assert retired not in text.lower()


@pytest.mark.shared_data
def test_every_example_is_verbatim_in_its_cited_document(shared_data: Path, reference: Corpus) -> None:
    examples, _ = cited_examples(GUIDELINE.read_text(encoding="utf-8"))
    assert example_problems(examples, reference.documents[0].text) == []


@pytest.mark.shared_data
def test_source_class_examples_are_attributions_of_polnear_train(shared_data: Path) -> None:
    """The section's examples are PolNeAR train events' source spans (a cue or a no-source anchor
    where the rule is about those), never dev, whose events the sourcing layer classifies."""
    text = GUIDELINE.read_text(encoding="utf-8")
    section = text[text.index("## Source classes"):text.index("## Sentence sentiment")]
    examples, problems = cited_examples(section)
    assert problems == [] and len(examples) >= 40
    assert {ex.corpus for ex in examples} == {"polnear"}
    dev = shared_data / "polnear-attribution" / "data" / "dev" / "text"
    assert all(document_path(ex.corpus, ex.doc).is_file() and not (dev / f"{ex.doc}.txt").exists()
               for ex in examples)
    not_spans = [f"line {ex.line}: *{ex.text}*" for ex in examples if ex.text not in attribution_spans(ex.doc)]
    assert not_spans == []


def attribution_spans(doc: str) -> set[str]:
    """The source, cue and no-source anchor texts of every annotator's events in a PolNeAR train article."""
    text_path = document_path("polnear", doc)
    text = read_text(text_path)
    spans = set()
    for ann in sorted((text_path.parent.parent / "attributions").glob(f"{doc}_*.ann")):
        layer = parse_ann(ann, text)
        spans |= {bound.surface(text) for bound in layer.entities.values()
                  if bound.type in ("Source", "Cue", "Attribution-no-source")}
    return spans


@pytest.mark.shared_data
def test_the_check_finds_a_misquote_a_dev_document_and_a_paraphrase(shared_data: Path, reference: Corpus) -> None:
    """The checks above can fail: a misquoted example, a PolNeAR dev document, an uncited example and
    an example taken from the reference article are each reported with their line."""
    dev_doc = sorted((shared_data / "polnear-attribution" / "data" / "dev" / "text").glob("*.txt"))[0].stem
    markdown = ("*tyrant* (ptc:article771655795) and *tyrants* (ptc:article771655795)\n"
                f"*the* (polnear:{dev_doc})\n"
                "*an uncited example*\n"
                "*the dictator suffered from severe nausea* (ptc:article771655795)\n")
    examples, uncited = cited_examples(markdown)
    assert uncited == ["line 3: example *an uncited example* has no (corpus:document_id) citation"]
    problems = example_problems(examples, reference.documents[0].text)
    assert [p.split(":")[0] for p in problems] == ["line 1", "line 2", "line 4", "line 4"]
    assert "not found verbatim" in problems[0] and "no such document" in problems[1]
    assert "shares" in problems[3] and "('dictator', 'suffered', 'from', 'severe')" in problems[3]
