"""Console output: the run summary table and the reference-article findings."""

from __future__ import annotations

import sys
from typing import Any, Sequence

from rich.console import Console
from rich.table import Table


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
        # a header breaks only after a dot of a metric name, never mid-word; long values may fold
        parts = column.replace(".", ".\n").split("\n")
        table.add_column("\n".join(parts), overflow="fold", min_width=max(len(part) for part in parts))
    for row in rows:
        values = [f"{row['headline'][m]:.3f}" if m in row["headline"] else "–" for m in metric_names]
        table.add_row(row["corpus"], row["task"], row["model"], row.get("split", ""), *values, row.get("status", "ok"))
    return table
