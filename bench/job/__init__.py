"""One job = one (corpus, task, model) run, as plain wiring of small steps over a :class:`RunState`.

check → [MLflow run] resolve levels → build model → load data → fit or reuse the model → predict →
evaluate → analyse → show the reference article → track → write and publish the artifacts.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlflow.tracking import MlflowClient
from omegaconf import DictConfig, OmegaConf

from bench.cache import check_cache_dir
from bench.configschema import check_slice_keys, validate_job_config
from bench.data.load import check_reference_root
from bench.errors import DataError
from bench.evaluation import Evaluation, headline
from bench.job import steps
from bench.job.artifacts import write_artifacts
from bench.job.resume import RUN_KEY_TAG, finished_run, run_key
from bench.job.state import RunState
from bench.publish import publish
from bench.runs import TASK_SPEC_PARAM
from bench.tasks import Task, build_task
from bench.tracking.mlflow_run import TrackedRun
from bench.tracking.provenance import flatten, git_commit, package_version
from bench.tracking.store import prepare_store
from bench.tracking.sweeps import read_sweep

__all__ = ["JobResult", "RunState", "check_job", "run_job"]


@dataclass
class JobResult:
    summary: dict[str, Any]
    #: None when the job was skipped (``resume``: the same job already has a FINISHED run)
    evaluation: Evaluation | None
    reference_lines: list[str]


def _skipped(cfg: DictConfig, task: Task, output_dir: Path, key: str) -> JobResult | None:
    """The result of a job that already has a FINISHED run with the same key (None: run it)."""
    if not cfg.get("resume", True):
        return None
    uri = prepare_store(cfg.tracking.uri, float(cfg.tracking.get("timeout_s", 10)))
    experiment = str(cfg.tracking.experiment)
    previous = finished_run(MlflowClient(uri), experiment, key)
    if previous is None:
        return None
    metrics = previous.data.metrics
    summary = {"corpus": str(cfg.corpus.name), "task": task.name, "model": str(cfg.model.name),
               "split": previous.data.tags.get("eval_split", ""), "run_id": previous.info.run_id,
               "experiment": experiment, "tracking_uri": uri,
               "headline": headline(task, metrics), "status": "skipped"}
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return JobResult(summary, None, [f"skipped: the same config and data finished as MLflow run "
                                     f"{previous.info.run_id} (resume=false runs it again)"])


def check_job(cfg: DictConfig) -> Task:
    """Everything checkable before any data is read or any run starts; the job's task."""
    validate_job_config(cfg)
    check_reference_root(cfg.corpus, str(cfg.reference.name) if cfg.get("reference") else "reference", cfg.paths)
    if (cfg.get("cache") or {}).get("enabled", True):
        check_cache_dir(Path(str(cfg.cache.dir)))
    if cfg.evaluation.get("behaviour"):
        from bench.behaviour.run import check_behaviour

        check_behaviour(list(cfg.evaluation.behaviour), Path(str(cfg.paths.data_dir)))
    return build_task(cfg.task)


def track(state: RunState, tracked: TrackedRun) -> None:
    """Metrics (NaN ones listed in a tag), per-epoch training curves and the run's tags."""
    assert state.scorer is not None
    if state.training_metrics:
        tracked.log_metrics(state.training_metrics)
    state.metrics.update(state.scorer.run_metrics())  # the scorer's own work (an LLM's requests, tokens)
    state.tags.update(state.scorer.run_tags())
    for record in getattr(state.scorer, "training_history", []):
        tracked.log_metrics({f"train.{k}": v for k, v in record.items() if k != "epoch"}, step=int(record["epoch"]))
    undefined = tracked.log_metrics(state.metrics)
    tracked.set_tags({**state.tags, "eval_split": state.eval_split, "levels": ",".join(state.levels),
                      "undefined_metrics": ",".join(undefined) or "none",
                      "model_fingerprint": state.scorer.fingerprint()})


def _artifacts(state: RunState, tracked: TrackedRun) -> None:
    with tempfile.TemporaryDirectory(prefix="newsbias-") as tmp:
        folder = Path(tmp)
        try:
            write_artifacts(state, folder, tracked.run_id or "")
            if state.model_dir.is_dir():
                shutil.copytree(state.model_dir, folder / "model")
        except OSError as exc:
            raise DataError(f"cannot write {exc.filename or folder}: {exc.strerror or exc}; "
                            "nothing was published") from None
        publish(folder, state.output_dir, tracked)


def run_job(cfg: DictConfig, output_dir: Path, sweep_id: str = "") -> JobResult:
    """Run one job from a composed config; its files go to ``output_dir``.

    ``sweep_id``: the sweep folder when the job is part of a sweep (its run becomes a child of the
    sweep's parent run). With ``resume`` (the default) a job whose config and data already have a
    FINISHED run is skipped.
    """
    task = check_job(cfg)
    key = run_key(cfg)
    skipped = _skipped(cfg, task, output_dir, key)
    if skipped is not None:
        return skipped
    sweep = read_sweep(Path(sweep_id)) if sweep_id else None
    steps.seed_everything(int(cfg.seed))
    commit, dirty = git_commit()
    corpus, model = str(cfg.corpus.name), str(cfg.model.name)
    tags = {"corpus": corpus, "task": task.name, "model": model, "git_commit": commit, "git_dirty": str(dirty),
            "package_version": package_version(), "sweep": sweep_id or "none", RUN_KEY_TAG: key}
    with tempfile.TemporaryDirectory(prefix="newsbias-model-") as scratch:
        state = RunState(cfg, task, output_dir, Path(scratch), sweep_id)
        with TrackedRun(uri=cfg.tracking.uri, experiment=str(cfg.tracking.experiment),
                        run_name=f"{corpus}-{task.name}-{model}", tags=tags,
                        timeout_s=float(cfg.tracking.get("timeout_s", 10)), sweep=sweep) as tracked:
            tracked.log_params({**flatten(OmegaConf.to_container(cfg, resolve=True)),
                                TASK_SPEC_PARAM: json.dumps(task.config(), sort_keys=True)})
            steps.resolve_levels(state)
            steps.build_model(state)
            steps.load_data(state)
            assert state.corpus is not None
            check_slice_keys(list(cfg.evaluation.slices), state.corpus.documents, state.corpus.name)
            steps.fit_model(state)
            steps.predict(state)
            steps.evaluate_predictions(state)
            steps.analyse(state)
            steps.evaluate_disagreement(state)
            steps.evaluate_behaviour(state)
            steps.show_reference(state)
            track(state, tracked)
            _artifacts(state, tracked)
            summary = {"corpus": state.corpus.name, "task": task.name, "model": model, "split": state.eval_split,
                       "run_id": tracked.run_id, "experiment": str(cfg.tracking.experiment),
                       "tracking_uri": tracked.tracking_uri, "headline": headline(task, state.metrics),
                       "status": "ok"}
    (output_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    assert state.evaluation is not None and state.output is not None
    lines = [line for doc, pred in zip(state.reference.documents, state.reference.predictions)
             for line in task.reference_summary(doc, pred, state.output, state.threshold, model)
             ] if state.reference else []
    return JobResult(summary, state.evaluation, lines + own_corpus_lines(state, model))


#: a corpus with at most this many evaluated documents is one's own small corpus: its first documents are shown
SMALL_CORPUS_DOCUMENTS = 50
SHOWN_DOCUMENTS = 3


def own_corpus_lines(state: RunState, model: str) -> list[str]:
    """What the model found in the first documents of a small evaluated corpus other than the reference
    (one's own annotated articles), printed like the reference article's summary."""
    assert state.corpus is not None and state.output is not None
    if state.corpus.name == "reference" or not 0 < len(state.eval_docs) <= SMALL_CORPUS_DOCUMENTS:
        return []
    shown = list(zip(state.eval_docs, state.predictions))[:SHOWN_DOCUMENTS]
    lines = [line for doc, pred in shown for line in state.task.reference_summary(
        doc, pred, state.output, state.threshold, model, title=f"{state.corpus.name} / {doc.id}")]
    if len(state.eval_docs) > SHOWN_DOCUMENTS:
        lines.append(f"  … and {len(state.eval_docs) - SHOWN_DOCUMENTS} more documents (all of them in predictions.jsonl)")
    return lines
