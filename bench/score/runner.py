"""Scoring an archive: check the input, build the models, then score every missing shard.

:func:`score_shard` is the unit of work (read one input shard, split sentences, run each signal's
scorer, write the shard's two Parquet parts); :func:`run_local` runs it shard after shard in this
process, :mod:`bench.score.ray_runner` on a pool of Ray actors. :func:`score_archive` wires it up.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable, Sequence

import pyarrow as pa
from filelock import Timeout
from tqdm.auto import tqdm

from bench.data.schema import Document
from bench.data.sentences import split_sentences
from bench.errors import ConfigError
from bench.score.aggregate import SPAN_SCHEMA, article_row, article_schema, span_rows
from bench.score.inputs import InputPlan, Shard, read_shard, scan
from bench.score.models import SIGNALS, ModelChoice, SignalModel, build_all, resolve
from bench.score.output import FORMAT_VERSION, OutputDir
from bench.tracking.provenance import package_version


@dataclass
class ScoreSettings:
    """What to score, with which models, and how (see ``python -m bench.score --help``)."""

    input: Path
    output: Path
    input_format: str | None = None
    shard_size: int = 1000
    #: signal name → model config name, model folder, ``NAME:FOLDER`` or ``none`` (default: the task's baseline)
    models: dict[str, str] = field(default_factory=dict)
    #: ``model.KEY=VALUE`` settings for every model that has the key
    overrides: list[str] = field(default_factory=list)
    #: metadata keys or columns to keep (None: every one besides id, text and sentences)
    metadata: list[str] | None = None
    overwrite: bool = False
    progress: bool = True
    ray: bool = False
    ray_address: str | None = None
    #: CPUs of a local Ray instance (None: all)
    ray_cpus: int | None = None
    actors: int | None = None
    gpus_per_actor: float | None = None


@dataclass
class ShardStats:
    """What scoring one shard produced, and how long it took."""

    shard: int
    articles: int
    sentences: int
    spans: int
    seconds: float


@dataclass
class Summary:
    """A run's totals; ``seconds`` is the wall time of the scoring itself."""

    output: Path
    shards: int
    written: list[int]
    skipped: int
    articles: int
    sentences: int
    spans: int
    seconds: float
    setup_seconds: float

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds if self.seconds > 0 else 0.0

    @property
    def sentences_per_second(self) -> float:
        return self.sentences / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        """The closing throughput line."""
        return (f"scored {self.articles:,} articles ({self.sentences:,} sentences, {self.spans:,} spans) in "
                f"{self.seconds:.1f} s: {self.articles_per_second:,.1f} articles/s, "
                f"{self.sentences_per_second:,.0f} sentences/s; {len(self.written)} shard(s) written, "
                f"{self.skipped} already there (setup {self.setup_seconds:.1f} s) → {self.output}")


@dataclass(frozen=True)
class ScoreJob:
    """Everything a worker needs to score any shard (plain data, sent to Ray actors)."""

    plan: InputPlan
    choices: tuple[ModelChoice, ...]
    output: Path
    schema: pa.Schema


def to_document(article_id: str, text: str, sentences: Any) -> Document:
    """The harness's document for an article: given sentences, else :func:`split_sentences`."""
    return Document(article_id, text, sentences=sentences if sentences is not None else split_sentences(text))


def score_shard(job: ScoreJob, shard: Shard, models: Sequence[SignalModel], out: OutputDir) -> ShardStats:
    """Read, score and write one shard (skipped when already complete)."""
    started = time.perf_counter()
    if out.done(shard.name):
        return ShardStats(shard.number, 0, 0, 0, 0.0)
    articles = read_shard(job.plan, shard)
    docs = [to_document(a.id, a.text, a.sentences) for a in articles]
    preds = [model.scorer.predict(docs, model.task) for model in models]
    rows, spans = [], []
    for i, (article, doc) in enumerate(zip(articles, docs, strict=True)):
        doc_preds = [p[i] for p in preds]
        rows.append(article_row(doc, article.metadata, models, doc_preds))
        for model, pred in zip(models, doc_preds):
            spans.extend(span_rows(model, doc, pred))
    out.write_shard(shard.name, pa.Table.from_pylist(rows, schema=job.schema),
                    pa.Table.from_pylist(spans, schema=SPAN_SCHEMA))
    return ShardStats(shard.number, len(docs), sum(len(d.sentences) for d in docs), len(spans),
                      time.perf_counter() - started)


def progress_bar(pending: Sequence[Shard], enabled: bool) -> tqdm:
    return tqdm(total=sum(s.count for s in pending), desc="scoring", unit="article", disable=not enabled,
                dynamic_ncols=True)


def show(bar: tqdm, stats: ShardStats, totals: list[ShardStats]) -> None:
    bar.update(stats.articles)
    elapsed = bar.format_dict.get("elapsed") or 0
    if elapsed:
        bar.set_postfix_str(f"{sum(s.sentences for s in totals) / elapsed:,.0f} sentences/s", refresh=False)


def run_local(job: ScoreJob, pending: Sequence[Shard], models: Sequence[SignalModel], out: OutputDir,
              progress: bool, on_shard: Callable[[ShardStats], None] | None = None) -> list[ShardStats]:
    """Score ``pending`` shards one after another in this process."""
    done: list[ShardStats] = []
    with progress_bar(pending, progress) as bar:
        for shard in pending:
            stats = score_shard(job, shard, models, out)
            done.append(stats)
            show(bar, stats, done)
            if on_shard is not None:
                on_shard(stats)
    return done


def resolve_models(settings: ScoreSettings) -> list[ModelChoice]:
    unknown = sorted(set(settings.models) - {s.name for s in SIGNALS})
    if unknown:
        raise ConfigError(f"unknown signal(s) {', '.join(unknown)}; signals: {', '.join(s.name for s in SIGNALS)}")
    choices = [resolve(s, settings.models.get(s.name, s.default), settings.overrides) for s in SIGNALS]
    kept = [c for c in choices if c is not None]
    if not kept:
        raise ConfigError("every signal is 'none': there is nothing to score")
    return kept


def identity(plan: InputPlan, models: Sequence[SignalModel]) -> dict[str, Any]:
    """What the output depends on; a rerun must match it to add to the same folder."""
    return {"format_version": FORMAT_VERSION,
            "input": {"fingerprint": plan.fingerprint, "format": plan.format, "articles": plan.articles},
            "shard_size": plan.shard_size,
            "models": {m.signal: m.identity() for m in models},
            "metadata": {f.name: str(f.type) for f in plan.metadata},
            "sentences": "given" if plan.has_sentences else f"pysbd {version('pysbd')}"}


def score_archive(settings: ScoreSettings, *, on_shard: Callable[[ShardStats], None] | None = None) -> Summary:
    """Score every article of ``settings.input`` into ``settings.output``, resuming a previous run.

    ``on_shard`` is called after each shard written in this process (local runs).
    """
    started = time.perf_counter()
    choices = resolve_models(settings)
    plan = scan(settings.input, fmt=settings.input_format, shard_size=settings.shard_size,
                metadata=settings.metadata)
    models = build_all(choices)
    schema = article_schema(plan.metadata, models)
    out = OutputDir(settings.output)
    try:
        with out.lock():
            info = {"input_path": str(plan.path), "input_bytes": plan.size_bytes, "shards": len(plan.shards),
                    "package_version": package_version(),
                    "models_given": {c.signal: c.spec for c in choices},
                    "model_configs": {c.signal: c.model for c in choices}}
            out.prepare(identity(plan, models), info, settings.overwrite)
            pending = [s for s in plan.shards if not out.done(s.name)]
            job = ScoreJob(plan.without_shards(), tuple(choices), out.root, schema)
            setup = time.perf_counter() - started
            scoring = time.perf_counter()
            if settings.ray and pending:
                from bench.score.ray_runner import run_ray

                stats = run_ray(job, pending, settings)
            else:
                stats = run_local(job, pending, models, out, settings.progress, on_shard)
            seconds = time.perf_counter() - scoring
            written = [s for s in stats if s.articles]
            summary = Summary(out.root, len(plan.shards), sorted(s.shard for s in written),
                              len(plan.shards) - len(written), sum(s.articles for s in written),
                              sum(s.sentences for s in written), sum(s.spans for s in written), seconds, setup)
            out.finish({k: v for k, v in asdict(summary).items() if k not in ("output", "written")}
                       | {"written": len(written), "runner": "ray" if settings.ray else "local"})
            return summary
    except Timeout:
        raise ConfigError(f"--output {out.root} is being written by another scoring run") from None
