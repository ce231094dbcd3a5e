"""One experiment job: load corpus, fit and run a scorer, evaluate, track, report."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from bench import analysis
from bench.cache import PredictionCache, check_cache_dir
from bench.config import corpus_config
from bench.configschema import check_slice_keys, validate_job_config
from bench.data.corpus import Corpus
from bench.data.load import check_reference_root, corpus_supports, load_corpus
from bench.data.schema import SENTIMENT_CLASSES, Document, Span
from bench.errors import BenchError, CacheWarning, ConfigError, DataError
from bench.evaluation import Evaluation, evaluate, headline
from bench.publish import publish
from bench.report.console import print_reference_findings
from bench.report.html import render_document_report
from bench.scorers.base import DocumentPrediction, Scorer, sentiment_units
from bench.scorers.model_files import MAX_META_BYTES, read_json_file
from bench.scorers.trainable import TrainableScorer, folder_fingerprint
from bench.tasks import Task
from bench.tracking.mlflow_run import TrackedRun
from bench.tracking.provenance import flatten, git_commit, package_version, project_root


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # torch is a dependency, but seeding must not be what fails
        pass


def _bench_cause(exc: BaseException) -> BenchError | None:
    """The first :class:`BenchError` in an exception's chain of causes."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, BenchError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def build_scorer(model_cfg: DictConfig) -> Scorer:
    """Instantiate the scorer named by ``model_cfg._target_`` (``name`` is not a parameter)."""
    params = OmegaConf.to_container(model_cfg, resolve=True)
    assert isinstance(params, dict)
    params.pop("name", None)
    try:
        scorer = instantiate(params, _convert_="all")
    except Exception as exc:  # Hydra wraps import and argument errors in its own exception types
        cause = _bench_cause(exc)
        if cause is not None:  # our own one-line error (a bad model folder, a bad setting)
            raise cause from None
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        raise ConfigError(f"model {model_cfg.get('name')!r} could not be built: "
                          f"{lines[-1] if lines else type(exc).__name__}") from exc
    if not isinstance(scorer, Scorer):
        raise ConfigError(f"model {model_cfg.get('name')!r}: {params.get('_target_')} is not a bench Scorer")
    return scorer


def predict_with_cache(scorer: Scorer, docs: Sequence[Document], task: Task, *, cache: PredictionCache | None,
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


def _display_spans(task: Task, doc: Document, pred: DocumentPrediction | None, produces_spans: bool = True,
                   threshold: float = 0.5) -> list[Span]:
    """Spans to highlight: the task's category spans, or sentence classes for sentiment."""
    if task.kind != "sentiment":
        if pred is None:
            return doc.spans_of(task.category or "")
        if not produces_spans:  # sentence classifiers: highlight the sentences they flag
            return [Span(s.start, s.end, f"{task.category}/sentence", doc.sentence_text(s), score)
                    for s, score in zip(doc.sentences, pred.sentence_scores) if score >= threshold]
        return [s for s in pred.spans if s.category == task.category]
    units = sentiment_units(doc)
    if pred is None:
        return [Span(u.target[0] if u.target else u.start, u.target[1] if u.target else u.end, f"sentiment/{u.gold}")
                for u in units if u.gold]
    spans = []
    for u, probs in zip(units, pred.sentiment):
        best = int(np.argmax(probs))
        start, end = u.target if u.target else (u.start, u.end)
        spans.append(Span(start, end, f"sentiment/{SENTIMENT_CLASSES[best]}", score=float(probs[best])))
    return spans


@dataclass
class JobResult:
    summary: dict[str, Any]
    evaluation: Evaluation


class Experiment:
    """Runs one (corpus, task, model) job from a resolved Hydra config."""

    def __init__(self, cfg: DictConfig, output_dir: Path, sweep_id: str = "") -> None:
        validate_job_config(cfg)
        check_reference_root(cfg.corpus, str(cfg.report.reference_corpus), cfg.paths)
        cache_cfg = cfg.get("cache") or {}
        if cache_cfg.get("enabled", True):
            check_cache_dir(Path(str(cache_cfg.dir)))
        self.cfg = cfg
        self.sweep_id = sweep_id
        self.output_dir = output_dir
        self.task = Task.from_config(cfg.task)
        self.progress = bool(cfg.get("progress", True))
        self.threshold = 0.5
        self.levels: list[str] = []
        self.produces_spans = True
        self.slice_rows: list[dict[str, Any]] = []
        self.reference_levels: list[str] = []

    def _cache(self, scorer: Scorer) -> PredictionCache | None:
        cache_cfg = self.cfg.get("cache") or {}
        if not cache_cfg.get("enabled", True):
            return None
        root = Path(str(cache_cfg.dir)) / "predictions"
        return PredictionCache(root, scorer.fingerprint(), self.task.name)

    def _check_supported(self, corpus_cfg: DictConfig) -> list[str]:
        levels = corpus_supports(corpus_cfg, self.task)
        if not levels:
            has = ", ".join(corpus_cfg.get("tasks", {}).keys()) or "none"
            raise ConfigError(f"corpus {corpus_cfg.name!r} has no gold labels for task {self.task.name!r}; "
                              f"its tasks: {has}")
        return [lvl for lvl in self.task.levels if lvl in levels]

    def run(self) -> JobResult:
        self._scratch = tempfile.TemporaryDirectory(prefix="newsbias-model-")
        try:
            return self._run()
        finally:
            self._scratch.cleanup()

    def _run(self) -> JobResult:
        cfg = self.cfg
        seed_everything(int(cfg.seed))
        levels = self._check_supported(cfg.corpus)
        commit, dirty = git_commit()
        model_name = str(cfg.model.name)
        tags = {
            "corpus": str(cfg.corpus.name), "task": self.task.name, "model": model_name,
            "git_commit": commit, "git_dirty": str(dirty), "package_version": package_version(),
            "sweep": self.sweep_id or "none",
        }
        run_name = f"{cfg.corpus.name}-{self.task.name}-{model_name}"
        resolved = OmegaConf.to_container(cfg, resolve=True)
        with TrackedRun(uri=cfg.tracking.uri, experiment=str(cfg.tracking.experiment), run_name=run_name,
                        tags=tags, timeout_s=float(cfg.tracking.get("timeout_s", 10))) as tracked:
            tracked.log_params(flatten(resolved))
            scorer = build_scorer(cfg.model)
            scorer.check_task(self.task)
            self.produces_spans = bool(getattr(scorer, "produces_spans", True))
            corpus = load_corpus(cfg.corpus)
            check_slice_keys(list(cfg.evaluation.slices), corpus.documents, corpus.name)
            tracked.set_tags({"corpus_fingerprint": corpus.fingerprint, "corpus_documents": len(corpus),
                              **{f"skipped.{k}": v for k, v in corpus.skipped.items()},
                              **{f"corpus_note.{k}": v for k, v in corpus.notes.items() if not isinstance(v, list)}})
            train_corpus = corpus
            if cfg.get("train_corpus"):
                train_cfg = corpus_config(str(cfg.train_corpus), cfg.paths)
                self._check_supported(train_cfg)
                train_corpus = load_corpus(train_cfg)
                tracked.set_tags({"train_corpus": train_corpus.name,
                                  "train_corpus_fingerprint": train_corpus.fingerprint})
            model_dir = Path(self._scratch.name) / "model"
            training_metrics = self._fit(scorer, train_corpus, tracked, model_dir)
            if training_metrics:
                tracked.log_metrics(training_metrics)
            spans_are_gold = "span" in levels
            if not self.produces_spans:
                levels = [lvl for lvl in levels if lvl == "sentence"]
                tracked.set_tags({"levels_skipped": "span,document (the model predicts no spans)"})
            eval_split = str(cfg.get("eval_split") or cfg.corpus.get("eval_split", "test"))
            eval_docs = self._subset(corpus.split(eval_split), "eval")
            cache = self._cache(scorer)
            started = time.perf_counter()
            preds = predict_with_cache(scorer, eval_docs, self.task, cache=cache, progress=self.progress,
                                       desc=f"{model_name} on {corpus.name}/{eval_split}")
            seconds = time.perf_counter() - started
            evaluation = evaluate(self.task, eval_docs, preds, levels, threshold=scorer.threshold,
                                  spans_are_gold=spans_are_gold)
            metrics = dict(evaluation.metrics)
            metrics["inference.seconds"] = seconds
            metrics["inference.documents_per_second"] = len(eval_docs) / seconds if seconds > 0 else float("nan")
            metrics["threshold"] = scorer.threshold
            self.threshold = scorer.threshold
            metrics.update(self._analyses(evaluation, eval_docs))
            undefined = tracked.log_metrics(metrics)
            tracked.set_tags({"eval_split": eval_split, "undefined_metrics": ",".join(undefined) or "none",
                              "cache_hits": cache.hits if cache else 0, "cache_misses": cache.misses if cache else 0,
                              "model_fingerprint": scorer.fingerprint(), "levels": ",".join(levels)})
            self.levels = levels

            reference, ref_preds = self._reference(scorer, corpus, eval_docs, preds, cache)
            with tempfile.TemporaryDirectory(prefix="newsbias-") as tmp:
                folder = Path(tmp)
                try:
                    self._write_artifacts(folder, resolved, metrics, eval_docs, preds, evaluation, reference,
                                          ref_preds, corpus, tracked.run_id or "", model_name, eval_split)
                    if model_dir.is_dir():
                        shutil.copytree(model_dir, folder / "model")
                except OSError as exc:
                    raise DataError(f"cannot write {exc.filename or folder}: {exc.strerror or exc}; "
                                    "nothing was published") from None
                publish(folder, self.output_dir, tracked)
            summary = {"corpus": corpus.name, "task": self.task.name, "model": model_name, "split": eval_split,
                       "run_id": tracked.run_id, "experiment": str(cfg.tracking.experiment),
                       "tracking_uri": tracked.tracking_uri, "headline": headline(self.task, metrics),
                       "status": "ok"}
        (self.output_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        if reference is not None:
            self._print_reference(reference, ref_preds, model_name)
        return JobResult(summary, evaluation)

    def _analyses(self, evaluation: Evaluation, docs: Sequence[Document]) -> dict[str, float]:
        """Bootstrap intervals, calibration and slice metrics (slice rows kept for the artifacts)."""
        ecfg = self.cfg.evaluation
        table = evaluation.table
        out = analysis.intervals(table, n_resamples=int(ecfg.bootstrap_resamples), seed=int(self.cfg.seed),
                                 confidence=float(ecfg.confidence))
        out.update(analysis.calibration(table, int(ecfg.calibration_bins)))
        self.slice_rows = analysis.slices(table, docs, evaluation.records, list(ecfg.slices),
                                          bool(ecfg.span_label_slices), int(ecfg.min_slice_documents))
        out.update(analysis.slice_metrics(self.slice_rows))
        return out

    @staticmethod
    def _load_cached_model(scorer: TrainableScorer, folder: Path) -> dict[str, Any] | None:
        """The cached model's training record, or None (absent, or unreadable: evicted and retrained)."""
        if not folder.is_dir():
            return None
        try:
            record = read_json_file(folder / "bench_training.json", MAX_META_BYTES, "bench_training.json")
            if not (isinstance(record, dict) and isinstance(record.get("metrics"), dict)
                    and isinstance(record.get("history"), list)):
                raise DataError("bench_training.json lacks its metrics or history", path=str(folder))
            scorer.load_folder(folder)
            return record
        except BenchError as exc:
            warnings.warn(f"cached model {folder.name} could not be read and is rebuilt: {exc}", CacheWarning,
                          stacklevel=1)
            shutil.rmtree(folder, ignore_errors=True)
            return None

    def _subset(self, docs: list[Document], which: str) -> list[Document]:
        """A seeded sample of ``subset.<which>`` documents (all when unset), in corpus order."""
        limit = (self.cfg.get("subset") or {}).get(which)
        if not limit or limit >= len(docs):
            return docs
        rng = np.random.default_rng(int(self.cfg.seed))
        keep = set(rng.choice(len(docs), size=int(limit), replace=False).tolist())
        return [d for i, d in enumerate(docs) if i in keep]

    def _fit(self, scorer: Scorer, corpus: Corpus, tracked: TrackedRun, folder: Path) -> dict[str, float]:
        """Train a trainable scorer (or reuse the cached model trained on the same data and settings).

        The fitted model is written to ``folder`` (logged as the run's ``model/`` artifact).
        """
        if not isinstance(scorer, TrainableScorer):
            return {}
        if scorer.is_fitted:  # loaded with model.load_from
            scorer.check_task(self.task)
            scorer.require_fitted(self.task)
            assert scorer.model_folder is not None
            scorer.set_fingerprint(folder_fingerprint(scorer.model_folder))
            tracked.set_tags({"model_source": str(scorer.load_from)})
            return {}
        train = self._subset(corpus.split("train") if "train" in corpus.splits else corpus.documents, "train")
        validation = self._subset(corpus.split("validation"), "validation") if "validation" in corpus.splits else None
        key = hashlib.sha256(json.dumps({
            "class": type(scorer).__qualname__, "params": scorer.params(), "task": self.task.name,
            "train": [corpus.fingerprint, [d.id for d in train]],
            "validation": [d.id for d in validation or []],
        }, sort_keys=True, default=str).encode()).hexdigest()[:16]
        scorer.set_fingerprint(key)
        cache_cfg = self.cfg.get("cache") or {}
        cached = Path(str(cache_cfg.dir)) / "models" / key
        record = self._load_cached_model(scorer, cached) if cache_cfg.get("enabled", True) else None
        if record is not None:
            scorer.training_history = record["history"]
            shutil.copytree(cached, folder)
            tracked.set_tags({"model_source": f"cache:{key}"})
            metrics = dict(record["metrics"])
        else:
            started = time.perf_counter()
            scorer.show_progress = self.progress
            scorer.fit(train, self.task, validation)
            metrics = {"train.seconds": time.perf_counter() - started, "train.documents": float(len(train)),
                       **scorer.training_metrics}
            scorer.save(folder)
            (folder / "bench_training.json").write_text(json.dumps(
                {"metrics": metrics, "history": scorer.training_history}, indent=2), encoding="utf-8")
            if cache_cfg.get("enabled", True):
                staging = cached.with_name(cached.name + ".partial")
                shutil.rmtree(staging, ignore_errors=True)
                shutil.copytree(folder, staging)
                shutil.rmtree(cached, ignore_errors=True)
                staging.rename(cached)
            tracked.set_tags({"model_source": "trained"})
        for record in scorer.training_history:
            tracked.log_metrics({f"train.{k}": v for k, v in record.items() if k != "epoch"},
                                step=int(record["epoch"]))
        return metrics

    def _reference(self, scorer: Scorer, corpus: Corpus, eval_docs: Sequence[Document],
                   preds: Sequence[DocumentPrediction], cache: PredictionCache | None
                   ) -> tuple[list[Document] | None, list[DocumentPrediction]]:
        """The reference article and the model's predictions on it (None if it lacks this task)."""
        name = str(self.cfg.report.reference_corpus)
        if corpus.name == name and eval_docs:
            self.reference_levels = corpus_supports(self.cfg.corpus, self.task)
            return list(eval_docs), list(preds)
        ref_cfg = corpus_config(name, self.cfg.paths)
        self.reference_levels = corpus_supports(ref_cfg, self.task)
        if not self.reference_levels:
            return None, []
        reference = load_corpus(ref_cfg).documents
        return reference, predict_with_cache(scorer, reference, self.task, cache=cache, progress=False,
                                             desc="reference")

    def _write_artifacts(self, folder: Path, resolved: Any, metrics: dict[str, float], docs: Sequence[Document],
                         preds: Sequence[DocumentPrediction], evaluation: Evaluation,
                         reference: list[Document] | None, ref_preds: Sequence[DocumentPrediction],
                         corpus: Corpus, run_id: str, model_name: str, eval_split: str) -> None:
        (folder / "config.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(resolved)), encoding="utf-8")
        (folder / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True), encoding="utf-8")
        with (folder / "predictions.jsonl").open("w", encoding="utf-8") as handle:
            for record in evaluation.records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        title = f"{model_name} on {corpus.name}/{eval_split} ({self.task.name})"
        analysis.plots(evaluation.table, folder / "plots", title, int(self.cfg.evaluation.calibration_bins))
        if self.slice_rows:
            analysis.write_slices(self.slice_rows, folder)
        self._worst_report(folder, evaluation, docs, preds, run_id, model_name, corpus.name, eval_split)
        if reference is not None:
            ref_eval = evaluate(self.task, reference, ref_preds,
                                [lvl for lvl in self.reference_levels if lvl in self.levels], self.threshold,
                                spans_are_gold="span" in self.reference_levels)
            html = render_document_report(
                title=f"{model_name} on the reference article — {self.task.name}",
                run_info={"model": model_name, "task": self.task.name, "evaluated on": f"{corpus.name}/{eval_split}",
                          "MLflow run": run_id, "package version": package_version()},
                metrics={k: v for k, v in ref_eval.metrics.items() if v == v},
                documents=[(d, _display_spans(self.task, d, None),
                             _display_spans(self.task, d, p, self.produces_spans, self.threshold))
                           for d, p in zip(reference, ref_preds)],
                categories=self._legend(), same_label=self.task.kind == "sentiment",
            )
            (folder / "report_reference.html").write_text(html, encoding="utf-8")

    def _worst_report(self, folder: Path, evaluation: Evaluation, docs: Sequence[Document],
                      preds: Sequence[DocumentPrediction], run_id: str, model_name: str, corpus_name: str,
                      eval_split: str) -> None:
        """HTML highlights of the N worst-scored evaluated documents (``report.worst_documents``)."""
        n = int(self.cfg.report.get("worst_documents", 0) or 0)
        scores = evaluation.table.document_scores()
        ranked = [i for i in np.argsort(np.where(np.isnan(scores), np.inf, scores), kind="stable")
                  if not np.isnan(scores[i])][:n]
        if not ranked:
            return
        html = render_document_report(
            title=f"{model_name}: the {len(ranked)} worst-scored documents of {corpus_name}/{eval_split}",
            run_info={"model": model_name, "task": self.task.name, "MLflow run": run_id,
                      "document score": "span overlap F1 per document, else sentence accuracy",
                      **{f"#{k + 1} {docs[i].id}": f"{scores[i]:.3f}" for k, i in enumerate(ranked)}},
            metrics={},
            documents=[(docs[i], _display_spans(self.task, docs[i], None),
                        _display_spans(self.task, docs[i], preds[i], self.produces_spans, self.threshold))
                       for i in ranked],
            categories=self._legend(), same_label=self.task.kind == "sentiment",
        )
        (folder / "report_worst_documents.html").write_text(html, encoding="utf-8")

    def _legend(self) -> list[str]:
        if self.task.category:
            return [self.task.category]
        return [f"sentiment-{c}" for c in SENTIMENT_CLASSES]

    def _print_reference(self, reference: list[Document], preds: Sequence[DocumentPrediction], model: str) -> None:
        for doc, pred in zip(reference, preds):
            if self.task.kind == "sentiment":
                gold = _display_spans(self.task, doc, None)
                shown = _display_spans(self.task, doc, pred)
                agree = sum(g.label == p.label for g, p in zip(gold, shown))
                print(f"\nReference article — {model} on sentiment: {agree}/{len(gold)} sentences agree with gold")
                continue
            found = _display_spans(self.task, doc, pred, self.produces_spans, self.threshold)
            if self.produces_spans:
                print_reference_findings(model, self.task.name, found, doc.spans_of(self.task.category or ""))
                continue
            gold = [Span(s.start, s.end, f"{self.task.category}/sentence", doc.sentence_text(s))
                    for s in doc.sentences if self.task.sentence_gold(doc, s, "span" in self.reference_levels)]
            print_reference_findings(model, self.task.name, found, gold, unit="sentences")

