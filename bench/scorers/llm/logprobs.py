"""Class probabilities from the token log-probabilities of an items reply.

For each item, the tokens that spell its ``"label"`` value are read with their top alternatives:
an alternative token that spells the start of exactly one class gives that class its probability;
one that several classes share (``ne`` of negative / neutral) is followed down the chosen path,
where the next token tells them apart, and otherwise shared equally. Alternatives that spell no
class are dropped and the rest renormalised. None where the endpoint returned no log-probabilities
or the tokens do not spell the reply (the caller then scores the chosen class 1).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Any, Sequence

_LABEL = re.compile(r'"label"\s*:\s*"')


def _alternatives(token: dict[str, Any]) -> list[tuple[str, float]]:
    alts = [(str(t["token"]), float(t["logprob"])) for t in token.get("top_logprobs") or []]
    if token["token"] not in {t for t, _ in alts}:
        alts.append((str(token["token"]), float(token["logprob"])))
    return alts


def _offsets(tokens: Sequence[dict[str, Any]], content: str) -> list[int] | None:
    """Start offset of each token in ``content``; None when the tokens do not spell it."""
    starts, position = [], 0
    for token in tokens:
        starts.append(position)
        position += len(token["token"])
    return starts if "".join(t["token"] for t in tokens) == content else None


def label_probabilities(tokens: Sequence[dict[str, Any]], content: str, value_start: int,
                        classes: Sequence[str]) -> list[float] | None:
    """P(class) for the label value starting at ``value_start`` of ``content`` (None: not readable)."""
    starts = _offsets(tokens, content)
    if starts is None:
        return None
    first = max(i for i, s in enumerate(starts) if s <= value_start) if starts and value_start < len(content) else None
    if first is None:
        return None
    mass: dict[str, float] = defaultdict(float)

    def walk(i: int, spelled: int, candidates: list[str], weight: float) -> None:
        token = tokens[i]
        prefix = content[starts[i] : value_start] if spelled == 0 and starts[i] < value_start else ""
        for text, logprob in _alternatives(token):
            if not text.startswith(prefix):
                continue
            rest = text[len(prefix):]
            fits = [c for c in candidates if c[spelled:].startswith(rest) or rest.startswith(c[spelled:] + '"')
                    or rest == c[spelled:]]
            if not fits:
                continue
            p = weight * math.exp(logprob)
            if len(fits) == 1:
                mass[fits[0]] += p
            elif text == token["token"] and i + 1 < len(tokens):
                walk(i + 1, spelled + len(rest), fits, p)
            else:
                for c in fits:
                    mass[c] += p / len(fits)

    walk(first, 0, list(classes), 1.0)
    total = sum(mass.values())
    if total <= 0:
        return None
    return [mass.get(c, 0.0) / total for c in classes]


def items_probabilities(logprobs: Sequence[dict[str, Any]] | None, content: str, labels: Sequence[str],
                        classes: Sequence[str]) -> list[list[float] | None]:
    """One probability row (or None) per label value of the reply, in the reply's order; ``labels`` are
    the parsed labels, used to check that each ``"label": "`` found in ``content`` is one of them."""
    if not logprobs:
        return [None] * len(labels)
    found = [m.end() for m in _LABEL.finditer(content)]
    if len(found) != len(labels):
        return [None] * len(labels)
    return [label_probabilities(logprobs, content, start, classes)
            if content.startswith(label, start) else None for start, label in zip(found, labels)]
