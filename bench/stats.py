"""``python -m bench.stats``: per-corpus statistics (documents, sentences, spans, balance, splits)."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from bench.cli.errors import fail

from omegaconf import OmegaConf

from bench.config import available, corpus_config, find_config
from bench.data.corpus import Corpus
from bench.data.load import load_corpus
from bench.tasks import load_task


def corpus_statistics(corpus: Corpus, tasks: dict[str, list[str]]) -> dict[str, Any]:
    """Counts that SOURCE.md files state, computed from what the loader produced."""
    spans = Counter(s.label for d in corpus.documents for s in d.spans)
    native = Counter(s.native_label for d in corpus.documents for s in d.spans if s.native_label)
    balance: dict[str, dict[str, int]] = {}
    for task_name in tasks:
        task = load_task(task_name)
        balance[task_name] = task.class_balance(corpus.documents)
    return {
        "corpus": corpus.name,
        "documents": len(corpus.documents),
        "sentences": sum(len(d.sentences) for d in corpus.documents),
        "spans": dict(sorted(spans.items())),
        "native_labels": dict(native.most_common()) if len(native) <= 20 else {"distinct": len(native)},
        "balance": balance,
        "splits": {k: len(v) for k, v in corpus.splits.items()},
        "fingerprint": corpus.fingerprint,
        "skipped": dict(corpus.skipped),
        "notes": corpus.notes,
    }


def ready_corpora() -> list[str]:
    """Corpus configs that load as they are: templates such as ``jsonl`` (``name: ???``, ``root: ???``)
    need values from the command line and are left out of the default list."""
    ready = []
    for name in available("corpus"):
        path = find_config("corpus", name)
        cfg = OmegaConf.load(path) if path is not None else None
        if cfg is not None and not any(OmegaConf.is_missing(cfg, key) for key in cfg):
            ready.append(name)
    return ready


def _markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| corpus | documents | sentences | spans by label | sentence balance | splits | fingerprint |",
             "|---|---:|---:|---|---|---|---|"]
    for r in rows:
        ranked = sorted(r["spans"].items(), key=lambda kv: -kv[1])
        shown = [f"{k} {v:,}" for k, v in ranked[:4]]
        if len(ranked) > 4:
            shown.append(f"{len(ranked) - 4} more labels {sum(v for _, v in ranked[4:]):,}")
        spans = "<br>".join(shown) or "–"
        balance = "<br>".join(f"{t}: " + ", ".join(f"{k} {v:,}" for k, v in c.items()) for t, c in r["balance"].items())
        splits = ", ".join(f"{k} {v:,}" for k, v in r["splits"].items()) or "–"
        lines.append(f"| {r['corpus']} | {r['documents']:,} | {r['sentences']:,} | {spans} | {balance} | {splits} | "
                     f"`{r['fingerprint']}` |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stats", description=__doc__)
    parser.add_argument("corpora", nargs="*", help="corpus config names (default: every corpus config that needs no settings; "
                             "templates such as jsonl are left out)")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--lenient", action="store_true", help="skip malformed rows and count them")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    try:
        rows = []
        for name in args.corpora or ready_corpora():
            cfg = corpus_config(name)
            corpus = load_corpus(cfg, strict=not args.lenient)
            rows.append(corpus_statistics(corpus, {k: list(v) for k, v in (cfg.get("tasks") or {}).items()}))
    except Exception as exc:
        fail(exc, args.verbose)
    if args.format == "json":
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    print(_markdown(rows))
    for r in rows:
        extra = {k: v for k, v in (("skipped", r["skipped"]), ("notes", r["notes"])) if v}
        if extra:
            print(f"\n{r['corpus']}: " + json.dumps(extra, ensure_ascii=False), file=sys.stdout)


if __name__ == "__main__":
    main()
