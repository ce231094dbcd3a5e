"""PolNeAR articles and their attribution events, read from the brat files in the data directory.

Only what the behaviour test sets need: each article's text and, from one annotator's ``.ann`` file
(the first by name), the contiguous source and cue spans of its attribution events. The stored
test sets keep offsets into these texts and a digest of each text, never the text itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from bench.errors import DataError

#: the PolNeAR folder in the data directory
FOLDER = "polnear-attribution"


@dataclass(frozen=True)
class Attribution:
    """One attribution event's source and cue (character offsets into the article text)."""

    event: str
    source: tuple[int, int]
    cue: tuple[int, int]


@dataclass(frozen=True)
class Article:
    """An article: its path relative to the PolNeAR folder, its text and its attributions."""

    path: str
    text: str
    attributions: tuple[Attribution, ...]

    @property
    def digest(self) -> str:
        return text_digest(self.text)


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _offsets(field: str, ann: Path, number: int) -> list[tuple[int, int]]:
    try:
        return [(int(a), int(b)) for a, b in (part.split() for part in field.split(";"))]
    except ValueError:
        raise DataError(f"malformed brat offsets {field!r}", path=str(ann), line=number) from None


def read_attributions(ann: Path) -> tuple[Attribution, ...]:
    """Events with one contiguous source span and one contiguous cue span."""
    entities: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    events: list[tuple[str, dict[str, str]]] = []
    for number, line in enumerate(ann.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("T"):
            parts = line.split("\t")
            if len(parts) < 2:
                raise DataError("malformed text-bound line", path=str(ann), line=number)
            kind, _, offsets = parts[1].partition(" ")
            entities[parts[0]] = (kind, _offsets(offsets, ann, number))
        elif line.startswith("E"):
            eid, _, body = line.partition("\t")
            events.append((eid, dict(part.split(":", 1) for part in body.split() if ":" in part)))
    out = []
    for eid, roles in events:
        source, cue = entities.get(roles.get("Source", "")), entities.get(roles.get("Cue", ""))
        if source and cue and len(source[1]) == 1 and len(cue[1]) == 1:
            out.append(Attribution(eid, source[1][0], cue[1][0]))
    return tuple(out)


def articles(data_dir: Path, split: str) -> Iterator[Article]:
    """Every article of ``split`` (train, dev) with the attributions of its first annotator's file."""
    root = Path(data_dir) / FOLDER
    text_dir, ann_dir = root / "data" / split / "text", root / "data" / split / "attributions"
    if not text_dir.is_dir():
        raise DataError(f"PolNeAR split {split!r} not found (set NEWSBIAS_DATA_DIR or paths.data_dir)",
                        path=str(text_dir))
    for text_path in sorted(text_dir.glob("*.txt")):
        anns = sorted(ann_dir.glob(f"{text_path.stem}_*.ann"))
        if not anns:
            continue
        yield Article(text_path.relative_to(root).as_posix(), text_path.read_text(encoding="utf-8"),
                      read_attributions(anns[0]))


def read_article(data_dir: Path, relative: str, digest: str) -> str:
    """The text of one article, checked against the digest the test set stored."""
    path = Path(data_dir) / FOLDER / relative
    if not path.is_file():
        raise DataError("PolNeAR article named by the behaviour test set not found", path=str(path))
    text = path.read_text(encoding="utf-8")
    if text_digest(text) != digest:
        raise DataError("PolNeAR article differs from the one the behaviour test set was generated from "
                        "(SHA-256 mismatch): regenerate with python -m bench.behaviour.generate", path=str(path))
    return text
