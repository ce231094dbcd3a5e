"""``python -m bench.benchmark``: speed of corpus loading and of each scorer (prints figures; not a test).

Corpus loading (``--corpus-load``, by default the reference, PTC, Szeged and BASIL): the time to parse
a corpus without the cache, its first load with a fresh cache folder (parse, validate and save the
Arrow DatasetDict) and its second load (read back from the cache), and the cache entry's size.

For every model (``--models``): training time (trainable models), documents/s and tokens/s of
prediction, peak resident memory while predicting, and for transformer scorers the ratio of the
harness's throughput to a raw batched forward pass of the same model on the same inputs.

``--pool``: transformer throughput on the sentences of PTC + Szeged + BABE + BASIL (see
:mod:`bench.benchmark_pool`): harness end to end, raw pre-tokenised forward at the same precision and
batches, the tokenizer alone, per engine (``--engines torch torch+int8 onnx onnx+int8``) and precision
(``--precisions fp32 bf16``); ``--pool-limit N`` times a seeded sample of N sentences, ``--compare-fp32``
adds the largest probability difference and the changed decisions against fp32. Device and batching
come from model overrides (``model.device=cuda``, ``model.max_tokens_per_batch=...``).
"""

from __future__ import annotations

import argparse
import re
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import psutil
import yaml
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from bench.cli.errors import fail
from bench.config import config_dir, corpus_config, register_resolvers
from bench.data.load import load_corpus
from bench.data.schema import Document
from bench.errors import BenchError, ConfigError
from bench.job.steps import build_scorer, seed_everything
from bench.report.console import console
from bench.tasks import Task, build_task

_WORD = re.compile(r"\w+")
#: corpora whose load times are reported by default (``--corpus-load``)
LOAD_CORPORA = ["reference", "ptc", "szeged", "basil"]


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


def _corpus_settings(name: str, overrides: Sequence[str]) -> Any:
    """``conf/corpus/<name>.yaml`` with the ``paths.*`` and ``corpus.*`` overrides applied."""
    paths = OmegaConf.load(config_dir() / "paths" / "default.yaml")
    for override in overrides:
        key, _, value = override.lstrip("+").partition("=")
        if key.startswith("paths."):
            OmegaConf.update(paths, key.removeprefix("paths."), yaml.safe_load(value))
    cfg = corpus_config(name, paths)
    for override in overrides:
        key, _, value = override.lstrip("+").partition("=")
        if key.startswith("corpus."):
            OmegaConf.update(cfg, key.removeprefix("corpus."), yaml.safe_load(value))
    return cfg


def _timed(load: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    corpus = load()
    return corpus, time.perf_counter() - started


def benchmark_corpus_load(name: str, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """Seconds to parse corpus ``name`` without a cache, to load it first (parse and save) and second
    (from the cache) with a fresh temporary cache folder; the entry's size in MiB."""
    cfg = _corpus_settings(name, overrides)
    with tempfile.TemporaryDirectory(prefix="newsbias-corpus-cache-") as folder:
        cache = Path(folder)
        parsed, parse_s = _timed(lambda: load_corpus(cfg))
        first, first_s = _timed(lambda: load_corpus(cfg, cache_dir=cache))
        second, second_s = _timed(lambda: load_corpus(cfg, cache_dir=cache))
        size = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()) / 2**20
    if first.from_cache or not second.from_cache or second.fingerprint != parsed.fingerprint:
        raise RuntimeError(f"corpus {name!r}: the second load did not come from the cache")
    return {"corpus": name, "documents": len(parsed), "sentences": sum(len(d.sentences) for d in parsed.documents),
            "parse_s": parse_s, "first_s": first_s, "second_s": second_s, "cache_mib": size}


def print_corpus_load(rows: list[dict[str, Any]]) -> None:
    print("\nCorpus loading (seconds; first: parse, validate and save the Arrow DatasetDict; "
          "second: read it back):\n")
    print("| corpus | documents | sentences | parse, no cache | first load | second load | speed-up | cache MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if "error" in r:
            print(f"| {r['corpus']} | – | – | – | – | – | – | – |  ({r['error']})")
            continue
        print(f"| {r['corpus']} | {r['documents']:,} | {r['sentences']:,} | {r['parse_s']:.3f} | {r['first_s']:.3f} | "
              f"{r['second_s']:.3f} | {r['parse_s'] / r['second_s']:.1f}x | {r['cache_mib']:.1f} |")


def raw_forward_seconds(scorer: Any, docs: Sequence[Document], task: Task) -> float:
    """A plain batched forward pass of the scorer's model over the same sentences (no sorting)."""
    import torch

    examples = task.text_examples(docs, labelled_only=False)
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
    task = build_task(cfg.task)
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


def pool_base_scorer(model: str, overrides: Sequence[str], seed: int) -> Any:
    """The ``--pool`` model: a sentence classifier from ``conf/model/<model>.yaml`` with the model overrides,
    ready to predict (a saved model with ``model.load_from``, else the encoder with a seeded untrained
    head: throughput does not depend on the weights)."""
    import torch

    from bench.scorers.hf_common import resolve_model_path
    from bench.scorers.hf_models import TransformerSentenceClassifier

    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=[f"model={model}",
                                           *[o for o in overrides if o.lstrip("+").startswith("model.")]])
    seed_everything(seed)
    scorer = build_scorer(cfg.model)
    if not isinstance(scorer, TransformerSentenceClassifier):
        raise ConfigError(f"--pool times transformer sentence classifiers (e.g. minilm), not {model!r}")
    if not scorer.is_fitted:
        torch.manual_seed(seed)
        scorer._from_pretrained(resolve_model_path(scorer.model_name_or_path), num_labels=2)
        scorer.task_name = "pool"
    return scorer


def run_pool(args: argparse.Namespace) -> None:
    """``--pool``: build the sentence pool and print the throughput table."""
    import torch

    from bench.benchmark_pool import benchmark_pool, pool_sentences, print_pool

    cache = None if args.cache_dir.lower() == "none" else Path(args.cache_dir)
    texts, counts = pool_sentences(args.pool_corpora, args.overrides, cache, args.pool_limit, args.seed)
    base = pool_base_scorer(args.pool_model, args.overrides, args.seed)
    rows = benchmark_pool(texts, base, args.engines, args.precisions, args.compare_fp32)
    device = (torch.cuda.get_device_name(base.device) if base.device.type == "cuda" else "CPU")
    print_pool(rows, counts, device, psutil.cpu_count() or 0)
    console.print("(figures from one run on this machine; rerun for variance)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.benchmark", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="babe")
    parser.add_argument("--task", default="loaded_language")
    parser.add_argument("--models", nargs="*", default=["lexicon", "tfidf_logreg", "crf", "minilm"],
                        help="models to time on --corpus (--models alone: none)")
    parser.add_argument("--corpus-load", nargs="*", default=LOAD_CORPORA, metavar="CORPUS",
                        help="corpora whose first (parse) and second (cached) load times are reported "
                             f"(default: {' '.join(LOAD_CORPORA)}; --corpus-load alone: none)")
    parser.add_argument("--documents", type=int, default=500, help="documents to predict")
    parser.add_argument("--train-documents", type=int, default=1000, help="documents to train on")
    parser.add_argument("--pool", action="store_true",
                        help="only the transformer throughput on the PTC + Szeged + BABE + BASIL sentence pool")
    parser.add_argument("--pool-corpora", nargs="+", default=["ptc", "szeged", "babe", "basil"], metavar="CORPUS")
    parser.add_argument("--pool-limit", type=int, default=None, metavar="N",
                        help="time a seeded sample of N pool sentences (a quick run)")
    parser.add_argument("--pool-model", default="minilm", help="a transformer sentence classifier config")
    parser.add_argument("--engines", nargs="+", default=["torch"], metavar="ENGINE",
                        help="torch, torch+int8, onnx, onnx+int8 (default: torch)")
    parser.add_argument("--precisions", nargs="+", default=["auto"], metavar="PRECISION",
                        help="precisions of the torch engine: auto (bf16 on CUDA, fp32 on CPU), fp32, bf16, fp16")
    parser.add_argument("--compare-fp32", action="store_true",
                        help="compare every engine's probabilities with the fp32 torch model's")
    parser.add_argument("--cache-dir", default=".cache", help="corpus cache folder ('none': parse every time)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("overrides", nargs="*",
                        help="Hydra overrides, e.g. model.epochs=1 model.device=cuda (model settings apply to the "
                             "models that have them)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    for names in (args.models, args.corpus_load, args.pool_corpora, args.engines, args.precisions):
        args.overrides += [n for n in names if "=" in n]  # an override after a list option lands in that list
        names[:] = [n for n in names if "=" not in n]
    for option, values, allowed in (("--engines", args.engines, ("torch", "torch+int8", "onnx", "onnx+int8")),
                                    ("--precisions", args.precisions, ("auto", "fp32", "bf16", "fp16"))):
        wrong = [v for v in values if v not in allowed]
        if wrong or not values:
            parser.error(f"{option}: {', '.join(wrong) or 'nothing'} (choose from {', '.join(allowed)})")
    register_resolvers()
    if args.pool:
        try:
            run_pool(args)
        except Exception as exc:
            fail(exc, args.verbose)
        return
    load_rows: list[dict[str, Any]] = []
    if args.corpus_load:
        started = time.perf_counter()
        import datasets  # noqa: F401  (imported once per process; not part of any load time)

        import_s = time.perf_counter() - started
        for name in args.corpus_load:
            try:
                load_rows.append(benchmark_corpus_load(name, args.overrides))
            except BenchError as exc:
                load_rows.append({"corpus": name, "error": str(exc).splitlines()[0][:160]})
            except Exception as exc:
                fail(exc, args.verbose)
    rows = []
    try:
        for model in args.models:
            rows.append(benchmark_model(model, args.corpus, args.task, args.documents, args.train_documents,
                                        args.overrides))
    except Exception as exc:
        fail(exc, args.verbose)
    if load_rows:
        print_corpus_load(load_rows)
        console.print(f"(import datasets took {import_s:.2f} s once per process, not counted above)")
    if not rows:
        return
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
