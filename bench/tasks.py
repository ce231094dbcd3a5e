"""Task definitions: what is scored, on which levels, against which gold annotations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bench.data.schema import Document, Sentence

Level = Literal["span", "sentence", "document"]


@dataclass(frozen=True)
class Task:
    """A scoring task. ``category`` is the span category it scores (None for sentiment)."""

    name: str
    kind: Literal["binary", "sentiment"]
    category: str | None
    levels: tuple[str, ...]
    description: str = ""

    @classmethod
    def from_config(cls, cfg: Any) -> "Task":
        return cls(
            name=str(cfg.name),
            kind=str(cfg.kind),  # type: ignore[arg-type]
            category=None if cfg.get("category") is None else str(cfg.category),
            levels=tuple(cfg.levels),
            description=str(cfg.get("description", "")),
        )

    def sentence_gold(self, doc: Document, sentence: Sentence, spans_are_gold: bool) -> Any:
        """Gold label of ``sentence``: an explicit sentence label, else derived from gold spans.

        A binary sentence is positive when a gold span of the task's category overlaps it.
        Returns None where the corpus has no gold for this sentence, including sentences whose
        label is explicitly None (e.g. BABE's and MBIC's "No agreement").
        """
        if self.name in sentence.labels:
            return sentence.labels[self.name]
        if self.kind == "binary" and spans_are_gold and self.category:
            return int(any(s.start < sentence.end and sentence.start < s.end for s in doc.spans_of(self.category)))
        return None
