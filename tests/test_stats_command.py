"""``python -m bench.stats`` with no arguments covers the corpora that load as configured."""

from __future__ import annotations

import pytest

from bench.config import available
from bench.stats import main, ready_corpora


def test_templates_needing_settings_are_left_out_of_the_default_list() -> None:
    ready = ready_corpora()
    assert "jsonl" in available("corpus") and "jsonl" not in ready
    assert {"reference", "babe", "ptc", "polnear"} <= set(ready)


def test_stats_of_the_reference_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    main(["reference", "--format", "markdown"])
    table = capsys.readouterr().out
    assert table.splitlines()[0].startswith("| corpus | documents |")
    assert "| reference | 1 |" in table
