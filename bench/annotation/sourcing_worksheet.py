"""Worksheets for the PolNeAR sourcing layer: one row per attribution event, with its context.

``python -m bench.annotation.sourcing_worksheet --data-dir ../shared/datasets --split dev --out sheet.tsv``
writes the rows an annotator classifies by ``corpora/ANNOTATION_GUIDELINE.md`` (source classes).
The worksheet holds PolNeAR text and is a working file: never commit it; the layer under
``corpora/polnear_sourcing/`` keeps only ids, offsets and classes.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from dataclasses import dataclass
from pathlib import Path

from bench.data.loaders.polnear import Layer, read_split

CONTEXT_CHARS = 400


@dataclass(frozen=True)
class EventRow:
    item_id: str
    article: str
    annotator: str
    event: str
    source_offsets: str
    source_text: str
    cue_text: str
    content_text: str
    context: str


def read_events(layer: Layer, text: str) -> list[EventRow]:
    """Attribution events of one annotator's layer with the surface text of their parts."""
    rows = []
    for event in layer.events:
        source_spans = list(event.source_fragments)
        cue_spans = [f for c in event.cues for f in c.fragments]
        source = " … ".join(text[s:e] for s, e in source_spans)
        cue = " … ".join(text[s:e] for s, e in cue_spans)
        content = " … ".join(text[s:e] for c in event.contents for s, e in c.fragments)
        anchors = [s for s, _ in source_spans + cue_spans] or [0]
        first = min(anchors)
        last = max([e for _, e in source_spans + cue_spans] or [first])
        before = text[max(0, first - CONTEXT_CHARS):first]
        after = text[last:last + 120]
        context = re.sub(r"\s+", " ", f"{before}[[{text[first:last]}]]{after}")
        if len(content) > 240:
            content = content[:240] + "…"
        rows.append(EventRow(
            item_id=f"{layer.item_prefix}:{event.id}", article=layer.article, annotator=layer.annotator,
            event=event.id, source_offsets=";".join(f"{s} {e}" for s, e in source_spans),
            source_text=re.sub(r"\s+", " ", source), cue_text=re.sub(r"\s+", " ", cue),
            content_text=re.sub(r"\s+", " ", content), context=context,
        ))
    return rows


def worksheet(root: Path, split: str) -> list[EventRow]:
    """Every attribution event of a PolNeAR split, all annotators, in ``.ann`` file and event order
    (files parsed and checked by :mod:`bench.data.loaders.polnear`)."""
    articles = read_split(root / "data" / split)
    layers = sorted(((layer.path.name, layer, article.text) for article in articles.values()
                     for layer in article.layers.values()), key=lambda t: t[0])
    return [row for _, layer, text in layers for row in read_events(layer, text)]


def sample(rows: list[EventRow], share: float, seed: int) -> list[EventRow]:
    """A seeded share of the rows (``round(len(rows) * share)``), kept in worksheet order."""
    rng = random.Random(seed)
    return sorted(rng.sample(rows, round(len(rows) * share)), key=rows.index)


def write(rows: list[EventRow], out: Path) -> None:
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["item_id", "source_text", "cue_text", "content_text", "context"])
        for row in rows:
            writer.writerow([row.item_id, row.source_text, row.cue_text, row.content_text, row.context])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--split", default="dev")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sample", type=float, default=None, help="seeded share of rows (second pass)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rows = worksheet(args.data_dir / "polnear-attribution", args.split)
    if args.sample:
        rows = sample(rows, args.sample, args.seed)
    write(rows, args.out)
    print(f"{len(rows)} attribution events -> {args.out}")


if __name__ == "__main__":
    main()
