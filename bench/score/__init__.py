"""Scoring news archives: per-article loaded-language, unverified-source and sentiment scores, and spans.

``python -m bench.score ARTICLES --output FOLDER`` (:mod:`bench.score.cli`) reads JSON lines or
Parquet (:mod:`~bench.score.inputs`), scores each shard with one model per signal
(:mod:`~bench.score.models`, :mod:`~bench.score.aggregate`) in this process or on Ray actors
(:mod:`~bench.score.runner`, :mod:`~bench.score.ray_runner`), and writes resumable Parquet
datasets (:mod:`~bench.score.output`).
"""
