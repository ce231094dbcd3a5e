"""``behaviour.html``: each suite's metrics and its failing examples, the changed words marked (Jinja2, autoescaped)."""

from __future__ import annotations

import difflib
import json
import math
import re
from pathlib import Path
from typing import Any, Sequence

from jinja2 import Environment, PackageLoader, select_autoescape

from bench.behaviour.base import SuiteResult

_PIECES = re.compile(r"\s+|\w+|[^\w\s]")


def marked(original: str, variant: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Both texts as (piece, changed) runs: the words one version has and the other does not are changed."""
    a, b = _PIECES.findall(original), _PIECES.findall(variant)
    left: list[tuple[str, bool]] = []
    right: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            left.append(("".join(a[i1:i2]), changed))
        if j2 > j1:
            right.append(("".join(b[j1:j2]), changed))
    return left, right


def _rows(result: SuiteResult) -> list[dict[str, Any]]:
    out = []
    for failure in result.failures:
        left, right = marked(failure["original"], failure["variant"])
        out.append({**failure, "left": left, "right": right})
    return out


def _metric_rows(result: SuiteResult) -> list[tuple[str, str, str]]:
    rows = []
    for name in sorted(k for k in result.metrics if not k.endswith((".ci_low", ".ci_high"))):
        value = result.metrics[name]
        low, high = result.metrics.get(f"{name}.ci_low"), result.metrics.get(f"{name}.ci_high")
        interval = f"[{low:.3f}, {high:.3f}]" if low is not None and high is not None and not math.isnan(low) else ""
        rows.append((name, "–" if math.isnan(value) else f"{value:.3f}", interval))
    return rows


def render_behaviour_report(results: Sequence[SuiteResult], *, title: str, run_info: dict[str, Any]) -> str:
    environment = Environment(loader=PackageLoader("bench", "report/templates"),
                              autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True))
    suites = [{"result": r, "metrics": _metric_rows(r), "failures": _rows(r)} for r in results]
    return environment.get_template("behaviour.html.j2").render(title=title, run_info=run_info, suites=suites)


def write_behaviour(results: Sequence[SuiteResult], folder: Path, *, title: str, run_info: dict[str, Any]) -> None:
    """``behaviour.html`` and ``behaviour.json`` (every suite's metrics, notes and failing examples)."""
    if not results:
        return
    (folder / "behaviour.html").write_text(render_behaviour_report(results, title=title, run_info=run_info),
                                           encoding="utf-8")
    payload = [{"suite": r.name, "description": r.description, "skipped": r.skipped or None, "metrics": r.metrics,
                "notes": r.notes, "n_failures": r.n_failures,
                "failures": [{k: v for k, v in f.items() if k != "meta"} | {"meta": f.get("meta", {})}
                             for f in r.failures]} for r in results]
    (folder / "behaviour.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str),
                                           encoding="utf-8")
