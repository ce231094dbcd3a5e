"""The LLM scorer against a scripted chat-completions server running in its own process on 127.0.0.1.

Each test scripts the server's replies (valid answers, invalid JSON, 429s, slow replies, garbage)
and checks what the scorer makes of them on the reference article: spans anchored to its text,
re-asks, per-document failures, retries, the reply cache, the budget and fatal endpoint errors.
The last test runs a real model server, ``transformers serve`` with a tiny random model made on the
spot, whose replies are garbage.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from bench.config import config_dir
from bench.data.corpus import Corpus
from bench.data.schema import Document, Sentence, Span
from bench.errors import ConfigError
from bench.job.steps import build_scorer
from bench.scorers.llm.endpoint import BudgetExhausted, EndpointError
from bench.scorers.llm.scorer import LLMFailureWarning, LLMScorer
from bench.tasks import load_task
from cli_helpers import free_port
from llm_server import ScriptedServer

LOADED = load_task("loaded_language")
ARTICLE = "Vladimir Putin"  # occurs in the reference article only: the rule that answers for it


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    started = ScriptedServer()
    yield started
    started.close()


@functools.lru_cache(maxsize=4)
def _config(prompt: str) -> DictConfig:
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        return compose("config", overrides=["model=llm", "model.model=scripted", f"prompt@model.prompt={prompt}"])


def scorer(server: ScriptedServer | str, tmp_path: Path, *overrides: str, prompt: str = "zero_shot") -> LLMScorer:
    """The llm model config with ``overrides`` (``model.KEY=VALUE``), against the scripted server (or a base URL)."""
    cfg = copy.deepcopy(_config(prompt))
    base_url = server if isinstance(server, str) else server.base_url
    settings = [f"model.base_url={base_url}", f"cache.dir={tmp_path / 'cache'}", *overrides]
    cfg.merge_with(OmegaConf.from_dotlist(settings))
    built = build_scorer(cfg.model)
    assert isinstance(built, LLMScorer)
    return built


def quotes(*items: tuple[str, str]) -> dict[str, Any]:
    return {"json": {"quotes": [{"quote": q, "category": c, "rationale": "scripted"} for q, c in items]}}


GOOD = quotes(("dictator", "name_calling"), ("dictator", "name_calling"), ("Putin's soldiers", "emotive"),
              ("invaders", "name_calling"))


def words(request: dict[str, Any]) -> int:
    """Prompt tokens as the scripted server counts them (whitespace-separated words)."""
    return len("\n".join(m["content"] for m in request["messages"]).split())


def test_valid_structured_answers_become_spans_at_the_article_offsets(server, tmp_path, reference: Corpus) -> None:
    doc = reference.documents[0]
    server.script([{"match": ARTICLE, "replies": [GOOD]}])
    llm = scorer(server, tmp_path)
    llm.fit(reference.documents, LOADED)
    [pred] = llm.predict([doc], LOADED)
    first = doc.text.index("dictator")
    expected = sorted([(first, first + 8), (doc.text.index("dictator", first + 1),) * 2,
                       (doc.text.index("Putin\u2019s soldiers"),) * 2, (doc.text.index("invaders"),) * 2])
    assert [s.start for s in pred.spans] == [e[0] for e in expected]
    assert all(doc.text[s.start : s.end] == s.text for s in pred.spans)
    assert {s.text for s in pred.spans} == {"dictator", "Putin\u2019s soldiers", "invaders"}
    assert {s.label for s in pred.spans} == {"loaded_language/name_calling", "loaded_language/emotive"}
    # a sentence scores 1 where a quote was anchored in it, else 0
    flagged = [any(x.start < s.end and s.start < x.end for x in pred.spans) for s in doc.sentences]
    assert pred.sentence_scores == [float(f) for f in flagged]
    assert pred.notes["llm"]["status"] == "ok" and pred.spans[0].attributes["rationale"] == "scripted"
    [request] = server.requests()
    assert request["model"] == "scripted" and request["temperature"] == 0 and request["seed"] == 13
    schema = request["response_format"]["json_schema"]["schema"]
    assert schema["$defs"]["Quote"]["properties"]["category"]["enum"] == ["name_calling", "emotive", "exaggeration"]
    assert doc.text in request["messages"][-1]["content"] and "logprobs" not in request
    metrics = llm.run_metrics()
    assert metrics["llm.requests"] == 1 and metrics["llm.tokens_in"] == words(request)
    assert metrics["llm.tokens_out"] == len(json.dumps(GOOD["json"]).split())
    assert metrics["llm.failed_documents"] == 0 and metrics["llm.latency_p50_s"] > 0


def test_invalid_json_is_asked_again_once(server, tmp_path, reference: Corpus) -> None:
    server.script([{"match": ARTICLE, "replies": [{"content": "The text contains loaded words."}, GOOD]}])
    llm = scorer(server, tmp_path)
    [pred] = llm.predict(reference.documents, LOADED)
    assert len(pred.spans) == 4 and pred.notes["llm"]["status"] == "ok"
    first, second = server.requests()
    assert second["messages"][:-2] == first["messages"]
    assert second["messages"][-2] == {"role": "assistant", "content": "The text contains loaded words."}
    assert "not JSON" in second["messages"][-1]["content"]
    assert llm.run_metrics()["llm.reasks"] == 1 and llm.run_metrics()["llm.requests"] == 2


def test_invalid_twice_fails_the_document_not_the_run(server, tmp_path, reference: Corpus) -> None:
    server.script([{"match": ARTICLE, "replies": [{"content": "no"}, {"json": {"quotes": "dictator"}}]}])
    llm = scorer(server, tmp_path)
    with pytest.warns(LLMFailureWarning, match="no usable answer for 1 of 1 documents"):
        [pred] = llm.predict(reference.documents, LOADED)
    assert pred.spans == [] and set(pred.sentence_scores) == {0.0}
    notes = pred.notes["llm"]
    assert notes["status"] == "failed" and notes["reason"].startswith("no valid answer after one re-ask")
    assert "quotes" in notes["reason"] and len(notes["invalid_replies"]) == 2
    assert llm.run_metrics()["llm.failed_documents"] == 1
    assert pred.to_dict()["notes"] == {"llm": notes}  # written to predictions.jsonl


def test_a_rate_limit_is_retried_by_the_client(server, tmp_path, reference: Corpus) -> None:
    server.script([{"match": ARTICLE, "replies": [{"status": 429, "headers": {"retry-after-ms": "20"}}, GOOD]}])
    llm = scorer(server, tmp_path)
    [pred] = llm.predict(reference.documents, LOADED)
    assert pred.notes["llm"]["status"] == "ok" and len(pred.spans) == 4
    assert len(server.requests()) == 2 and llm.run_metrics()["llm.requests"] == 1  # one request, one retry


def test_timeouts_are_retried_then_fail_the_document(server, tmp_path, reference: Corpus) -> None:
    slow = {**GOOD, "sleep_s": 1.0}
    server.script([{"match": ARTICLE, "replies": [slow, GOOD]}])
    llm = scorer(server, tmp_path, "model.timeout_s=0.3", "model.max_retries=1")
    [pred] = llm.predict(reference.documents, LOADED)
    assert pred.notes["llm"]["status"] == "ok" and len(server.requests()) == 2
    server.script([{"match": ARTICLE, "replies": [slow]}])  # (the reply above is cached: ask afresh)
    llm = scorer(server, tmp_path, "model.timeout_s=0.3", "model.max_retries=0", "model.response_cache=false")
    with pytest.warns(LLMFailureWarning):
        [pred] = llm.predict(reference.documents, LOADED)
    assert pred.notes["llm"]["reason"] == "request failed: no reply within model.timeout_s=0.3 s (after 0 retries)"


def test_unanchorable_quotes_are_counted_and_dropped(server, tmp_path, reference: Corpus) -> None:
    server.script([{"match": ARTICLE, "replies": [quotes(("evil empire", "name_calling"), ("dictator", "name_calling"),
                                                         ("", "emotive"))]}])
    llm = scorer(server, tmp_path)
    [pred] = llm.predict(reference.documents, LOADED)
    assert [s.text for s in pred.spans] == ["dictator"]
    assert pred.notes["llm"]["unanchored_quotes"] == ["evil empire", ""]
    assert llm.run_metrics()["llm.unanchored_quotes"] == 2


def test_a_rerun_is_answered_from_the_cache_and_errors_are_not_cached(server, tmp_path, reference: Corpus) -> None:
    server.script([{"match": ARTICLE, "replies": [{"content": "no"}, GOOD]}])
    first = scorer(server, tmp_path).predict(reference.documents, LOADED)
    assert len(server.requests()) == 2
    again = scorer(server, tmp_path)
    assert again.predict(reference.documents, LOADED)[0].spans == first[0].spans
    assert len(server.requests()) == 2  # no new request
    assert again.run_metrics()["llm.cache_hits"] == 2 and again.run_metrics()["llm.requests"] == 0
    # another prompt version is another question (the script's last reply, valid, again)
    assert scorer(server, tmp_path, "model.prompt.version=2").predict(reference.documents, LOADED)[0].spans
    assert len(server.requests()) == 3
    # a request that failed is not cached: the next run asks again
    server.script([{"match": ARTICLE, "replies": [{"status": 500}, GOOD]}])
    with pytest.warns(LLMFailureWarning):
        scorer(server, tmp_path, "model.max_retries=0", "model.temperature=0.5").predict(reference.documents, LOADED)
    retried = scorer(server, tmp_path, "model.max_retries=0", "model.temperature=0.5")
    assert retried.predict(reference.documents, LOADED)[0].notes["llm"]["status"] == "ok"
    assert len(server.requests()) == 2


def test_requests_in_flight_are_bounded_by_max_concurrency(server, tmp_path) -> None:
    server.script(default={"json": {"quotes": []}, "sleep_s": 0.25})
    docs = [Document(f"d{i}", f"Text number {i}.", sentences=[Sentence(0, 15)]) for i in range(6)]
    predictions = scorer(server, tmp_path, "model.max_concurrency=2").predict(docs, LOADED)
    assert [p.doc_id for p in predictions] == [d.id for d in docs]  # in document order
    assert len(server.requests()) == 6 and server.max_in_flight() == 2


def test_the_budget_stops_the_run(server, tmp_path, reference: Corpus) -> None:
    server.script([{"match": ARTICLE, "replies": [{"content": "no"}, GOOD]}])
    with pytest.raises(BudgetExhausted, match=r"model.max_requests=1 requests were made"):
        scorer(server, tmp_path, "model.max_requests=1").predict(reference.documents, LOADED)
    assert len(server.requests()) == 1
    server.script([{"match": ARTICLE, "replies": [GOOD]}])
    other = Document("other", "A short text.", sentences=[Sentence(0, 13)])
    llm = scorer(server, tmp_path, "model.max_tokens_total=50", "model.max_concurrency=1")
    with pytest.raises(BudgetExhausted, match=r"tokens used of model.max_tokens_total=50"):
        llm.predict([*reference.documents, other], LOADED)
    assert len(server.requests()) == 1


def test_class_probabilities_come_from_logprobs_where_given(server, tmp_path, reference: Corpus) -> None:
    task = load_task("sentiment")
    doc = reference.documents[0]
    n = len(task.text_examples([doc], labelled_only=False))
    content = json.dumps({"items": [{"id": i + 1, "label": "neutral"} for i in range(n)]})
    head = content.index('"neutral"') + 1
    logprobs = [{"token": content[:head], "logprob": 0.0, "top_logprobs": []},
                {"token": "neu", "logprob": -0.5108, "top_logprobs": [  # ln .6, ln .3, ln .1
                    {"token": "neu", "logprob": -0.5108}, {"token": "neg", "logprob": -1.2040},
                    {"token": "pos", "logprob": -2.3026}]},
                {"token": content[head + 3 :], "logprob": 0.0, "top_logprobs": []}]
    server.script([{"match": ARTICLE, "replies": [{"content": content, "logprobs": logprobs}]}])
    [pred] = scorer(server, tmp_path).predict([doc], task)
    assert len(pred.unit_probs) == n
    assert pred.unit_probs[0] == pytest.approx([0.3, 0.6, 0.1], abs=1e-4)
    assert all(row == [0.0, 1.0, 0.0] for row in pred.unit_probs[1:])  # in a token of probability 1
    [request] = server.requests()
    assert request["logprobs"] is True and request["top_logprobs"] == 5
    assert pred.notes["llm"]["probabilities"] == "logprobs"
    server.script([{"match": ARTICLE, "replies": [{"content": content}]}])  # no log-probabilities: one-hot
    [pred] = scorer(server, tmp_path, "model.seed=1").predict([doc], task)
    assert pred.unit_probs == [[0.0, 1.0, 0.0]] * n and pred.notes["llm"]["probabilities"] == "chosen class"


def test_span_labelling_labels_each_given_span(server, tmp_path) -> None:
    task = load_task("propaganda_techniques")
    text = "They are traitors. Everyone knows it."
    doc = Document("ptc-like", text, sentences=[Sentence(0, 18), Sentence(19, 37)],
                   spans=[Span(9, 17, "propaganda/name_calling", "traitors", native_label="Name_Calling,Labeling"),
                          Span(19, 37, "propaganda/other", text[19:37], native_label="Bandwagon,Reductio_ad_hitlerum")])
    reply = {"json": {"items": [{"id": 2, "label": "Bandwagon,Reductio_ad_hitlerum"},
                                {"id": 1, "label": "Loaded_Language"}]}}
    server.script(default=reply)
    [pred] = scorer(server, tmp_path).predict([doc], task)
    labels = task.class_names
    assert [labels[row.index(1.0)] for row in pred.unit_probs] == ["Loaded_Language",
                                                                   "Bandwagon,Reductio_ad_hitlerum"]
    assert '[1] fragment: "traitors" in: They are traitors.' in server.requests()[0]["messages"][-1]["content"]


def test_garbage_replies_fail_the_document(server, tmp_path, reference: Corpus) -> None:
    server.script(default={"raw": "<html>502 Bad Gateway</html>"})
    with pytest.warns(LLMFailureWarning):
        [pred] = scorer(server, tmp_path).predict(reference.documents, LOADED)
    assert pred.notes["llm"]["reason"].startswith("request failed: the reply is not a chat completion")


def test_an_endpoint_that_cannot_serve_stops_the_run(server, tmp_path, reference: Corpus, monkeypatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    unreachable = scorer(server, tmp_path, "model.max_retries=0", f"model.base_url=http://127.0.0.1:{closed}/v1")
    with pytest.raises(EndpointError, match=f"cannot reach the LLM endpoint at http://127.0.0.1:{closed}/v1"):
        unreachable.predict(reference.documents, LOADED)
    # the key comes from the environment variable named in the config, and never shows in an error
    with pytest.raises(ConfigError, match="the environment variable NEWSBIAS_TEST_KEY is not set"):
        scorer(server, tmp_path, "model.api_key_env=NEWSBIAS_TEST_KEY")
    monkeypatch.setenv("NEWSBIAS_TEST_KEY", "sk-secret-123")
    server.script(default={"status": 401, "message": "Incorrect API key provided: sk-secret-123"})
    llm = scorer(server, tmp_path, "model.api_key_env=NEWSBIAS_TEST_KEY")
    assert "sk-secret" not in json.dumps(llm.params(), default=str)
    with pytest.raises(EndpointError, match=r"refused the request \(401\)") as refused:
        llm.predict(reference.documents, LOADED)
    assert "sk-secret" not in str(refused.value)
    server.script(default={"status": 404})
    with pytest.raises(EndpointError, match="404 Not Found for model 'scripted'"):
        scorer(server, tmp_path).predict(reference.documents, LOADED)


def test_few_shot_turns_come_before_the_document_and_never_from_it(server, tmp_path, reference: Corpus) -> None:
    llm = scorer(server, tmp_path, prompt="few_shot")
    llm.fit(reference.documents, LOADED)
    with pytest.raises(ConfigError, match="few-shot examples were drawn from 1 of the documents scored here"):
        llm.predict(reference.documents, LOADED)
    server.script()
    other = Document("other", "A short text.", sentences=[Sentence(0, 13)])
    llm.predict([other], LOADED)
    messages = server.requests()[0]["messages"]
    assert [m["role"] for m in messages] == ["system"] + ["user", "assistant"] * 6 + ["user"]
    answers = [json.loads(m["content"])["quotes"] for m in messages if m["role"] == "assistant"]
    assert sum(bool(a) for a in answers) == 3  # half the examples have gold spans
    assert "annotated sentences" in messages[0]["content"]


@pytest.fixture(scope="module")
def transformers_server(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """``transformers serve`` on loopback with a tiny randomly initialised Llama (tests/llm_server.py --tiny-model)."""
    folder, port = tmp_path_factory.mktemp("tiny-llm"), free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1")
    process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("llm_server.py")), "--tiny-model",
                                str(folder), "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url, deadline = f"http://127.0.0.1:{port}", time.time() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                raise RuntimeError("transformers serve did not start on loopback") from None
            time.sleep(0.2)
    yield f"{url}/v1", str(folder)
    process.terminate()
    process.wait(timeout=10)


def test_a_real_model_server_answering_garbage_gives_failed_documents(transformers_server, tmp_path) -> None:
    base_url, model = transformers_server
    doc = Document("short", "The minister's thugs stormed the square.", sentences=[Sentence(0, 40)])
    llm = scorer(base_url, tmp_path, f"model.model={model}", "model.max_output_tokens=8",
                 "model.max_retries=0")
    with pytest.warns(LLMFailureWarning):
        [pred] = llm.predict([doc], LOADED)
    notes = pred.notes["llm"]
    assert notes["status"] == "failed" and notes["requests"] == 2
    assert notes["reason"].startswith("no valid answer after one re-ask: the reply is not JSON")
    m = llm.run_metrics()
    assert (m["llm.requests"], m["llm.reasks"], m["llm.failed_documents"]) == (2, 1, 1)
    assert m["llm.tokens_in"] > 0 and 0 < m["llm.tokens_out"] <= 16
