"""Prompts as config: ``conf/prompt/<name>.yaml``, selected with ``prompt@model.prompt=<name>``.

A prompt has a ``version``, few-shot ``examples`` settings, a ``reask`` template (sent after a
reply that could not be used), a ``schema_instruction`` template (the JSON Schema in the system
message, for endpoints without ``response_format``) and, per task, ``system`` and ``user``
templates: under ``tasks.<task name>``, else ``task_types.<task class>`` (any task of that type).
Span tasks also name their sub-``categories`` (name → gloss) and map public corpora's gold
sub-labels to them for few-shot answers (``example_categories``); classification tasks may gloss
their ``classes``. Templates are Jinja2, rendered in a sandbox with undefined names as errors.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from bench.errors import ConfigError
from bench.tasks import Task

_ENV = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)
TEMPLATE_KEYS = ("system", "user")


def _template(text: Any, key: str) -> Any:
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{key}: must be a non-empty template string")
    try:
        return _ENV.from_string(text)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        raise ConfigError(f"{key}: not a valid template{f' (line {line})' if line else ''}: {exc}") from None


def _render(text: str, key: str, values: Mapping[str, Any]) -> str:
    try:
        return _template(text, key).render(**values).strip()
    except TemplateError as exc:
        raise ConfigError(f"{key}: cannot be rendered: {exc}") from None


def _mapping_of_text(value: Any, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                 for k, v in value.items()):
        raise ConfigError(f"{key}: must be a mapping of names to non-empty descriptions")
    return dict(value)


def validate_prompt(prompt: Any, key: str = "model.prompt") -> None:
    """Check a prompt config's structure and templates; a ConfigError naming the key otherwise."""
    if isinstance(prompt, str):
        raise ConfigError(f"{key}={prompt}: select a prompt config group with prompt@{key}={prompt} "
                          "(a file conf/prompt/<name>.yaml)")
    if not isinstance(prompt, Mapping):
        raise ConfigError(f"{key}: must be a prompt config (select one with prompt@{key}=NAME)")
    for name in ("name", "version"):
        if not isinstance(prompt.get(name), (str, int, float)) or not str(prompt.get(name)).strip():
            raise ConfigError(f"{key}.{name}: must be set (a non-empty string)")
    for name in ("reask", "schema_instruction"):
        _template(prompt.get(name), f"{key}.{name}")
    examples = prompt.get("examples") or {}
    if not isinstance(examples, Mapping):
        raise ConfigError(f"{key}.examples: must be a mapping (count, positive_share, max_chars)")
    count, share, max_chars = examples.get("count", 0), examples.get("positive_share", 0.5), examples.get(
        "max_chars", 600)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ConfigError(f"{key}.examples.count={count}: must be an integer ≥ 0")
    if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 <= share <= 1:
        raise ConfigError(f"{key}.examples.positive_share={share}: must be a number from 0 to 1")
    if not isinstance(max_chars, int) or isinstance(max_chars, bool) or max_chars < 20:
        raise ConfigError(f"{key}.examples.max_chars={max_chars}: must be an integer ≥ 20")
    entries = [("tasks", n, e) for n, e in (prompt.get("tasks") or {}).items()]
    entries += [("task_types", n, e) for n, e in (prompt.get("task_types") or {}).items()]
    if not entries:
        raise ConfigError(f"{key}: has no templates (tasks.<task name> or task_types.<task class>)")
    for group, name, entry in entries:
        where = f"{key}.{group}.{name}"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where}: must be a mapping with system and user templates")
        for template in TEMPLATE_KEYS:
            _template(entry.get(template), f"{where}.{template}")
        unknown = set(entry) - {*TEMPLATE_KEYS, "categories", "example_categories", "classes"}
        if unknown:
            raise ConfigError(f"{where}.{sorted(unknown)[0]}: unknown key; a task's prompt has system, user, "
                              "categories, example_categories, classes")
        categories = _mapping_of_text(entry.get("categories"), f"{where}.categories")
        mapped = entry.get("example_categories") or {}
        if not isinstance(mapped, Mapping) or any(v not in categories for v in mapped.values()):
            raise ConfigError(f"{where}.example_categories: must map gold sub-labels to categories of "
                              f"{where}.categories ({', '.join(categories) or 'none'})")
        _mapping_of_text(entry.get("classes"), f"{where}.classes")


@dataclass(frozen=True)
class TaskPrompt:
    """The templates and settings of one prompt for one task."""

    prompt_name: str
    version: str
    key: str
    system: str
    user: str
    reask: str
    schema_instruction: str
    categories: dict[str, str] = field(default_factory=dict)
    example_categories: dict[str, str] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)

    def render_system(self, values: Mapping[str, Any]) -> str:
        return _render(self.system, f"{self.key}.system", values)

    def render_user(self, values: Mapping[str, Any]) -> str:
        return _render(self.user, f"{self.key}.user", values)

    def render_reask(self, error: str) -> str:
        return _render(self.reask, "model.prompt.reask", {"error": error})

    def render_schema(self, schema: dict[str, Any]) -> str:
        return _render(self.schema_instruction, "model.prompt.schema_instruction",
                       {"schema": json.dumps(schema, ensure_ascii=False)})

    def digest(self) -> str:
        payload = json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def task_prompt(prompt: Mapping[str, Any], task: Task) -> TaskPrompt:
    """The prompt's templates for ``task`` (by task name, else by task type); a clear error if none."""
    validate_prompt(prompt)
    kind = type(task).__name__
    tasks, types = prompt.get("tasks") or {}, prompt.get("task_types") or {}
    if task.name in tasks:
        entry, key = tasks[task.name], f"model.prompt.tasks.{task.name}"
    elif kind in types:
        entry, key = types[kind], f"model.prompt.task_types.{kind}"
    else:
        raise ConfigError(f"prompt {prompt['name']!r} has no templates for task {task.name!r} (tasks: "
                          f"{', '.join(tasks) or 'none'}; task types: {', '.join(types) or 'none'})")
    return TaskPrompt(str(prompt["name"]), str(prompt["version"]), key, entry["system"], entry["user"],
                      prompt["reask"], prompt["schema_instruction"], dict(entry.get("categories") or {}),
                      dict(entry.get("example_categories") or {}), dict(entry.get("classes") or {}))
