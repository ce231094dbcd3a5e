"""What a scorer can produce; tasks state which of these they accept, and at which levels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OutputKind = Literal["spans", "unit_probabilities", "span_labels"]


@dataclass(frozen=True)
class Output:
    """One kind of prediction.

    ``categories``: for spans, the span categories the scorer marks (None: the one it is
    trained on). ``classes``: for unit probabilities, the fixed classes it scores (None: any set
    of classes it is trained on).
    """

    kind: OutputKind
    categories: frozenset[str] | None = None
    classes: tuple[str, ...] | None = None

    def provides(self, need: "Output") -> bool:
        """Whether this output satisfies ``need`` (same kind; its categories or classes covered)."""
        if self.kind != need.kind:
            return False
        if need.categories is not None and self.categories is not None and not need.categories <= self.categories:
            return False
        if need.classes is not None and self.classes is not None and set(need.classes) != set(self.classes):
            return False
        return True

    def describe(self) -> str:
        if self.kind == "spans":
            return f"spans of {', '.join(sorted(self.categories))}" if self.categories else "spans (trained category)"
        if self.kind == "unit_probabilities":
            return (f"unit probabilities over ({', '.join(self.classes)})" if self.classes
                    else "unit probabilities (trained classes)")
        return "labels for given spans (trained labels)"


def span_output(*categories: str) -> Output:
    return Output("spans", frozenset(categories) if categories else None)


def unit_probability_output(classes: tuple[str, ...] | None = None) -> Output:
    return Output("unit_probabilities", classes=tuple(classes) if classes else None)


def span_label_output() -> Output:
    return Output("span_labels")
