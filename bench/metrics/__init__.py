"""Metrics at span, sentence and document level (names documented in README.md)."""
