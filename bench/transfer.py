"""``python -m bench.transfer``: train on each corpus, evaluate on every corpus (a cross-corpus transfer matrix).

    python -m bench.transfer --task loaded_language --corpora babe,mbic,basil,ptc --model tfidf_logreg

For each training corpus the job's own steps run in-process on configs composed with Hydra's compose
API (``corpus@train_corpus=<train> corpus=<eval>``, plus any overrides given after the options):
the model is fitted once on the training corpus's train split (threshold and C tuned on its
validation split, as in any run) and evaluated on the evaluation split of every corpus, its own
included (the diagonal: held-out figures on the training corpus). Every cell has bootstrap intervals
(documents resampled), and the share of its evaluated sentences whose text is also among the training
sentences (``text_overlap``; cells above 5% are marked †: BABE holds MBIC's sentences, for one). One
MLflow run (experiment ``newsbias/transfer/<task>``) holds the cells as metrics
``transfer.<train>.<eval>.<metric>``, the matrix as ``transfer_matrix.csv`` and ``.md``, and one
heatmap PNG per metric.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from omegaconf import DictConfig, OmegaConf

from bench.errors import ConfigError

#: the metrics of a cell (those the task reports at the levels the model is scored at)
DEFAULT_METRICS = ("sentence.f1", "sentence.macro_f1", "sentence.roc_auc")


@dataclass
class Cell:
    train: str
    eval: str
    split: str
    n_documents: int
    metrics: dict[str, float] = field(default_factory=dict)
    #: share of the evaluated sentences whose text (case and spacing aside) is among the training sentences
    text_overlap: float = 0.0

    def value(self, metric: str) -> tuple[float, float, float]:
        m = self.metrics
        return (m.get(metric, math.nan), m.get(f"{metric}.ci_low", math.nan), m.get(f"{metric}.ci_high", math.nan))


def compose_config(task: str, model: str, train: str, evaluated: str, overrides: Sequence[str]) -> DictConfig:
    """The job config of one cell (the reference article is not shown: ``~reference``)."""
    from hydra import compose, initialize_config_dir

    from bench.config import config_dir, register_resolvers

    register_resolvers()
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        return compose("config", overrides=[f"task={task}", f"model={model}", f"corpus={evaluated}",
                                            f"corpus@train_corpus={train}", "~reference", "progress=false",
                                            *overrides])


def check(task: str, model: str, corpora: Sequence[str], overrides: Sequence[str]) -> dict[tuple[str, str], DictConfig]:
    """Every cell's config, validated like a job's, before anything is loaded or tracked."""
    from bench.job import check_job
    from bench.job.steps import supported_levels

    if len(corpora) < 2 or len(set(corpora)) != len(corpora):
        raise ConfigError(f"--corpora {','.join(corpora)}: give at least two different corpora")
    configs = {}
    for train in corpora:
        for evaluated in corpora:
            cfg = compose_config(task, model, train, evaluated, overrides)
            job_task = check_job(cfg)
            supported_levels(cfg.corpus, job_task)
            configs[(train, evaluated)] = cfg
    return configs


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def sentence_texts(docs: Sequence[Any]) -> list[str]:
    return [_normalised(d.sentence_text(s)) for d in docs for s in d.sentences]


def text_overlap(train_texts: set[str], docs: Sequence[Any]) -> float:
    """Share of the sentences of ``docs`` whose normalised text is in ``train_texts`` (e.g. MBIC's sentences
    are also in BABE, labelled by other annotators)."""
    texts = sentence_texts(docs)
    return sum(t in train_texts for t in texts) / len(texts) if texts else 0.0


def _state(cfg: DictConfig, scratch: Path) -> Any:
    from bench.job import RunState, check_job

    folder = Path(tempfile.mkdtemp(prefix="transfer-", dir=scratch))
    return RunState(cfg, check_job(cfg), folder / "out", folder)


def run_cells(configs: dict[tuple[str, str], DictConfig], corpora: Sequence[str], scratch: Path
              ) -> tuple[list[Cell], dict[str, str]]:
    """Fit on each training corpus once, evaluate on every corpus; the cells and the corpora's fingerprints."""
    from bench.job import steps

    cells, fingerprints = [], {}
    for train in corpora:
        trained, train_texts = None, set()
        for evaluated in [train, *[c for c in corpora if c != train]]:
            cfg = configs[(train, evaluated)]
            steps.seed_everything(int(cfg.seed))
            state = _state(cfg, scratch)
            steps.resolve_levels(state)
            if trained is None:
                steps.build_model(state)
                steps.load_data(state)
                steps.fit_model(state)
                trained, train_texts = state, set(sentence_texts(steps.training_data(state)[0]))
            else:
                state.scorer, state.output = trained.scorer, trained.output
                state.levels = [level for level in state.levels if level in trained.levels]
                state.tags["model_source"] = trained.tags.get("model_source", "")
                steps.load_data(state)
            steps.predict(state)
            steps.evaluate_predictions(state)
            steps.analyse(state)
            assert state.corpus is not None
            fingerprints[state.corpus.name] = state.corpus.fingerprint
            cells.append(Cell(train, evaluated, state.eval_split, len(state.eval_docs), dict(state.metrics),
                              text_overlap(train_texts, state.eval_docs)))
    return cells, fingerprints


def _format(value: float, low: float, high: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.3f} [{low:.2f}, {high:.2f}]" if not math.isnan(low) else f"{value:.3f}"


#: a cell whose evaluated sentences overlap the training sentences more than this is marked
OVERLAP_MARK = 0.05


def markdown(cells: Sequence[Cell], corpora: Sequence[str], metric: str) -> str:
    """Rows: the training corpus; columns: the evaluated corpus; each cell ``value [low, high]``, marked †
    (with a note) where more than 5% of the evaluated sentences are also training sentences."""
    by = {(c.train, c.eval): c for c in cells}
    lines = [f"| train ↓ / eval → | {' | '.join(corpora)} |", "|---|" + "---:|" * len(corpora)]
    for train in corpora:
        row = []
        for e in corpora:
            cell = by[(train, e)]
            row.append(_format(*cell.value(metric)) + (" †" if cell.text_overlap > OVERLAP_MARK else ""))
        lines.append(f"| {train} | " + " | ".join(row) + " |")
    marked = [c for c in cells if c.text_overlap > OVERLAP_MARK]
    if marked:
        lines.append("")
        lines.append("† evaluated sentences also in the training data: " + ", ".join(
            f"{c.train} → {c.eval} {c.text_overlap:.0%}" for c in marked))
    return "\n".join(lines)


def heatmap(cells: Sequence[Cell], corpora: Sequence[str], metric: str, title: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    by = {(c.train, c.eval): c for c in cells}
    values = np.array([[by[(t, e)].value(metric)[0] for e in corpora] for t in corpora], dtype=float)
    fig, ax = plt.subplots(figsize=(1.5 + 1.35 * len(corpora), 1.2 + 1.0 * len(corpora)))
    image = ax.imshow(np.ma.masked_invalid(values), cmap="viridis", vmin=0, vmax=1)
    for i, t in enumerate(corpora):
        for j, e in enumerate(corpora):
            value, low, high = by[(t, e)].value(metric)
            interval = "" if math.isnan(low) else f"\n[{low:.2f}, {high:.2f}]"
            text = "–" if math.isnan(value) else f"{value:.2f}{interval}"
            text += " †" if by[(t, e)].text_overlap > OVERLAP_MARK else ""
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if not math.isnan(value) and value < 0.6 else "black")
    ax.set_xticks(range(len(corpora)), corpora)
    ax.set_yticks(range(len(corpora)), corpora)
    ax.set_xlabel("evaluated on (its test split)")
    ax.set_ylabel("trained on (its train split)")
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=metric)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def summary_metrics(cells: Sequence[Cell], metrics: Sequence[str]) -> dict[str, float]:
    """Every cell's metrics, and per metric the mean of the diagonal (in-corpus) and of the other cells."""
    import numpy as np

    out: dict[str, float] = {}
    for cell in cells:
        for metric in metrics:
            for suffix, value in zip(("", ".ci_low", ".ci_high"), cell.value(metric)):
                out[f"transfer.{cell.train}.{cell.eval}.{metric}{suffix}"] = value
        out[f"transfer.{cell.train}.{cell.eval}.text_overlap"] = cell.text_overlap
    for metric in metrics:
        own = [c.value(metric)[0] for c in cells if c.train == c.eval]
        other = [c.value(metric)[0] for c in cells if c.train != c.eval]
        out[f"transfer.in_corpus_mean.{metric}"] = float(np.nanmean(own)) if own else math.nan
        out[f"transfer.cross_corpus_mean.{metric}"] = float(np.nanmean(other)) if other else math.nan
    return out


def write_outputs(cells: Sequence[Cell], corpora: Sequence[str], metrics: Sequence[str], folder: Path,
                  title: str) -> None:
    import csv

    with (folder / "transfer_matrix.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["train", "eval", "split", "n_documents", "text_overlap", "metric", "value", "ci_low",
                         "ci_high"])
        for cell in cells:
            for metric in metrics:
                writer.writerow([cell.train, cell.eval, cell.split, cell.n_documents, round(cell.text_overlap, 4),
                                 metric, *cell.value(metric)])
    sections = [f"## {metric} (rows: trained on; columns: evaluated on)\n\n{markdown(cells, corpora, metric)}"
                for metric in metrics]
    (folder / "transfer_matrix.md").write_text(f"# {title}\n\n" + "\n\n".join(sections) + "\n", encoding="utf-8")
    for metric in metrics:
        heatmap(cells, corpora, metric, f"{title}: {metric}", folder / f"heatmap_{metric.replace('.', '_')}.png")
    (folder / "transfer.json").write_text(json.dumps([cell.__dict__ for cell in cells], indent=2, default=str),
                                          encoding="utf-8")


def run_transfer(task: str, model: str, corpora: Sequence[str], overrides: Sequence[str] = (),
                 metrics: Sequence[str] | None = None, out: Path | None = None) -> dict[str, Any]:
    """The whole command: check every cell, run them inside one MLflow run, log the matrix."""
    from bench.tracking.mlflow_run import TrackedRun
    from bench.tracking.provenance import git_commit, package_version

    configs = check(task, model, corpora, overrides)
    first = configs[(corpora[0], corpora[0])]
    commit, dirty = git_commit()
    experiment = f"newsbias/transfer/{task}"
    tags = {"task": task, "model": model, "corpora": ",".join(corpora), "kind": "transfer", "git_commit": commit,
            "git_dirty": str(dirty), "package_version": package_version()}
    with tempfile.TemporaryDirectory(prefix="newsbias-transfer-") as tmp, \
            TrackedRun(uri=first.tracking.uri, experiment=experiment, run_name=f"transfer-{task}-{model}", tags=tags,
                       timeout_s=float(first.tracking.get("timeout_s", 10))) as tracked:
        model_params = OmegaConf.to_container(first.model, resolve=True)
        assert isinstance(model_params, dict)
        tracked.log_params({"task": task, "model": model, "corpora": ",".join(corpora), "seed": str(first.seed),
                            "overrides": " ".join(overrides) or "none",
                            **{f"model.{k}": json.dumps(v) if not isinstance(v, str) else v
                               for k, v in model_params.items()}})
        cells, fingerprints = run_cells(configs, corpora, Path(tmp))
        chosen = list(metrics) if metrics else [m for m in DEFAULT_METRICS
                                                if any(m in c.metrics for c in cells)]
        if not chosen:
            raise ConfigError(f"none of the metrics {', '.join(metrics or DEFAULT_METRICS)} was computed "
                              f"(the cells have: {', '.join(sorted(cells[0].metrics))[:300]})")
        tracked.log_metrics(summary_metrics(cells, chosen))
        tracked.set_tags({f"fingerprint.{k}": v for k, v in fingerprints.items()})
        folder = Path(tmp) / "artifacts"
        folder.mkdir()
        write_outputs(cells, corpora, chosen, folder, f"{model} on {task}")
        tracked.log_artifacts(folder)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            for path in folder.iterdir():
                (out / path.name).write_bytes(path.read_bytes())
        tables = {m: markdown(cells, corpora, m) for m in chosen}
        return {"run_id": tracked.run_id, "experiment": experiment, "tracking_uri": tracked.tracking_uri,
                "cells": cells, "tables": tables, "metrics": chosen}


def main(argv: list[str] | None = None) -> None:
    from bench.cli.errors import fail, one_line_warnings

    parser = argparse.ArgumentParser(prog="python -m bench.transfer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", required=True)
    parser.add_argument("--corpora", required=True, help="comma-separated corpus config names")
    parser.add_argument("--model", required=True)
    parser.add_argument("--metrics", default=None,
                        help=f"comma-separated metrics (default: those of {', '.join(DEFAULT_METRICS)} computed)")
    parser.add_argument("--out", type=Path, default=None, help="also copy the matrix files to this folder")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for every cell, e.g. model.epochs=1 "
                                                     "tracking.uri=sqlite:///results/mlflow.db")
    args = parser.parse_args(argv)
    one_line_warnings()
    try:
        result = run_transfer(args.task, args.model, [c.strip() for c in args.corpora.split(",") if c.strip()],
                              args.overrides, [m for m in (args.metrics or "").split(",") if m] or None, args.out)
    except Exception as exc:  # one clear line; traceback only with --verbose
        fail(exc, args.verbose, hint="add --verbose for a traceback")
    for metric, table in result["tables"].items():
        print(f"\n{metric} (rows: trained on; columns: evaluated on)\n{table}")
    print(f"\nMLflow run {result['run_id']} in experiment {result['experiment']} ({result['tracking_uri']})")


if __name__ == "__main__":
    main()
