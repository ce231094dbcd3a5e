"""Light checks of the ``model`` and ``task`` groups: one rule table each, applied to keys present.

Model settings differ per scorer, so a rule only applies where the chosen model has the key
(``model.epochs`` for the transformers, ``model.C`` for the TF-IDF classifiers, ...).
"""

from __future__ import annotations

import re

from omegaconf import DictConfig

from bench.configschema.rules import (Allowed, boolean, check, either, integer, list_of, number, one_of, optional,
                                      text, value_at)

SEED_MAX = 2**32 - 1  # numpy's seed range


def _ngram_range() -> Allowed:
    return Allowed(lambda v: isinstance(v, (list, tuple)) and len(v) == 2
                   and all(isinstance(x, int) and not isinstance(x, bool) for x in v) and 1 <= v[0] <= v[1],
                   "[min, max] n-gram sizes with 1 ≤ min ≤ max")


def _device() -> Allowed:
    pattern = re.compile(r"auto|cpu|mps|cuda(:\d+)?")
    return Allowed(lambda v: isinstance(v, str) and pattern.fullmatch(v) is not None, "auto, cpu, mps, cuda or cuda:N")


def _lexicons() -> Allowed:
    kinds = ("word_list", "percent_comment_list", "mpqa_strong")

    def test(items: object) -> bool:
        return isinstance(items, list) and all(
            isinstance(x, dict) and x.get("kind") in kinds and isinstance(x.get("path"), str)
            and (x.get("weight") is None or number(ge=0, le=1)(x["weight"])) for x in items)

    return Allowed(test, f"a list of {{kind: {'|'.join(kinds)}, path: ..., weight: 0..1, sub_label: ...}}")


_POSITIVE_C = number(gt=0)

MODEL_RULES: dict[str, Allowed] = {
    "name": text(),
    "_target_": text(),
    "seed": integer(0, SEED_MAX),
    "threshold": number(ge=0, le=1),
    # transformers
    "batch_size": integer(1),
    "train_batch_size": either(integer(1), one_of(["auto"])),
    "max_tokens_per_batch": optional(either(integer(1), one_of(["auto"]))),
    "precision": one_of(["auto", "fp32", "bf16", "fp16"]),
    "tokenizer_workers": either(integer(0), one_of(["auto"])),
    "runtime": one_of(["torch", "onnx"]),
    "quantize": optional(one_of(["int8"])),
    "epochs": integer(1),
    "max_length": integer(1),
    "learning_rate": number(gt=0),
    "weight_decay": number(ge=0),
    "warmup_ratio": number(ge=0, le=1),
    "patience": integer(0),
    "max_steps_per_epoch": optional(integer(1)),
    "device": _device(),
    "trust_remote_code": boolean(),
    "pipeline_type": one_of(["text-classification", "token-classification", "zero-shot-classification"]),
    # TF-IDF classifiers
    "estimator": one_of(["logreg", "linear_svm"]),
    "word_ngrams": _ngram_range(),
    "char_ngrams": _ngram_range(),
    "max_features": optional(integer(1)),
    "min_df": either(integer(1), number(gt=0, lt=1)),
    "C": either(_POSITIVE_C, list_of(_POSITIVE_C, min_items=1, words="a non-empty list of numbers > 0")),
    "class_weight": optional(one_of(["balanced"])),
    "calibration_folds": integer(2),
    "tune_threshold": boolean(),
    # CRF
    "c1": number(ge=0),
    "c2": number(ge=0),
    "max_iterations": integer(1),
    "window": integer(0),
    "lexicon_feature": boolean(),
    # rule-based
    "use_curated": boolean(),
    "inflect": boolean(),
    "extra_lexicons": _lexicons(),
    "neutral_band": number(ge=0, lt=1),
    # LLM endpoints (bench.scorers.llm)
    "base_url": Allowed(lambda v: isinstance(v, str) and re.fullmatch(r"https?://\S+", v) is not None,
                        "an http:// or https:// URL (the endpoint up to /v1)"),
    "model": text(),
    "api_key_env": optional(Allowed(lambda v: isinstance(v, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v)
                                    is not None, "the name of an environment variable")),
    "temperature": number(ge=0, le=2),
    "max_output_tokens": optional(integer(1)),
    "response_format": one_of(["json_schema", "json_object", "none"]),
    "logprobs": boolean(),
    "top_logprobs": integer(1, 20),
    "timeout_s": number(gt=0),
    "max_retries": integer(0),
    "max_concurrency": integer(1),
    "max_requests": optional(integer(1)),
    "max_tokens_total": optional(integer(1)),
    "price_per_million_tokens": optional(either(number(ge=0), Allowed(
        lambda v: isinstance(v, dict) and set(v) == {"input", "output"} and all(number(ge=0)(x) for x in v.values()),
        "{input: ..., output: ...} (numbers ≥ 0)"))),
    "response_cache": boolean(),
    "trace": boolean(),
}

_LEVEL = one_of(["span", "sentence", "document", "span_label"])

TASK_RULES: dict[str, Allowed] = {
    "_target_": text(),
    "name": text(),
    "description": text(),
    "levels": Allowed(lambda v: list_of(_LEVEL, min_items=1)(v) and len(set(v)) == len(v),
                      "a non-empty list of span, sentence, document, span_label (each once)"),
}


def validate_model(cfg: DictConfig) -> None:
    """``model.*`` values the chosen model has (``_target_`` and ``name`` always); an LLM's prompt config."""
    check(cfg, MODEL_RULES, prefix="model", required=("name", "_target_"))
    if "prompt" in cfg.model:
        from bench.scorers.llm.prompts import validate_prompt

        validate_prompt(value_at(cfg, "model.prompt"))


def validate_task(cfg: DictConfig) -> None:
    """``task.*``: a task class (``_target_``), a name and levels; the task type checks its own parameters."""
    from bench.tasks import build_task

    check(cfg, TASK_RULES, prefix="task", required=("_target_", "name", "levels"))
    build_task(cfg.task)