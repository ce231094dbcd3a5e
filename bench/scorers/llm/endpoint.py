"""An OpenAI-compatible chat-completions endpoint: requests, retries, budget, usage and errors.

Retries with exponential backoff on 429, 5xx, timeouts and dropped connections are the ``openai``
client's own (``max_retries``; a server's ``Retry-After`` is honoured). What is left after them is
either a failure of the one request (:class:`RequestFailed`: the document is recorded as failed)
or of the endpoint as a whole (:class:`EndpointError`: unreachable, key refused, unknown model),
which stops the run. The budget (``max_requests``, ``max_tokens_total``) is checked before each
request; once spent, :class:`BudgetExhausted` stops the run.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import openai

from bench.errors import BenchError
from bench.scorers.llm.tracing import chat_span, record_reply


class EndpointError(BenchError):
    """The endpoint cannot serve any request (unreachable, key refused, unknown model or path)."""


class BudgetExhausted(BenchError):
    """``model.max_requests`` or ``model.max_tokens_total`` is spent."""


class RequestFailed(Exception):
    """One request got no usable reply after the client's retries (the message says why)."""


@dataclass
class Usage:
    """What the endpoint was asked and answered during the run (requests made, not cache hits)."""

    requests: int = 0
    failed_requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out

    def latency_percentiles(self) -> dict[str, float]:
        if not self.latencies:
            return {}
        values = np.percentile(np.asarray(self.latencies), [50, 90, 99])
        return {f"latency_p{q}_s": float(v) for q, v in zip((50, 90, 99), values)}


def _reply(response: Any) -> dict[str, Any]:
    """The parts of a ChatCompletion the scorer uses, as plain JSON (what the cache stores)."""
    if not hasattr(response, "choices"):
        raise RequestFailed(f"the reply is not a chat completion: {_short(str(response), 80)!r}")
    if not response.choices:
        raise RequestFailed("the endpoint answered without any choices")
    choice = response.choices[0]
    usage = getattr(response, "usage", None)
    logprobs = None
    content_logprobs = getattr(getattr(choice, "logprobs", None), "content", None)
    if content_logprobs:
        logprobs = [{"token": t.token, "logprob": float(t.logprob),
                     "top_logprobs": [{"token": a.token, "logprob": float(a.logprob)} for a in t.top_logprobs or []]}
                    for t in content_logprobs]
    message = getattr(choice, "message", None)
    return {"content": getattr(message, "content", None), "finish_reason": getattr(choice, "finish_reason", None),
            "model": getattr(response, "model", None), "logprobs": logprobs,
            "usage": {"prompt_tokens": int(getattr(usage, "prompt_tokens", 0) or 0),
                      "completion_tokens": int(getattr(usage, "completion_tokens", 0) or 0)}}


class Endpoint:
    """A chat-completions endpoint with a request and token budget; thread-safe."""

    def __init__(self, *, base_url: str, model: str, api_key: str, timeout_s: float, max_retries: int,
                 max_requests: int | None, max_tokens_total: int | None) -> None:
        self.base_url, self.model = base_url, model
        self.timeout_s, self.max_retries = timeout_s, max_retries
        self.max_requests, self.max_tokens_total = max_requests, max_tokens_total
        for noisy in ("httpx", "httpx2", "openai"):  # one INFO line per request under Hydra's logging
            logging.getLogger(noisy).setLevel(logging.WARNING)
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=max_retries)
        self.usage = Usage()
        self._lock = threading.Lock()

    def _reserve(self) -> None:
        """Count one request against the budget, or stop: the budget is spent."""
        with self._lock:
            if self.max_requests is not None and self.usage.requests >= self.max_requests:
                raise BudgetExhausted(f"LLM budget spent: model.max_requests={self.max_requests} requests were made "
                                      f"({self.usage.tokens} tokens); raise model.max_requests to go on (replies so "
                                      "far are cached, so a rerun resumes from them)")
            if self.max_tokens_total is not None and self.usage.tokens >= self.max_tokens_total:
                raise BudgetExhausted(f"LLM budget spent: {self.usage.tokens} tokens used of "
                                      f"model.max_tokens_total={self.max_tokens_total} ({self.usage.requests} "
                                      "requests); raise it to go on (replies so far are cached, so a rerun resumes "
                                      "from them)")
            self.usage.requests += 1

    def _account(self, reply: dict[str, Any] | None, seconds: float) -> None:
        with self._lock:
            self.usage.latencies.append(seconds)
            if reply is None:
                self.usage.failed_requests += 1
                return
            self.usage.tokens_in += reply["usage"]["prompt_tokens"]
            self.usage.tokens_out += reply["usage"]["completion_tokens"]

    def complete(self, request: dict[str, Any], *, trace: bool, tags: dict[str, str]) -> dict[str, Any]:
        """Send one request (``model`` is added); the reply as plain JSON."""
        self._reserve()
        started = time.perf_counter()
        reply = None
        try:
            with chat_span(trace, {"model": self.model, **request}, tags) as span:
                reply = _reply(self._create(request))
                record_reply(span, reply)
            return reply
        finally:
            self._account(reply, time.perf_counter() - started)

    def _create(self, request: dict[str, Any]) -> Any:
        where = f"the LLM endpoint at {self.base_url}"
        try:
            return self.client.chat.completions.create(model=self.model, **request)
        except openai.APITimeoutError:
            raise RequestFailed(f"no reply within model.timeout_s={self.timeout_s} s "
                                f"(after {self.max_retries} retries)") from None
        except openai.APIConnectionError as exc:
            raise EndpointError(f"cannot reach {where} ({exc}; after {self.max_retries} retries): is the server "
                                "running, and is model.base_url right?") from None
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise EndpointError(f"{where} refused the request ({exc.status_code}): check the API key in the "
                                "environment variable that model.api_key_env names") from None
        except openai.NotFoundError:
            raise EndpointError(f"{where} answered 404 Not Found for model {self.model!r}: check model.base_url "
                                "(an OpenAI-compatible server's usually ends in /v1) and model.model") from None
        except openai.RateLimitError:
            raise RequestFailed(f"rate limited (429) after {self.max_retries} retries") from None
        except openai.APIStatusError as exc:
            raise RequestFailed(f"the endpoint answered {exc.status_code}: {_short(exc.message)}") from None
        except openai.OpenAIError as exc:  # a reply the client could not read (not JSON, wrong shape)
            raise RequestFailed(f"unusable reply ({type(exc).__name__}: {_short(str(exc))})") from None


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
