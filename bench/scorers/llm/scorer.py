"""The ``llm`` scorer: any OpenAI-compatible chat endpoint as a model for every task type."""

from __future__ import annotations

import json
import os
import threading
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar, Mapping, Sequence

from bench.cache import document_fingerprint
from bench.data.schema import Document
from bench.errors import BenchWarning, ConfigError
from bench.predictions import DocumentPrediction
from bench.scorers.base import Scorer
from bench.scorers.llm import tracing
from bench.scorers.llm.answers import InvalidAnswer, parse_answer
from bench.scorers.llm.cache import ReplyCache, reply_key
from bench.scorers.llm.endpoint import Endpoint, RequestFailed
from bench.scorers.llm.examples import FewShot, item_examples, span_examples
from bench.scorers.llm.plan import RESPONSE_FORMATS, Settings, TaskPlan
from bench.scorers.llm.prompts import task_prompt, validate_prompt
from bench.tasks import Task, span_label_output, span_output, unit_probability_output

#: a placeholder key for endpoints that need none (local servers); the client insists on one
NO_KEY = "not-needed"


class LLMFailureWarning(BenchWarning):
    """Some documents got no usable answer from the LLM."""


def price_pair(price: float | Mapping[str, float] | None) -> tuple[float, float] | None:
    """(input, output) US dollars per million tokens from a number or ``{input, output}``."""
    if price is None:
        return None
    try:
        if isinstance(price, Mapping):
            return float(price["input"]), float(price["output"])
        return float(price), float(price)
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"model.price_per_million_tokens={price}: must be a number or {{input: ..., output: ...}}"
                          ) from None


class LLMScorer(Scorer):
    """Asks a chat model for each document's answer in the task's JSON schema.

    Span tasks get verbatim quotes with a category and a rationale, anchored to offsets in code;
    unit classification and span labelling get one label per numbered unit, with probabilities
    from log-probabilities where the endpoint returns them (else the chosen class scores 1). A
    reply that is not valid is asked again once, then the document is recorded as failed.
    """

    outputs = (span_output(), unit_probability_output(), span_label_output())
    #: settings that say where and how fast to ask, not what the answer is
    not_params: ClassVar[frozenset[str]] = frozenset({
        "base_url", "api_key_env", "timeout_s", "max_retries", "max_concurrency", "max_requests",
        "max_tokens_total", "price_per_million_tokens", "response_cache", "cache_dir", "trace"})
    #: replies are cached by the scorer itself (keyed on the request); failed documents are asked again
    caches_predictions = False

    def __init__(self, model: str, prompt: Mapping[str, Any], base_url: str = "http://127.0.0.1:8000/v1",
                 api_key_env: str | None = None, temperature: float = 0.0, seed: int = 13,
                 max_output_tokens: int | None = 1024, response_format: str = "json_schema", logprobs: bool = True,
                 top_logprobs: int = 5, timeout_s: float = 60.0, max_retries: int = 3, max_concurrency: int = 4,
                 max_requests: int | None = None, max_tokens_total: int | None = None,
                 price_per_million_tokens: float | Mapping[str, float] | None = None, response_cache: bool = True,
                 cache_dir: str | None = None, trace: bool = True, threshold: float = 0.5) -> None:
        validate_prompt(prompt)
        if response_format not in RESPONSE_FORMATS:
            raise ConfigError(f"model.response_format={response_format}: must be one of {', '.join(RESPONSE_FORMATS)}")
        if max_concurrency < 1:
            raise ConfigError(f"model.max_concurrency={max_concurrency}: must be an integer ≥ 1")
        self.model, self.prompt, self.base_url, self.api_key_env = model, dict(prompt), base_url, api_key_env
        self.temperature, self.seed, self.max_output_tokens = temperature, seed, max_output_tokens
        self.response_format, self.logprobs, self.top_logprobs = response_format, logprobs, top_logprobs
        self.timeout_s, self.max_retries, self.max_concurrency = timeout_s, max_retries, max_concurrency
        self.max_requests, self.max_tokens_total = max_requests, max_tokens_total
        self.price_per_million_tokens = price_pair(price_per_million_tokens)
        self.response_cache, self.cache_dir, self.trace, self.threshold = response_cache, cache_dir, trace, threshold
        self.endpoint = Endpoint(base_url=base_url, model=model, api_key=self._api_key(), timeout_s=timeout_s,
                                 max_retries=max_retries, max_requests=max_requests, max_tokens_total=max_tokens_total)
        self.cache = ReplyCache(Path(cache_dir) / "replies" if response_cache and cache_dir else None)
        self._shots: dict[str, FewShot] = {}
        self._plans: dict[str, TaskPlan] = {}
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def _api_key(self) -> str:
        """The key from the environment variable ``api_key_env`` names (never stored in params or logs)."""
        if not self.api_key_env:
            return NO_KEY
        key = os.environ.get(self.api_key_env, "")
        if not key.strip():
            raise ConfigError(f"model.api_key_env={self.api_key_env}: the environment variable {self.api_key_env} "
                              "is not set (it must hold the endpoint's API key; null for a server that needs none)")
        return key

    def content_params(self) -> dict[str, Any]:
        """The few-shot examples drawn from the training data (they change what is asked)."""
        return {"examples": {name: [[e.values, e.answer] for e in shot.examples]
                             for name, shot in sorted(self._shots.items())}}

    # ------------------------------------------------------------------ setup
    def _examples(self) -> Mapping[str, Any]:
        return self.prompt.get("examples") or {}

    def fit(self, train: Sequence[Document], task: Task, validation: Sequence[Document] | None = None) -> "LLMScorer":
        """Draw the prompt's few-shot examples (seeded) from ``train``; nothing is learnt."""
        output, _ = self.check_task(task)
        count = int(self._examples().get("count", 0))
        if count > 0:
            prompt = task_prompt(self.prompt, task)
            max_chars = int(self._examples().get("max_chars", 600))
            self._shots[task.name] = (
                span_examples(train, task, prompt, count, float(self._examples().get("positive_share", 0.5)),
                              max_chars, self.seed)
                if output.kind == "spans" else item_examples(train, task, count, max_chars, self.seed))
        self._plans.pop(task.name, None)
        return self

    def plan(self, task: Task) -> TaskPlan:
        if task.name not in self._plans:
            output, _ = self.check_task(task)
            if int(self._examples().get("count", 0)) > 0 and task.name not in self._shots:
                raise ConfigError(f"prompt {self.prompt['name']!r} is few-shot: its examples are drawn by fit() from "
                                  "the training documents first")
            settings = Settings(self.temperature, self.seed, self.max_output_tokens, self.response_format,
                                self.logprobs, self.top_logprobs)
            self._plans[task.name] = TaskPlan(task, output.kind, task_prompt(self.prompt, task),
                                              self._shots.get(task.name, FewShot()), settings)
        return self._plans[task.name]

    # ------------------------------------------------------------------ prediction
    def predict_document(self, doc: Document, task: Task) -> DocumentPrediction:
        return self.predict([doc], task)[0]

    def predict(self, documents: Sequence[Document], task: Task) -> list[DocumentPrediction]:
        plan = self.plan(task)
        leaked = sorted({d.id for d in documents} & plan.shot.doc_ids)
        if leaked:
            raise ConfigError(f"few-shot examples were drawn from {len(leaked)} of the documents scored here "
                              f"({', '.join(leaked[:3])}): choose a corpus@train_corpus, or a corpus with a train "
                              "split, whose documents are not evaluated")
        trace = self.trace and tracing.tracing_active()
        failed_before, requests_before = self.counts["failed_documents"], self.endpoint.usage.requests
        pool = ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="llm")
        try:
            futures = [pool.submit(self._document, doc, plan, trace) for doc in documents]
            try:
                predictions = [f.result() for f in futures]
            except BaseException as exc:
                for future in futures:
                    future.cancel()
                # a spent budget or a dead endpoint: let requests in flight finish (their replies are cached);
                # Ctrl-C or SIGTERM: do not wait for them
                pool.shutdown(wait=isinstance(exc, Exception), cancel_futures=True)
                raise
            pool.shutdown()
        finally:
            if trace and self.endpoint.usage.requests > requests_before:
                tracing.flush()  # the traces are in the store when the run ends
        failed = self.counts["failed_documents"] - failed_before
        if failed:
            first = next(p for p in predictions if p.notes.get("llm", {}).get("status") == "failed")
            warnings.warn(f"the LLM gave no usable answer for {failed} of {len(documents)} documents (first: "
                          f"{first.doc_id}: {first.notes['llm']['reason']}); they count as unanswered "
                          "(llm.failed_documents, reasons in predictions.jsonl)", LLMFailureWarning, stacklevel=2)
        return predictions

    def _count(self, **counts: int) -> None:
        with self._lock:
            self.counts.update(counts)

    def _reply(self, request: dict[str, Any], doc: Document, plan: TaskPlan, attempt: int, trace: bool,
               notes: dict[str, Any]) -> dict[str, Any]:
        # the key: the endpoint's model, the prompt's version and the whole request (prompt text, schema,
        # temperature, seed, the document's text) and the document's fingerprint
        prompt = f"{plan.prompt.prompt_name}@{plan.prompt.version}"
        key = reply_key({"model": self.model, "prompt": prompt, **request}, document_fingerprint(doc))
        cached = self.cache.get(key)
        if cached is not None:
            self._count(cache_hits=1)
            notes["cache_hits"] = notes.get("cache_hits", 0) + 1
            return cached
        notes["requests"] = notes.get("requests", 0) + 1
        reply = self.endpoint.complete(request, trace=trace,
                                       tags={"doc_id": doc.id, "task": plan.task.name, "attempt": str(attempt),
                                             "prompt": prompt})
        self.cache.put(key, reply)
        return reply

    def _document(self, doc: Document, plan: TaskPlan, trace: bool) -> DocumentPrediction:
        notes: dict[str, Any] = {"status": "ok"}
        self._count(documents=1)
        if not plan.has_input(doc):
            notes["status"] = "nothing to ask"
            return plan.empty(doc, notes)
        messages, error = plan.messages(doc), ""
        for attempt in (1, 2):
            try:
                reply = self._reply(plan.request(messages), doc, plan, attempt, trace, notes)
            except RequestFailed as exc:
                self._count(failed_documents=1)
                return plan.failed(doc, f"request failed: {exc}", notes)
            try:
                answer = parse_answer(plan.spec, reply.get("content"), len(plan.units(doc)))
            except InvalidAnswer as exc:
                cut = " (cut off at model.max_output_tokens)" if reply.get("finish_reason") == "length" else ""
                error = f"{exc}{cut}"
                notes.setdefault("invalid_replies", []).append(error)
                if attempt == 1:
                    self._count(reasks=1)
                    messages = [*messages, {"role": "assistant", "content": reply.get("content") or ""},
                                {"role": "user", "content": plan.prompt.render_reask(error)}]
                continue
            prediction = plan.prediction(doc, answer, reply, notes)
            self._count(unanchored_quotes=len(notes.get("unanchored_quotes", [])))
            return prediction
        self._count(failed_documents=1)
        return plan.failed(doc, f"no valid answer after one re-ask: {error}", notes)

    # ------------------------------------------------------------------ what the run logs
    def run_metrics(self) -> dict[str, float]:
        usage = self.endpoint.usage
        metrics = {f"llm.{name}": float(self.counts[name]) for name in
                   ("documents", "failed_documents", "unanchored_quotes", "reasks", "cache_hits")}
        metrics.update({"llm.requests": float(usage.requests), "llm.failed_requests": float(usage.failed_requests),
                        "llm.tokens_in": float(usage.tokens_in), "llm.tokens_out": float(usage.tokens_out)})
        metrics.update({f"llm.{k}": v for k, v in usage.latency_percentiles().items()})
        if self.price_per_million_tokens is not None:
            price_in, price_out = self.price_per_million_tokens
            metrics["llm.estimated_cost_usd"] = (usage.tokens_in * price_in + usage.tokens_out * price_out) / 1e6
        return metrics

    def run_tags(self) -> dict[str, str]:
        return {"llm.endpoint_model": self.model, "llm.prompt": f"{self.prompt['name']}@{self.prompt['version']}",
                "llm.response_format": self.response_format,
                **{f"llm.prompt_digest.{name}": plan.prompt.digest() for name, plan in self._plans.items()},
                **{f"llm.few_shot_documents.{name}": str(len(shot.doc_ids)) for name, shot in self._shots.items()}}

    def run_artifacts(self) -> dict[str, str]:
        return {"llm_prompt.json": json.dumps({name: plan.resolved() for name, plan in self._plans.items()},
                                              indent=2, ensure_ascii=False)}
