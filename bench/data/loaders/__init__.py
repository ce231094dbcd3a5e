"""Loaders for the harness's own JSONL format and the public corpora's raw formats."""

from bench.data.loaders import basil, jsonl, newsmtsc, ptc, sentence_tables, uncertainty  # noqa: F401
