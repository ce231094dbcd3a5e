"""Scoring shards on Ray: a Ray Data ``map_batches`` over the pending shards with a pool of actors.

Each actor builds the models once (:class:`ShardScorer`) and then scores whole shards, one per
call, reading them from the input and writing their parts into the output folder itself, exactly
as the local runner does; the driver streams back each shard's counts for the progress bar. On a
cluster the input and output must therefore be paths every node sees (a shared file system), and
every node needs this package installed. An actor reserves one CPU and, where the cluster has GPUs and
a chosen model runs on a device (a transformer), ``gpus_per_actor`` GPUs (default one), so the model,
on ``device: auto``, runs on the actor's GPU.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any, Sequence

from bench.errors import BenchError, ConfigError, install_hint
from bench.score.inputs import Shard
from bench.score.models import build_all
from bench.score.output import OutputDir
from bench.score.runner import ScoreJob, ScoreSettings, ShardStats, progress_bar, score_shard, show


class ShardScorer:
    """A Ray Data callable class: one set of models per actor, one shard per batch row."""

    def __init__(self, job: ScoreJob) -> None:
        self.job = job
        self.models = build_all(job.choices)
        self.out = OutputDir(job.output)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        fields = ("number", "start", "count", "offset", "line")
        shards = [Shard(*(int(batch[k][i]) for k in fields)) for i in range(len(batch["number"]))]
        rows = [score_shard(self.job, shard, self.models, self.out) for shard in shards]
        return {key: [getattr(s, key) for s in rows] for key in ("shard", "articles", "sentences", "spans", "seconds")}


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ConfigError(f"--ray needs Ray Data, in the ray extra: {install_hint('ray')}") from None
    return ray


def uses_gpu(job: ScoreJob) -> bool:
    """Whether a chosen model runs on a device it is given (transformers: ``device`` other than cpu)."""
    return any(str(choice.model.get("device", "cpu")) != "cpu" for choice in job.choices)


def plan_pool(resources: dict[str, float], settings: ScoreSettings, pending: int, wants_gpu: bool = True
              ) -> tuple[int, float]:
    """(actors, GPUs per actor): one actor per GPU where the cluster has GPUs and a model can use one,
    else one per CPU; never more actors than pending shards."""
    gpus = float(resources.get("GPU", 0))
    default = 1.0 if gpus >= 1 and wants_gpu else 0.0
    per_gpu = settings.gpus_per_actor if settings.gpus_per_actor is not None else default
    if per_gpu < 0 or per_gpu > gpus:
        raise ConfigError(f"--gpus-per-actor {per_gpu:g}: the Ray cluster has {gpus:g} GPU(s)")
    if settings.actors is not None and settings.actors < 1:
        raise ConfigError(f"--actors {settings.actors}: must be an integer ≥ 1")
    actors = settings.actors or (int(gpus / per_gpu) if per_gpu else int(resources.get("CPU", 1)))
    return max(1, min(actors, pending)), per_gpu


def _bench_error(exc: BaseException) -> BenchError | None:
    """The harness error behind a Ray error (Ray wraps what a worker raised), if any."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, BenchError):
            return current
        stack += [e for e in (getattr(current, "cause", None), current.__cause__, current.__context__)
                  if isinstance(e, BaseException)]
    return None


def run_ray(job: ScoreJob, pending: Sequence[Shard], settings: ScoreSettings) -> list[ShardStats]:
    """Score ``pending`` shards on a pool of Ray actors (a local Ray instance unless an address is given)."""
    ray = _import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        local = {"num_cpus": settings.ray_cpus} if settings.ray_address is None and settings.ray_cpus else {}
        ray.init(address=settings.ray_address, include_dashboard=False, logging_level=logging.WARNING,
                 log_to_driver=False, **local)
    try:
        actors, gpus = plan_pool(ray.cluster_resources(), settings, len(pending), uses_gpu(job))
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        shards = ray.data.from_items([asdict(s) for s in pending], override_num_blocks=len(pending))
        scored = shards.map_batches(ShardScorer, fn_constructor_kwargs={"job": job}, batch_size=1,
                                    compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=1,
                                    num_gpus=gpus or None)
        done: list[ShardStats] = []
        with progress_bar(pending, settings.progress) as bar:
            bar.set_description(f"scoring on {actors} Ray actor(s){f', {gpus:g} GPU each' if gpus else ''}")
            try:
                for row in scored.iter_rows():
                    stats = ShardStats(int(row["shard"]), int(row["articles"]), int(row["sentences"]),
                                       int(row["spans"]), float(row["seconds"]))
                    done.append(stats)
                    show(bar, stats, done)
            except Exception as exc:
                cause = _bench_error(exc)
                if cause is not None:
                    raise cause from None
                raise
        return done
    finally:
        if started_here:
            ray.shutdown()
