"""Loaders for the harness's own JSONL format and the public corpora's raw formats."""

from bench.data.loaders import jsonl  # noqa: F401  (registers loaders)
