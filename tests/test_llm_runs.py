"""End-to-end runs of the ``llm`` model through the command line (in-process) against real servers on loopback.

A scripted chat-completions server (tests/llm_server.py, its own process) answers for the reference
article and a BABE subset. The figures these runs log are plumbing checks of the harness, not
measurements of any language model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from bench.data.corpus import Corpus
from cli_helpers import Outcome, run_in_process
from llm_server import ScriptedServer

ARTICLE = "Vladimir Putin"
QUOTED = ["dictator", "dictator", "invaders", "Telegram account General CVR", "evil empire"]
FAST = ["progress=false", "evaluation.bootstrap_resamples=20", "report.worst_documents=0"]


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    started = ScriptedServer()
    yield started
    started.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("llm-store")


def run_cli(store: Path, name: str, *args: str) -> Outcome:
    """``python -m bench ARGS`` in this process, tracked in ``store``, files in ``store/name``."""
    return run_in_process(f"tracking.uri=sqlite:///{store / 'mlflow.db'}", f"cache.dir={store / 'cache'}",
                          f"hydra.run.dir={store / name}", *FAST, *args)


def last_run(store: Path, experiment: str) -> Any:
    client = MlflowClient(f"sqlite:///{store / 'mlflow.db'}")
    found = client.get_experiment_by_name(experiment)
    assert found is not None
    return client.search_runs([found.experiment_id], order_by=["attributes.start_time DESC"], max_results=1)[0]


def traces(store: Path, run_id: str) -> list[Any]:
    mlflow.set_tracking_uri(f"sqlite:///{store / 'mlflow.db'}")
    mlflow.flush_trace_async_logging()
    return mlflow.search_traces(run_id=run_id, return_type="list")


def artifact(store: Path, run_id: str, name: str) -> str:
    client = MlflowClient(f"sqlite:///{store / 'mlflow.db'}")
    return Path(client.download_artifacts(run_id, name, str(store / f"download-{run_id}"))).read_text(encoding="utf-8")


def test_a_run_on_the_reference_article_then_a_rerun_without_requests(server, store, reference: Corpus,
                                                                       monkeypatch) -> None:
    monkeypatch.setenv("NEWSBIAS_LLM_KEY", "sk-never-logged")
    doc = reference.documents[0]
    reply = {"json": {"quotes": [{"quote": q, "category": "name_calling", "rationale": "scripted"} for q in QUOTED]}}
    server.script([{"match": ARTICLE, "replies": [reply]}])
    model = ["model=llm", "model.model=scripted", f"model.base_url={server.base_url}",
             "model.api_key_env=NEWSBIAS_LLM_KEY", "model.price_per_million_tokens={input: 1.0, output: 2.0}"]
    first = run_cli(store, "first", *model)
    assert first.code == 0, first.stderr
    run = last_run(store, "newsbias/reference/loaded_language")
    assert run.info.status == "FINISHED"
    m = run.data.metrics
    # four quotes anchored, one not in the article; exact span metrics against its gold
    gold = {(s.start, s.end) for s in doc.spans_of("loaded_language")}
    starts = [doc.text.index("dictator"), doc.text.rindex("dictator"), doc.text.index("invaders"),
              doc.text.index("Telegram account General CVR")]
    hits = sum((s, s + len(q)) in gold for s, q in zip(starts, QUOTED))
    assert 0 < hits < 4  # "Telegram account General CVR" is no loaded language
    assert m["span.exact.precision"] == pytest.approx(hits / 4)
    assert m["span.exact.recall"] == pytest.approx(hits / len(gold))
    assert (m["llm.requests"], m["llm.cache_hits"], m["llm.unanchored_quotes"], m["llm.failed_documents"]) == (
        1, 0, 1, 0)
    [request] = server.requests()
    tokens_in = len("\n".join(x["content"] for x in request["messages"]).split())
    tokens_out = len(json.dumps(reply["json"]).split())
    assert (m["llm.tokens_in"], m["llm.tokens_out"]) == (tokens_in, tokens_out)
    assert m["llm.estimated_cost_usd"] == pytest.approx((tokens_in * 1.0 + tokens_out * 2.0) / 1e6)
    assert run.data.tags["llm.prompt"] == "zero_shot@1.0" and run.data.params["model.prompt.name"] == "zero_shot"
    # one trace per request, in the run's Traces tab, with the document id
    [trace] = traces(store, run.info.run_id)
    assert trace.info.tags["doc_id"] == doc.id
    assert trace.data.spans[0].inputs["messages"][-1]["content"] == request["messages"][-1]["content"]
    prompt = json.loads(artifact(store, run.info.run_id, "llm_prompt.json"))["loaded_language"]
    assert prompt["version"] == "1.0" and prompt["messages_before_the_document"] == request["messages"][:-1]
    record = json.loads(artifact(store, run.info.run_id, "predictions.jsonl").splitlines()[0])
    assert record["notes"]["llm"]["unanchored_quotes"] == ["evil empire"]
    everything = json.dumps({**run.data.params, **run.data.tags}) + artifact(store, run.info.run_id, "config.yaml")
    assert "sk-never-logged" not in everything and "NEWSBIAS_LLM_KEY" in everything

    again = run_cli(store, "again", *model, "resume=false")
    assert again.code == 0, again.stderr
    rerun = last_run(store, "newsbias/reference/loaded_language")
    assert rerun.info.run_id != run.info.run_id and len(server.requests()) == 1  # not one request more
    assert (rerun.data.metrics["llm.requests"], rerun.data.metrics["llm.cache_hits"]) == (0, 1)
    assert rerun.data.metrics["span.exact.precision"] == m["span.exact.precision"]
    assert traces(store, rerun.info.run_id) == []


@pytest.mark.shared_data
def test_a_few_shot_run_on_a_babe_subset(server, store, shared_data) -> None:
    server.script(default={"json": {"items": [{"id": 1, "label": "opinion"}]}})  # BABE: one sentence a document
    outcome = run_cli(store, "babe", "corpus=babe", "task=opinion", "model=llm", "model.model=scripted",
                      f"model.base_url={server.base_url}", "prompt@model.prompt=few_shot", "subset.eval=6",
                      "subset.train=300")
    assert outcome.code == 0, outcome.stderr
    run = last_run(store, "newsbias/babe/opinion")
    requests = server.requests()
    assert run.data.metrics["llm.requests"] == len(requests) == 6
    # the six examples (two of each class) are one exchange before each sentence
    assert all([m["role"] for m in r["messages"]] == ["system", "user", "assistant", "user"] for r in requests)
    examples = json.loads(requests[0]["messages"][2]["content"])["items"]
    assert sorted(e["label"] for e in examples) == ["factual"] * 2 + ["opinion"] * 2 + ["somewhat_opinionated"] * 2
    assert run.data.tags["llm.few_shot_documents.opinion"] == "6"
    items = [i for line in artifact(store, run.info.run_id, "predictions.jsonl").splitlines()
             for i in json.loads(line)["items"]]
    assert run.data.metrics["sentence.accuracy"] == pytest.approx(
        sum(i["gold"] == "opinion" for i in items) / len(items))


def test_a_spent_budget_fails_the_run_cleanly(server, store) -> None:
    server.script([{"match": ARTICLE, "replies": [{"content": "not JSON"}, {"json": {"quotes": []}}]}])
    outcome = run_cli(store, "budget", "task=unverified_sources", "model=llm", "model.model=scripted",
                      f"model.base_url={server.base_url}", "model.max_requests=1")
    assert outcome.code == 2
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 1 and "LLM budget spent: model.max_requests=1 requests were made" in lines[0]
    assert "Traceback" not in outcome.stderr and len(server.requests()) == 1
    run = last_run(store, "newsbias/reference/unverified_sources")
    assert run.info.status == "FAILED" and "LLM budget spent" in run.data.tags["failure_reason"]
    assert not MlflowClient(f"sqlite:///{store / 'mlflow.db'}").list_artifacts(run.info.run_id)
