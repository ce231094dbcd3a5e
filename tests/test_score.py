"""``python -m bench.score``: per-article scores and spans of an archive, resumable, locally and on Ray.

The archive is built in a temporary folder from the public corpora: PolNeAR and PTC articles
(headline and first paragraph, which keeps the suite within its time budget) and BABE sentences
grouped by outlet and topic, three to an article.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from bench.data.schema import Document, Sentence, Span
from bench.data.sentences import split_sentences
from bench.errors import ConfigError, DataError
from bench.predictions import DocumentPrediction
from bench.score.aggregate import article_row, span_rows
from bench.score.cli import main
from bench.score.inputs import read_shard, scan
from bench.score.models import SIGNALS, build, resolve
from bench.score.runner import ScoreSettings, score_archive
from bench.tasks import build_task, unit_probability_output

SHARD = 250


def _lines(path: Path, keep: int) -> str:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return "\n".join(lines[:keep])


def build_archive(data: Path, out: Path) -> int:
    """PolNeAR + PTC articles (headline and first paragraph) and BABE sentences grouped by three."""
    meta = {}
    with (data / "polnear-attribution/data/metadata.tsv").open(encoding="utf-8") as handle:
        meta = {row["filename"]: row for row in csv.DictReader(handle, delimiter="\t")}
    records = []
    for split in ("train", "dev"):
        for path in sorted((data / "polnear-attribution/data" / split / "text").glob("*.txt")):
            row = meta.get(path.stem, {})
            records.append({"id": f"polnear/{path.stem}", "text": _lines(path, 2), "source": "polnear",
                            "outlet": row.get("publisher"), "date": row.get("publication_date")})
    for path in sorted((data / "ptc-semeval2020-task11/train-articles").glob("*.txt")):
        records.append({"id": f"ptc/{path.stem}", "text": _lines(path, 2), "source": "ptc"})
    with (data / "babe/data/final_labels_SG2.csv").open(encoding="utf-8-sig") as handle:
        groups: dict[tuple[str, str], list[str]] = {}
        for row in csv.DictReader(handle, delimiter=";"):
            groups.setdefault((row["outlet"], row["topic"]), []).append(row["text"])
    for (outlet, topic), texts in groups.items():
        for i in range(0, len(texts), 3):
            records.append({"id": f"babe/{outlet}/{topic}/{i // 3}", "text": " ".join(texts[i : i + 3]),
                            "source": "babe", "outlet": outlet, "topic": topic})
    out.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return len(records)


def table(folder: Path, sort: list[str]) -> pa.Table:
    return ds.dataset(folder, format="parquet").to_table().sort_by([(k, "ascending") for k in sort])


def articles(root: Path) -> pa.Table:
    return table(root / "articles", ["id"])


def spans(root: Path) -> pa.Table:
    return table(root / "spans", ["article_id", "signal", "start", "end"])


@pytest.fixture(scope="module")
def archive(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("archive") / "articles.jsonl"
    return path, build_archive(shared_data, path)


@pytest.fixture(scope="module")
def ray_run(archive: tuple[Path, int], tmp_path_factory: pytest.TempPathFactory):
    """The whole archive scored on a local Ray instance with 2 CPUs (2 actors): the clean reference run."""
    saved = os.environ.pop("RAY_ADDRESS", None)
    try:
        out = tmp_path_factory.mktemp("ray") / "scores"
        summary = score_archive(ScoreSettings(archive[0], out, shard_size=SHARD, progress=False, ray=True,
                                              ray_cpus=2))
    finally:
        if saved is not None:
            os.environ["RAY_ADDRESS"] = saved
    return out, summary


# ------------------------------------------------------------------------------------ per-article scores
def _model(signal: str, spec: str):
    choice = resolve(next(s for s in SIGNALS if s.name == signal), spec)
    assert choice is not None
    return build(choice)


def test_article_scores_hand_computed() -> None:
    text = "The dictator lied. Officials reportedly said so. It rained."
    doc = Document("a1", text, sentences=[Sentence(0, 18), Sentence(19, 48), Sentence(49, 59)])
    loaded, sentiment = _model("loaded_language", "lexicon"), _model("sentiment", "vader")
    loaded_pred = DocumentPrediction("a1", spans=[Span(4, 12, "loaded_language/name_calling", score=0.9),
                                                  Span(13, 17, "loaded_language/emotive", score=0.3)],
                                     sentence_scores=[0.93, 0.0, 0.6])
    sentiment_pred = DocumentPrediction("a1", unit_probs=[[0.6, 0.3, 0.1], [0.5, 0.4, 0.1], [0.1, 0.2, 0.7]])
    row = article_row(doc, {"outlet": "X"}, [loaded, sentiment], [loaded_pred, sentiment_pred])
    # 9 words; 2 spans; sentences 1 and 3 reach the lexicon's threshold 0.5
    assert row["n_words"] == 9 and row["n_sentences"] == 3 and row["outlet"] == "X"
    assert row["loaded_language_spans"] == 2
    assert row["loaded_language_per_100_words"] == pytest.approx(200 / 9)
    assert row["loaded_language_flagged_sentences"] == 2
    assert row["loaded_language_sentence_share"] == pytest.approx(2 / 3)
    assert row["loaded_language_max_sentence_score"] == pytest.approx(0.93)
    # argmax: negative, negative, positive; mean probabilities (.4, .3, .3)
    assert row["sentiment_negative_share"] == pytest.approx(2 / 3)
    assert row["sentiment_neutral_share"] == 0.0
    assert row["sentiment_positive_share"] == pytest.approx(1 / 3)
    assert [row[f"sentiment_{c}_probability"] for c in ("negative", "neutral", "positive")] == \
        pytest.approx([0.4, 0.3, 0.3])
    rows = span_rows(loaded, doc, loaded_pred)
    assert [(r["start"], r["end"], r["text"], r["score"]) for r in rows] == [(4, 12, "dictator", 0.9),
                                                                            (13, 17, "lied", 0.3)]
    assert [r["label"] for r in span_rows(sentiment, doc, sentiment_pred)] == \
        ["sentiment/negative", "sentiment/negative", "sentiment/positive"]
    # a sentence classifier marks no spans: densities are null, flagged sentences become the spans
    loaded.output = unit_probability_output(("negative", "positive"))
    row = article_row(doc, {}, [loaded], [DocumentPrediction("a1", sentence_scores=[0.7, 0.2, 0.5])])
    assert row["loaded_language_spans"] is None and row["loaded_language_per_100_words"] is None
    assert row["loaded_language_flagged_sentences"] == 2
    assert [r["text"] for r in span_rows(loaded, doc, DocumentPrediction("a1", sentence_scores=[0.7, 0.2, 0.5]))] \
        == ["The dictator lied.", "It rained."]
    # an article without sentences: shares are null, not zero
    empty = article_row(Document("e", "", sentences=[]), {}, [sentiment], [DocumentPrediction("e")])
    assert empty["sentiment_negative_share"] is None and empty["n_words"] == 0


# ------------------------------------------------------------------------------------ input
@settings(max_examples=40, deadline=None)
@given(texts=st.lists(st.text(alphabet="ab .\n", max_size=12), min_size=1, max_size=30),
       blanks=st.lists(st.booleans(), min_size=30, max_size=30), shard_size=st.integers(1, 7))
def test_shards_cover_every_article_once_in_order(tmp_path_factory: pytest.TempPathFactory, texts: list[str],
                                                  blanks: list[bool], shard_size: int) -> None:
    path = tmp_path_factory.mktemp("jsonl") / "a.jsonl"
    lines = []
    for i, (text, blank) in enumerate(zip(texts, blanks)):
        lines += ["   "] if blank else []
        lines.append(json.dumps({"id": i, "text": text, "k": i % 3 or None}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    plan = scan(path, shard_size=shard_size)
    read = [a for shard in plan.shards for a in read_shard(plan, shard)]
    assert [(a.id, a.text, a.metadata["k"]) for a in read] == [(str(i), t, i % 3 or None) for i, t in enumerate(texts)]
    assert all(0 < s.count <= shard_size for s in plan.shards) and plan.articles == len(texts)


def test_jsonl_with_byte_order_mark_and_windows_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": 1, "text": "One."}\r\n\r\n{"id": 2, "text": "Two.", "n": 5}\r\n')
    plan = scan(path, shard_size=1)
    assert [(a.id, a.text, a.metadata) for s in plan.shards for a in read_shard(plan, s)] == \
        [("1", "One.", {"n": None}), ("2", "Two.", {"n": 5})]
    assert [s.line for s in plan.shards] == [1, 3]
    path.write_bytes(b'{"id": 1, "text": "ok"}\n{"id": 2, "text": "caf\xe9"}\n')  # Latin-1, not UTF-8
    with pytest.raises(DataError, match=r"a.jsonl:2: not UTF-8 \(an invalid byte at column 23\)"):
        scan(path)


BAD_JSONL = [
    ('{"id": 1, "text": "ok"}\n{"id": 2, "text": "broken"\n', "a.jsonl:2: not valid JSON"),
    ('{"id": 1, "text": "ok"}\n\n{"id": 3}\n', "a.jsonl:3: field 'text' is missing"),
    ('{"id": true, "text": "x"}\n', "a.jsonl:1: field 'id' must be a string or an integer, not a boolean"),
    ('{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n', "a.jsonl:2: duplicate article id 'a' (first on line 1)"),
    ('{"id": "a", "text": 3}\n', "a.jsonl:1: field 'text' must be a string, not a number"),
    ('{"id": "a", "text": "Hi.", "sentences": [[0, 9]]}\n', "a.jsonl:1: field 'sentences': sentences #0 [0, 9]"),
    ('["a", "b"]\n', "a.jsonl:1: each line must be a JSON object"),
    ("", "a.jsonl: the input holds no articles"),
]


@pytest.mark.parametrize(("content", "message"), BAD_JSONL)
def test_bad_jsonl_is_one_error_naming_file_line_and_field(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        scan(path)
    assert str(caught.value).startswith(f"{tmp_path / message.partition(' ')[0]} ")
    assert message.partition(" ")[2] in str(caught.value)


def test_bad_parquet_is_one_error_naming_row_and_column(tmp_path: Path) -> None:
    cases = {
        "no_text.parquet": (pa.table({"id": ["a"], "body": ["x"]}), "column 'text' is missing (columns: id, body)"),
        "null.parquet": (pa.table({"id": ["a", "b", "c"], "text": ["x", "y", None]}),
                         "row 2 (0-based): column 'text' is null (article 'c')"),
        "dup.parquet": (pa.table({"id": [7, 8, 7], "text": ["x", "y", "z"]}),
                        "row 2 (0-based): duplicate article id '7'"),
        "typed.parquet": (pa.table({"id": ["a"], "text": [1.5]}), "column 'text' must hold strings, not double"),
    }
    for name, (data, message) in cases.items():
        pq.write_table(data, tmp_path / name)
        with pytest.raises(DataError, match=None) as caught:
            scan(tmp_path / name)
        assert str(caught.value) == f"{tmp_path / name}: {message}"
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match="junk.parquet: not a readable Parquet file"):
        scan(tmp_path / "junk.parquet")


def test_cli_reports_bad_input_and_unknown_model_as_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": 1, "text": "ok"}\n{"id": 2}\n', encoding="utf-8")
    for argv, expected in (([str(path), "-o", str(tmp_path / "out")], "a.jsonl:2: field 'text' is missing"),
                           ([str(path), "-o", str(tmp_path / "out"), "--sentiment", "no_such_model"],
                            "--sentiment no_such_model: unknown model")):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and expected in err[0]
    assert not (tmp_path / "out").exists()


def test_parquet_input_keeps_metadata_types_across_row_groups(archive: tuple[Path, int], ray_run,
                                                              tmp_path: Path) -> None:
    records = [json.loads(line) for line in archive[0].read_text(encoding="utf-8").splitlines()[:40]]
    source = pa.table({"id": [r["id"] for r in records], "text": [r["text"] for r in records],
                       "year": pa.array([2016 + i % 3 for i in range(40)], pa.int16())})
    pq.write_table(source, tmp_path / "a.parquet", row_group_size=7)  # shards cross row groups
    summary = score_archive(ScoreSettings(tmp_path / "a.parquet", tmp_path / "out", shard_size=16, progress=False))
    assert summary.written == [0, 1, 2] and summary.articles == 40
    got = articles(tmp_path / "out")
    assert got.schema.field("year").type == pa.int16()
    assert got.column("year").to_pylist() == [2016 + records.index(r) % 3 for r in
                                              sorted(records, key=lambda r: r["id"])]
    reference = articles(ray_run[0]).filter(pa.compute.is_in(pa.compute.field("id"), pa.array(source["id"])))
    for column in ("n_sentences", "loaded_language_spans", "unverified_sources_sentence_share",
                   "sentiment_negative_share"):
        assert got.column(column).to_pylist() == reference.column(column).to_pylist()


# ------------------------------------------------------------------------------------ runs
def test_ray_run_scores_every_article(archive: tuple[Path, int], ray_run) -> None:
    out, summary = ray_run
    n_shards = -(-archive[1] // SHARD)
    assert summary.written == list(range(n_shards)) and summary.articles == archive[1] > 2000
    assert sorted(p.name for p in (out / "articles").iterdir()) == [f"part-{i:05d}.parquet" for i in range(n_shards)]
    got = articles(out)
    assert got.num_rows == archive[1] and len(set(got.column("id").to_pylist())) == archive[1]
    assert sum(got.column("n_sentences").to_pylist()) == summary.sentences
    assert spans(out).num_rows == summary.spans
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["last_run"]["runner"] == "ray"
    # the baselines find something in news: loaded terms and unverified sources in some articles, all 3 sentiments
    table_ = got.to_pydict()
    assert 0 < sum(x > 0 for x in table_["loaded_language_spans"]) < archive[1]
    assert 0 < sum(x > 0 for x in table_["unverified_sources_spans"]) < archive[1]
    assert set(spans(out).column("signal").to_pylist()) == {"loaded_language", "unverified_sources", "sentiment"}


def test_interrupted_run_resumes_with_only_missing_shards(archive: tuple[Path, int], ray_run, tmp_path: Path) -> None:
    out = tmp_path / "scores"
    settings_ = ScoreSettings(archive[0], out, shard_size=SHARD, progress=False)
    written: list[int] = []

    def stop_after_four(stats) -> None:  # the process dies after its fourth shard
        written.append(stats.shard)
        if len(written) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        score_archive(settings_, on_shard=stop_after_four)
    # what a kill -9 can leave besides: a temporary file, and a shard whose spans part landed but not its articles
    (out / "articles" / ".part-00007.parquet.dead.tmp").write_bytes(b"partial")
    pq.write_table(spans(ray_run[0]).slice(0, 3), out / "spans" / "part-00005.parquet")
    resumed: list[int] = []
    summary = score_archive(settings_, on_shard=lambda stats: resumed.append(stats.shard))
    n_shards = -(-archive[1] // SHARD)
    assert written == [0, 1, 2, 3] and resumed == list(range(4, n_shards)) == summary.written
    assert summary.skipped == 4 and not list((out / "articles").glob(".*.tmp"))
    assert articles(out).equals(articles(ray_run[0])) and spans(out).equals(spans(ray_run[0]))
    # a rerun with other settings does not mix into these scores
    with pytest.raises(ConfigError, match=r"other input or settings \(models.sentiment"):
        score_archive(ScoreSettings(archive[0], out, shard_size=SHARD, progress=False, models={"sentiment": "none"}))
    with pytest.raises(ConfigError, match="shard_size: 250 → 500"):
        score_archive(ScoreSettings(archive[0], out, shard_size=500, progress=False))
    again = score_archive(settings_)
    assert again.written == [] and again.skipped == n_shards


def test_trained_model_folder_scores_sentences(archive: tuple[Path, int], reference, tmp_path: Path) -> None:
    """A model saved by a run (here a TF-IDF classifier fitted on the reference article) is named by its folder."""
    from bench.job.steps import build_scorer

    choice = resolve(SIGNALS[0], "tfidf_logreg")
    assert choice is not None
    scorer = build_scorer(OmegaConf.create(choice.model))
    task = build_task(choice.task)
    scorer.fit(reference.documents, task)
    scorer.save(tmp_path / "model")
    source = tmp_path / "polnear.jsonl"
    source.write_text("".join(archive[0].read_text(encoding="utf-8").splitlines(keepends=True)[:30]), encoding="utf-8")
    out = tmp_path / "out"
    score_archive(ScoreSettings(source, out, shard_size=16, progress=False, metadata=["outlet"],
                                models={"loaded_language": str(tmp_path / "model"), "unverified_sources": "none",
                                        "sentiment": "none"}))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["identity"]["models"]["loaded_language"]["class"] == "SklearnSentenceClassifier"
    assert manifest["model_configs"]["loaded_language"]["load_from"] == str((tmp_path / "model").resolve())
    got = articles(out)
    assert got.column_names[:2] == ["id", "outlet"] and "sentiment_negative_share" not in got.column_names
    assert set(got.column("loaded_language_spans").to_pylist()) == {None}  # a sentence classifier marks no spans
    # the flagged sentences are those whose probability reaches the model's tuned threshold
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    docs = [Document(r["id"], r["text"], sentences=split_sentences(r["text"])) for r in rows]
    expected = {d.id: sum(s >= scorer.threshold for s in p.sentence_scores)
                for d, p in zip(docs, scorer.predict(docs, task))}
    assert dict(zip(got.column("id").to_pylist(), got.column("loaded_language_flagged_sentences").to_pylist())) \
        == expected
    assert spans(out).num_rows == sum(expected.values()) and set(spans(out).column("label").to_pylist()) <= \
        {"loaded_language/sentence"}
    with pytest.raises(ConfigError, match="learns from data; give the folder of a model trained for this task"):
        score_archive(ScoreSettings(source, tmp_path / "out2", models={"loaded_language": "tfidf_logreg"}))
    with pytest.raises(ConfigError, match="no such model folder"):
        resolve(SIGNALS[0], str(tmp_path / "missing_folder"))


def test_ray_pool_takes_one_actor_per_gpu() -> None:
    from bench.score.ray_runner import plan_pool

    base = ScoreSettings(Path("in.jsonl"), Path("out"))
    assert plan_pool({"CPU": 16.0, "GPU": 2.0}, base, pending=10) == (2, 1.0)
    assert plan_pool({"CPU": 16.0, "GPU": 2.0}, ScoreSettings(Path("a"), Path("b"), gpus_per_actor=0.5), 10) == (4, 0.5)
    assert plan_pool({"CPU": 2.0}, base, pending=10) == (2, 0.0)
    assert plan_pool({"CPU": 8.0}, base, pending=3) == (3, 0.0)  # never more actors than shards
    assert plan_pool({"CPU": 8.0, "GPU": 1.0}, base, 10, wants_gpu=False) == (8, 0.0)  # rule-based models only
    with pytest.raises(ConfigError, match="the Ray cluster has 0 GPU"):
        plan_pool({"CPU": 8.0}, ScoreSettings(Path("a"), Path("b"), gpus_per_actor=1), 3)
