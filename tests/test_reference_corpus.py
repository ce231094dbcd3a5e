"""The reference article: text, credit notice, gold annotations the guideline requires."""

from __future__ import annotations

from pathlib import Path

from bench.config import corpora_dir
from bench.data.corpus import Corpus
from bench.tracking.provenance import project_root


def _spans(corpus: Corpus, label_prefix: str) -> list[tuple[str, str]]:
    doc = corpus.documents[0]
    return [(s.text, s.label) for s in doc.spans if s.label.startswith(label_prefix)]


def test_text_is_the_shared_article_with_its_credit_notice(reference: Corpus) -> None:
    doc = reference.documents[0]
    shared = project_root().parent / "shared" / "reference" / "000_55ce536a529d57e7.txt"
    if shared.is_file():
        assert doc.text == shared.read_text(encoding="utf-8")
    assert doc.text.rstrip().endswith("appropriate and specific direction to the original content.")
    assert "© 2022, GDC." in doc.text[doc.metadata["credit_notice_start"]:]
    assert "globaldefensecorp.com" in doc.metadata["credit"]


def test_every_dictator_is_name_calling(reference: Corpus) -> None:
    doc = reference.documents[0]
    occurrences = [i for i in range(len(doc.text)) if doc.text.startswith("dictator", i)]
    assert len(occurrences) == 2
    marked = {(s.start, s.label) for s in doc.spans}
    for start in occurrences:
        assert (start, "loaded_language/name_calling") in marked


def test_telegram_attributions_are_unverified_sources(reference: Corpus) -> None:
    spans = _spans(reference, "unverified_source/")
    assert spans.count(("Telegram account General CVR", "unverified_source/unverifiable_channel")) == 2
    assert ("A Russian Telegram channel", "unverified_source/unverifiable_channel") in spans
    assert ("the same account", "unverified_source/unverifiable_channel") in spans
    assert ("retired and active intelligence agents", "unverified_source/anonymous_source") in spans
    assert ("a new report", "unverified_source/unattributed_report") in spans
    assert ("is believed to be", "unverified_source/hedge") in spans
    assert ("reportedly", "unverified_source/hedge") in spans


def test_named_source_is_not_marked(reference: Corpus) -> None:
    doc = reference.documents[0]
    start = doc.text.index("The Ukrainian military claimed")
    end = start + len("The Ukrainian military claimed")
    assert not [s for s in doc.spans if s.start < end and start < s.end]


def test_sentences_and_sentiment_labels(reference: Corpus) -> None:
    doc = reference.documents[0]
    assert len(doc.sentences) == 25
    assert all(s.labels.get("sentiment") in {"negative", "neutral", "positive"} for s in doc.sentences)
    first = doc.sentence_text(doc.sentences[0])
    assert first.startswith("Russian President Vladimir Putin") and first.endswith("Russian soldiers.")


def test_fingerprint_and_dataset(reference: Corpus) -> None:
    dataset = reference.to_dataset()
    assert dataset.num_rows == 1
    assert dataset._fingerprint == reference.fingerprint
    assert dataset[0]["text"] == reference.documents[0].text
    # 26 after adjudicating two passes (corpora/reference/ADJUDICATION.md; the first pass had 32)
    assert len(dataset[0]["spans"]) == len(reference.documents[0].spans) == 26


def test_guideline_exists_and_covers_categories() -> None:
    guideline = (corpora_dir() / "ANNOTATION_GUIDELINE.md").read_text(encoding="utf-8")
    for needle in ("name_calling", "anonymous_source", "unverifiable_channel", "hedge", "named, checkable source"):
        assert needle in guideline
    assert Path(corpora_dir() / "reference" / "documents.jsonl").is_file()
