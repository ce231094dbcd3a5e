"""PolNeAR: brat standoff parsing, counts against SOURCE.md, the gold rule, the validation split,
token-wise agreement and the attribution task (its unnamed-source share and an end-to-end run)."""

from __future__ import annotations

import collections
import math
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from bench.agreement import token_alpha
from bench.config import config_dir, corpora_dir, corpus_config
from bench.data.load import load_corpus
from bench.data.loaders.polnear import Article, parse_ann, read_split
from bench.data.loaders.polnear_sourcing import read_layer
from bench.data.schema import Document, Sentence, Span
from bench.errors import DataError, InSampleWarning
from bench.evaluation import evaluate
from bench.job import check_job, steps
from bench.job.state import RunState
from bench.predictions import DocumentPrediction
from bench.tasks import build_task
from bench.tasks.attribution import Attribution, unnamed_share_measures

POLNEAR = "polnear-attribution"
#: the corpus restricted to its dev split (no train parse, no validation carved from it)
DEV_ONLY = ["~corpus.files.train", "corpus.splits.validation_from_train=null", "corpus.splits.names=[dev]"]


# ----------------------------------------------------------------------------- brat parsing (hand-made files)
def _ann(tmp_path: Path, text: str, ann: str, name: str = "art_0a1b") -> Path:
    (tmp_path / "art.txt").write_text(text, encoding="utf-8")
    path = tmp_path / f"{name}.ann"
    path.write_text(ann, encoding="utf-8")
    return path


def test_discontinuous_offsets_multiline_surfaces_and_no_source_events(tmp_path: Path) -> None:
    text = "Trump said\nthe plan works, aides added. It has faced ridicule online."
    ann = ("T1\tSource 0 5\tTrump\nT2\tCue 6 10\tsaid\nT3\tContent 11 25;33 38\tthe plan works added\n"
           "T4\tAttribution 6 10\tsaid\nE1\tAttribution:T4 Source:T1 Cue:T2 Content:T3\n"
           "T5\tCue 0 25\tTrump said\nthe plan works\n"  # a surface that crosses a line break
           "T6\tAttribution-no-source 53 68\tridicule online\nT7\tContent 40 42\tIt\n"
           "E2\tAttribution-no-source:T6 Cue:T5 Content2:T7\n#1\tAnnotatorNotes T1\ta note\n")
    layer = parse_ann(_ann(tmp_path, text, ann), text)
    assert (layer.article, layer.annotator) == ("art", "0a1b")
    assert layer.entities["T3"].fragments == ((11, 25), (33, 38))
    first, second = layer.events
    assert first.has_source and first.source_fragments == ((0, 5),)
    assert not second.has_source and second.anchor_fragments == ((53, 68),)
    assert [c.id for c in second.contents] == ["T7"] and second.cues[0].surface(text) == text[:25]
    assert layer.entities["T6"].line == 8  # line numbers count the continuation line


@pytest.mark.parametrize("line, message", [
    ("T1\tSource 0 99\tx", "offsets 0-99 outside the article"),
    ("T1\tSpeaker 0 5\tTrump", "unknown type 'Speaker'"),
    ("T1\tSource 0 5\tTramp", "surface text 'Tramp' differs"),
    ("T1\tSource 0;5\tTrump", "are not 'start end' pairs"),
    ("E1\tAttribution:T9 Source:T1", "names T9, which is not defined"),
    ("R1\tRel Arg1:T1 Arg2:T1", "not used by PolNeAR"),
    ("Trump said", "not a brat annotation line"),
])
def test_malformed_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    text = "Trump said so."
    path = _ann(tmp_path, text, f"T8\tCue 6 10\tsaid\n{line}\n")
    with pytest.raises(DataError, match=message) as caught:
        parse_ann(path, text)
    assert caught.value.path == str(path) and caught.value.line == 2


def _write_split(root: Path, split: str, articles: dict[str, str]) -> None:
    (root / "data" / split / "text").mkdir(parents=True)
    (root / "data" / split / "attributions").mkdir(parents=True)
    for name, annotators in articles.items():
        text = f"Headline {name}\nSmith said the rally was big. Critics said it was small."
        (root / "data" / split / "text" / f"{name}.txt").write_text(text, encoding="utf-8")
        for annotator in annotators.split("|"):
            start = text.index("Smith")
            ann = (f"T1\tSource {start} {start + 5}\tSmith\nT2\tCue {start + 6} {start + 10}\tsaid\n"
                   f"T3\tAttribution {start + 6} {start + 10}\tsaid\nE1\tAttribution:T3 Source:T1 Cue:T2\n")
            if annotator == "ffff":  # a second annotator who also marked the critics
                start = text.index("Critics")
                ann += (f"T4\tSource {start} {start + 7}\tCritics\nT5\tCue {start + 8} {start + 12}\tsaid\n"
                        f"T6\tAttribution {start + 8} {start + 12}\tsaid\nE2\tAttribution:T6 Source:T4 Cue:T5\n")
            (root / "data" / split / "attributions" / f"{name}_{annotator}.ann").write_text(ann, encoding="utf-8")


def _tiny_polnear(root: Path) -> None:
    publishers = ["nyt", "politico", "breitbart", "wash-post"]
    train = {f"{p}_a{i}": "0a1b" for p in publishers for i in range(10)}
    train["nyt_a0"] = "0a1b|ffff"
    _write_split(root, "train", train)
    _write_split(root, "dev", {"nyt_d0": "0a1b", "politico_d0": "0a1b"})
    rows = ["\t".join(("compartment", "filename", "level", "annotators", "publisher", "publication_date", "author",
                       "title", "trump_count", "clinton_count", "credit", "wire"))]
    for split, names in (("train", train), ("dev", ["nyt_d0", "politico_d0"])):
        for name in names:
            listed = "ffff|0a1b" if name == "nyt_a0" else "0a1b"
            rows.append("\t".join((split, name, "1", listed, name.split("_")[0], "2016-09-01", "None", name, "0", "0",
                                   "None", "AP" if name.endswith("1") else "None")))
    (root / "data" / "metadata.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def _tiny_config(root: Path):
    cfg = corpus_config("polnear")
    cfg.root = str(root)
    cfg.files.sourcing = None
    return cfg


def test_gold_annotator_validation_split_and_metadata_on_a_hand_made_tree(tmp_path: Path) -> None:
    _tiny_polnear(tmp_path)
    corpus = load_corpus(_tiny_config(tmp_path))
    assert {k: len(v) for k, v in corpus.splits.items()} == {"train": 36, "dev": 2, "validation": 4}
    # validation is 10% of train, grouped by article, stratified by publisher: one article of each
    validation = corpus.split("validation")
    assert sorted(d.metadata["publisher"] for d in validation) == ["breitbart", "nyt", "politico", "wash-post"]
    doc = next(d for d in corpus.documents if d.id == "nyt_a0")
    # the first annotator listed in metadata.tsv is gold, the other layer is not scored
    assert doc.metadata["gold_annotator"] == "ffff" and doc.metadata["annotators"] == "0a1b|ffff"
    assert [s.text for s in doc.spans_of("attribution_source")] == ["Smith", "Critics"]
    wire = {d.id: d.metadata["wire"] for d in corpus.documents}
    assert wire["nyt_a1"] == "AP" and wire["nyt_a2"] == "none"
    # silver unverified_sources on train: "Critics" is a vague source
    assert [(s.text, s.label) for s in doc.spans_of("unverified_source")] == [("Critics", "unverified_source/weasel")]
    assert not any(d.spans_of("unverified_source") for d in corpus.split("dev"))


def test_an_article_without_metadata_row_is_an_error_naming_the_file(tmp_path: Path) -> None:
    _tiny_polnear(tmp_path)
    meta = tmp_path / "data" / "metadata.tsv"
    meta.write_text("\n".join(l for l in meta.read_text().splitlines() if "nyt_d0" not in l) + "\n")
    with pytest.raises(DataError, match="has no row in the metadata") as caught:
        load_corpus(_tiny_config(tmp_path))
    assert caught.value.path == str(meta)


# ----------------------------------------------------------------------------- the real corpus
@pytest.fixture(scope="module")
def brat(shared_data: Path) -> dict[str, dict[str, Article]]:
    """Every article of train and dev with all its annotators' layers (no sentence splitting)."""
    return {split: read_split(shared_data / POLNEAR / "data" / split) for split in ("train", "dev")}


@pytest.mark.shared_data
def test_counts_match_source_md(brat) -> None:
    expected = {"train": (840, 919, 22_501), "dev": (84, 94, 2_320)}
    for split, (texts, files, events) in expected.items():
        articles = brat[split]
        layers = [layer for a in articles.values() for layer in a.layers.values()]
        assert (len(articles), len(layers), sum(len(layer.events) for layer in layers)) == (texts, files, events)
        if split == "train":
            types = collections.Counter(e.type for layer in layers for e in layer.entities.values())
            assert types == {"Source": 19_561, "Cue": 22_468, "Content": 22_525, "Attribution": 20_844,
                             "Attribution-no-source": 1_622, "Discuss": 663, "Discard": 368}
            empty = articles["breitbart_2016-04-19_clinton-wins-democratic-presiden"].layers["4b22"]
            assert empty.events == [] and empty.entities == {}


@pytest.fixture(scope="module")
def dev_corpus(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    cfg = corpus_config("polnear")
    del cfg.files["train"]
    cfg.splits.validation_from_train = None
    cfg.splits.names = ["dev"]
    # the cache the end-to-end runs below read too (same settings: parsed once)
    return load_corpus(cfg, cache_dir=tmp_path_factory.getbasetemp() / "polnear_run_cache")


@pytest.mark.shared_data
def test_dev_documents_hold_the_gold_layer_with_metadata(dev_corpus, brat) -> None:
    assert len(dev_corpus.split("dev")) == 84
    articles = brat["dev"]
    shared = [a for a in articles.values() if len(a.layers) > 1]
    assert len(shared) == 2 and all(dev_corpus[a.id].metadata["gold_annotator"] == "4b22" for a in shared)
    for doc in dev_corpus.documents:
        gold = articles[doc.id].layers[doc.metadata["gold_annotator"]]
        anchors = {s.attributes["event"] for s in doc.spans_of("attribution")}
        assert anchors == {e.id for e in gold.events}
        assert doc.metadata["publisher"] and doc.metadata["date"].startswith("2016-")
    events = sum(len({s.attributes["event"] for s in d.spans_of("attribution")}) for d in dev_corpus.documents)
    no_source = sum(len({s.attributes["event"] for s in d.spans if s.label == "attribution/no_source"})
                    for d in dev_corpus.documents)
    assert (events, no_source) == (2_193, 127)
    # a discontinuous content span is one span per fragment: "… ,” Caddell said. “…"
    caddell = dev_corpus["breitbart_2016-09-15_pat-caddell-democrat-voters-worr"]
    contents = [(s.start, s.end) for s in caddell.spans_of("attribution_content")]
    assert (315, 448) in contents and (463, 553) in contents


@pytest.mark.shared_data
def test_dev_unverified_sources_gold_comes_from_the_sourcing_layer(dev_corpus, brat) -> None:
    rows = read_layer(corpora_dir() / "polnear_sourcing" / "dev.tsv")
    articles = brat["dev"]
    sub = {"anonymous": "anonymous_source", "vague": "weasel", "named_unverifiable": "unverifiable_channel",
           "none": "unattributed_report"}
    for doc in dev_corpus.documents:
        layer = articles[doc.id].layers[doc.metadata["gold_annotator"]]
        expected = set()
        for event in layer.events:
            row = rows[f"{layer.item_prefix}:{event.id}"]
            if row.source_class != "named":  # unverified: anonymous, vague, named_unverifiable, none
                fragments = event.source_fragments if event.has_source else event.anchor_fragments
                expected |= {(s, e, f"unverified_source/{sub[row.source_class]}") for s, e in fragments}
        assert {(s.start, s.end, s.label) for s in doc.spans_of("unverified_source")} == expected
        assert doc.metadata["sourcing"] == "annotated" or not layer.events
    labels = collections.Counter(s.native_label for d in dev_corpus.documents for s in d.spans_of("unverified_source"))
    assert set(labels) == {"anonymous", "vague", "named_unverifiable", "none"}


@pytest.mark.shared_data
def test_token_alpha_on_the_multi_annotated_articles(brat) -> None:
    result = token_alpha([*brat["train"].values(), *brat["dev"].values()])
    assert (result.articles, result.annotators, result.tokens) == (18, 6, 20_251)
    # the paper: 0.754 token-wise; ours over source, cue and content tokens
    assert result.alpha["source, cue, content"] == pytest.approx(0.773, abs=5e-4)
    assert result.alpha["source, cue"] == pytest.approx(0.744, abs=5e-4)


def test_token_alpha_matches_a_hand_computed_value(tmp_path: Path) -> None:
    text = "w1 w2 w3 w4"
    a = _layer(tmp_path, text, "T1\tSource 0 5\tw1 w2\n", "aaaa")
    b = _layer(tmp_path, text, "T1\tSource 0 2\tw1\n", "bbbb")
    article = Article("art", "x", text, tmp_path / "art.txt", {"aaaa": a, "bbbb": b})
    # tokens (source, source), (source, none), (none, none), (none, none): nominal alpha = 1 - (2/8)/(30/56) = 8/15
    assert token_alpha([article]).alpha["source"] == pytest.approx(8 / 15)
    same = token_alpha([Article("art", "x", text, tmp_path, {"aaaa": a, "bbbb": a})]).alpha
    assert same["source"] == 1.0 and math.isnan(same["cue"])  # no cue anywhere: alpha is undefined


def _layer(tmp_path: Path, text: str, entities: str, annotator: str):
    ann = entities + "T9\tAttribution 9 11\tw4\nE1\tAttribution:T9 Source:T1\n"
    return parse_ann(_ann(tmp_path, text, ann, f"art_{annotator}"), text)


# ----------------------------------------------------------------------------- the attribution task
def _doc() -> Document:
    text = "Trump said yes. It was mocked online. Aides said no. Nobody knows."
    spans = [Span(0, 5, "attribution_source/source", "Trump"), Span(6, 10, "attribution/sourced", "said",
                                                                   attributes={"event": "E1"}),
             Span(23, 29, "attribution/no_source", "mocked", attributes={"event": "E2"}),
             Span(38, 43, "attribution_source/source", "Aides"), Span(44, 48, "attribution/sourced", "said",
                                                                     attributes={"event": "E3"})]
    return Document("d", text, spans=spans, sentences=[Sentence(0, 15), Sentence(16, 37), Sentence(38, 51),
                                                       Sentence(52, 65)])


def test_unnamed_share_gold_and_predicted_by_hand() -> None:
    task = Attribution("attribution", role="source", proxy_categories=["unverified_source"])
    doc = _doc()
    # the model finds "Trump" and, as a proxy span, "online" (in the no-source attribution's sentence)
    pred = DocumentPrediction("d", [Span(0, 5, "attribution_source/predicted", "Trump", 0.9),
                                    Span(30, 36, "unverified_source/hedge", "online", 0.8)], [0.9, 0.8, 0.1, 0.0])
    record = task.record(doc, pred, True)
    assert [r["predicted_sourced"] for r in record["attributions"]] == [True, True, False]
    assert task.document_statistics(record) == pytest.approx((1 / 3, 1 / 3))
    result = evaluate(task, [doc], [pred], ["span", "sentence", "document"])
    assert result.metrics["document.unnamed_share_gold"] == pytest.approx(1 / 3)
    assert result.metrics["document.unnamed_share_mae"] == pytest.approx(0.0)
    assert result.metrics["span.exact.recall"] == pytest.approx(0.5)  # Trump found, Aides missed
    measures = unnamed_share_measures(np.array([[0.0, 0.5], [0.5, 0.5], [math.nan, math.nan], [1.0, 0.75]]))
    assert measures["unnamed_share_mae"] == pytest.approx(0.25) and measures["unnamed_share_gold"] == 0.5
    cue = Attribution("attribution", role="cue")
    assert cue.category == "attribution_cue" and cue.document_statistics(cue.record(doc, pred, True)) == ()


def test_attribution_config_builds_and_rejects_an_unknown_role() -> None:
    cfg = OmegaConf.load(config_dir() / "task" / "attribution.yaml")
    task = build_task(cfg)
    assert isinstance(task, Attribution) and task.category == "attribution_source"
    for role in ("cue", "content"):
        other = build_task(OmegaConf.load(config_dir() / "task" / f"attribution_{role}.yaml"))
        assert (other.name, other.category) == (f"attribution_{role}", f"attribution_{role}")
    with pytest.raises(Exception, match="task.role=speaker: must be one of source, cue, content"):
        build_task({**OmegaConf.to_container(cfg), "role": "speaker"})


def _state(tmp_path: Path, cache: Path, *overrides: str) -> RunState:
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=["corpus=polnear", *DEV_ONLY, f"cache.dir={cache}", "progress=false",
                                           "evaluation.bootstrap_resamples=20", "~reference", *overrides])
    (tmp_path / "scratch").mkdir()
    return RunState(cfg, check_job(cfg), tmp_path / "out", tmp_path / "scratch")


@pytest.mark.shared_data
@pytest.mark.parametrize("task, model", [("attribution", "unverified_patterns"), ("unverified_sources", "crf")])
def test_runs_end_to_end_on_dev(dev_corpus, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, task: str,
                                model: str) -> None:
    extra = ["train_split=dev", "subset.train=8", "++model.max_iterations=5"] if model == "crf" else []
    state = _state(tmp_path, tmp_path_factory.getbasetemp() / "polnear_run_cache", f"task={task}", f"model={model}",
                   "subset.eval=12", *extra)
    for step in (steps.resolve_levels, steps.build_model, steps.load_data):
        step(state)
    if model == "crf":
        with pytest.warns(InSampleWarning):  # trained on dev documents: in-sample, and the run says so
            steps.fit_model(state)
        assert state.tags["in_sample"] == "true"
    else:
        steps.fit_model(state)
    for step in (steps.predict, steps.evaluate_predictions, steps.analyse):
        step(state)
    assert state.eval_split == "dev" and len(state.eval_docs) == 12
    assert {"span.overlap.f1", "sentence.f1", "document.density_mae"} <= set(state.metrics)
    if task == "attribution":
        assert 0 < state.metrics["document.unnamed_share_gold"] < 0.3
        assert "document.unnamed_share_mae.ci_low" in state.metrics
    else:
        assert all(d.metadata["sourcing"] == "annotated" for d in state.eval_docs)
