"""``scripts/results.py render`` turns a store's runs into the docs' results page: every figure is the run's
own metric, and the page names the commands and the commits it came from."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from mlflow import MlflowClient

from cli_helpers import ROOT, job_runs, run_in_process, tracking_uri

spec = importlib.util.spec_from_file_location("results_script", ROOT / "scripts" / "results.py")
results_script = importlib.util.module_from_spec(spec)
assert spec.loader is not None
spec.loader.exec_module(results_script)


def test_rendered_page_holds_the_runs_figures(tmp_path: Path) -> None:
    for model in ("lexicon", "tfidf_logreg"):
        outcome = run_in_process("corpus=ptc", "task=loaded_language", f"model={model}", "subset.train=40",
                                 "subset.eval=20", "evaluation.bootstrap_resamples=50", "~reference",
                                 f"tracking.uri={tracking_uri(tmp_path)}", f"hydra.run.dir={tmp_path / model}",
                                 f"cache.dir={tmp_path / 'cache'}", "progress=false")
        assert outcome.code in (0, None), outcome.stderr
    out = tmp_path / "generated.md"
    results_script.render(tmp_path / "mlflow.db", out)
    page = out.read_text(encoding="utf-8")
    client = MlflowClient(tracking_uri(tmp_path))
    runs = job_runs(client, [client.get_experiment_by_name("newsbias/ptc/loaded_language").experiment_id])
    assert {r.data.tags["model"] for r in runs} == {"lexicon", "tfidf_logreg"}
    commit = runs[0].data.tags["git_commit"][:10]
    assert f"`{commit}`" in page and "python -m bench -m corpus=babe,mbic,basil,ptc" in page
    for run in runs:
        value = run.data.metrics["sentence.f1"]
        row = next(line for line in page.splitlines() if line.startswith(f"| ptc | loaded_language | ") and
                   f"| {run.data.tags['model']} |" in line)
        assert f"{value:.3f}" in row
        # the leaderboard row of the same model carries the same figure
        board = re.search(rf"^\| \d+ \| {run.data.tags['model']} \| ([0-9.]+) \|", page, flags=re.M)
        assert board is not None and board.group(1) == f"{value:.3f}"
