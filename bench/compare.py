"""``python -m bench.compare RUN_A RUN_B``: paired comparison of two runs on the same items.

For every headline metric: a paired bootstrap over documents of metric(A) − metric(B), with its
interval, relative effect size and p-value; and McNemar's exact test on the sentence decisions.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

import numpy as np

from bench.cli.errors import fail
from bench.errors import ConfigError
from bench.evaluation import EvalTable
from bench.metrics.bootstrap import paired_bootstrap
from bench.metrics.significance import mcnemar
from bench.runs import RunTable, load_run_table
from bench.tracking.store import DEFAULT_TIMEOUT_S, open_store


#: the review commands' own flag (``verbose=true`` is the Hydra app's)
VERBOSE_HINT = "add --verbose for a traceback"


def align(a: RunTable, b: RunTable) -> tuple[EvalTable, EvalTable]:
    """Check that both runs scored the same documents and items; reorder B's documents as A's."""
    if a.key[:3] != b.key[:3]:
        raise ConfigError(f"runs are not on the same items: A has (corpus fingerprint, split, task) {a.key[:3]}, "
                          f"B has {b.key[:3]}")
    if set(a.table.doc_ids) != set(b.table.doc_ids):
        raise ConfigError("runs scored different documents (different subsets?); they cannot be paired")
    position = {d: i for i, d in enumerate(b.table.doc_ids)}
    order = [position[d] for d in a.table.doc_ids]
    tb = b.table
    items = tb.items_of(order)
    doc_map = {old: new for new, old in enumerate(order)}
    reordered = EvalTable(tb.task, tb.levels, tb.threshold, [tb.doc_ids[i] for i in order], tb.exact[order],
                          tb.overlap[order], tb.density[order], np.array([doc_map[tb.item_doc[i]] for i in items]),
                          [tb.item_offsets[i] for i in items], [tb.item_gold[i] for i in items], tb.item_scores[items],
                          tb.calibration_bins)
    if [(a.table.doc_ids[d], o) for d, o in zip(a.table.item_doc, a.table.item_offsets)] != \
            [(reordered.doc_ids[d], o) for d, o in zip(reordered.item_doc, reordered.item_offsets)]:
        raise ConfigError("runs scored different sentence items; they cannot be paired")
    return a.table, reordered


def _better(difference: float, higher_is_better: bool) -> str:
    """Which run the difference favours, by the metric's direction (lower ECE or Brier is better)."""
    if difference == 0 or difference != difference:
        return "tie"
    return "A" if (difference > 0) == higher_is_better else "B"


def compare_tables(a: EvalTable, b: EvalTable, metrics: list[str], *, n_resamples: int, seed: int
                   ) -> dict[str, Any]:
    results = [{**asdict(r), "relative": r.relative,
                "better": _better(r.difference, a.task.higher_is_better(r.metric))}
               for r in paired_bootstrap(a, b, metrics, len(a.doc_ids), n_resamples=n_resamples,
                                         seed=seed)]
    gold = np.array(a.item_gold, dtype=object)
    test = mcnemar(gold, a.decisions().astype(object), b.decisions().astype(object))
    return {"paired_bootstrap": results,
            "mcnemar": {"a_only_correct": test.a_only, "b_only_correct": test.b_only, "p_value": test.p_value,
                        "odds_ratio": test.odds_ratio, "items": len(gold)}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_a", help="run id, or a unique prefix of it (as the leaderboard prints)")
    parser.add_argument("run_b", help="run id, or a unique prefix of it")
    parser.add_argument("--tracking-uri", default=None,
                        help="MLflow store or server (default: MLFLOW_TRACKING_URI, else ./mlflow.db, else the "
                             "project's mlflow.db; never creates one)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                        help="seconds a tracking server has to answer")
    parser.add_argument("--metric", action="append", help="metric(s) to compare (default: the headline metrics)")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    try:
        client = open_store(args.tracking_uri, args.timeout)
        run_a, run_b = load_run_table(client, args.run_a), load_run_table(client, args.run_b)
        a, b = align(run_a, run_b)
        metrics = args.metric or [m for m in a.task.headline_names(a.levels) if m in a.metrics() and m in b.metrics()]
        result = compare_tables(a, b, metrics, n_resamples=args.resamples, seed=args.seed)
    except Exception as exc:
        fail(exc, args.verbose, hint=VERBOSE_HINT)
    id_a, id_b = run_a.run.info.run_id, run_b.run.info.run_id
    result["a"], result["b"] = {"run": id_a, "model": run_a.model}, {"run": id_b, "model": run_b.model}
    if args.json:
        print(json.dumps(result, indent=2, default=float))
        return
    print(f"A = {run_a.model} ({id_a}), B = {run_b.model} ({id_b}), {len(a.doc_ids)} documents\n")
    print("| metric | A | B | A − B | 95% CI | relative | p (paired bootstrap) | better |")
    print("|---|---:|---:|---:|---|---:|---:|---|")
    for r in result["paired_bootstrap"]:
        print(f"| {r['metric']} | {r['a']:.4f} | {r['b']:.4f} | {r['difference']:+.4f} | "
              f"[{r['ci_low']:+.4f}, {r['ci_high']:+.4f}] | {r['relative']:+.1%} | {r['p_value']:.4f} | "
              f"{r['better']} |")
    m = result["mcnemar"]
    print(f"\nMcNemar (exact) on {m['items']} {a.task.item_level} decisions: A right/B wrong {m['a_only_correct']}, "
          f"B right/A wrong {m['b_only_correct']}, odds ratio {m['odds_ratio']:.3f}, p = {m['p_value']:.4g}")


if __name__ == "__main__":
    main()
