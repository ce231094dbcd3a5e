"""The files a job leaves: config, metrics, per-document predictions, plots, slices and HTML reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from omegaconf import OmegaConf

from bench import analysis
from bench.data.schema import Document
from bench.evaluation import evaluate
from bench.job.state import RunState
from bench.predictions import DocumentPrediction
from bench.report.html import render_document_report
from bench.tracking.provenance import package_version


def _highlights(state: RunState, docs: Sequence[Document], preds: Sequence[DocumentPrediction]) -> list[Any]:
    """(document, gold highlights, predicted highlights) for a report."""
    assert state.output is not None
    return [(d, state.task.gold_display(d), state.task.predicted_display(d, p, state.output, state.threshold))
            for d, p in zip(docs, preds)]


def _report(state: RunState, title: str, run_info: dict[str, Any], metrics: dict[str, float],
            documents: list[Any]) -> str:
    return render_document_report(title=title, run_info=run_info, metrics=metrics, documents=documents,
                                  categories=state.task.legend(), same_label=state.task.same_label_display)


def write_worst_documents(state: RunState, folder: Path, run_id: str) -> None:
    """HTML highlights of the N worst-scored evaluated documents (``report.worst_documents``)."""
    assert state.evaluation is not None and state.corpus is not None
    n = int(state.cfg.report.get("worst_documents", 0) or 0)
    scores = state.evaluation.table.document_scores()
    ranked = [i for i in np.argsort(np.where(np.isnan(scores), np.inf, scores), kind="stable")
              if not np.isnan(scores[i])][:n]
    if not ranked:
        return
    docs, preds = state.eval_docs, state.predictions
    html = _report(state, f"{state.model_name}: the {len(ranked)} worst-scored documents of "
                          f"{state.corpus.name}/{state.eval_split}",
                   {"model": state.model_name, "task": state.task.name, "MLflow run": run_id,
                    "document score": "span overlap F1 per document, else the accuracy of its decisions",
                    **{f"#{k + 1} {docs[i].id}": f"{scores[i]:.3f}" for k, i in enumerate(ranked)}},
                   {}, _highlights(state, [docs[i] for i in ranked], [preds[i] for i in ranked]))
    (folder / "report_worst_documents.html").write_text(html, encoding="utf-8")


def write_reference(state: RunState, folder: Path, run_id: str) -> None:
    """The reference article with gold and the model's predictions side by side, and its metrics."""
    reference = state.reference
    if reference is None:
        return
    assert state.corpus is not None
    levels = [level for level in reference.levels if level in state.levels]
    metrics = evaluate(state.task, reference.documents, reference.predictions, levels, state.threshold,
                       spans_are_gold="span" in reference.levels).metrics
    html = _report(state, f"{state.model_name} on the reference article — {state.task.name}",
                   {"model": state.model_name, "task": state.task.name,
                    "evaluated on": f"{state.corpus.name}/{state.eval_split}", "MLflow run": run_id,
                    "package version": package_version()},
                   {k: v for k, v in metrics.items() if v == v},
                   _highlights(state, reference.documents, reference.predictions))
    (folder / "report_reference.html").write_text(html, encoding="utf-8")


def write_artifacts(state: RunState, folder: Path, run_id: str) -> None:
    """Every file of the run into ``folder`` (then published and logged in one step)."""
    assert state.evaluation is not None and state.corpus is not None
    resolved = OmegaConf.to_container(state.cfg, resolve=True)
    (folder / "config.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(resolved)), encoding="utf-8")
    (folder / "task.json").write_text(json.dumps(state.task.config(), indent=2), encoding="utf-8")
    (folder / "metrics.json").write_text(json.dumps(state.metrics, indent=2, sort_keys=True), encoding="utf-8")
    with (folder / "predictions.jsonl").open("w", encoding="utf-8") as handle:
        for record in state.evaluation.records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    title = f"{state.model_name} on {state.corpus.name}/{state.eval_split} ({state.task.name})"
    analysis.plots(state.evaluation.table, folder / "plots", title, int(state.cfg.evaluation.calibration_bins))
    if state.slice_rows:
        analysis.write_slices(state.slice_rows, folder)
    write_worst_documents(state, folder, run_id)
    write_reference(state, folder, run_id)
    if state.behaviour:
        from bench.behaviour.report import write_behaviour

        write_behaviour(state.behaviour, folder, title=f"Behavioural tests: {title}",
                        run_info={"model": state.model_name, "task": state.task.name, "MLflow run": run_id,
                                  "threshold": f"{state.threshold:.3f}", "package version": package_version()})
    assert state.scorer is not None
    for name, text in state.scorer.run_artifacts().items():  # e.g. an LLM's resolved prompt
        (folder / name).write_text(text, encoding="utf-8")
