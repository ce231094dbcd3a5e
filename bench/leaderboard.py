"""``python -m bench.leaderboard --corpus C --task T``: ranked models with intervals and groups.

Reads the finished runs of experiment ``newsbias/<corpus>/<task>`` (the latest run per model
among those scored on the same documents), ranks them by a metric with its bootstrap interval,
and groups models that the paired bootstrap test cannot separate: each group is led by the best
model not yet grouped and holds every lower-ranked model whose difference from that leader is
not significant at ``--alpha``. Writes Markdown and HTML, prints a table, and logs all three as
artifacts of a ``leaderboard`` summary run in the same experiment.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import mlflow
from jinja2 import Environment, PackageLoader, select_autoescape
from mlflow.tracking import MlflowClient
from rich.table import Table

from bench.cli.errors import fail
from bench.compare import VERBOSE_HINT, align
from bench.errors import ConfigError
from bench.metrics.bootstrap import confidence_intervals, paired_bootstrap
from bench.report.console import console
from bench.runs import RunTable, load_run_table
from bench.tracking.store import DEFAULT_TIMEOUT_S, open_store



def collect_runs(client: MlflowClient, experiment_name: str) -> list[RunTable]:
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is None:
        raise ConfigError(f"no MLflow experiment {experiment_name!r} at {client.tracking_uri}")
    runs = client.search_runs([experiment.experiment_id], filter_string="attributes.status = 'FINISHED'",
                              order_by=["attributes.start_time DESC"], max_results=2000)
    latest: dict[str, Any] = {}
    for run in runs:
        if run.data.tags.get("kind") == "leaderboard" or "model" not in run.data.tags:
            continue
        latest.setdefault(run.data.tags["model"], run)
    tables = [load_run_table(client, run.info.run_id) for run in latest.values()]
    if not tables:
        raise ConfigError(f"experiment {experiment_name!r} has no finished model runs")
    common = Counter(t.key for t in tables).most_common(1)[0][0]
    return [t for t in tables if t.key == common]


def rank(tables: list[RunTable], metric: str, *, alpha: float, n_resamples: int, seed: int) -> list[dict[str, Any]]:
    rows = []
    for t in tables:
        value = t.table.metrics().get(metric, math.nan)
        if math.isnan(value):
            continue
        low = t.run.data.metrics.get(f"{metric}.ci_low")
        high = t.run.data.metrics.get(f"{metric}.ci_high")
        if low is None or high is None:
            low, high = confidence_intervals(t.table, [metric], len(t.table.doc_ids),
                                             n_resamples=n_resamples, seed=seed)[metric]
        rows.append({"model": t.model, "run_id": t.run.info.run_id, "value": value, "ci_low": low, "ci_high": high,
                     "table": t})
    if not rows:
        raise ConfigError(f"no run has metric {metric!r}")
    direction = -1.0 if tables[0].table.task.higher_is_better(metric) else 1.0
    rows.sort(key=lambda r: direction * r["value"])
    group = 0
    for i, row in enumerate(rows):
        if "group" in row:
            continue
        group += 1
        row["group"], row["p_vs_leader"] = group, None
        for other in rows[i + 1 :]:
            if "group" in other:
                continue
            a, b = align(row["table"], other["table"])
            result = paired_bootstrap(a, b, [metric], len(a.doc_ids), n_resamples=n_resamples,
                                      seed=seed)[0]
            if not (result.p_value < alpha):
                other["group"], other["p_vs_leader"] = group, result.p_value
    for position, row in enumerate(rows, start=1):
        row["rank"] = position
        row["group_label"] = chr(ord("A") + row["group"] - 1) if row["group"] <= 26 else str(row["group"])
    return rows


def to_markdown(rows: list[dict[str, Any]], metric: str, title: str) -> str:
    lines = [f"### {title}", "", f"| rank | model | {metric} | 95% CI | group | p vs group leader |",
             "|---:|---|---:|---|:-:|---:|"]
    for r in rows:
        p = "–" if r["p_vs_leader"] is None else f"{r['p_vs_leader']:.3f}"
        lines.append(f"| {r['rank']} | {r['model']} | {r['value']:.3f} | [{r['ci_low']:.3f}, {r['ci_high']:.3f}] | "
                     f"{r['group_label']} | {p} |")
    lines += ["", "Models sharing a group letter are not separated by the paired bootstrap test."]
    return "\n".join(lines)


def to_html(rows: list[dict[str, Any]], metric: str, title: str, notes: dict[str, Any]) -> str:
    env = Environment(loader=PackageLoader("bench", "report/templates"), autoescape=select_autoescape(default=True))
    return env.get_template("leaderboard.html.j2").render(rows=rows, metric=metric, title=title, notes=notes)


SUMMARY_COLUMNS = ("span.overlap.f1", "sentence.f1", "sentence.macro_f1", "sentence.roc_auc", "sentence.accuracy",
                   "span_label.micro_f1", "span_label.macro_f1")


def results_table(client: MlflowClient) -> str:
    """Markdown: the latest finished run of each model in every ``newsbias/*`` experiment."""
    lines = ["| corpus | task | split | model | " + " | ".join(SUMMARY_COLUMNS) + " |",
             "|---|---|---|---|" + "---:|" * len(SUMMARY_COLUMNS)]
    for experiment in sorted(client.search_experiments(), key=lambda e: e.name):
        if not experiment.name.startswith("newsbias/"):
            continue
        runs = client.search_runs([experiment.experiment_id], filter_string="attributes.status = 'FINISHED'",
                                  order_by=["attributes.start_time DESC"], max_results=2000)
        latest: dict[str, Any] = {}
        for run in runs:
            if run.data.tags.get("kind") != "leaderboard" and "model" in run.data.tags:
                latest.setdefault(run.data.tags["model"], run)
        for model, run in sorted(latest.items(), key=lambda kv: -kv[1].data.metrics.get("sentence.macro_f1", 0)):
            m, tags = run.data.metrics, run.data.tags
            cells = []
            for name in SUMMARY_COLUMNS:
                if name not in m:
                    cells.append("–")
                elif f"{name}.ci_low" in m:
                    cells.append(f"{m[name]:.3f} [{m[name + '.ci_low']:.2f}, {m[name + '.ci_high']:.2f}]")
                else:
                    cells.append(f"{m[name]:.3f}")
            lines.append(f"| {tags.get('corpus')} | {tags.get('task')} | {tags.get('eval_split')} | {model} | "
                         + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.leaderboard", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus")
    parser.add_argument("--task")
    parser.add_argument("--all", action="store_true",
                        help="print one Markdown table of every corpus and task (latest run per model) and exit")
    parser.add_argument("--metric", default=None, help="default: the task's primary metric (sentence.f1 for span detection, sentence.macro_f1 "
                             "for unit classification, span_label.micro_f1 for span labelling); metrics where lower "
                             "is better (ECE, Brier, density error) rank ascending")
    parser.add_argument("--tracking-uri", default=None,
                        help="MLflow store or server (default: MLFLOW_TRACKING_URI, else ./mlflow.db, else the "
                             "project's mlflow.db; never creates one)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                        help="seconds a tracking server has to answer")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, default=None, help="also write leaderboard.md/.html/.json here")
    parser.add_argument("--no-log", action="store_true", help="do not log a leaderboard summary run")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if not args.all and not (args.corpus and args.task):
        parser.error("--corpus and --task are required (or --all)")
    experiment = f"newsbias/{args.corpus}/{args.task}"
    try:
        client = open_store(args.tracking_uri, args.timeout)
        if args.all:
            print(results_table(client))
            return
        tables = collect_runs(client, experiment)
        metric = args.metric or tables[0].table.task.primary_metric()
        rows = rank(tables, metric, alpha=args.alpha, n_resamples=args.resamples, seed=args.seed)
    except Exception as exc:
        fail(exc, args.verbose, hint=VERBOSE_HINT)
    title = f"Leaderboard: {args.corpus} / {args.task} ({metric})"
    notes = {"experiment": experiment, "documents": len(tables[0].table.doc_ids),
             "eval split": tables[0].run.data.tags.get("eval_split"), "alpha": args.alpha,
             "bootstrap resamples": args.resamples}
    table = Table(title=title)
    for column in ("rank", "model", metric, "95% CI", "group", "p vs leader", "run"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r["rank"]), r["model"], f"{r['value']:.3f}", f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}]",
                      r["group_label"], "–" if r["p_vs_leader"] is None else f"{r['p_vs_leader']:.3f}",
                      r["run_id"][:8])
    console.print(table)
    markdown, html = to_markdown(rows, metric, title), to_html(rows, metric, title, notes)
    plain = [{k: v for k, v in r.items() if k != "table"} for r in rows]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.out or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "leaderboard.md").write_text(markdown + "\n", encoding="utf-8")
        (folder / "leaderboard.html").write_text(html, encoding="utf-8")
        (folder / "leaderboard.json").write_text(json.dumps({"notes": notes, "rows": plain}, indent=2), encoding="utf-8")
        if not args.no_log:
            mlflow.set_tracking_uri(client.tracking_uri)
            mlflow.set_experiment(experiment)
            with mlflow.start_run(run_name=f"leaderboard-{metric}", tags={"kind": "leaderboard", "metric": metric}):
                for name in ("leaderboard.md", "leaderboard.html", "leaderboard.json"):
                    mlflow.log_artifact(str(folder / name))
            console.print(f"logged as a 'leaderboard' run in experiment {experiment}")
    print(markdown)


if __name__ == "__main__":
    main()
