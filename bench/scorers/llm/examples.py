"""Few-shot examples drawn reproducibly (seeded) from the training documents' gold annotations.

Span tasks: single sentences of at most ``max_chars`` characters, a share of them with gold spans
of the task's category (the answer quotes them, with the prompt's category for their sub-label and
that category's gloss as rationale) and the rest without. Classification tasks: labelled units,
taken in turn from each class, shown as one numbered list with its gold labels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from bench.data.schema import Document, Sentence
from bench.errors import ConfigError
from bench.scorers.llm.prompts import TaskPrompt
from bench.tasks import Task


@dataclass(frozen=True)
class Example:
    """One example turn: the values its user message is rendered with, and the gold answer."""

    values: dict[str, Any]
    answer: str


@dataclass
class FewShot:
    examples: list[Example] = field(default_factory=list)
    #: the documents the examples come from (never to be evaluated with them)
    doc_ids: set[str] = field(default_factory=set)


def _sentence_spans(doc: Document, sentence: Sentence, category: str) -> list[Any] | None:
    """The category's gold spans inside the sentence; None when one crosses its edges."""
    inside = []
    for span in doc.spans_of(category):
        if span.start < sentence.end and sentence.start < span.end:
            if span.start < sentence.start or span.end > sentence.end:
                return None
            inside.append(span)
    return sorted(inside, key=lambda s: (s.start, s.end))


def _category(prompt: TaskPrompt, sub_label: str, category: str) -> str:
    if sub_label in prompt.categories:
        return sub_label
    if sub_label in prompt.example_categories:
        return prompt.example_categories[sub_label]
    raise ConfigError(f"few-shot examples: the gold sub-label {category}/{sub_label} has no category in the prompt; "
                      f"map it in {prompt.key}.example_categories (to one of {', '.join(prompt.categories)})")


def span_examples(train: Sequence[Document], task: Task, prompt: TaskPrompt, count: int, positive_share: float,
                  max_chars: int, seed: int) -> FewShot:
    category = task.span_category
    assert category is not None
    if not any(doc.spans_of(category) for doc in train):
        raise ConfigError(f"few-shot prompt {prompt.prompt_name!r} needs gold spans of {category} in the training "
                          f"documents, and none of the {len(train)} has any: choose a corpus@train_corpus with "
                          "span annotations, or a zero-shot prompt")
    positives, negatives = [], []
    for doc in train:
        for sentence in doc.sentences:
            text = doc.sentence_text(sentence)
            spans = _sentence_spans(doc, sentence, category)
            if spans is None or not text.strip() or len(text) > max_chars:
                continue
            if spans:
                positives.append((doc.id, sentence, spans, text))
            elif task.name not in sentence.labels or sentence.labels[task.name] in (0, "0"):
                negatives.append((doc.id, sentence, spans, text))  # no gold span, and not labelled positive
    if not positives:
        raise ConfigError(f"few-shot examples: no training sentence of at most {max_chars} characters has gold spans "
                          f"of {category} (raise model.prompt.examples.max_chars)")
    rng = np.random.default_rng(seed)
    n_pos = min(len(positives), max(1, round(count * positive_share)))
    n_neg = min(len(negatives), count - n_pos)
    chosen = ([positives[i] for i in rng.choice(len(positives), n_pos, replace=False)]
              + [negatives[i] for i in rng.choice(len(negatives), n_neg, replace=False)])
    order = rng.permutation(len(chosen))
    shot = FewShot()
    for i in order:
        doc_id, sentence, spans, text = chosen[i]
        quotes = []
        for span in spans:
            name = _category(prompt, span.sub_label, category)
            quotes.append({"quote": text[span.start - sentence.start : span.end - sentence.start], "category": name,
                           "rationale": prompt.categories[name]})
        shot.examples.append(Example({"text": text}, json.dumps({"quotes": quotes}, ensure_ascii=False)))
        shot.doc_ids.add(doc_id)
    return shot


def item_examples(train: Sequence[Document], task: Task, count: int, max_chars: int, seed: int) -> FewShot:
    labelled = [e for e in task.text_examples(train, labelled_only=True) if len(e.text) <= max_chars]
    if not labelled:
        raise ConfigError(f"few-shot examples: the training documents have no labelled {task.name} unit of at most "
                          f"{max_chars} characters")
    rng = np.random.default_rng(seed)
    by_class = [[e for e in labelled if e.label == k] for k in range(len(task.class_names))]
    queues = [[pool[i] for i in rng.permutation(len(pool))] for pool in by_class]
    picked = []
    while len(picked) < count and any(queues):
        for queue in queues:
            if queue and len(picked) < count:
                picked.append(queue.pop())
    picked = [picked[i] for i in rng.permutation(len(picked))]
    items = [{"id": i + 1, "text": e.text, "target": e.target} for i, e in enumerate(picked)]
    answer = {"items": [{"id": i + 1, "label": task.class_names[e.label]} for i, e in enumerate(picked)]}
    return FewShot([Example({"items": items}, json.dumps(answer, ensure_ascii=False))], {e.doc_id for e in picked})
