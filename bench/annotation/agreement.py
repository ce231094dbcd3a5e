"""Agreement of the PolNeAR sourcing layer: pass 1 vs the independent pass 2, and the silver rule vs pass 1.

``python -m bench.annotation.agreement`` prints, on the items both passes labelled, Cohen's kappa
over the five source classes and over the binary view (unverified = anonymous, vague,
named_unverifiable, none; verified = named), raw agreement and the confusion table (pass 1 rows,
pass 2 columns). With the PolNeAR data at hand it also prints the silver rule's agreement with
pass 1 over every event of the split (held-out: the rule was written before the layer existed).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Mapping, Sequence

from sklearn.metrics import cohen_kappa_score

from bench.config import corpora_dir
from bench.data.loaders.polnear import read_split
from bench.data.loaders.polnear_silver import CLASSES
from bench.data.loaders.polnear_sourcing import UNVERIFIED, layer_silver, read_layer
from bench.errors import BenchError


def binary(source_class: str) -> str:
    return "unverified" if source_class in UNVERIFIED else "verified"


def agreement(first: Mapping[str, str], second: Mapping[str, str]) -> dict[str, object]:
    """Kappa (five classes and binary), raw agreement and confusion counts on the shared items."""
    items = sorted(set(first) & set(second))
    a, b = [first[i] for i in items], [second[i] for i in items]
    if not items:
        return {"n": 0}
    confusion = {(x, y): 0 for x in CLASSES for y in CLASSES}
    for x, y in zip(a, b):
        confusion[(x, y)] += 1
    ba, bb = [binary(x) for x in a], [binary(y) for y in b]
    return {"n": len(items),
            "kappa": float(cohen_kappa_score(a, b, labels=list(CLASSES))),
            "agreement": sum(x == y for x, y in zip(a, b)) / len(items),
            "kappa_binary": float(cohen_kappa_score(ba, bb, labels=["verified", "unverified"])),
            "agreement_binary": sum(x == y for x, y in zip(ba, bb)) / len(items),
            "confusion": confusion}


def confusion_table(result: Mapping[str, object], rows: str = "pass 1", columns: str = "pass 2") -> str:
    """The confusion counts as a Markdown table."""
    confusion = result["confusion"]
    assert isinstance(confusion, dict)
    lines = [f"| {rows} \\ {columns} | " + " | ".join(CLASSES) + " | total |",
             "|---|" + "---:|" * (len(CLASSES) + 1)]
    for x in CLASSES:
        counts = [confusion[(x, y)] for y in CLASSES]
        lines.append(f"| {x} | " + " | ".join(str(c) for c in counts) + f" | {sum(counts)} |")
    totals = [sum(confusion[(x, y)] for x in CLASSES) for y in CLASSES]
    lines.append("| total | " + " | ".join(str(c) for c in totals) + f" | {sum(totals)} |")
    return "\n".join(lines)


def silver_labels(root: Path, split: str) -> dict[str, str]:
    """The silver rule's class for every event of a split (all annotators)."""
    out = {}
    for article in read_split(root / "data" / split).values():
        for layer in article.layers.values():
            for eid, found in layer_silver(article.text, layer).items():
                out[f"{layer.item_prefix}:{eid}"] = found.source_class
    return out


def report(title: str, result: Mapping[str, object], rows: str, columns: str) -> str:
    if not result.get("n"):
        return f"{title}: no shared items"
    return (f"{title} (n = {result['n']}):\n"
            f"  Cohen's kappa, five classes      {result['kappa']:.3f}  (raw agreement {result['agreement']:.3f})\n"
            f"  Cohen's kappa, unverified/named  {result['kappa_binary']:.3f}  "
            f"(raw agreement {result['agreement_binary']:.3f})\n\n" + confusion_table(result, rows, columns) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--layer-dir", type=Path, default=corpora_dir() / "polnear_sourcing")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("NEWSBIAS_DATA_DIR", "../shared/datasets")))
    parser.add_argument("--no-silver", action="store_true", help="skip the silver rule's agreement")
    args = parser.parse_args(argv)
    try:
        first = {k: r.source_class for k, r in read_layer(args.layer_dir / f"{args.split}.tsv").items()}
        second_path = args.layer_dir / f"{args.split}.pass2.tsv"
        if second_path.is_file():
            second = {k: r.source_class for k, r in read_layer(second_path).items()}
            print(report("Pass 1 vs pass 2", agreement(first, second), "pass 1", "pass 2"))
        else:
            print(f"no second pass ({second_path})")
        root = args.data_dir / "polnear-attribution"
        if not args.no_silver and root.is_dir():
            print(report("Silver rule vs pass 1 (held-out)", agreement(first, silver_labels(root, args.split)),
                         "pass 1", "silver"))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
