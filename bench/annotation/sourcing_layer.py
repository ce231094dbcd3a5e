"""Build the PolNeAR sourcing layer from annotators' label files (ids, offsets and classes only).

``python -m bench.annotation.sourcing_layer --pass1 a.labels.tsv b.labels.tsv --pass2 p2.labels.tsv``
reads label files with the header ``item_id<TAB>class<TAB>pronoun<TAB>note`` (item ids as in the
worksheets of :mod:`bench.annotation.sourcing_worksheet`), checks every row against PolNeAR's events,
and writes ``corpora/polnear_sourcing/dev.tsv`` (pass 1, which must cover every event of the split)
and ``dev.pass2.tsv`` (the independent second pass over a sample). Each row keeps the item id, which
offsets it records (the source span, or the anchor of an event without a source), PolNeAR's offsets,
the class and the pronoun flag: never PolNeAR's text, and not the annotators' free-text notes.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from bench.data.loaders._common import read_text
from bench.data.loaders.polnear import Event, read_split
from bench.data.loaders.polnear_silver import CLASSES
from bench.data.loaders.polnear_sourcing import LAYER_COLUMNS, event_offsets
from bench.errors import BenchError, DataError

LABEL_COLUMNS = ("item_id", "class", "pronoun", "note")


@dataclass(frozen=True)
class Label:
    item_id: str
    source_class: str
    pronoun: str
    path: Path
    line: int


def split_events(root: Path, split: str) -> dict[str, Event]:
    """Every event of a PolNeAR split, all annotators, by item id, in file and event order."""
    out: dict[str, Event] = {}
    for article in read_split(root / "data" / split).values():
        for _, layer in sorted(article.layers.items()):
            for event in layer.events:
                out[f"{layer.item_prefix}:{event.id}"] = event
    return dict(sorted(out.items(), key=lambda kv: (kv[0].partition(":")[0], int(kv[0].rpartition(":E")[2]))))


def read_labels(paths: Sequence[Path], events: dict[str, Event]) -> dict[str, Label]:
    """Label rows of one pass (possibly several files); a bad row is a DataError naming file and line."""
    labels: dict[str, Label] = {}
    for path in paths:
        reader = csv.reader(io.StringIO(read_text(path), newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None or tuple(header[:3]) != LABEL_COLUMNS[:3]:
            raise DataError(f"expected the header {' '.join(LABEL_COLUMNS)} (tab-separated)", path=str(path), line=1)
        for line, row in enumerate(reader, start=2):
            if not row or not "".join(row).strip():
                continue
            if len(row) < 3:
                raise DataError(f"expected at least item_id, class and pronoun, got {len(row)} field(s)",
                                path=str(path), line=line)
            item, source_class, pronoun = (v.strip() for v in row[:3])
            if item not in events:
                raise DataError(f"item_id {item!r} is not an attribution event of the split", path=str(path),
                                line=line)
            if source_class not in CLASSES:
                raise DataError(f"class {source_class!r} is not one of {', '.join(CLASSES)}", path=str(path),
                                line=line)
            if pronoun not in ("yes", "no"):
                raise DataError(f"pronoun {pronoun!r} must be yes or no", path=str(path), line=line)
            if item in labels:
                first = labels[item]
                raise DataError(f"item_id {item!r} is labelled twice in this pass (first at {first.path}:{first.line})",
                                path=str(path), line=line)
            labels[item] = Label(item, source_class, pronoun, path, line)
    return labels


def layer_rows(labels: dict[str, Label], events: dict[str, Event]) -> list[list[str]]:
    """The layer's rows in PolNeAR order (items without a label are left out)."""
    rows = []
    for item, event in events.items():
        if item in labels:
            offsets_of, offsets = event_offsets(event)
            rows.append([item, offsets_of, offsets, labels[item].source_class, labels[item].pronoun])
    return rows


def write_tsv(path: Path, rows: Iterable[Sequence[str]]) -> None:
    """Write the layer file in one step (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", dir=path.parent, delete=False,
                                         prefix=f".{path.name}.", suffix=".tmp")
    try:
        with handle:
            writer = csv.writer(handle, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE)
            writer.writerow(LAYER_COLUMNS)
            writer.writerows(rows)
        os.chmod(handle.name, 0o644)  # a temporary file is private; the layer is an ordinary project file
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def build(root: Path, split: str, pass1: Sequence[Path], pass2: Sequence[Path], out: Path,
          allow_partial: bool = False) -> dict[str, int]:
    """Check both passes and write ``<split>.tsv`` and ``<split>.pass2.tsv``; counts of what was written."""
    events = split_events(root, split)
    first = read_labels(pass1, events)
    second = read_labels(pass2, events) if pass2 else {}
    missing = [item for item in events if item not in first]
    if missing and not allow_partial:
        raise DataError(f"pass 1 labels {len(first)} of {len(events)} events; {len(missing)} have no label "
                        f"(first: {missing[0]}); finish the pass or use --allow-partial",
                        path=", ".join(str(p) for p in pass1))
    write_tsv(out / f"{split}.tsv", layer_rows(first, events))
    if pass2:
        write_tsv(out / f"{split}.pass2.tsv", layer_rows(second, events))
    return {"events": len(events), "pass1": len(first), "pass2": len(second),
            "overlap": len(set(first) & set(second))}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pass1", type=Path, nargs="+", required=True, help="label files of the first pass")
    parser.add_argument("--pass2", type=Path, nargs="*", default=[], help="label files of the second pass")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("NEWSBIAS_DATA_DIR", "../shared/datasets")))
    parser.add_argument("--split", default="dev")
    parser.add_argument("--out", type=Path, default=Path("corpora/polnear_sourcing"))
    parser.add_argument("--allow-partial", action="store_true", help="write pass 1 even if it misses events")
    args = parser.parse_args(argv)
    try:
        counts = build(args.data_dir / "polnear-attribution", args.split, args.pass1, args.pass2, args.out,
                       args.allow_partial)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{counts['pass1']} of {counts['events']} events in {args.out / (args.split + '.tsv')}; "
          f"second pass {counts['pass2']} (overlap {counts['overlap']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
