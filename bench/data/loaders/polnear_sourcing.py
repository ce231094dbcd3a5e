"""The sourcing layer of PolNeAR: a source class per attribution event, and the spans it implies.

The layer (``corpora/polnear_sourcing/dev.tsv``, written by :mod:`bench.annotation.sourcing_layer`)
holds one row per event: ``item_id`` (``<article>_<annotator>:<E id>``), ``offsets_of`` (``source``, or
``anchor`` for an event without a source), ``offsets`` (PolNeAR's brat offsets, ``start end[;start end]``),
``class`` and ``pronoun``; never PolNeAR's text. Events of the layer's split get their class from it;
events of the ``silver_splits`` get the rule's class (:mod:`bench.data.loaders.polnear_silver`).

``unverified_sources`` gold: every event whose class is unverified (anonymous, vague,
named_unverifiable, none) gives ``unverified_source`` spans on its source fragments, or on its anchor
when it has no source, with the sub-label of :data:`SUB_LABELS` and the class as native label.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.data.loaders._common import tsv_table
from bench.data.loaders.polnear_silver import CLASSES, SourceMention, silver_classes
from bench.data.schema import Span
from bench.errors import DataError

if TYPE_CHECKING:
    from bench.data.loaders.polnear import Layer

LAYER_COLUMNS = ("item_id", "offsets_of", "offsets", "class", "pronoun")
UNVERIFIED = ("anonymous", "vague", "named_unverifiable", "none")
#: source class -> unverified_source sub-label (bench.data.schema.CATEGORIES)
SUB_LABELS = {"anonymous": "anonymous_source", "named_unverifiable": "unverifiable_channel",
              "vague": "weasel", "none": "unattributed_report"}


@dataclass(frozen=True)
class LayerRow:
    """One classified event of the layer file."""

    item_id: str
    offsets_of: str
    offsets: str
    source_class: str
    pronoun: bool
    line: int


def offsets_text(fragments: Any) -> str:
    return ";".join(f"{s} {e}" for s, e in fragments)


def event_offsets(event: Any) -> tuple[str, str]:
    """``(offsets_of, offsets)`` the layer records for an event: its source, else its anchor."""
    if event.has_source:
        return "source", offsets_text(event.source_fragments)
    return "anchor", offsets_text(event.anchor_fragments)


def read_layer(path: Path, encoding: str = "utf-8") -> dict[str, LayerRow]:
    """The layer's rows by item id; a malformed row is a DataError naming the file and line."""
    rows: dict[str, LayerRow] = {}
    for line, row in tsv_table(path, LAYER_COLUMNS, encoding=encoding):
        item, offsets_of, offsets, source_class, pronoun = (row[c] for c in LAYER_COLUMNS)
        if ":" not in item:
            raise DataError(f"item_id {item!r} is not <article>_<annotator>:<event id>", path=str(path), line=line)
        if offsets_of not in ("source", "anchor"):
            raise DataError(f"offsets_of {offsets_of!r} must be source or anchor", path=str(path), line=line)
        if source_class not in CLASSES:
            raise DataError(f"class {source_class!r} is not one of {', '.join(CLASSES)}", path=str(path), line=line)
        if pronoun not in ("yes", "no"):
            raise DataError(f"pronoun {pronoun!r} must be yes or no", path=str(path), line=line)
        if item in rows:
            raise DataError(f"item_id {item!r} appears twice (first on line {rows[item].line})", path=str(path),
                            line=line)
        rows[item] = LayerRow(item, offsets_of, offsets, source_class, pronoun == "yes", line)
    return rows


@dataclass(frozen=True)
class EventClass:
    source_class: str
    pronoun: bool
    origin: str  # annotated | silver


def layer_silver(text: str, layer: Layer) -> dict[str, EventClass]:
    """The rule's class for every event of a layer (pronouns resolved within the layer)."""
    mentions = [SourceMention(e.sources[0].start if e.has_source else e.anchor.start,
                              " ".join(s.surface(text) for s in e.sources)) for e in layer.events]
    return {e.id: EventClass(c, p, "silver") for e, (c, p) in zip(layer.events, silver_classes(mentions))}


@dataclass
class SourcingClasses:
    """Where each split's source classes come from: the annotated layer, the silver rule, or nowhere."""

    path: Path | None = None
    rows: dict[str, LayerRow] = field(default_factory=dict)
    annotated_split: str | None = None
    silver_splits: tuple[str, ...] = ()
    articles: set[str] = field(default_factory=set)

    @classmethod
    def from_options(cls, root: Path, files: dict[str, str], options: dict[str, Any],
                     encoding: str = "utf-8") -> SourcingClasses:
        silver = tuple(str(s) for s in (options.get("silver_splits") or ()))
        if files.get("sourcing") in (None, "", "None"):  # corpus.files.sourcing=null: no annotated layer
            return cls(silver_splits=silver)
        path = root / files["sourcing"]
        if not path.is_file():
            raise DataError("sourcing layer not found (corpus.files.sourcing)", path=str(path))
        split = str(options.get("sourcing_split") or "dev")
        return cls(path, read_layer(path, encoding), split, silver)

    def for_split(self, split: str, layer: Layer, text: str, strict: bool,
                  skipped: dict[str, int]) -> dict[str, EventClass]:
        """The class of each event of ``layer`` (empty: the split has no sourcing gold)."""
        if split == self.annotated_split and self.path is not None:
            self.articles.add(layer.article)
            out = {}
            for event in layer.events:
                item = f"{layer.item_prefix}:{event.id}"
                row = self.rows.get(item)
                try:
                    if row is None:
                        raise DataError(f"no row for item {item!r} (every event of split {split!r} needs a class)",
                                        path=str(self.path))
                    if (row.offsets_of, row.offsets) != event_offsets(event):
                        raise DataError(f"item {item!r} records {row.offsets_of} offsets {row.offsets!r}, but "
                                        f"PolNeAR has {' '.join(event_offsets(event))!r} (line {event.line} of "
                                        f"{layer.path})", path=str(self.path), line=row.line)
                except DataError:
                    if strict:
                        raise
                    skipped["events_without_sourcing_class"] = skipped.get("events_without_sourcing_class", 0) + 1
                    continue
                out[event.id] = EventClass(row.source_class, row.pronoun, "annotated")
            return out
        if split in self.silver_splits:
            return layer_silver(text, layer)
        return {}

    def check_articles(self, known: set[str]) -> None:
        """Every row of the layer names an article of its split."""
        for row in self.rows.values():
            article = row.item_id.partition(":")[0].rpartition("_")[0]
            if article not in known:
                raise DataError(f"item {row.item_id!r} names an article that split {self.annotated_split!r} does "
                                "not have", path=str(self.path), line=row.line)

    def notes(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sourcing_silver_splits": ",".join(self.silver_splits) or "none"}
        if self.path is not None:
            out.update({"sourcing_layer": str(self.path), "sourcing_split": self.annotated_split,
                        "sourcing_rows": len(self.rows)})
        return out


def unverified_spans(text: str, layer: Layer, classes: dict[str, EventClass]) -> list[Span]:
    """``unverified_source`` spans of the events whose class is unverified (each fragment once)."""
    spans: dict[tuple[int, int, str], Span] = {}
    for event in layer.events:
        found = classes.get(event.id)
        if found is None or found.source_class not in UNVERIFIED:
            continue
        label = f"unverified_source/{SUB_LABELS[found.source_class]}"
        fragments = event.source_fragments if event.has_source else event.anchor_fragments
        for start, end in fragments:
            if end > start and (start, end, label) not in spans:
                spans[(start, end, label)] = Span(start, end, label, text[start:end], native_label=found.source_class,
                                                  attributes={"event": event.id, "origin": found.origin,
                                                              "pronoun": found.pronoun})
    return list(spans.values())


def class_attributes(classes: dict[str, EventClass]) -> dict[str, dict[str, Any]]:
    """Per event id: the attributes the anchor span carries (class, origin, pronoun)."""
    return {eid: {"source_class": c.source_class, "class_origin": c.origin, "pronoun": c.pronoun}
            for eid, c in classes.items()}
