"""In a real browser: the MLflow UI shows a run, its metrics, plots and HTML report; reports escape text.

Needs Debian's chromium (``.ci/run`` installs it) and the Playwright Python package; outside CI the
test skips when chromium is missing, in CI that is a failure.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from cli_helpers import job_runs, run_bench, start_mlflow_server
from conftest import require_data

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
HOSTILE = ("Officials called him <script>window.__pwned = 1</script> a dictator, "
           "reportedly according to a Telegram channel <img src=x onerror=\"window.__pwned = 2\">.")


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if require_data():
            pytest.fail("chromium is not installed; CI installs it in .ci/run")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server")
    try:
        process, url = start_mlflow_server(tmp)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield url, tmp
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def runs(server):
    url, tmp = server
    hostile = tmp / "hostile"
    hostile.mkdir()
    start = HOSTILE.index("dictator")
    (hostile / "documents.jsonl").write_text(json.dumps({
        "id": "hostile-1", "text": HOSTILE,
        "spans": [{"start": start, "end": start + 8, "label": "loaded_language/name_calling", "text": "dictator"}],
    }) + "\n", encoding="utf-8")
    for overrides in (("task=loaded_language",),
                      ("task=loaded_language", "corpus=jsonl", "corpus.name=hostile", f"corpus.root={hostile}")):
        result = run_bench(tmp, f"tracking.uri={url}", *overrides, "evaluation.bootstrap_resamples=100")
        assert result.returncode == 0, result.stderr[-3000:]
    client = MlflowClient(url)
    experiment = client.get_experiment_by_name("newsbias/reference/loaded_language")
    reference_run, = job_runs(client, [experiment.experiment_id])
    hostile_run, = job_runs(client, [client.get_experiment_by_name("newsbias/hostile/loaded_language")
                                       .experiment_id])
    return url, experiment.experiment_id, reference_run, hostile_run, tmp


def _artifact_frame(page, url: str, experiment_id: str, run_id: str, path: str):
    page.goto(f"{url}/#/experiments/{experiment_id}/runs/{run_id}/artifacts/{path}")
    deadline = time.time() + 60
    while time.time() < deadline:
        for frame in page.frames:
            if frame.url.startswith("blob:") and frame.locator("mark.hl").count():
                return frame
        page.wait_for_timeout(500)
    raise AssertionError(f"the MLflow UI did not render {path} in its artifact viewer")


def test_mlflow_ui_shows_run_metrics_and_report(browser, runs) -> None:
    url, experiment_id, reference_run, _, _ = runs
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/#/experiments/{experiment_id}/runs/{reference_run.info.run_id}")
    page.get_by_text("reference-loaded_language-lexicon").first.wait_for(timeout=60_000)
    page.get_by_text("span.overlap.f1", exact=True).first.wait_for(timeout=60_000)
    body = page.inner_text("body")
    assert "sentence.f1.ci_low" in body and "document.gold_density" in body

    frame = _artifact_frame(page, url, experiment_id, reference_run.info.run_id, "report_reference.html")
    gold = frame.locator(".article.gold mark.hl-loaded_language")
    assert gold.count() == 12  # the adjudicated gold (corpora/reference/ADJUDICATION.md)
    assert "dictator" in gold.all_inner_texts()
    background = frame.locator(".article.predicted mark.hl").first.evaluate(
        "el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    assert "globaldefensecorp.com" in frame.inner_text("body")
    page.close()

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/#/experiments/{experiment_id}/runs/{reference_run.info.run_id}/artifacts/plots/"
              "reliability_diagram.png")
    widths: list[int] = []
    deadline = time.time() + 60
    while time.time() < deadline and not any(w > 100 for w in widths):
        page.wait_for_timeout(500)
        widths = page.evaluate("Array.from(document.querySelectorAll(\"img[src^='blob:']\")).map(i => i.naturalWidth)")
    assert any(w > 100 for w in widths), "the reliability diagram PNG did not render in the MLflow UI"
    page.close()


def test_report_shows_script_as_text(browser, runs) -> None:
    url, _, _, hostile_run, tmp = runs
    client = MlflowClient(url)
    path = Path(client.download_artifacts(hostile_run.info.run_id, "report_worst_documents.html", str(tmp)))
    raw = path.read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in raw and "&lt;script&gt;" in raw
    page = browser.new_page()
    page.goto(path.as_uri())
    assert page.evaluate("window.__pwned === undefined")
    article = page.locator(".article.gold").first.inner_text()
    assert "<script>window.__pwned = 1</script>" in article
    assert "onerror=" in article
    assert page.locator(".article.gold mark.hl").first.inner_text() == "dictator"
    assert page.locator("script").count() == 0 and page.locator("img").count() == 0
    page.close()

    # and inside the MLflow UI as well
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    frame = _artifact_frame(page, url, hostile_run.info.experiment_id, hostile_run.info.run_id,
                            "report_worst_documents.html")
    assert "<script>window.__pwned = 1</script>" in frame.inner_text("body")
    assert frame.evaluate("window.__pwned === undefined")
    page.close()
