"""End to end: ``python -m bench`` on the reference article into MLflow, and its errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from cli_helpers import job_runs, ROOT, run_bench, tracking_uri

pytestmark = pytest.mark.slow
#: a custom JSON-lines corpus read from the reference article's folder
CUSTOM = ("corpus=jsonl", "corpus.name=custom", f"corpus.root={ROOT / 'corpora' / 'reference'}")


def _runs(tmp_path: Path):
    client = MlflowClient(tracking_uri(tmp_path))
    experiments = client.search_experiments()
    return client, job_runs(client, [e.experiment_id for e in experiments])


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """``python -m bench`` with no arguments, in a fresh folder: the README's main job."""
    tmp = tmp_path_factory.mktemp("sweep")
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    result = subprocess.run([sys.executable, "-m", "bench"], cwd=tmp, env=env, capture_output=True, text=True,
                            timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return tmp, result


def test_one_run_per_task_with_metrics_tags_and_artifacts(sweep) -> None:
    tmp, _ = sweep
    client, runs = _runs(tmp)
    by_task = {r.data.tags["task"]: r for r in runs}
    assert set(by_task) == {"loaded_language", "unverified_sources", "sentiment"}
    for task, run in by_task.items():
        assert run.info.status == "FINISHED"
        assert run.data.tags["corpus"] == "reference"
        assert len(run.data.tags["git_commit"]) in (7, 40) or run.data.tags["git_commit"] == "unknown"
        assert run.data.tags["package_version"]
        assert len(run.data.tags["corpus_fingerprint"]) == 16
        assert run.data.params["task.name"] == task
        assert run.data.params["seed"] == "13"
        artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
        assert {"config.yaml", "metrics.json", "predictions.jsonl", "report_reference.html"} <= artifacts
    loaded = by_task["loaded_language"].data.metrics
    for name in ("span.exact.f1", "span.overlap.f1", "span.overlap.precision", "sentence.f1", "sentence.macro_f1",
                 "sentence.roc_auc", "sentence.pr_auc", "document.gold_density", "document.predicted_density"):
        assert name in loaded
    # the lexicon finds 5 of the 12 gold loaded-language spans exactly and predicts 6 (adjudicated gold,
    # corpora/reference/ADJUDICATION.md: "invading" is no longer gold)
    assert loaded["span.exact.precision"] == pytest.approx(5 / 6)
    assert loaded["span.exact.recall"] == pytest.approx(5 / 12)
    assert "sentence.macro_f1" in by_task["sentiment"].data.metrics
    # all three runs compare within one experiment per corpus and task
    names = {client.get_experiment(r.info.experiment_id).name for r in runs}
    assert names == {"newsbias/reference/loaded_language", "newsbias/reference/unverified_sources",
                     "newsbias/reference/sentiment"}


def test_console_summary_and_reference_findings(sweep) -> None:
    _, result = sweep
    assert "Sweep summary (3 runs" in result.stdout
    assert "'dictator'" in result.stdout and "loaded_language/name_calling" in result.stdout
    assert "'Telegram account General CVR'" in result.stdout


def test_report_highlights_gold_and_predictions(sweep) -> None:
    tmp, _ = sweep
    client, runs = _runs(tmp)
    run = next(r for r in runs if r.data.tags["task"] == "unverified_sources")
    html = Path(client.download_artifacts(run.info.run_id, "report_reference.html", str(tmp))).read_text()
    assert 'class="article gold"' in html and 'class="article predicted"' in html
    assert '<mark class="hl hl-unverified_source hl-unverified_source-unverifiable_channel" ' \
           'title="unverified_source/unverifiable_channel (0.85)">Telegram account General CVR</mark>' in html
    # "claimed" after a named source is a false alarm of the pattern scorer: outlined as unmatched
    assert 'unmatched" title="unverified_source/hedge (0.35)">claimed</mark>' in html
    # the quote marks sit outside the gold highlight (the revised patterns no longer find this phrase)
    assert re.search(r'“<mark class="hl hl-unverified_source hl-unverified_source-anonymous_source[^"]*" '
                     r'title="unverified_source/anonymous_source">retired and active intelligence agents</mark>”', html)
    assert "globaldefensecorp.com" in html


def test_predictions_file_is_per_document_json(sweep) -> None:
    tmp, _ = sweep
    files = list((tmp / "multirun").glob("*/*/*/artifacts/predictions.jsonl"))
    assert len(files) == 3
    record = json.loads(files[0].read_text().splitlines()[0])
    assert record["doc_id"] == "globaldefensecorp-2022-putin-evacuation"
    assert record["items"]


def test_unknown_model_is_one_clear_line(tmp_path: Path) -> None:
    result = run_bench(tmp_path, "model=nope")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Could not find 'model/nope'" in lines[0] and "lexicon" in lines[0]


@pytest.mark.parametrize("override, needle", [
    ("task=nope", "Could not find 'task/nope'"),
    ("corpus=nope", "Could not find 'corpus/nope'"),
    ("no_such_key=1", "Could not override 'no_such_key'"),
])
def test_bad_names_and_overrides(tmp_path: Path, override: str, needle: str) -> None:
    result = run_bench(tmp_path, override)
    assert result.returncode == 2
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_missing_corpus_file_marks_run_failed(tmp_path: Path) -> None:
    result = run_bench(tmp_path, *CUSTOM, "corpus.files.documents=missing.jsonl")
    assert result.returncode == 2
    assert "missing.jsonl: corpus file not found" in result.stderr and "Traceback" not in result.stderr
    _, runs = _runs(tmp_path)
    assert len(runs) == 1 and runs[0].info.status == "FAILED"
    assert "corpus file not found" in runs[0].data.tags["failure_reason"]
    assert not (tmp_path / "out" / "artifacts").exists()


def test_malformed_annotation_names_document_and_span(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "documents.jsonl").write_text(json.dumps({
        "id": "a1", "text": "The dictator left.",
        "spans": [{"start": 4, "end": 12, "label": "loaded_language/name_calling", "text": "tyrant"}]}) + "\n")
    result = run_bench(tmp_path, "corpus=jsonl", "corpus.name=bad", f"corpus.root={bad}")
    assert result.returncode == 2
    assert "document 'a1'" in result.stderr and "span [4:12]" in result.stderr
    _, runs = _runs(tmp_path)
    assert runs[0].info.status == "FAILED" and "tyrant" in runs[0].data.tags["failure_reason"]


def test_verbose_shows_traceback(tmp_path: Path) -> None:
    result = run_bench(tmp_path, *CUSTOM, "corpus.files.documents=missing.jsonl", "verbose=true")
    assert result.returncode == 2 and "Traceback" in result.stderr


def test_model_task_mismatch(tmp_path: Path) -> None:
    result = run_bench(tmp_path, "task=sentiment", "model=lexicon")
    assert result.returncode == 2 and "does not support task 'sentiment'" in result.stderr
