"""The answer an LLM must give for a task: a pydantic model, its JSON Schema, and parsing a reply.

Two shapes cover every task type:

- **quotes** (span tasks): ``{"quotes": [{"quote", "category", "rationale"}]}``, the categories
  being the prompt's sub-categories of the task's span category;
- **items** (unit classification, span labelling): ``{"items": [{"id", "label"}]}``, one entry per
  numbered item of the request, the labels being the task's classes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Sequence

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)
_STRICT = ConfigDict(extra="forbid")


def _choice(values: Sequence[str]) -> Any:
    return Literal[tuple(values)]  # type: ignore[valid-type]


@lru_cache(maxsize=64)
def quotes_model(categories: tuple[str, ...]) -> type[BaseModel]:
    """``{"quotes": [{"quote": str, "category": one of categories, "rationale": str}]}``."""
    quote = create_model("Quote", __config__=_STRICT, quote=(str, ...), category=(_choice(categories), ...),
                         rationale=(str, ...))
    return create_model("QuotesAnswer", __config__=_STRICT, quotes=(list[quote], ...))  # type: ignore[valid-type]


@lru_cache(maxsize=64)
def items_model(labels: tuple[str, ...]) -> type[BaseModel]:
    """``{"items": [{"id": int, "label": one of labels}]}``."""
    item = create_model("Item", __config__=_STRICT, id=(int, ...), label=(_choice(labels), ...))
    return create_model("ItemsAnswer", __config__=_STRICT, items=(list[item], ...))  # type: ignore[valid-type]


@dataclass(frozen=True)
class AnswerSpec:
    """What a reply must look like for one task: ``kind`` (quotes or items) and its allowed values."""

    kind: Literal["quotes", "items"]
    name: str
    values: tuple[str, ...]

    @property
    def model(self) -> type[BaseModel]:
        return quotes_model(self.values) if self.kind == "quotes" else items_model(self.values)

    def json_schema(self) -> dict[str, Any]:
        return self.model.model_json_schema()

    def response_format(self) -> dict[str, Any]:
        """The ``response_format`` of a chat-completions request that enforces the schema."""
        return {"type": "json_schema", "json_schema": {"name": self.name, "schema": self.json_schema(),
                                                       "strict": True}}


class InvalidAnswer(ValueError):
    """A reply that is not JSON or does not match the answer schema (the message says why, briefly)."""


def strip_fence(content: str) -> str:
    """The reply without a Markdown code fence around it (models often add one without a schema)."""
    match = _FENCE.match(content)
    return match.group(1) if match else content.strip()


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(x) for x in error["loc"]) or "reply"
        parts.append(f"{where}: {error['msg']}")
    more = f" (+{exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
    return "; ".join(parts) + more


def parse_answer(spec: AnswerSpec, content: str | None, n_items: int = 0) -> BaseModel:
    """The validated answer in ``content``; :class:`InvalidAnswer` otherwise.

    For items answers, the ids must be exactly 1..``n_items``, each once.
    """
    if content is None or not content.strip():
        raise InvalidAnswer("the reply is empty")
    text = strip_fence(content)
    try:
        json.loads(text)
    except ValueError as exc:
        raise InvalidAnswer(f"the reply is not JSON ({exc})") from None
    try:
        answer = spec.model.model_validate_json(text)
    except ValidationError as exc:
        raise InvalidAnswer(f"the JSON does not match the schema: {_describe(exc)}") from None
    if spec.kind == "items":
        ids = [item.id for item in answer.items]  # type: ignore[attr-defined]
        expected = set(range(1, n_items + 1))
        missing, unknown = sorted(expected - set(ids)), sorted(set(ids) - expected)
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if missing or unknown or repeated:
            details = [f"{name} {values[:10]}" for name, values in
                       (("missing ids", missing), ("unknown ids", unknown), ("repeated ids", repeated)) if values]
            raise InvalidAnswer(f"items must give each id from 1 to {n_items} once: {', '.join(details)}")
    return answer
