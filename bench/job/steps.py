"""The steps of one job, each a function of the run state: load → build → fit → predict → evaluate → analyse."""

from __future__ import annotations

import hashlib
import json
import random
import sys
import time
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from bench import analysis
from bench.cache import PredictionCache
from bench.data.load import corpus_supports, load_corpus
from bench.data.schema import Document
from bench.errors import ConfigError, InSampleWarning
from bench.evaluation import evaluate
from bench.job.state import Reference, RunState
from bench.job.training import fit_or_reuse
from bench.predictions import DocumentPrediction
from bench.scorers.base import Scorer
from bench.targets import instantiate_target
from bench.tasks import Task


def seed_everything(seed: int) -> None:
    """Seed Python's and numpy's generators, and torch's where it is loaded.

    torch (1-2 s to import) is not imported for models that do not use it; the transformer
    scorers seed it themselves before they build or train a model.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


def build_scorer(model_cfg: DictConfig) -> Scorer:
    """Instantiate the scorer named by ``model_cfg._target_`` (``name`` is not a parameter)."""
    params = OmegaConf.to_container(model_cfg, resolve=True)
    assert isinstance(params, dict)
    params.pop("name", None)
    return instantiate_target(params, Scorer, f"model {model_cfg.get('name')!r}", "model._target_")


def corpus_cache_dir(cfg: DictConfig) -> Path | None:
    cache = cfg.get("cache") or {}
    return Path(str(cache.dir)) if cache.get("enabled", True) else None


def supported_levels(corpus_cfg: DictConfig, task: Task) -> list[str]:
    """The task's levels the corpus has gold for; a clear error if none."""
    levels = corpus_supports(corpus_cfg, task)
    if not levels:
        has = ", ".join(corpus_cfg.get("tasks", {}).keys()) or "none"
        raise ConfigError(f"corpus {corpus_cfg.name!r} has no gold labels for task {task.name!r}; its tasks: {has}")
    return [level for level in task.levels if level in levels]


def subset(docs: list[Document], limit: int | None, seed: int) -> list[Document]:
    """A seeded sample of ``limit`` documents (all when unset), in corpus order."""
    if not limit or limit >= len(docs):
        return docs
    keep = set(np.random.default_rng(seed).choice(len(docs), size=int(limit), replace=False).tolist())
    return [d for i, d in enumerate(docs) if i in keep]


def _subset(state: RunState, docs: list[Document], which: str) -> list[Document]:
    return subset(docs, (state.cfg.get("subset") or {}).get(which), int(state.cfg.seed))


# ------------------------------------------------------------------------------------- steps
def resolve_levels(state: RunState) -> None:
    """The levels the evaluated corpus has gold for (from its config; the training corpus must have some)."""
    cfg = state.cfg
    state.levels = supported_levels(cfg.corpus, state.task)
    state.spans_are_gold = "span" in state.levels
    if cfg.get("train_corpus") is not None:
        supported_levels(cfg.train_corpus, state.task)


def load_data(state: RunState) -> None:
    """The evaluated corpus and its evaluation documents; the training corpus (default: the same)."""
    cfg = state.cfg
    state.corpus = load_corpus(cfg.corpus, cache_dir=corpus_cache_dir(cfg))
    state.tags.update({"corpus_fingerprint": state.corpus.fingerprint, "corpus_documents": len(state.corpus),
                       **{f"skipped.{k}": v for k, v in state.corpus.skipped.items()},
                       **{f"corpus_note.{k}": v for k, v in state.corpus.notes.items() if not isinstance(v, list)}})
    state.train_corpus = state.corpus
    if cfg.get("train_corpus") is not None:
        state.train_corpus = load_corpus(cfg.train_corpus, cache_dir=corpus_cache_dir(cfg))
        state.tags.update({"train_corpus": state.train_corpus.name,
                           "train_corpus_fingerprint": state.train_corpus.fingerprint})
    state.eval_split = str(cfg.get("eval_split") or cfg.corpus.get("eval_split", "test"))
    state.eval_docs = _subset(state, state.corpus.split(state.eval_split), "eval")


def build_model(state: RunState) -> None:
    """The scorer, and the output it gives this task (which may narrow the levels)."""
    state.scorer = build_scorer(state.cfg.model)
    state.output, levels = state.scorer.check_task(state.task)
    skipped = [level for level in state.levels if level not in levels]
    state.levels = [level for level in state.levels if level in levels]
    if skipped:
        state.tags["levels_skipped"] = f"{','.join(skipped)} (the model gives {state.output.describe()})"
    if not state.levels:
        raise ConfigError(f"model {state.model_name!r} gives {state.output.describe()}, which cannot be scored at "
                          f"any level corpus {state.cfg.corpus.name!r} has gold for")


def training_data(state: RunState) -> tuple[list[Document], list[Document] | None]:
    """The training documents (``train_split``; default its train split, else all) and validation documents."""
    corpus = state.train_corpus
    assert corpus is not None
    split = state.cfg.get("train_split")
    if split is None:
        split = "train" if "train" in corpus.splits else "all"
    train = _subset(state, corpus.split(split), "train")
    validation = None
    if split != "all" and "validation" in corpus.splits:
        validation = _subset(state, corpus.split("validation"), "validation")
    return train, validation


def fit_model(state: RunState) -> None:
    """Train a trainable scorer, reuse a cached one, or take the one given with ``model.load_from``."""
    assert state.scorer is not None and state.train_corpus is not None
    train, validation = training_data(state)
    state.training_metrics, tags = fit_or_reuse(state.scorer, state.task, state.train_corpus, train, validation,
                                                cache_dir=corpus_cache_dir(state.cfg), folder=state.model_dir,
                                                progress=bool(state.cfg.get("progress", True)))
    state.tags.update(tags)
    if tags.get("model_source", "").startswith(("trained", "cache:")):  # not a model loaded from elsewhere
        seen = {d.id for d in train} & {d.id for d in state.eval_docs}
        same = state.train_corpus.fingerprint == (state.corpus.fingerprint if state.corpus else None)
        state.tags["in_sample"] = str(bool(seen) and same).lower()
        if seen and same:
            warnings.warn(f"{len(seen)} of the {len(state.eval_docs)} evaluated documents were in the training data: "
                          "these are in-sample figures (give the corpus a train split or a corpus@train_corpus)",
                          InSampleWarning, stacklevel=1)


def prediction_cache(state: RunState) -> PredictionCache | None:
    cache_dir = corpus_cache_dir(state.cfg)
    if cache_dir is None:
        return None
    assert state.scorer is not None
    if not state.scorer.caches_predictions:  # it caches its own work (an LLM's replies)
        return None
    # keyed on the task's parameters too: they can change what a model is asked (e.g. task.units)
    spec = {k: v for k, v in state.task.config().items() if k != "description"}
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:8]
    return PredictionCache(cache_dir / "predictions", state.scorer.fingerprint(), f"{state.task.name}-{digest}")


def predict_documents(scorer: Scorer, docs: Sequence[Document], task: Task, *, cache: PredictionCache | None,
                      progress: bool, desc: str, batch_size: int = 64) -> list[DocumentPrediction]:
    """Predict every document in batches, reusing cached predictions; a progress bar over documents."""
    out: dict[str, DocumentPrediction] = {}
    todo: list[Document] = []
    for doc in docs:
        hit = cache.get(doc) if cache else None
        if hit is not None:
            out[doc.id] = hit
        else:
            todo.append(doc)
    with tqdm(total=len(docs), desc=desc, unit="doc", disable=not progress, initial=len(docs) - len(todo)) as bar:
        for i in range(0, len(todo), batch_size):
            batch = todo[i : i + batch_size]
            for doc, pred in zip(batch, scorer.predict(batch, task), strict=True):
                out[doc.id] = pred
                if cache:
                    cache.put(doc, pred)
            bar.update(len(batch))
    return [out[d.id] for d in docs]


def predict(state: RunState) -> None:
    assert state.scorer is not None and state.corpus is not None
    cache = prediction_cache(state)
    started = time.perf_counter()
    state.predictions = predict_documents(state.scorer, state.eval_docs, state.task, cache=cache,
                                          progress=bool(state.cfg.get("progress", True)),
                                          desc=f"{state.model_name} on {state.corpus.name}/{state.eval_split}")
    state.inference_seconds = time.perf_counter() - started
    state.tags.update({"cache_hits": cache.hits if cache else 0, "cache_misses": cache.misses if cache else 0})


def evaluate_predictions(state: RunState) -> None:
    state.evaluation = evaluate(state.task, state.eval_docs, state.predictions, state.levels,
                                threshold=state.threshold, spans_are_gold=state.spans_are_gold,
                                calibration_bins=int(state.cfg.evaluation.calibration_bins))


def analyse(state: RunState) -> None:
    """Headline metrics with bootstrap intervals, calibration and slices; speed and threshold."""
    assert state.evaluation is not None
    ecfg, table, seconds = state.cfg.evaluation, state.evaluation.table, state.inference_seconds
    metrics = dict(state.evaluation.metrics)
    metrics["inference.seconds"] = seconds
    metrics["inference.documents_per_second"] = len(state.eval_docs) / seconds if seconds > 0 else float("nan")
    metrics["threshold"] = state.threshold
    metrics.update(analysis.intervals(table, n_resamples=int(ecfg.bootstrap_resamples), seed=int(state.cfg.seed),
                                      confidence=float(ecfg.confidence)))
    state.slice_rows = analysis.slices(table, state.eval_docs, state.evaluation.records, list(ecfg.slices),
                                       bool(ecfg.span_label_slices), int(ecfg.min_slice_documents))
    metrics.update(analysis.slice_metrics(state.slice_rows))
    metrics.update(fp32_reference_metrics(state))
    state.metrics = metrics


def fp32_reference_metrics(state: RunState) -> dict[str, float]:
    """For a scorer predicting through a faster variant (ONNX Runtime, int8, bf16): the same model's
    fp32 torch predictions on the same documents, its headline metrics and the variant's change
    (``fp32_reference.<metric>``, ``fp32_reference.delta.<metric>`` = variant − fp32), the largest
    score difference and the number of changed decisions. Nothing for other scorers."""
    make = getattr(state.scorer, "fp32_reference", None)
    reference = make() if callable(make) else None
    if reference is None or state.evaluation is None:
        return {}
    own = prediction_cache(state)  # the reference's predictions are cached beside the scorer's, same task key
    cache = PredictionCache(own.folder.parents[1], reference.fingerprint(), own.folder.name) if own else None
    started = time.perf_counter()
    predictions = predict_documents(reference, state.eval_docs, state.task, cache=cache,
                                    progress=bool(state.cfg.get("progress", True)), desc="fp32 reference")
    seconds = time.perf_counter() - started
    fp32 = evaluate(state.task, state.eval_docs, predictions, state.levels, threshold=state.threshold,
                    spans_are_gold=state.spans_are_gold, calibration_bins=int(state.cfg.evaluation.calibration_bins))
    out = {"fp32_reference.inference.seconds": seconds}
    for name in state.task.headline_names(state.levels):
        if name in fp32.metrics and name in state.evaluation.metrics:
            out[f"fp32_reference.{name}"] = fp32.metrics[name]
            out[f"fp32_reference.delta.{name}"] = state.evaluation.metrics[name] - fp32.metrics[name]
    mine, theirs = state.evaluation.table, fp32.table
    if len(mine.item_scores):
        out["fp32_reference.max_score_difference"] = float(np.max(np.abs(mine.item_scores - theirs.item_scores)))
        out["fp32_reference.changed_decisions"] = float(np.sum(mine.decisions() != theirs.decisions()))
    return out


def show_reference(state: RunState) -> None:
    """The model's predictions on the reference article (skipped when it has no gold for the task)."""
    cfg = state.cfg
    reference_cfg = cfg.get("reference")
    assert state.corpus is not None and state.scorer is not None
    if reference_cfg is None:
        return
    levels = corpus_supports(reference_cfg, state.task)
    if not levels:
        return
    if state.corpus.name == reference_cfg.name and state.eval_docs:
        state.reference = Reference(list(state.eval_docs), list(state.predictions), levels)
        return
    documents = load_corpus(reference_cfg, cache_dir=corpus_cache_dir(cfg)).documents
    predictions = predict_documents(state.scorer, documents, state.task, cache=prediction_cache(state),
                                    progress=False, desc="reference")
    state.reference = Reference(documents, predictions, levels)


def evaluate_disagreement(state: RunState) -> None:
    """Soft-label metrics against the annotators' label distribution, where the corpus keeps every
    annotator's label (MBIC, Lim 2020): ``disagreement.*`` (bench.metrics.disagreement)."""
    from bench.metrics.disagreement import evaluate_disagreement as disagreement

    ecfg = state.cfg.evaluation
    state.metrics.update(disagreement(state.task, state.eval_docs, state.predictions, state.threshold,
                                      n_resamples=int(ecfg.bootstrap_resamples), seed=int(state.cfg.seed),
                                      confidence=float(ecfg.confidence)))


def evaluate_behaviour(state: RunState) -> None:
    """The behavioural suites named in ``evaluation.behaviour`` (bench.behaviour): metrics, tags, failures."""
    names = list(state.cfg.evaluation.get("behaviour") or [])
    if not names:
        return
    from bench.behaviour.run import metrics_and_tags, run_behaviour
    from bench.behaviour.settings import BehaviourSettings

    assert state.scorer is not None and state.train_corpus is not None
    cfg, ecfg, scorer, cache = state.cfg, state.cfg.evaluation, state.scorer, prediction_cache(state)
    trained = str(state.tags.get("model_source", "")).startswith(("trained", "cache:"))
    settings = BehaviourSettings(threshold=state.threshold, tolerance=float(ecfg.behaviour_tolerance),
                                 n_resamples=int(ecfg.bootstrap_resamples), seed=int(cfg.seed),
                                 confidence=float(ecfg.confidence), data_dir=Path(str(cfg.paths.data_dir)),
                                 paths=cfg.paths, cache_dir=corpus_cache_dir(cfg),
                                 train_corpus=state.train_corpus.name if trained else None)
    state.behaviour = run_behaviour(names, lambda docs: predict_documents(scorer, docs, state.task, cache=cache,
                                                                          progress=False, desc="behaviour",
                                                                          batch_size=256),
                                    state.task, settings)
    metrics, tags = metrics_and_tags(state.behaviour)
    state.metrics.update(metrics)
    state.tags.update(tags)
