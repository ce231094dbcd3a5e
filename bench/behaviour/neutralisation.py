"""Neutralisation (directional): a WNC biased sentence must score higher than its neutralised edit.

Pairs come from the ``wnc`` corpus (Pryzant et al. 2020; both sentences lower-cased and tokenised
as in the dataset). All 1,100 pairs are used, except when the model was trained on WNC: then only
its test split (100 pairs) is held out. Pairs whose two sentences are identical are left out.
Metrics: ``pairwise_accuracy`` (share of pairs where the biased version scores strictly higher),
``mean_drop`` (score of the biased minus the neutralised version) with bootstrap intervals.
"""

from __future__ import annotations


from bench.behaviour.base import category_check, Pair, Predict, SuiteResult, directional, directional_metrics, failures, score_texts
from bench.behaviour.settings import BehaviourSettings

NAME = "neutralisation"
DESCRIPTION = "WNC pairs: the biased sentence must score higher than its neutralised edit"
CATEGORY = "loaded_language"


applies = category_check(CATEGORY)


def wnc_pairs(settings: BehaviourSettings) -> tuple[list[Pair], dict[str, str]]:
    """The WNC pairs to test (see the module docstring) and how they were chosen."""
    from bench.config import corpus_config
    from bench.data.load import load_corpus
    from bench.data.loaders.wnc import pair_of

    corpus = load_corpus(corpus_config("wnc", settings.paths), cache_dir=settings.cache_dir)
    held_out = settings.train_corpus == corpus.name
    docs = corpus.split("test") if held_out else corpus.documents
    pairs, identical = [], 0
    for doc in docs:
        biased, neutral = pair_of(doc)
        if biased == neutral:
            identical += 1
            continue
        pairs.append(Pair(doc.id, biased, neutral, "lower", str(doc.metadata.get("native_split", "")),
                          {"line": doc.metadata.get("line")}))
    notes = {"pairs_from": "wnc test split (the model was trained on wnc)" if held_out else "all wnc pairs",
             "corpus_fingerprint": corpus.fingerprint, "identical_pairs_left_out": str(identical)}
    return pairs, notes


def evaluate(pairs: list[Pair], scores: dict[str, float], settings: BehaviourSettings) -> SuiteResult:
    rows = directional(pairs, scores, settings.threshold)
    metrics = directional_metrics(rows, pass_name="pairwise_accuracy", gain_name="mean_drop", **settings.bootstrap())
    failed = [r for r in rows if not r["passed"]]
    return SuiteResult(NAME, DESCRIPTION, metrics, failures(rows, settings.max_failures), n_failures=len(failed))


def run(predict: Predict, settings: BehaviourSettings) -> SuiteResult:
    pairs, notes = wnc_pairs(settings)
    scores = score_texts([t for p in pairs for t in (p.original, p.variant)], predict)
    result = evaluate(pairs, scores, settings)
    result.notes.update(notes)
    return result
