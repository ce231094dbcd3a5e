"""Large language models behind any OpenAI-compatible chat-completions endpoint, as scorers.

``scorer``: the :class:`LLMScorer` (``conf/model/llm.yaml``); ``prompts``: prompt configs
(``conf/prompt/``); ``plan``: one task's requests and answers; ``answers``: answer schemas and
parsing; ``anchoring``: quotes to offsets; ``logprobs``: class probabilities; ``examples``:
few-shot examples; ``endpoint``: requests, retries, budget and usage; ``cache``: the reply cache;
``tracing``: MLflow traces. The ``openai`` client is imported only when the scorer is.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LLMScorer"]


def __getattr__(name: str) -> Any:
    if name == "LLMScorer":
        from bench.scorers.llm.scorer import LLMScorer

        return LLMScorer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
