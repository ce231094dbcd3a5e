"""One MLflow trace per chat-completion request, linked to the active run (its Traces tab).

The trace's root span is a CHAT_MODEL span holding the request's messages and settings as inputs,
the reply and its token usage as outputs, and the document id and task as attributes and trace
tags. Nothing is traced when no MLflow run is active (a scorer used on its own).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Iterator

import mlflow
from mlflow.entities import SpanType
from mlflow.tracing.constant import SpanAttributeKey


#: its "flushing the queue before program exit" INFO line would end every command's output
logging.getLogger("mlflow.tracing.export.async_export_queue").setLevel(logging.WARNING)


class _NoSpan:
    def set_outputs(self, outputs: Any) -> None: ...

    def set_attribute(self, key: str, value: Any) -> None: ...


def tracing_active() -> bool:
    """Whether calls are traced: an MLflow run is active in this process."""
    return mlflow.active_run() is not None


@contextlib.contextmanager
def chat_span(enabled: bool, inputs: dict[str, Any], tags: dict[str, str]) -> Iterator[Any]:
    """A span around one request (a no-op when ``enabled`` is false); an exception inside marks it failed."""
    if not enabled:
        yield _NoSpan()
        return
    with mlflow.start_span(name="chat.completions", span_type=SpanType.CHAT_MODEL, attributes=dict(tags)) as span:
        span.set_inputs(inputs)
        mlflow.update_current_trace(tags=tags)
        yield span


def record_reply(span: Any, reply: dict[str, Any]) -> None:
    """The reply's text, finish reason and token usage on the span."""
    usage = reply.get("usage") or {}
    span.set_outputs({"content": reply.get("content"), "finish_reason": reply.get("finish_reason"),
                      "model": reply.get("model")})
    span.set_attribute(SpanAttributeKey.CHAT_USAGE, {
        "input_tokens": int(usage.get("prompt_tokens") or 0), "output_tokens": int(usage.get("completion_tokens") or 0),
        "total_tokens": int(usage.get("prompt_tokens") or 0) + int(usage.get("completion_tokens") or 0)})


def flush() -> None:
    """Write traces still queued (asynchronous trace logging) before the run ends."""
    with contextlib.suppress(Exception):  # a tracing backend problem must not fail the job
        mlflow.flush_trace_async_logging()
