"""``python -m bench.transfer``: a tiny train-on-each, evaluate-on-every run, and bad input refused before tracking."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from bench.errors import ConfigError
from bench.transfer import markdown, run_transfer

@pytest.mark.shared_data
def test_a_tiny_transfer_matrix_is_logged_to_one_run(tmp_path: Path, shared_data) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    overrides = [f"tracking.uri={uri}", f"cache.dir={tmp_path / 'cache'}", "subset.train=40", "subset.eval=20",
                 "evaluation.bootstrap_resamples=30"]
    result = run_transfer("loaded_language", "majority", ["lim2020", "wnc"], overrides, out=tmp_path / "out")
    cells = {(c.train, c.eval): c for c in result["cells"]}
    assert set(cells) == {("lim2020", "lim2020"), ("lim2020", "wnc"), ("wnc", "lim2020"), ("wnc", "wnc")}
    # the majority model predicts one class everywhere: its macro-F1 is at most 0.5 on two classes
    assert all(c.metrics["sentence.macro_f1"] <= 0.5 for c in cells.values())
    # WNC's test split: 20 sampled pairs, each a biased and a neutralised sentence, half positive
    wnc = cells[("lim2020", "wnc")]
    assert wnc.n_documents == 20 and wnc.split == "test"
    run = MlflowClient(uri).get_run(result["run_id"])
    assert run.info.status == "FINISHED" and run.data.tags["corpora"] == "lim2020,wnc"
    assert run.data.metrics["transfer.lim2020.wnc.sentence.macro_f1"] == pytest.approx(
        wnc.metrics["sentence.macro_f1"])
    assert "transfer.cross_corpus_mean.sentence.f1" in run.data.metrics
    artifacts = {a.path for a in MlflowClient(uri).list_artifacts(result["run_id"])}
    assert {"transfer_matrix.csv", "transfer_matrix.md", "heatmap_sentence_f1.png"} <= artifacts
    assert (tmp_path / "out" / "heatmap_sentence_macro_f1.png").read_bytes()[:4] == b"\x89PNG"
    table = markdown(result["cells"], ["lim2020", "wnc"], "sentence.f1")
    assert table.splitlines()[0] == "| train ↓ / eval → | lim2020 | wnc |" and len(table.splitlines()) == 4
    assert cells[("wnc", "lim2020")].text_overlap == 0.0 and "†" not in table


def test_text_overlap_marks_cells_evaluated_on_training_sentences() -> None:
    from bench.behaviour.base import sentence_document
    from bench.transfer import Cell, sentence_texts, text_overlap

    train = set(sentence_texts([sentence_document("The regime  crushed dissent.")]))
    docs = [sentence_document("the regime crushed dissent."), sentence_document("Talks resume.")]
    assert text_overlap(train, docs) == 0.5
    cells = [Cell(a, b, "test", 2, {"sentence.f1": 0.5}, 0.5 if a != b else 0.0) for a in "xy" for b in "xy"]
    table = markdown(cells, ["x", "y"], "sentence.f1")
    assert table.count("†") == 3 and table.splitlines()[-1] == "† evaluated sentences also in the training data: " \
        "x → y 50%, y → x 50%"


@pytest.mark.shared_data
def test_a_corpus_without_gold_for_the_task_fails_before_any_run(tmp_path: Path, shared_data) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with pytest.raises(ConfigError, match="corpus 'newsmtsc' has no gold labels for task 'loaded_language'"):
        run_transfer("loaded_language", "majority", ["wnc", "newsmtsc"], [f"tracking.uri={uri}"])
    with pytest.raises(ConfigError, match="give at least two different corpora"):
        run_transfer("loaded_language", "majority", ["wnc"], [f"tracking.uri={uri}"])
    assert not (tmp_path / "mlflow.db").exists()
    mlflow.set_tracking_uri(None)
