"""Console output: the run summary table and the reference-article findings."""

from __future__ import annotations

import sys
from typing import Any, Sequence

from rich.console import Console
from rich.table import Table

from bench.data.schema import Span

console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def summary_table(rows: Sequence[dict[str, Any]], title: str = "newsbias-bench results") -> Table:
    """One row per run: corpus, task, model, then its headline metrics."""
    metric_names: list[str] = []
    for row in rows:
        for name in row["headline"]:
            if name not in metric_names:
                metric_names.append(name)
    table = Table(title=title)
    for column in ("corpus", "task", "model", "split", *metric_names, "status"):
        table.add_column(column, overflow="fold")
    for row in rows:
        values = [f"{row['headline'][m]:.3f}" if m in row["headline"] else "–" for m in metric_names]
        table.add_row(row["corpus"], row["task"], row["model"], row.get("split", ""), *values, row.get("status", "ok"))
    return table


def print_reference_findings(model: str, task: str, spans: Sequence[Span], gold: Sequence[Span],
                             unit: str = "spans") -> None:
    """List what the model found in the reference article (spans, or flagged sentences), marked against gold."""
    gold_keys = {(s.start, s.end) for s in gold}
    gold_overlap = lambda s: any(g.start < s.end and s.start < g.end for g in gold)  # noqa: E731
    verb = "flagged" if unit == "sentences" else "found"
    console.print(f"\n[bold]Reference article — {model} on {task}[/bold]: {len(spans)} {unit} {verb}, "
                  f"{len(gold)} in gold")
    for span in spans:
        mark = "exact" if (span.start, span.end) in gold_keys else ("overlap" if gold_overlap(span) else "not in gold")
        score = "" if span.score is None else f" {span.score:.2f}"
        text = span.text if len(span.text) <= 70 else span.text[:67] + "..."
        console.print(f"  • {text!r:45} {span.label:42}{score}  [{mark}]", markup=False)
    missed = [g for g in gold if not any(g.start < s.end and s.start < g.end for s in spans)]
    if missed:
        console.print("  missed: " + ", ".join(repr(g.text) for g in missed), markup=False)
