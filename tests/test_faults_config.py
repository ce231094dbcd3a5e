"""Bad config values fail when the config is composed, in one line naming the key and the value.

Configs are composed in-process with Hydra's compose API, then checked by
``bench.configschema.validate_job_config`` (what the app runs before any data is read or any
MLflow run starts). Type errors and unknown keys are Hydra's own errors (the typed schema
``base_config``); ranges, names and slice keys are ConfigErrors.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from bench.cli.errors import _one_line
from bench.config import available, config_dir, corpus_config, register_resolvers
from bench.configschema import (JobConfig, check_slice_keys, declared_slice_keys, declared_splits,
                                validate_job_config)
from bench.configschema.hydra_errors import compose_error_line
from bench.errors import BenchError, ConfigError

register_resolvers()

HYDRA_ERRORS = (HydraException, OmegaConfBaseException)


def compose_cfg(*overrides: str) -> DictConfig:
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        return compose("config", overrides=list(overrides))


def _render(exc: BaseException) -> str:
    """The CLI's one line: BenchErrors as they are; Hydra's through ``_one_line`` (with the
    schema-aware override rendering the app is meant to use first)."""
    if isinstance(exc, BenchError):
        return str(exc)
    return compose_error_line(exc) or _one_line(exc)


def error_of(*overrides: str) -> BaseException:
    try:
        validate_job_config(compose_cfg(*overrides))
    except (BenchError, *HYDRA_ERRORS) as exc:
        return exc
    pytest.fail(f"{' '.join(overrides)} was accepted")


# (overrides, key the line must name, value the line must name)
BAD = [
    # seed
    (["seed=-1"], "seed", "-1"),
    (["seed=abc"], "seed", "abc"),
    (["seed=1.5"], "seed", "1.5"),
    (["seed=true"], "seed", "true"),
    (["seed=4294967296"], "seed", "4294967296"),
    # subset
    (["subset.eval=-5"], "subset.eval", "-5"),
    (["subset.eval=0"], "subset.eval", "0"),
    (["subset.eval=x"], "subset.eval", "x"),
    (["subset.train=0"], "subset.train", "0"),
    (["subset.validation=-1"], "subset.validation", "-1"),
    (["subset.evaluate=3"], "subset.evaluate", "3"),
    (["+subset.evaluate=3"], "subset.evaluate", "3"),
    # evaluation
    (["evaluation.calibration_bins=0"], "evaluation.calibration_bins", "0"),
    (["evaluation.calibration_bins=1"], "evaluation.calibration_bins", "1"),
    (["evaluation.calibration_bins=ten"], "evaluation.calibration_bins", "ten"),
    (["evaluation.bootstrap_resamples=0"], "evaluation.bootstrap_resamples", "0"),
    (["evaluation.bootstrap_resamples=-1"], "evaluation.bootstrap_resamples", "-1"),
    (["evaluation.bootstrap_resamples=1.5"], "evaluation.bootstrap_resamples", "1.5"),
    (["evaluation.confidence=1.5"], "evaluation.confidence", "1.5"),
    (["evaluation.confidence=0"], "evaluation.confidence", "0"),
    (["evaluation.confidence=1"], "evaluation.confidence", "1"),
    (["evaluation.confidence=-0.5"], "evaluation.confidence", "-0.5"),
    (["evaluation.confidence=high"], "evaluation.confidence", "high"),
    (["evaluation.min_slice_documents=0"], "evaluation.min_slice_documents", "0"),
    (["evaluation.min_slice_documents=-3"], "evaluation.min_slice_documents", "-3"),
    (["evaluation.span_label_slices=maybe"], "evaluation.span_label_slices", "maybe"),
    (["evaluation.bootstrap=5"], "evaluation.bootstrap", "5"),
    (["+evaluation.bootstrap=5"], "evaluation.bootstrap", "5"),
    (["evaluation.slices=outlet"], "evaluation.slices", "outlet"),
    (["evaluation.slices=[nope]"], "evaluation.slices", "nope"),
    (["corpus=babe", "evaluation.slices=[outlet,nope]"], "evaluation.slices", "nope"),
    (["corpus=basil", "evaluation.slices=[leaning]"], "evaluation.slices", "leaning"),
    (["evaluation=5"], "evaluation", "5"),
    # report
    (["report.worst_documents=-1"], "report.worst_documents", "-1"),
    (["report.worst_documents=many"], "report.worst_documents", "many"),
    (["report.worst=1"], "report.worst", "1"),
    (["report.reference_corpus=nope"], "report.reference_corpus", "nope"),
    # booleans
    (["progress=maybe"], "progress", "maybe"),
    (["verbose=sometimes"], "verbose", "sometimes"),
    (["cache.enabled=perhaps"], "cache.enabled", "perhaps"),
    # names
    (["eval_split=nope"], "eval_split", "nope"),
    (["corpus=babe", "eval_split=dev"], "eval_split", "dev"),
    (["train_corpus=babe"], "train_corpus", "corpus@train_corpus=babe"),
    (["corpus@train_corpus=conll2010"], "train_corpus", "conll2010"),
    (["corpus@train_corpus=babe", "model=tfidf_logreg", "train_split=dev"], "train_split", "dev"),
    (["no_such_key=1"], "no_such_key", "1"),
    # model group
    (["model=minilm", "model.epochs=0"], "model.epochs", "0"),
    (["model=minilm", "model.batch_size=0"], "model.batch_size", "0"),
    (["model=minilm", "model.train_batch_size=-2"], "model.train_batch_size", "-2"),
    (["model=minilm", "model.learning_rate=0"], "model.learning_rate", "0"),
    (["model=minilm", "model.max_length=-1"], "model.max_length", "-1"),
    (["model=minilm", "model.warmup_ratio=1.5"], "model.warmup_ratio", "1.5"),
    (["model=minilm", "model.device=gpu"], "model.device", "gpu"),
    (["model=minilm", "model.max_steps_per_epoch=0"], "model.max_steps_per_epoch", "0"),
    (["model=tfidf_logreg", "model.C=[0,1]"], "model.C", "[0, 1]"),
    (["model=tfidf_logreg", "model.estimator=forest"], "model.estimator", "forest"),
    (["model=tfidf_logreg", "model.word_ngrams=[2,1]"], "model.word_ngrams", "[2, 1]"),
    (["model=tfidf_logreg", "model.calibration_folds=1"], "model.calibration_folds", "1"),
    (["model=crf", "model.max_iterations=0"], "model.max_iterations", "0"),
    (["model=crf", "model.c1=-0.1"], "model.c1", "-0.1"),
    (["model.threshold=2"], "model.threshold", "2"),
    (["task=sentiment", "model=vader", "model.neutral_band=1"], "model.neutral_band", "1"),
    (["model=hf_pipeline", "model.label_map={a: positive}"], "model.model", "???"),
    (["model=hf_pipeline", "model.model=x", "model.label_map={a: positive}", "model.pipeline_type=ner"],
     "model.pipeline_type", "ner"),
    # task group
    (["task._target_=bench.tasks.Nope"], "task._target_", "bench.tasks.Nope"),
    (["task=opinion", "task.classes=[]"], "task.classes", "[]"),
    (["task.levels=[span,paragraph]"], "task.levels", "paragraph"),
    (["task.category=null"], "task.category", "null"),
]


@pytest.mark.parametrize("overrides, key, value", BAD, ids=[" ".join(o) for o, _, _ in BAD])
def test_bad_value_is_one_line_naming_key_and_value(overrides: list[str], key: str, value: str) -> None:
    exc = error_of(*overrides)
    line = _render(exc)
    assert "\n" not in line
    assert key in line and value in line, line
    if isinstance(exc, HYDRA_ERRORS):  # the CLI's rendering as it is today names the key at least
        assert key.split(".")[-1] in _one_line(exc)


def test_at_least_thirty_bad_configurations() -> None:
    assert len(BAD) >= 30


def test_range_errors_say_what_is_allowed() -> None:
    assert str(error_of("seed=-1")) == "seed=-1: must be an integer from 0 to 4294967295"
    assert str(error_of("subset.eval=0")) == "subset.eval=0: must be null or an integer ≥ 1"
    assert str(error_of("evaluation.confidence=1.5")) == "evaluation.confidence=1.5: must be a number > 0 and < 1"
    exc = error_of("corpus=babe", "evaluation.slices=[outlet,nope]")
    assert isinstance(exc, ConfigError) and "outlet, leaning, topic" in str(exc)


def _declared_tasks() -> list[tuple[str, str]]:
    return [(corpus, task) for corpus in available("corpus")
            for task in (OmegaConf.load(config_dir() / "corpus" / f"{corpus}.yaml").get("tasks") or {})]


@pytest.mark.parametrize("task", available("task"))
def test_each_task_with_its_default_model_validates(task: str) -> None:
    validate_job_config(compose_cfg(f"task={task}"))


@pytest.mark.parametrize("corpus, task", _declared_tasks())
def test_each_corpus_with_its_declared_tasks_validates(corpus: str, task: str) -> None:
    custom = ("corpus.name=mine", "corpus.root=/tmp") if corpus == "jsonl" else ()
    cfg = compose_cfg(f"corpus={corpus}", f"task={task}", *custom)
    validate_job_config(cfg)
    assert cfg.get("eval_split") is None and cfg.corpus.eval_split in declared_splits(cfg.corpus)


MODEL_TASK = {"vader": "sentiment", "unverified_patterns": "unverified_sources",
              "unverified_patterns_lexicons": "unverified_sources"}


@pytest.mark.parametrize("model", [m for m in available("model") if m not in ("hf_pipeline", "llm")])
def test_each_model_config_validates(model: str) -> None:
    validate_job_config(compose_cfg(f"model={model}", f"task={MODEL_TASK.get(model, 'loaded_language')}"))


GOOD = [
    ["seed=0"], ["seed=4294967295"], ["subset.eval=1"], ["subset.train=1", "subset.validation=null"],
    ["evaluation.confidence=0.5"], ["evaluation.calibration_bins=2"], ["evaluation.bootstrap_resamples=1"],
    ["evaluation.min_slice_documents=1"], ["report.worst_documents=0"], ["eval_split=all"],
    ["corpus=babe", "eval_split=validation"], ["corpus=newsmtsc", "task=sentiment", "eval_split=devtest_mt"],
    ["corpus=babe", "evaluation.slices=[outlet]"], ["corpus=babe", "evaluation.slices=[]"],
    ["corpus@train_corpus=babe"], ["corpus@train_corpus=babe", "train_split=all"], ["train_split=all"],
    ["task=opinion", "corpus=mbic"], ["task=propaganda_techniques", "corpus=ptc"], ["progress=false", "verbose=true", "cache.enabled=false"],
    ["model=minilm", "model.epochs=1", "model.device=cuda:0", "model.max_steps_per_epoch=null"],
    ["model=tfidf_logreg", "model.C=0.5"],
    ["model=hf_pipeline", "model.model=some/model", "model.label_map={a: positive}"],
]


@pytest.mark.parametrize("overrides", GOOD, ids=[" ".join(o) for o in GOOD])
def test_good_edge_values_pass(overrides: list[str]) -> None:
    validate_job_config(compose_cfg(*overrides))


def test_schema_defaults_mirror_config_yaml() -> None:
    composed = compose_cfg()
    schema = OmegaConf.structured(JobConfig)
    for key in ("seed", "verbose", "progress", "train_corpus", "eval_split", "subset", "report", "cache.enabled",
                "evaluation.bootstrap_resamples", "evaluation.confidence", "evaluation.calibration_bins",
                "evaluation.min_slice_documents"):
        assert OmegaConf.select(composed, key) == OmegaConf.select(schema, key), key


def test_declared_slice_keys_are_the_corpus_slices() -> None:
    assert declared_slice_keys(corpus_config("babe")) == ["outlet", "leaning", "topic"]
    assert declared_slice_keys(corpus_config("reference")) == []


def test_declared_splits_per_strategy() -> None:
    assert declared_splits(corpus_config("reference")) == ["all"]
    assert declared_splits(corpus_config("babe")) == ["all", "train", "validation", "test"]
    assert set(declared_splits(corpus_config("newsmtsc"))) == {"all", "train", "devtest_mt", "devtest_rw",
                                                                "validation"}


def test_check_slice_keys_after_loading(reference) -> None:
    check_slice_keys(["outlet"], reference.documents, "reference")
    with pytest.raises(ConfigError, match=r"evaluation.slices=\[nope\]: no document of corpus 'reference' "
                                          r"has metadata key 'nope'; keys its documents have: .*outlet"):
        check_slice_keys(["nope"], reference.documents, "reference")
    docs = [SimpleNamespace(metadata={"outlet": "a", "topic": None})]
    check_slice_keys([], docs)
    with pytest.raises(ConfigError, match="'topic'"):
        check_slice_keys(["outlet", "topic"], docs)


def test_config_dir_is_the_projects() -> None:
    assert (Path(config_dir()) / "config.yaml").is_file()
