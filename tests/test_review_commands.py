"""Slices, comparison and leaderboard over real runs on BABE."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from bench import analysis
from bench.compare import main as compare_main
from bench.evaluation import evaluate
from bench.leaderboard import main as leaderboard_main
from bench.scorers.lexicon import LoadedLanguageLexiconScorer
from bench.tasks import load_task
from cli_helpers import job_runs, run_bench, tracking_uri

pytestmark = pytest.mark.shared_data
LOADED = load_task("loaded_language")


def test_slices_agree_with_subset_metrics(corpus_loader) -> None:
    docs = corpus_loader("babe").split("test")
    preds = LoadedLanguageLexiconScorer().predict(docs, LOADED)
    evaluation = evaluate(LOADED, docs, preds, ["span", "sentence"])
    rows = analysis.slices(evaluation.table, docs, evaluation.records, ["outlet", "leaning"], False, 20)
    fox = next(r for r in rows if r["slice"] == "outlet" and r["value"] == "Fox News")
    fox_docs = [d for d in docs if d.metadata["outlet"] == "Fox News"]
    direct = evaluate(LOADED, fox_docs, LoadedLanguageLexiconScorer().predict(fox_docs, LOADED), ["span", "sentence"])
    assert fox["documents"] == len(fox_docs)
    assert fox["sentence.f1"] == pytest.approx(direct.metrics["sentence.f1"])
    assert {r["value"] for r in rows if r["slice"] == "leaning"} == {"left", "center", "right"}
    names = analysis.slice_metrics(rows)
    assert "slice.outlet.Fox News.sentence.f1" in names


def test_ptc_technique_recall(corpus_loader) -> None:
    docs = corpus_loader("ptc").split("test")
    preds = LoadedLanguageLexiconScorer().predict(docs, LOADED)
    evaluation = evaluate(LOADED, docs, preds, ["span", "sentence"])
    rows = analysis.slices(evaluation.table, docs, evaluation.records, [], True, 20)
    labels = {r["value"] for r in rows}
    assert labels == {"Loaded_Language", "Name_Calling,Labeling"}
    assert all(0 <= r["overlap_recall"] <= 1 for r in rows)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("two")
    result = run_bench(tmp, "-m", "corpus=babe", "model=lexicon,tfidf_logreg", "subset.train=500",
                       "subset.eval=200", "evaluation.bootstrap_resamples=200")
    assert result.returncode == 0, result.stderr[-3000:]
    client = MlflowClient(tracking_uri(tmp))
    runs = job_runs(client, [e.experiment_id for e in client.search_experiments()])
    return tmp, {r.data.tags["model"]: r for r in runs}


def test_runs_log_intervals_calibration_slices_and_plots(two_runs) -> None:
    tmp, runs = two_runs
    client = MlflowClient(tracking_uri(tmp))
    for run in runs.values():
        m = run.data.metrics
        assert m["sentence.f1.ci_low"] <= m["sentence.f1"] <= m["sentence.f1.ci_high"]
        assert 0 <= m["sentence.ece"] <= 1 and 0 <= m["sentence.brier"] <= 1
        assert any(k.startswith("slice.outlet.") for k in m)
        files = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
        assert {"plots/confusion_matrix.png", "plots/precision_recall.png", "plots/reliability_diagram.png"} <= files
        top = {a.path for a in client.list_artifacts(run.info.run_id)}
        assert {"slices.csv", "report_worst_documents.html", "report_reference.html"} <= top
    assert runs["tfidf_logreg"].data.metrics["train.threshold"] == runs["tfidf_logreg"].data.metrics["threshold"]


def test_compare_command(two_runs, capsys) -> None:
    tmp, runs = two_runs
    compare_main([runs["tfidf_logreg"].info.run_id, runs["lexicon"].info.run_id, "--tracking-uri",
                  tracking_uri(tmp), "--resamples", "200", "--json"])
    result = json.loads(capsys.readouterr().out)
    f1 = next(r for r in result["paired_bootstrap"] if r["metric"] == "sentence.f1")
    assert f1["difference"] > 0.2 and f1["p_value"] < 0.05 and f1["ci_low"] > 0
    # McNemar's discordant counts differ by exactly the accuracy difference times the items
    accuracy = next(r for r in result["paired_bootstrap"] if r["metric"] == "sentence.macro_f1")
    m = result["mcnemar"]
    a_acc = runs["tfidf_logreg"].data.metrics["sentence.accuracy"]
    b_acc = runs["lexicon"].data.metrics["sentence.accuracy"]
    assert m["a_only_correct"] - m["b_only_correct"] == round((a_acc - b_acc) * m["items"])
    assert 0 <= m["p_value"] <= 1 and accuracy["a"] > accuracy["b"]


def test_leaderboard_command(two_runs, tmp_path: Path, capsys) -> None:
    tmp, runs = two_runs
    leaderboard_main(["--corpus", "babe", "--task", "loaded_language", "--tracking-uri", tracking_uri(tmp),
                      "--resamples", "200", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "| 1 | tfidf_logreg |" in out and "| 2 | lexicon |" in out
    board = json.loads((tmp_path / "leaderboard.json").read_text())
    assert [r["group_label"] for r in board["rows"]] == ["A", "B"]
    assert all(r["ci_low"] <= r["value"] <= r["ci_high"] for r in board["rows"])
    html = (tmp_path / "leaderboard.html").read_text()
    assert "tfidf_logreg" in html and "<script" not in html
    client = MlflowClient(tracking_uri(tmp))
    summary = job_runs(client, [e.experiment_id for e in client.search_experiments()],
                                 filter_string="tags.kind = 'leaderboard'")
    assert len(summary) == 1
    assert {a.path for a in client.list_artifacts(summary[0].info.run_id)} == {
        "leaderboard.md", "leaderboard.html", "leaderboard.json"}


def test_compare_accepts_the_short_ids_the_leaderboard_prints(two_runs, capsys) -> None:
    tmp, runs = two_runs
    full_a, full_b = runs["tfidf_logreg"].info.run_id, runs["lexicon"].info.run_id
    compare_main([full_a[:8], full_b[:8], "--tracking-uri", tracking_uri(tmp), "--resamples", "50", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert (result["a"]["run"], result["b"]["run"]) == (full_a, full_b)
    assert (result["a"]["model"], result["b"]["model"]) == ("tfidf_logreg", "lexicon")
