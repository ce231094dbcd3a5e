"""Behavioural suites on hand-made pairs whose outcome is known, and as a step of a job."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from bench.behaviour import invariance
from bench.behaviour.base import Pair, directional, directional_metrics, invariance_rows, score_texts
from bench.behaviour.report import render_behaviour_report
from bench.behaviour.settings import BehaviourSettings
from bench.behaviour.testsets import SwapCase
from bench.config import config_dir
from bench.configschema import validate_job_config
from bench.errors import ConfigError
from bench.job import check_job, steps
from bench.job.artifacts import write_artifacts
from bench.job.state import RunState
from bench.scorers.lexicon import LoadedLanguageLexiconScorer
from bench.scorers.majority import MajorityClassScorer
from bench.scorers.patterns import UnverifiedSourceScorer
from bench.tasks import load_task

BOOT = {"n_resamples": 50, "seed": 13, "confidence": 0.95}
LOADED = [Pair("n1", "The regime crushed the peaceful protest.", "The government ended the protest.", "lower"),
          Pair("n2", "Critics call the regime corrupt.", "Critics call the government corrupt.", "lower")]
SWAPS = [Pair("s1", "The Ministry of Defence said the convoy had crossed the border.",
              "A Telegram channel claimed the convoy had crossed the border.", "higher", "to_unverified"),
         Pair("s2", "The talks would resume, officials who asked not to be named said.",
              "The talks would resume, the State Department said.", "lower", "to_named")]


def _words(tmp_path: Path, *words: str) -> str:
    path = tmp_path / "words.txt"
    path.write_text("\n".join(words) + "\n", encoding="utf-8")
    return str(path)


def _predict(scorer, task):
    return lambda docs: scorer.predict(docs, task)


def _outcome(pairs: list[Pair], scorer, task) -> dict[str, float]:
    scores = score_texts([t for p in pairs for t in (p.original, p.variant)], _predict(scorer, task))
    return directional_metrics(directional(pairs, scores, 0.5), **BOOT)


def test_a_constant_model_fails_every_directional_test(reference) -> None:
    for task, pairs in ((load_task("loaded_language"), LOADED), (load_task("unverified_sources"), SWAPS)):
        constant = MajorityClassScorer().fit(reference.documents, task)
        result = _outcome(pairs, constant, task)
        assert result["pass_rate"] == 0.0 and result["tie_rate"] == 1.0 and result["mean_gain"] == 0.0


def test_a_lexicon_with_the_swapped_term_passes(tmp_path: Path) -> None:
    task = load_task("loaded_language")
    lexicon = LoadedLanguageLexiconScorer(extra_lexicons=[{"kind": "word_list", "path": _words(tmp_path, "regime"),
                                                           "weight": 0.8}], use_curated=False)
    result = _outcome(LOADED, lexicon, task)
    assert result["pass_rate"] == 1.0 and result["mean_gain"] == pytest.approx(0.8)
    # without the term the lexicon cannot tell the versions apart
    other = LoadedLanguageLexiconScorer(extra_lexicons=[{"kind": "word_list", "path": _words(tmp_path, "brutal"),
                                                         "weight": 0.8}], use_curated=False)
    assert _outcome(LOADED, other, task)["pass_rate"] == 0.0

    patterns = tmp_path / "none.tsv"
    patterns.write_text("# no patterns\n", encoding="utf-8")
    words = _words(tmp_path, "Telegram channel", "asked not to be named")
    unverified = UnverifiedSourceScorer(str(patterns), [{"kind": "word_list", "path": words, "weight": 0.9}])
    result = _outcome(SWAPS, unverified, load_task("unverified_sources"))
    assert result["pass_rate"] == 1.0 and result["decision_follow_rate"] == 1.0  # rises, then falls


def test_invariance_finds_a_lexicon_that_singles_out_one_side(tmp_path: Path) -> None:
    case = SwapCase("c1", "leaders", "template", "{E} met ministers on Tuesday.", (0, 3),
                    {"A": ("Putin", "Lukashenko"), "B": ("Biden", "Macron")})
    settings = BehaviourSettings(n_resamples=50, tolerance=0.1)
    task = load_task("loaded_language")
    biased = LoadedLanguageLexiconScorer(extra_lexicons=[{"kind": "word_list", "path": _words(tmp_path, "Putin"),
                                                          "weight": 0.9}], use_curated=False)
    texts = [case.filled(f) for side in ("A", "B") for f in case.fills[side]]
    metrics, rows = invariance.evaluate([case], score_texts(texts, _predict(biased, task)), settings)
    # Putin's versions score 0.9, the others 0: half the four cross pairs flip the decision
    assert metrics["leaders.flip_rate"] == 0.5 and metrics["leaders.max_abs_change"] == pytest.approx(0.9)
    assert metrics["leaders.signed_gap"] == pytest.approx(0.45) and metrics["pass_rate"] == 0.5
    fair = LoadedLanguageLexiconScorer(extra_lexicons=[{"kind": "word_list", "path": _words(tmp_path, "ministers"),
                                                        "weight": 0.9}], use_curated=False)
    metrics, _ = invariance.evaluate([case], score_texts(texts, _predict(fair, task)), settings)
    assert metrics["leaders.pass_rate"] == 1.0 and metrics["leaders.signed_gap"] == 0.0
    within = invariance_rows([Pair("p", "a", "b", "same")], {"a": 0.30, "b": 0.35}, 0.5, 0.1)[0]
    assert within["passed"] and not within["flipped"]


def _state(tmp_path: Path, *overrides: str) -> RunState:
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=[f"cache.dir={tmp_path / 'cache'}", "progress=false",
                                           "evaluation.bootstrap_resamples=50", *overrides])
    (tmp_path / "scratch").mkdir()
    return RunState(cfg, check_job(cfg), tmp_path / "out", tmp_path / "scratch")


@pytest.mark.shared_data
def test_the_suites_run_as_a_step_of_a_job(tmp_path: Path, shared_data) -> None:
    state = _state(tmp_path, "model=lexicon", "evaluation.behaviour=[neutralisation,attribution_swaps,invariance]")
    for step in (steps.resolve_levels, steps.build_model, steps.load_data, steps.fit_model, steps.predict,
                 steps.evaluate_predictions, steps.analyse, steps.evaluate_behaviour):
        step(state)
    m = state.metrics
    assert m["behaviour.neutralisation.n_pairs"] == 1095  # 1,100 WNC pairs, 5 identical left out
    assert 0 <= m["behaviour.neutralisation.pairwise_accuracy"] <= 1
    assert m["behaviour.neutralisation.mean_drop.ci_low"] <= m["behaviour.neutralisation.mean_drop"]
    assert state.tags["behaviour.attribution_swaps"].startswith("skipped: needs a task scoring unverified_source")
    assert m["behaviour.invariance.n_cases"] == 92 and "behaviour.invariance.leaders_russia_vs_west.signed_gap" in m
    folder = tmp_path / "artifacts"
    folder.mkdir()
    steps.show_reference(state)
    write_artifacts(state, folder, "run-id")
    html = (folder / "behaviour.html").read_text(encoding="utf-8")
    assert "pairwise_accuracy" in html and "Skipped: needs a task scoring unverified_source" in html


def test_the_report_escapes_sentences() -> None:
    from bench.behaviour.base import SuiteResult

    failure = {"id": "x", "group": "g", "original": "<script>alert(1)</script> A said",
               "variant": "<script>alert(1)</script> B <b>said</b>", "score_original": 0.1, "score_variant": 0.1,
               "change": 0.0, "gain": 0.0, "expect": "higher"}
    html = render_behaviour_report([SuiteResult("attribution_swaps", "d", {"pass_rate": 0.0}, [failure],
                                                n_failures=1)], title="t", run_info={})
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; " in html and "<b>" not in html
    assert '<mark class="del">A</mark>' in html


@pytest.mark.parametrize("value, message", [
    ("[nope]", "evaluation.behaviour=[nope]: must be a list of suites from neutralisation, attribution_swaps, "
               "invariance (each once)"),
    ("[invariance,invariance]", "(each once)"),
])
def test_unknown_or_repeated_suites_are_refused(value: str, message: str) -> None:
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=[f"evaluation.behaviour={value}"])
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
                       .replace(")", r"\)")):
        validate_job_config(cfg)


def test_a_suite_without_its_data_fails_before_the_run(tmp_path: Path) -> None:
    from bench.errors import DataError

    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=[f"paths.data_dir={tmp_path}", f"cache.dir={tmp_path / 'cache'}",
                                           "evaluation.behaviour=[neutralisation]"])
    with pytest.raises(DataError, match=r"evaluation.behaviour=\[neutralisation\] needs the WNC pairs"):
        check_job(cfg)
