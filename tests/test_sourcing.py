"""The PolNeAR sourcing layer: silver rule, label conversion, agreement, layer checks, and PTC's sourcing view."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bench.annotation.agreement import agreement
from bench.annotation.agreement import main as agreement_main
from bench.annotation.sourcing_layer import build, split_events
from bench.config import corpora_dir, corpus_config
from bench.data.load import load_corpus
from bench.data.loaders.polnear import read_split
from bench.data.loaders.polnear_silver import SourceMention, classify_phrase, silver_classes
from bench.data.loaders.polnear_sourcing import SourcingClasses, event_offsets, read_layer
from bench.errors import DataError

LAYER = corpora_dir() / "polnear_sourcing"


# ----------------------------------------------------------------------------- the silver rule (guideline examples)
@pytest.mark.parametrize("phrase, expected", [
    ("Clinton's campaign manager Robby Mook", "named"), ("the FBI director", "named"), ("The New York Post", "named"),
    ("a CNN/ORC poll", "named"), ("the Clinton campaign", "named"), ("Trump and his aides", "named"),
    ("a Twitter account", "named_unverifiable"), ("an anonymous blog", "named_unverifiable"),
    ("a viral Facebook post", "named_unverifiable"), ("@user123", "named_unverifiable"),
    ("a senior official", "anonymous"), ("sources familiar with the matter", "anonymous"), ("two aides", "anonymous"),
    ("people close to Trump", "anonymous"), ("Republican operatives who asked not to be named", "anonymous"),
    ("officials at the State Department", "anonymous"),
    ("critics", "vague"), ("many", "vague"), ("experts", "vague"), ("Democrats", "vague"), ("polls", "vague"),
    ("people", "vague"),
])
def test_silver_rule_on_the_guidelines_examples(phrase: str, expected: str) -> None:
    assert classify_phrase(phrase) == expected


def test_silver_rule_resolves_pronouns_backwards_and_marks_missing_sources() -> None:
    mentions = [SourceMention(40, "he"), SourceMention(0, "Trump"), SourceMention(60, ""),
                SourceMention(80, "critics"), SourceMention(90, "they"), SourceMention(95, "she"),
                SourceMention(1, "It")]
    assert silver_classes(mentions) == [("named", True), ("named", False), ("none", False), ("vague", False),
                                        ("vague", True), ("named", True), ("named", True)]
    assert silver_classes([SourceMention(0, "they")]) == [("vague", True)]  # no referent in the text


# ----------------------------------------------------------------------------- agreement
def test_kappa_and_confusion_by_hand() -> None:
    first = {"a": "named", "b": "named", "c": "anonymous", "d": "vague", "only_first": "none"}
    second = {"a": "named", "b": "vague", "c": "anonymous", "d": "vague", "only_second": "named"}
    result = agreement(first, second)
    # p_o = 3/4, p_e = (2·1 + 1·1 + 1·2)/16 = 5/16: kappa = (12/16 - 5/16)/(11/16) = 7/11
    assert result["n"] == 4 and result["kappa"] == pytest.approx(7 / 11)
    # unverified/named: (V, V, U, U) vs (V, U, U, U): p_o = 3/4, p_e = (2·1 + 2·3)/16 = 1/2, kappa = 1/2
    assert result["kappa_binary"] == pytest.approx(0.5)
    assert result["confusion"][("named", "vague")] == 1 and sum(result["confusion"].values()) == 4


# ----------------------------------------------------------------------------- the converter and the layer
@pytest.fixture(scope="module")
def dev_events(shared_data: Path):
    return split_events(shared_data / "polnear-attribution", "dev")


def _labels(path: Path, rows: list[str]) -> Path:
    path.write_text("item_id\tclass\tpronoun\tnote\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.shared_data
def test_converter_writes_ids_offsets_and_classes_only(shared_data: Path, dev_events, tmp_path: Path) -> None:
    items = list(dev_events)
    p1 = _labels(tmp_path / "p1.tsv", [f"{items[0]}\tnamed\tno\tthe Post, a newspaper", f"{items[2]}\tvague\tyes\t"])
    p2 = _labels(tmp_path / "p2.tsv", [f"{items[2]}\tanonymous\tno\t"])
    counts = build(shared_data / "polnear-attribution", "dev", [p1], [p2], tmp_path / "layer", allow_partial=True)
    assert counts == {"events": 2_320, "pass1": 2, "pass2": 1, "overlap": 1}
    rows = read_layer(tmp_path / "layer" / "dev.tsv")
    assert list(rows) == [items[0], items[2]] and rows[items[2]].pronoun
    assert (rows[items[0]].offsets_of, rows[items[0]].offsets) == event_offsets(dev_events[items[0]])
    assert "Post" not in (tmp_path / "layer" / "dev.tsv").read_text()  # notes and text stay out
    with pytest.raises(DataError, match="pass 1 labels 2 of 2320 events"):
        build(shared_data / "polnear-attribution", "dev", [p1], [], tmp_path / "again")
    assert not (tmp_path / "again").exists()


@pytest.mark.shared_data
@pytest.mark.parametrize("row, message", [
    ("nyt_no-such-article_0a1b:E1\tnamed\tno\t", "is not an attribution event of the split"),
    ("{item}\tunnamed\tno\t", "class 'unnamed' is not one of"),
    ("{item}\tnamed\tmaybe\t", "pronoun 'maybe' must be yes or no"),
])
def test_converter_errors_name_file_and_line(shared_data: Path, dev_events, tmp_path: Path, row: str,
                                             message: str) -> None:
    item = next(iter(dev_events))
    path = _labels(tmp_path / "p1.tsv", [f"{item}\tnamed\tno\t", row.format(item=item)])
    with pytest.raises(DataError, match=message) as caught:
        build(shared_data / "polnear-attribution", "dev", [path], [], tmp_path / "layer", allow_partial=True)
    assert caught.value.path == str(path) and caught.value.line == 3


@pytest.mark.shared_data
def test_the_layer_covers_every_dev_event_and_its_second_pass_agrees(dev_events) -> None:
    first, second = read_layer(LAYER / "dev.tsv"), read_layer(LAYER / "dev.pass2.tsv")
    assert list(first) == list(dev_events)
    assert all((r.offsets_of, r.offsets) == event_offsets(dev_events[i]) for i, r in first.items())
    assert len(second) == 510 and set(second) <= set(first)  # 22% of the 2,320 events
    result = agreement({k: r.source_class for k, r in first.items()}, {k: r.source_class for k, r in second.items()})
    # the figures the layer's README reports
    assert (round(result["kappa"], 3), round(result["kappa_binary"], 3)) == (0.960, 0.963)


def test_agreement_command_prints_kappa_and_the_confusion_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert agreement_main(["--no-silver"]) == 0
    out = capsys.readouterr().out
    assert "Pass 1 vs pass 2 (n = 510)" in out and "five classes      0.960" in out
    assert "| pass 1 \\ pass 2 | named | named_unverifiable | anonymous | vague | none | total |" in out
    assert agreement_main(["--no-silver", "--layer-dir", "/nonexistent"]) == 2


@pytest.mark.shared_data
def test_a_layer_row_with_other_offsets_is_an_error_naming_the_layer_line(shared_data: Path) -> None:
    article = next(iter(read_split(shared_data / "polnear-attribution" / "data" / "dev").values()))
    layer = next(iter(article.layers.values()))
    rows = read_layer(LAYER / "dev.tsv")
    item = f"{layer.item_prefix}:{layer.events[0].id}"
    rows[item] = dataclasses.replace(rows[item], offsets="0 1")
    classes = SourcingClasses(LAYER / "dev.tsv", rows, "dev")
    with pytest.raises(DataError, match=f"item '{item}' records source offsets '0 1'") as caught:
        classes.for_split("dev", layer, article.text, True, {})
    assert caught.value.line == rows[item].line
    skipped: dict[str, int] = {}
    assert layer.events[0].id not in classes.for_split("dev", layer, article.text, False, skipped)
    assert skipped == {"events_without_sourcing_class": 1}


# ----------------------------------------------------------------------------- PTC's sourcing techniques
@pytest.mark.shared_data
def test_ptc_sourcing_view_relabels_doubt_and_appeal_to_authority(shared_data: Path) -> None:
    view, plain = load_corpus(corpus_config("ptc_sourcing")), load_corpus(corpus_config("ptc"))
    labels = [s.label for d in view.documents for s in d.spans_of("unverified_source")]
    assert (labels.count("unverified_source/doubt"), labels.count("unverified_source/appeal_to_authority")) == (493, 144)
    assert not any(s.native_label in ("Doubt", "Appeal_to_Authority") for d in view.documents for s in d.spans
                   if s.category == "propaganda")
    assert view.splits == plain.splits  # the same test articles as corpus ptc
