"""Every public corpus runs end to end with a baseline scorer into MLflow."""

from __future__ import annotations

import pytest
from mlflow.tracking import MlflowClient

from cli_helpers import job_runs, run_bench, tracking_uri

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]


@pytest.mark.parametrize("corpora, task", [
    ("ptc,babe,mbic,basil", "loaded_language"),
    ("conll2010,szeged", "unverified_sources"),
    ("newsmtsc", "sentiment"),
])
def test_corpus_task_sweep(shared_data, tmp_path, corpora: str, task: str) -> None:
    # 200 resamples keep the sweep quick; the intervals' definition is tested in test_review_metrics.py
    result = run_bench(tmp_path, "-m", f"corpus={corpora}", f"task={task}", "evaluation.bootstrap_resamples=200")
    assert result.returncode == 0, result.stderr[-3000:]
    client = MlflowClient(tracking_uri(tmp_path))
    runs = job_runs(client, [e.experiment_id for e in client.search_experiments()])
    assert {r.data.tags["corpus"] for r in runs} == set(corpora.split(","))
    for run in runs:
        assert run.info.status == "FINISHED"
        metrics = run.data.metrics
        assert "sentence.macro_f1" in metrics and metrics["n_documents"] > 50
        assert run.data.tags["eval_split"] in ("test", "devtest_rw")
        if run.data.tags["corpus"] == "babe":
            assert int(run.data.tags["corpus_note.unlocated_biased_words"]) > 0
            assert "span.overlap.f1" in metrics


def test_lenient_skips_are_tagged(shared_data, tmp_path) -> None:
    bad = tmp_path / "conll"
    bad.mkdir()
    source = (shared_data / "conll2010-wiki-uncertainty-pattern-sample/uncertainty-conll2010.csv").read_text(
        encoding="utf-8-sig").splitlines()
    (bad / "uncertainty-conll2010.csv").write_text("\n".join(source[:200] + ['"7","broken label"']) + "\n")
    strict = run_bench(tmp_path, "corpus=conll2010", "task=unverified_sources", f"corpus.root={bad}")
    assert strict.returncode == 2 and "uncertainty-conll2010.csv:201" in strict.stderr
    lenient = run_bench(tmp_path, "corpus=conll2010", "task=unverified_sources", f"corpus.root={bad}",
                        "corpus.strict=false")
    assert lenient.returncode == 0, lenient.stderr[-2000:]
    client = MlflowClient(tracking_uri(tmp_path))
    runs = job_runs(client, [e.experiment_id for e in client.search_experiments()],
                              filter_string="attributes.status = 'FINISHED'")
    assert runs[0].data.tags["skipped.malformed_rows"] == "1"


def test_unsupported_corpus_task_pair(shared_data, tmp_path) -> None:
    result = run_bench(tmp_path, "corpus=babe", "task=sentiment")
    assert result.returncode == 2
    assert "corpus 'babe' has no gold labels for task 'sentiment'; its tasks: loaded_language, opinion" in result.stderr


@pytest.mark.parametrize("corpus, task, metric", [
    ("babe", "opinion", "sentence.macro_f1"),
    ("ptc", "propaganda_techniques", "span_label.micro_f1"),
])
def test_tasks_added_by_yaml_run_end_to_end(shared_data, tmp_path, corpus: str, task: str, metric: str) -> None:
    """The opinion and technique-classification tasks with the majority baseline, TF-IDF and MiniLM (tiny)."""
    tiny = ("subset.train=120", "subset.validation=30", "subset.eval=40", "evaluation.bootstrap_resamples=100")
    result = run_bench(tmp_path, "-m", f"corpus={corpus}", f"task={task}", "model=majority,tfidf_logreg", *tiny)
    assert result.returncode == 0, result.stderr[-3000:]
    result = run_bench(tmp_path, f"corpus={corpus}", f"task={task}", "model=minilm", *tiny, "model.epochs=1",
                       "model.max_steps_per_epoch=4", "model.max_length=64", "model.device=cpu")
    assert result.returncode == 0, result.stderr[-3000:]
    client = MlflowClient(tracking_uri(tmp_path))
    runs = {r.data.tags["model"]: r for r in job_runs(client, [e.experiment_id for e in client.search_experiments()])}
    assert set(runs) == {"majority", "tfidf_logreg", "minilm"}
    for run in runs.values():
        assert run.info.status == "FINISHED" and metric in run.data.metrics and f"{metric}.ci_low" in run.data.metrics
    # the majority baseline's decision is one class everywhere: its micro-F1 is that class's share
    majority = runs["majority"].data.metrics
    assert majority[metric.replace("macro_f1", "accuracy").replace("micro_f1", "accuracy")] > 0.2
    assert runs["tfidf_logreg"].data.metrics[metric] >= majority[metric] - 0.05
