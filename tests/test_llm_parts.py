"""The LLM scorer's parts without a server: quote anchoring, answers, log-probabilities, prompts, examples."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hypothesis import given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from bench.config import config_dir
from bench.data.corpus import Corpus
from bench.errors import ConfigError
from bench.scorers.llm.anchoring import EDGE, Anchorer, normalise
from bench.scorers.llm.answers import AnswerSpec, InvalidAnswer, parse_answer
from bench.scorers.llm.examples import item_examples, span_examples
from bench.scorers.llm.logprobs import items_probabilities, label_probabilities
from bench.scorers.llm.prompts import task_prompt, validate_prompt
from bench.tasks import load_task

TASKS = ("loaded_language", "unverified_sources", "sentiment", "opinion", "propaganda_techniques")


def prompt_config(name: str) -> dict:
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=["model=llm", "model.model=m", f"prompt@model.prompt={name}"])
    return OmegaConf.to_container(cfg.model.prompt, resolve=True)  # type: ignore[return-value]


# ------------------------------------------------------------------ anchoring
TEXT = st.text(alphabet=st.sampled_from(list("ab cd\u2019'\u201c\"\n-\u2014.Xy")), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(TEXT, st.data())
def test_a_quote_taken_from_the_text_anchors_to_text_equal_to_it(text: str, data) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    quote = text[start:end]
    needle = quote.strip(EDGE)
    found = Anchorer(text).anchor(quote)
    if not needle:
        assert found is None
        return
    assert found is not None and found.how == "exact" and text[found.start : found.end] == needle


@settings(max_examples=150, deadline=None)
@given(TEXT, st.data())
def test_a_retyped_quote_anchors_to_the_text_it_normalises_like(text: str, data) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    # the model retypes it: plain quotes and dashes, whitespace runs as one space
    quote = re.sub(r"\s+", " ", text[start:end].replace("\u2019", "'").replace("\u201c", '"').replace("\u2014", "-"))
    found = Anchorer(text).anchor(quote)
    target = normalise(quote.strip(EDGE))[0].strip()
    if not target:
        assert found is None
        return
    assert found is not None
    assert normalise(text[found.start : found.end])[0] == target


@given(st.text(alphabet="abc ", max_size=40))
def test_a_quote_with_words_not_in_the_text_is_not_anchored(text: str) -> None:
    assert Anchorer(text).anchor("zebra") is None


def test_anchoring_on_the_reference_article(reference: Corpus) -> None:
    doc = reference.documents[0]
    anchorer = Anchorer(doc.text)
    first = doc.text.index("dictator")
    second = doc.text.index("dictator", first + 1)
    # the n-th listing of a quote is its n-th occurrence; a third has no occurrence left: the last again
    assert [(a.start, a.how) for a in (anchorer.anchor("dictator"), anchorer.anchor("dictator"))] == [
        (first, "exact"), (second, "exact")]
    # a plain apostrophe for the article's typographic one, a stray quotation mark: normalised
    soldiers = anchorer.anchor("\"Putin's soldiers")
    assert soldiers is not None and soldiers.how == "normalised"
    assert doc.text[soldiers.start : soldiers.end] == "Putin\u2019s soldiers"
    assert soldiers.start == doc.text.index("Putin\u2019s soldiers")
    lower = anchorer.anchor("RUSH TO HIS BEDSIDE")
    assert lower is not None and lower.how == "casefold" and doc.text[lower.start : lower.end] == "rush to his bedside"
    assert anchorer.anchor("evil empire") is None


# ------------------------------------------------------------------ answers
QUOTES = AnswerSpec("quotes", "t", ("emotive", "name_calling"))
ITEMS = AnswerSpec("items", "t", ("factual", "opinion"))


def test_answers_are_validated_against_the_task_schema() -> None:
    fenced = '```json\n{"quotes": [{"quote": "x", "category": "emotive", "rationale": "r"}]}\n```'
    assert parse_answer(QUOTES, fenced).quotes[0].quote == "x"  # type: ignore[attr-defined]
    with pytest.raises(InvalidAnswer, match="not JSON"):
        parse_answer(QUOTES, "I think the text is biased.")
    with pytest.raises(InvalidAnswer, match="category"):
        parse_answer(QUOTES, '{"quotes": [{"quote": "x", "category": "angry", "rationale": "r"}]}')
    with pytest.raises(InvalidAnswer, match="empty"):
        parse_answer(QUOTES, None)
    with pytest.raises(InvalidAnswer, match=r"missing ids \[2\]"):
        parse_answer(ITEMS, '{"items": [{"id": 1, "label": "factual"}]}', n_items=2)
    schema = QUOTES.response_format()["json_schema"]["schema"]
    assert schema["additionalProperties"] is False and schema["required"] == ["quotes"]
    assert schema["$defs"]["Quote"]["properties"]["category"]["enum"] == ["emotive", "name_calling"]


# ------------------------------------------------------------------ log-probabilities
def test_label_probabilities_follow_the_tokens_of_the_chosen_label() -> None:
    content = '{"items": [{"id": 1, "label": "neutral"}]}'
    head = '{"items": [{"id": 1, "label": "'
    tokens = [{"token": head, "logprob": 0.0, "top_logprobs": []},
              {"token": "ne", "logprob": math.log(0.7), "top_logprobs": [
                  {"token": "ne", "logprob": math.log(0.7)}, {"token": "pos", "logprob": math.log(0.2)},
                  {"token": "{", "logprob": math.log(0.1)}]},
              {"token": "utral", "logprob": math.log(0.6), "top_logprobs": [
                  {"token": "utral", "logprob": math.log(0.6)}, {"token": "gative", "logprob": math.log(0.4)}]},
              {"token": '"}]}', "logprob": 0.0, "top_logprobs": []}]
    classes = ("negative", "neutral", "positive")
    # P(ne·utral) = .42, P(ne·gative) = .28, P(pos) = .2; "{" spells no class: renormalised over .9
    assert label_probabilities(tokens, content, len(head), classes) == pytest.approx([0.28 / 0.9, 0.42 / 0.9,
                                                                                       0.2 / 0.9])
    assert items_probabilities(tokens, content, ["neutral"], classes)[0] == pytest.approx([0.28 / 0.9, 0.42 / 0.9,
                                                                                          0.2 / 0.9])
    # tokens that do not spell the reply, or none at all: not readable (the chosen class scores 1 instead)
    assert items_probabilities(tokens[:2], content, ["neutral"], classes) == [None]
    assert items_probabilities(None, content, ["neutral"], classes) == [None]


# ------------------------------------------------------------------ prompts
@pytest.mark.parametrize("name", ["zero_shot", "few_shot"])
def test_each_prompt_has_templates_for_every_task(name: str) -> None:
    prompt = prompt_config(name)
    validate_prompt(prompt)
    for task_name in TASKS:
        resolved = task_prompt(prompt, load_task(task_name))
        assert resolved.version and resolved.system and resolved.user
    assert prompt["examples"]["count"] == (6 if name == "few_shot" else 0)


def test_prompts_take_no_phrase_from_the_reference_article(reference: Corpus) -> None:
    """The reference article is an evaluation document: no gold span of it, and no run of four of its
    words, may appear in a prompt (the guideline's own examples come from it)."""
    doc = reference.documents[0]
    words = re.findall(r"\w+", doc.text.lower())
    runs = {" ".join(words[i : i + 4]) for i in range(len(words) - 3)}
    files = sorted((config_dir() / "prompt").glob("*.yaml"))
    assert {f.stem for f in files} >= {"zero_shot", "few_shot"}
    for path in files:
        text = path.read_text(encoding="utf-8").lower()
        for span in doc.spans:
            assert not re.search(rf"(?<!\w){re.escape(span.text.lower())}(?!\w)", text), (path.name, span.text)
        prompt_words = re.findall(r"\w+", text)
        shared = {" ".join(prompt_words[i : i + 4]) for i in range(len(prompt_words) - 3)} & runs
        assert not shared, (path.name, shared)


def test_bad_prompts_are_one_error_naming_the_key() -> None:
    prompt = prompt_config("zero_shot")
    with pytest.raises(ConfigError, match=r"prompt@model.prompt=few_shot"):
        validate_prompt("few_shot")
    broken = json.loads(json.dumps(prompt))
    broken["tasks"]["opinion"]["user"] = "{% for item in items %}"
    with pytest.raises(ConfigError, match=r"model.prompt.tasks.opinion.user: not a valid template"):
        validate_prompt(broken)
    broken = json.loads(json.dumps(prompt))
    broken["tasks"]["loaded_language"]["example_categories"] = {"biased_word": "slur"}
    with pytest.raises(ConfigError, match=r"tasks.loaded_language.example_categories"):
        validate_prompt(broken)
    with pytest.raises(ConfigError, match="no templates for task 'opinion'"):
        task_prompt({**prompt, "tasks": {}, "task_types": {"SpanDetection": prompt["task_types"]["SpanDetection"]}},
                    load_task("opinion"))


# ------------------------------------------------------------------ few-shot examples
@pytest.mark.shared_data
def test_few_shot_examples_are_seeded_and_quote_gold_spans(corpus_loader) -> None:
    babe = corpus_loader("babe")
    train = babe.split("train")
    task = load_task("loaded_language")
    prompt = task_prompt(prompt_config("few_shot"), task)
    first = span_examples(train, task, prompt, 6, 0.5, 400, seed=13)
    assert first == span_examples(train, task, prompt, 6, 0.5, 400, seed=13)
    assert first.examples != span_examples(train, task, prompt, 6, 0.5, 400, seed=14).examples
    assert len(first.examples) == 6 and first.doc_ids <= {d.id for d in train}
    positives = 0
    for example in first.examples:
        quotes = json.loads(example.answer)["quotes"]
        positives += bool(quotes)
        for quote in quotes:  # BABE's biased words, shown under the prompt's category for them
            assert quote["quote"] in example.values["text"] and quote["category"] == "emotive"
    assert positives == 3
    opinion = item_examples(train, load_task("opinion"), 6, 400, seed=13)
    labels = [item["label"] for item in json.loads(opinion.examples[0].answer)["items"]]
    assert sorted(labels) == ["factual", "factual", "opinion", "opinion", "somewhat_opinionated",
                              "somewhat_opinionated"]


def test_few_shot_needs_gold_spans_in_the_training_data(reference: Corpus, tmp_path: Path) -> None:
    task = load_task("loaded_language")
    prompt = task_prompt(prompt_config("few_shot"), task)
    doc = reference.documents[0]
    bare = type(doc)(doc.id, doc.text, sentences=doc.sentences)
    with pytest.raises(ConfigError, match="needs gold spans of loaded_language"):
        span_examples([bare], task, prompt, 4, 0.5, 400, seed=1)


def test_the_llm_model_config_validates_and_needs_a_model_name() -> None:
    from bench.configschema import validate_job_config

    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        good = compose("config", overrides=["model=llm", "model.model=qwen2.5:7b", "task=opinion", "corpus=babe",
                                            "model.price_per_million_tokens={input: 0.1, output: 0.4}"])
        missing = compose("config", overrides=["model=llm"])
        bad = compose("config", overrides=["model=llm", "model.model=m", "model.api_key_env=sk-abc"])
    validate_job_config(good)
    with pytest.raises(ConfigError, match=r"model.model=\?\?\?: must be set"):
        validate_job_config(missing)
    with pytest.raises(ConfigError, match="model.api_key_env=sk-abc: must be null or the name of an environment"):
        validate_job_config(bad)
