"""Task types: built from config, matched to scorers by their outputs, scored as their papers score them."""

from __future__ import annotations

import ast
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from bench.config import available, config_dir, corpus_config
from bench.data.corpus import Corpus
from bench.errors import ConfigError
from bench.evaluation import evaluate
from bench.job import check_job
from bench.job.steps import build_scorer, supported_levels
from bench.job.training import model_key
from bench.leaderboard import rank
from bench.predictions import DocumentPrediction
from bench.runs import RunTable
from bench.scorers.hf_models import TransformerSentenceClassifier, TransformerTokenTagger
from bench.scorers.lexicon import LoadedLanguageLexiconScorer
from bench.scorers.majority import MajorityClassScorer
from bench.scorers.sklearn_models import CRFSpanTagger, SklearnSentenceClassifier
from bench.tasks import SpanDetection, SpanLabelling, Task, UnitClassification, build_task, load_task
from bench.tracking.provenance import project_root

TASKS = available("task")


@pytest.mark.parametrize("name", TASKS)
def test_every_task_config_builds_and_round_trips(name: str) -> None:
    task = load_task(name)
    assert isinstance(task, Task) and task.name == name
    again = build_task(task.config())
    assert type(again) is type(task) and again.config() == task.config()


def test_the_three_task_types() -> None:
    assert isinstance(load_task("loaded_language"), SpanDetection)
    assert isinstance(load_task("sentiment"), UnitClassification)
    assert isinstance(load_task("opinion"), UnitClassification)
    techniques = load_task("propaganda_techniques")
    assert isinstance(techniques, SpanLabelling) and len(techniques.class_names) == 14


# ------------------------------------------------------------------ scorers declare outputs
COMPATIBLE = {
    # model: tasks it can run (by matching its declared outputs against each task's needs)
    "lexicon": {"loaded_language"},
    "unverified_patterns": {"unverified_sources", "attribution", "attribution_cue"},  # as a proxy on attribution
    "vader": {"sentiment"},
    "crf": {"loaded_language", "unverified_sources", "attribution", "attribution_cue", "attribution_content"},
    "minilm_tagger": {"loaded_language", "unverified_sources", "attribution", "attribution_cue",
                      "attribution_content"},
    "tfidf_logreg": set(TASKS),
    "minilm": set(TASKS),
    "majority": set(TASKS),
}


def _model(name: str):
    cfg = OmegaConf.load(config_dir() / "model" / f"{name}.yaml")
    if "defaults" in cfg:
        cfg = OmegaConf.merge(OmegaConf.load(config_dir() / "model" / f"{cfg.defaults[0]}.yaml"), cfg)
        cfg.pop("defaults")
    if "seed" in cfg:
        cfg.seed = 13
    return build_scorer(cfg)


@pytest.mark.parametrize("model", sorted(COMPATIBLE))
def test_scorers_run_the_tasks_their_outputs_match(model: str) -> None:
    scorer = _model(model)
    for name in TASKS:
        task = load_task(name)
        if name in COMPATIBLE[model]:
            output, levels = scorer.check_task(task)
            assert levels
        else:
            with pytest.raises(ConfigError, match=f"does not support task '{name}': the task needs"):
                scorer.check_task(task)


def test_a_sentence_classifier_runs_span_detection_at_sentence_level_only() -> None:
    output, levels = SklearnSentenceClassifier().check_task(load_task("loaded_language"))
    assert output.kind == "unit_probabilities" and levels == ("sentence",)
    output, levels = CRFSpanTagger().check_task(load_task("loaded_language"))
    assert output.kind == "spans" and set(levels) == {"span", "sentence", "document"}


def test_vader_refuses_opinion_for_its_classes() -> None:
    with pytest.raises(ConfigError, match=r"unit probabilities over \(factual, somewhat_opinionated, opinion\)"):
        _model("vader").check_task(load_task("opinion"))


# ------------------------------------------------------------------ params from the constructor
@pytest.mark.parametrize("cls", [SklearnSentenceClassifier, CRFSpanTagger, TransformerSentenceClassifier,
                                 TransformerTokenTagger, MajorityClassScorer, LoadedLanguageLexiconScorer])
def test_params_cover_every_constructor_setting(cls: type) -> None:
    import inspect

    params = cls().params()
    expected = {n for n in inspect.signature(cls.__init__).parameters
                if n not in ("self", "load_from", "device", "batch_size", "tokenizer_workers")}
    assert expected <= set(params)


@pytest.mark.parametrize("cls", [CRFSpanTagger, TransformerSentenceClassifier, TransformerTokenTagger,
                                 SklearnSentenceClassifier])
def test_tune_threshold_changes_the_model_key(cls: type, reference: Corpus) -> None:
    task, docs = load_task("loaded_language"), reference.documents
    assert model_key(cls(), task, reference, docs, None) != model_key(cls(tune_threshold=False), task, reference,
                                                                      docs, None)


def test_the_crf_model_key_follows_its_lexicon_feature(reference: Corpus, monkeypatch) -> None:
    """An edited curated lexicon changes the CRF's features, so a model trained with the old one is not reused."""
    import bench.scorers.sklearn_models as sklearn_models
    from bench.data.lexicons import curated_loaded_language

    task, docs = load_task("loaded_language"), reference.documents
    before = model_key(CRFSpanTagger(), task, reference, docs, None)
    entries = curated_loaded_language()
    monkeypatch.setattr(sklearn_models, "curated_loaded_language", lambda: entries[1:])
    assert model_key(CRFSpanTagger(), task, reference, docs, None) != before
    monkeypatch.setattr(sklearn_models, "curated_loaded_language", lambda: list(entries))
    assert model_key(CRFSpanTagger(), task, reference, docs, None) == before


# ------------------------------------------------------------------ scoring
def test_span_labelling_on_ptc_scores_micro_f1_over_spans(shared_data, corpus_loader) -> None:
    corpus = corpus_loader("ptc")
    task = load_task("propaganda_techniques")
    docs = corpus.split("test")
    spans = [task.label_of(s) for d in docs for s in task.gold_spans(d)]
    counts = Counter(spans)
    # every PTC technique span is a unit; a constant prior predicts the most frequent technique everywhere
    prior = np.array([counts[label] for label in task.class_names], dtype=float)
    preds = task.pack(docs, [prior / prior.sum()] * len(spans))
    metrics = evaluate(task, docs, preds, ["span_label"]).metrics
    majority = counts.most_common(1)[0][1] / len(spans)
    assert metrics["span_label.micro_f1"] == pytest.approx(majority)
    assert metrics["span_label.accuracy"] == pytest.approx(majority)
    assert metrics["span_label.f1_Loaded_Language"] > 0 and metrics["span_label.f1_Doubt"] == 0
    assert metrics["span_label.macro_f1"] == pytest.approx(metrics["span_label.f1_Loaded_Language"] / 14)


def test_all_ptc_techniques_are_labelled(shared_data, corpus_loader) -> None:
    task = load_task("propaganda_techniques")
    labels = Counter(task.label_of(s) for d in corpus_loader("ptc").documents for s in task.gold_spans(d))
    assert set(labels) == set(task.class_names)
    # SOURCE.md: 6,129 technique spans; a span listed twice with the same technique counts once
    assert 6_000 < sum(labels.values()) <= 6_129


def test_opinion_gold_comes_from_babe_label_opinion(shared_data, corpus_loader) -> None:
    balance = load_task("opinion").class_balance(corpus_loader("babe").documents)
    assert set(balance) <= {"factual", "somewhat_opinionated", "opinion", "unlabelled"}
    assert sum(balance.values()) == 3_674 and balance["factual"] > 1_000


def test_metric_directions() -> None:
    task = load_task("loaded_language")
    assert task.higher_is_better("sentence.f1") and task.higher_is_better("span_label.micro_f1")
    for lower in ("sentence.ece", "sentence.brier", "document.density_mae", "sentence.ece.ci_high"):
        assert not task.higher_is_better(lower)


def test_leaderboard_ranks_lower_is_better_metrics_ascending(shared_data, corpus_loader) -> None:
    task = load_task("loaded_language")
    docs = corpus_loader("babe").split("test")[:150]
    lexicon = LoadedLanguageLexiconScorer().predict(docs, task)
    confident = [DocumentPrediction(p.doc_id, p.spans, [1.0 if s >= 0.5 else 0.0 for s in p.sentence_scores])
                 for p in lexicon]
    tables = []
    for name, preds in (("lexicon", lexicon), ("confident", confident)):
        table = evaluate(task, docs, preds, ["sentence"], spans_are_gold=True).table
        run = SimpleNamespace(info=SimpleNamespace(run_id=name), data=SimpleNamespace(metrics={}, tags={"model": name}))
        tables.append(RunTable(run, table))
    for metric in ("sentence.ece", "sentence.brier"):
        rows = rank(tables, metric, alpha=0.05, n_resamples=50, seed=13)
        assert rows[0]["value"] <= rows[1]["value"]
    rows = rank(tables, "sentence.roc_auc", alpha=0.05, n_resamples=50, seed=13)
    assert rows[0]["value"] >= rows[1]["value"]


# ------------------------------------------------------------------ task knowledge stays in bench/tasks
def test_no_module_outside_tasks_branches_on_a_task_kind_or_name() -> None:
    """Outside bench/tasks/, no comparison with a task's name and no task 'kind' attribute."""
    task_names = set(TASKS)
    offenders = []
    for path in sorted((project_root() / "bench").rglob("*.py")):
        if "tasks" in path.relative_to(project_root() / "bench").parts[:1]:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("kind", "supported_tasks") and \
                    isinstance(node.value, ast.Name) and node.value.id == "task":
                offenders.append(f"{path.name}:{node.lineno} task.{node.attr}")
            if isinstance(node, ast.Compare):
                for side in [node.left, *node.comparators]:
                    if isinstance(side, ast.Constant) and side.value in task_names:
                        offenders.append(f"{path.name}:{node.lineno} compares with {side.value!r}")
    assert not offenders, offenders


# ------------------------------------------------------------------ every compatible combination composes
def _combinations() -> list[tuple[str, str, str]]:
    out = []
    for corpus in available("corpus"):
        if corpus == "jsonl":
            continue
        for task in corpus_config(corpus).get("tasks") or {}:
            for model in sorted(COMPATIBLE):
                if task in COMPATIBLE[model]:
                    out.append((corpus, task, model))
    return out


def test_every_declared_compatible_combination_composes_and_instantiates() -> None:
    combos = _combinations()
    assert ("ptc", "propaganda_techniques", "tfidf_logreg") in combos and ("babe", "opinion", "majority") in combos
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        for corpus, task_name, model in combos:
            cfg = compose("config", overrides=[f"corpus={corpus}", f"task={task_name}", f"model={model}"])
            task = check_job(cfg)
            scorer = build_scorer(cfg.model)
            _, levels = scorer.check_task(task)
            assert set(levels) & set(supported_levels(cfg.corpus, task)), (corpus, task_name, model)
    assert len(combos) >= 40
