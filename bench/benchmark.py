"""``python -m bench.benchmark``: speed of each scorer on a named corpus (prints figures; not a test).

For every model: training time (trainable models), documents/s and tokens/s of prediction,
peak resident memory while predicting, and for transformer scorers the ratio of the harness's
throughput to a raw batched forward pass of the same model on the same inputs.
"""

from __future__ import annotations

import argparse
import re
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import psutil
import yaml
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from bench.cli.errors import fail
from bench.config import config_dir, register_resolvers
from bench.data.load import load_corpus
from bench.data.schema import Document
from bench.experiment import build_scorer, seed_everything
from bench.report.console import console
from bench.scorers.examples import sentence_examples
from bench.tasks import Task

_WORD = re.compile(r"\w+")


@contextmanager
def peak_rss() -> Iterator[dict[str, float]]:
    """Samples this process's resident memory every 5 ms; yields a dict filled on exit (MiB)."""
    process, result, stop = psutil.Process(), {"start": 0.0, "peak": 0.0}, threading.Event()
    result["start"] = result["peak"] = process.memory_info().rss / 2**20

    def sample() -> None:
        while not stop.is_set():
            result["peak"] = max(result["peak"], process.memory_info().rss / 2**20)
            stop.wait(0.005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        result["peak"] = max(result["peak"], process.memory_info().rss / 2**20)


def raw_forward_seconds(scorer: Any, docs: Sequence[Document], task: Task) -> float:
    """A plain batched forward pass of the scorer's model over the same sentences (no sorting)."""
    import torch

    examples = sentence_examples(task, docs, labelled_only=False)
    texts = [e.text for e in examples]
    model, tokenizer = scorer.model, scorer.tokenizer
    model.eval()
    started = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(texts), scorer.batch_size):
            batch = tokenizer(texts[i : i + scorer.batch_size], truncation=True, padding="longest",
                              max_length=scorer.max_length, return_tensors="pt")
            model(**{k: v.to(scorer.device) for k, v in batch.items()})
    if scorer.device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started


def benchmark_model(model: str, corpus_name: str, task_name: str, n_docs: int, n_train: int,
                    overrides: Sequence[str]) -> dict[str, Any]:
    model_overrides = [o.lstrip("+") for o in overrides if o.lstrip("+").startswith("model.")]
    other = [o for o in overrides if not o.lstrip("+").startswith("model.")]
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=[f"corpus={corpus_name}", f"task={task_name}", f"model={model}", *other])
    for override in model_overrides:  # model settings apply to the models that have them
        key, _, value = override.partition("=")
        if OmegaConf.select(cfg, key) is not None:
            OmegaConf.update(cfg, key, yaml.safe_load(value))
    seed_everything(int(cfg.seed))
    task = Task.from_config(cfg.task)
    corpus = load_corpus(cfg.corpus)
    scorer = build_scorer(cfg.model)
    scorer.check_task(task)
    row: dict[str, Any] = {"model": model, "train_s": None}
    if getattr(scorer, "trainable", False):
        train = corpus.split("train")[:n_train] if "train" in corpus.splits else corpus.documents[:n_train]
        validation = corpus.split("validation")[: max(1, n_train // 5)] if "validation" in corpus.splits else None
        started = time.perf_counter()
        scorer.fit(train, task, validation)
        row["train_s"] = time.perf_counter() - started
        row["train_docs"] = len(train)
    split = str(cfg.corpus.get("eval_split", "test"))
    docs = corpus.split(split)[:n_docs]
    tokens = sum(len(_WORD.findall(d.text)) for d in docs)
    scorer.predict(docs[:2], task)  # warm-up (lazy initialisation, first-call overheads)
    with peak_rss() as memory:
        started = time.perf_counter()
        scorer.predict(docs, task)
        seconds = time.perf_counter() - started
    row.update({"docs": len(docs), "docs_per_s": len(docs) / seconds, "tokens_per_s": tokens / seconds,
                "peak_rss_mib": memory["peak"], "rss_increase_mib": memory["peak"] - memory["start"],
                "raw_ratio": None})
    if hasattr(scorer, "tokenizer") and hasattr(scorer, "model") and getattr(scorer, "model", None) is not None:
        raw = raw_forward_seconds(scorer, docs, task)
        row["raw_ratio"] = (len(docs) / seconds) / (len(docs) / raw)
        row["device"] = str(scorer.device)
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.benchmark", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="babe")
    parser.add_argument("--task", default="loaded_language")
    parser.add_argument("--models", nargs="+", default=["lexicon", "tfidf_logreg", "crf", "minilm"])
    parser.add_argument("--documents", type=int, default=500, help="documents to predict")
    parser.add_argument("--train-documents", type=int, default=1000, help="documents to train on")
    parser.add_argument("overrides", nargs="*",
                        help="Hydra overrides, e.g. model.epochs=1 model.device=cuda (model settings apply to the "
                             "models that have them)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    register_resolvers()
    rows = []
    try:
        for model in args.models:
            rows.append(benchmark_model(model, args.corpus, args.task, args.documents, args.train_documents,
                                        args.overrides))
    except Exception as exc:
        fail(exc, args.verbose)
    print(f"\nSpeed on {args.corpus}/{args.task} ({psutil.cpu_count()} CPUs):\n")
    print("| model | train docs | train s | docs/s | tokens/s | peak RSS MiB | RSS increase MiB | harness/raw forward |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        train = f"{r['train_s']:.1f}" if r["train_s"] is not None else "–"
        ratio = f"{r['raw_ratio']:.2f}" if r["raw_ratio"] is not None else "–"
        print(f"| {r['model']} | {r.get('train_docs', '–')} | {train} | {r['docs_per_s']:.1f} | {r['tokens_per_s']:.0f} | "
              f"{r['peak_rss_mib']:.0f} | {r['rss_increase_mib']:.0f} | {ratio} |")
    console.print("(figures from one run on this machine; rerun for variance)")


if __name__ == "__main__":
    main()
