"""Read the stored behaviour test sets (``corpora/behaviour/*.jsonl``) into pairs and swap cases.

PolNeAR cases hold offsets, not text: they are rebuilt from the data directory (each article's
SHA-256 checked); without PolNeAR in the data directory they are skipped and the skip is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.behaviour.base import Pair
from bench.behaviour.generate import ATTRIBUTION_FILE, ENTITY_FILE
from bench.behaviour.polnear_source import FOLDER, read_article
from bench.data.loaders._common import json_object_lines
from bench.errors import DataError

DIRECTIONS = {"to_unverified": "higher", "to_named": "lower"}


def behaviour_dir() -> Path:
    from bench.config import corpora_dir  # not at the top: bench.config imports the config schema

    return corpora_dir() / "behaviour"


def read_cases(path: Path) -> list[dict[str, Any]]:
    """Every JSON object of a test-set file; a malformed line is an error naming file and line."""
    if not path.is_file():
        raise DataError("behaviour test set not found (python -m bench.behaviour.generate writes it)", path=str(path))
    cases = []
    for number, case in json_object_lines(path):
        if "id" not in case or "origin" not in case:
            raise DataError("a case must be an object with 'id' and 'origin'", path=str(path), line=number)
        case["_line"] = number
        cases.append(case)
    return cases


def _field(case: dict[str, Any], key: str, path: Path) -> Any:
    if key not in case:
        raise DataError(f"case {case['id']!r} has no {key!r}", path=str(path), line=case["_line"])
    return case[key]


class _Articles:
    """PolNeAR article texts, read once each and checked against the stored digest."""

    def __init__(self, data_dir: Path | None) -> None:
        self.data_dir = data_dir
        self.texts: dict[str, str] = {}

    @property
    def available(self) -> bool:
        return self.data_dir is not None and (Path(self.data_dir) / FOLDER).is_dir()

    def text(self, case: dict[str, Any]) -> str:
        key = case["article"]
        if key not in self.texts:
            assert self.data_dir is not None
            self.texts[key] = read_article(self.data_dir, key, case["text_sha256"])
        return self.texts[key]


def _apply(text: str, edits: list[list[Any]]) -> str:
    for start, end, replacement in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:start] + str(replacement) + text[end:]
    return text


@dataclass
class Loaded:
    """Cases read from a test set, and what was skipped."""

    items: list[Any]
    skipped: dict[str, int]
    path: Path


def attribution_pairs(data_dir: Path | None, path: Path | None = None) -> Loaded:
    """Directional pairs of the attribution-swap test set (``to_unverified``: the variant scores higher)."""
    path = path or behaviour_dir() / ATTRIBUTION_FILE
    articles = _Articles(data_dir)
    pairs, skipped = [], {}
    for case in read_cases(path):
        direction = _field(case, "direction", path)
        if direction not in DIRECTIONS:
            raise DataError(f"case {case['id']!r}: direction {direction!r} is not one of {list(DIRECTIONS)}",
                            path=str(path), line=case["_line"])
        if case["origin"] == "polnear":
            if not articles.available:
                skipped["polnear"] = skipped.get("polnear", 0) + 1
                continue
            text = articles.text(case)
            start, end = _field(case, "sentence", path)
            edits = _field(case, "edits", path)
            if any(not (start <= e[0] <= e[1] <= end) for e in edits):
                raise DataError(f"case {case['id']!r}: an edit lies outside its sentence", path=str(path),
                                line=case["_line"])
            original = text[start:end]
            variant = _apply(original, [[e[0] - start, e[1] - start, e[2]] for e in edits])
        else:
            original, variant = _field(case, "original", path), _field(case, "variant", path)
        meta = {"origin": case["origin"], "direction": direction, "line": case["_line"],
                "source_class": case.get("source_class", {}), "cue_changed": bool(case.get("cue_changed"))}
        pairs.append(Pair(case["id"], original, variant, DIRECTIONS[direction], direction, meta))
    return Loaded(pairs, skipped, path)


@dataclass(frozen=True)
class SwapCase:
    """One sentence with a slot, and the fills of both sides of its swap group."""

    id: str
    group: str
    origin: str
    sentence: str
    slot: tuple[int, int]
    fills: dict[str, tuple[str, ...]]

    def filled(self, fill: str) -> str:
        return self.sentence[: self.slot[0]] + fill + self.sentence[self.slot[1] :]


def entity_cases(data_dir: Path | None, path: Path | None = None) -> Loaded:
    """The invariance test set's cases, PolNeAR sentences rebuilt from the data directory."""
    path = path or behaviour_dir() / ENTITY_FILE
    articles = _Articles(data_dir)
    cases, skipped = [], {}
    for case in read_cases(path):
        slot = tuple(_field(case, "slot", path))
        if case["origin"] == "polnear":
            if not articles.available:
                skipped["polnear"] = skipped.get("polnear", 0) + 1
                continue
            start, end = _field(case, "sentence", path)
            sentence = articles.text(case)[start:end]
            slot = (slot[0] - start, slot[1] - start)
        else:
            sentence = _field(case, "text", path)
        fills = _field(case, "fills", path)
        if not (0 <= slot[0] < slot[1] <= len(sentence)) or not fills.get("A") or not fills.get("B"):
            raise DataError(f"case {case['id']!r}: slot outside the sentence or a side without fills",
                            path=str(path), line=case["_line"])
        cases.append(SwapCase(case["id"], _field(case, "group", path), case["origin"], sentence,
                              (int(slot[0]), int(slot[1])), {k: tuple(v) for k, v in fills.items()}))
    return Loaded(cases, skipped, path)
