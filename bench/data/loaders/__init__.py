"""Loaders for the harness's own JSONL format and the public corpora's raw formats."""

from bench.data.loaders import basil, jsonl, newsmtsc, ptc, sentence_tables, uncertainty  # noqa: F401
from bench.data.loaders import lim2020, npov, wnc  # noqa: F401
from bench.data.loaders import polnear  # noqa: F401
