"""The job's summary table keeps every header whole on a 100-column terminal."""

from __future__ import annotations

from rich.console import Console

from bench.report.console import summary_table

ROWS = [{"corpus": "reference", "task": "unverified_sources", "model": "unverified_patterns", "split": "all",
         "headline": {"span.overlap.f1": 0.8, "sentence.f1": 0.75, "sentence.roc_auc": 0.9}, "status": "ok"},
        {"corpus": "babe", "task": "loaded_language", "model": "lexicon", "split": "test",
         "headline": {"sentence.f1": 0.41}, "status": "ok"}]


def test_headers_are_never_folded_mid_word() -> None:
    console = Console(width=100, record=True, color_system=None)
    console.print(summary_table(ROWS))
    text = console.export_text()
    header = text.split("┡")[0]
    for part in ("corpus", "task", "model", "split", "span.", "overlap.", "sentence.", "roc_auc", "f1", "status"):
        assert part in header, f"{part!r} is folded:\n{text}"
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "0.800" in text and "0.410" in text and "–" in text
