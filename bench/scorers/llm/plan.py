"""One task's requests and answers: the messages sent for a document and its prediction from a reply.

Span tasks (the task accepts spans) send the document's text and get quotes back, anchored in code;
classification tasks (unit probabilities, span labels) send the task's units as a numbered list
and get one label per unit, with class probabilities from log-probabilities where the endpoint
returns them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from bench.data.schema import Document, Span
from bench.predictions import DocumentPrediction, TextExample
from bench.scorers.base import sentence_scores_from_spans
from bench.scorers.llm.anchoring import Anchorer
from bench.scorers.llm.answers import AnswerSpec
from bench.scorers.llm.examples import FewShot
from bench.scorers.llm.logprobs import items_probabilities
from bench.scorers.llm.prompts import TaskPrompt
from bench.tasks import Task

#: response_format settings: the schema enforced by the server, JSON only, or neither (schema in the prompt)
RESPONSE_FORMATS = ("json_schema", "json_object", "none")


@dataclass
class Settings:
    """Request settings shared by every task."""

    temperature: float
    seed: int
    max_output_tokens: int | None
    response_format: str
    logprobs: bool
    top_logprobs: int


class TaskPlan:
    """Everything about one task's requests: prompt, answer schema, few-shot turns, settings."""

    def __init__(self, task: Task, kind: str, prompt: TaskPrompt, shot: FewShot, settings: Settings) -> None:
        self.task, self.prompt, self.shot, self.settings = task, prompt, shot, settings
        self.quotes = kind == "spans"
        if self.quotes:
            values = tuple(prompt.categories) or (task.span_category or task.name,)
        else:
            values = tuple(task.class_names)
        self.spec = AnswerSpec("quotes" if self.quotes else "items", f"{task.name}_answer"[:64], tuple(values))
        self.schema = self.spec.json_schema()
        base = self.base_values()
        system = prompt.render_system(base)
        if settings.response_format != "json_schema":
            system += "\n\n" + prompt.render_schema(self.schema)
        self.head: list[dict[str, str]] = [{"role": "system", "content": system}]
        for example in shot.examples:
            self.head += [{"role": "user", "content": prompt.render_user({**base, **example.values})},
                          {"role": "assistant", "content": example.answer}]

    # ------------------------------------------------------------------ requests
    def base_values(self) -> dict[str, Any]:
        """What every template of the task may use besides the document."""
        task = self.task
        values: dict[str, Any] = {"task_name": task.name, "description": task.description,
                                  "few_shot": bool(self.shot.examples)}
        if self.quotes:
            category = task.span_category or task.name
            values.update(category=category, categories=self.prompt.categories or {category: task.description})
        else:
            values.update(classes={c: self.prompt.classes.get(c, "") for c in task.class_names})
        return values

    def units(self, doc: Document) -> list[TextExample]:
        return [] if self.quotes else self.task.text_examples([doc], labelled_only=False)

    def has_input(self, doc: Document) -> bool:
        return bool(doc.text.strip()) if self.quotes else bool(self.units(doc))

    def messages(self, doc: Document) -> list[dict[str, str]]:
        values = self.base_values()
        if self.quotes:
            values["text"] = doc.text
        else:
            values["items"] = [{"id": i + 1, "text": u.text, "target": u.target} for i, u in enumerate(self.units(doc))]
        return [*self.head, {"role": "user", "content": self.prompt.render_user(values)}]

    def request(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        """The chat-completions request body (without ``model``)."""
        s = self.settings
        body: dict[str, Any] = {"messages": messages, "temperature": s.temperature, "seed": s.seed}
        if s.max_output_tokens:
            body["max_tokens"] = s.max_output_tokens
        if s.response_format == "json_schema":
            body["response_format"] = self.spec.response_format()
        elif s.response_format == "json_object":
            body["response_format"] = {"type": "json_object"}
        if s.logprobs and not self.quotes:
            body.update(logprobs=True, top_logprobs=s.top_logprobs)
        return body

    # ------------------------------------------------------------------ predictions
    def prediction(self, doc: Document, answer: BaseModel, reply: dict[str, Any], notes: dict[str, Any]
                   ) -> DocumentPrediction:
        if self.quotes:
            return self._spans(doc, answer, notes)
        return self._rows(doc, answer, reply, notes)

    def _spans(self, doc: Document, answer: BaseModel, notes: dict[str, Any]) -> DocumentPrediction:
        category = self.task.span_category or self.task.name
        anchorer, spans, unanchored, seen = Anchorer(doc.text), [], [], set()
        for quote in answer.quotes:  # type: ignore[attr-defined]
            found = anchorer.anchor(quote.quote)
            if found is None:
                unanchored.append(quote.quote)
                continue
            label = f"{category}/{quote.category}"
            if (found.start, found.end, label) in seen:
                continue
            seen.add((found.start, found.end, label))
            spans.append(Span(found.start, found.end, label, doc.text[found.start : found.end], 1.0,
                              attributes={"rationale": quote.rationale, "anchor": found.how}))
        spans.sort(key=lambda s: (s.start, s.end))
        if unanchored:
            notes["unanchored_quotes"] = unanchored
        return DocumentPrediction(doc.id, spans, sentence_scores_from_spans(doc, spans), notes={"llm": notes})

    def _rows(self, doc: Document, answer: BaseModel, reply: dict[str, Any], notes: dict[str, Any]
              ) -> DocumentPrediction:
        classes = self.task.class_names
        items = list(answer.items)  # type: ignore[attr-defined]
        probs = items_probabilities(reply.get("logprobs"), reply.get("content") or "", [i.label for i in items],
                                    classes)
        rows: dict[int, list[float]] = {}
        for item, row in zip(items, probs):
            rows[item.id] = row if row is not None else [float(c == item.label) for c in classes]
        notes["probabilities"] = "logprobs" if all(p is not None for p in probs) else (
            "chosen class" if not any(p is not None for p in probs) else "logprobs where readable, else chosen class")
        prediction = self.task.pack([doc], [rows[i] for i in sorted(rows)])[0]
        prediction.notes = {"llm": notes}
        return prediction

    def empty(self, doc: Document, notes: dict[str, Any]) -> DocumentPrediction:
        """The prediction for a document with nothing to ask about (no text, no units)."""
        prediction = (DocumentPrediction(doc.id, [], [0.0] * len(doc.sentences)) if self.quotes
                      else self.task.pack([doc], [])[0])
        prediction.notes = {"llm": notes}
        return prediction

    def failed(self, doc: Document, reason: str, notes: dict[str, Any]) -> DocumentPrediction:
        """A document without a usable answer: no spans (sentence scores 0), or uniform class rows."""
        notes.update(status="failed", reason=reason)
        if self.quotes:
            return DocumentPrediction(doc.id, [], [0.0] * len(doc.sentences), notes={"llm": notes})
        k = len(self.task.class_names)
        prediction = self.task.pack([doc], [[1.0 / k] * k] * len(self.units(doc)))[0]
        prediction.notes = {"llm": notes}
        return prediction

    def resolved(self) -> dict[str, Any]:
        """The resolved prompt of this task (the run's artifact): system message, example turns, schema."""
        return {"prompt": self.prompt.prompt_name, "version": self.prompt.version, "templates": self.prompt.key,
                "digest": self.prompt.digest(), "task": self.task.name,
                "answer": self.spec.kind, "values": list(self.spec.values), "answer_schema": self.schema,
                "messages_before_the_document": self.head, "user_template": self.prompt.user,
                "reask_template": self.prompt.reask, "few_shot_documents": sorted(self.shot.doc_ids),
                "request_settings": {k: v for k, v in self.request([]).items() if k != "messages"}}
