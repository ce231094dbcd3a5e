"""The blind third pass's sample of PolNeAR dev events is reproducible from its seed and command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.annotation.sourcing_worksheet import sample, worksheet
from bench.config import corpora_dir

SAMPLE_FILE = corpora_dir() / "polnear_sourcing" / "pass3.sample.txt"


def _recorded() -> tuple[float, int, list[str]]:
    lines = SAMPLE_FILE.read_text(encoding="utf-8").splitlines()
    command = next(line for line in lines if "--sample" in line)
    share = float(re.search(r"--sample (\S+)", command).group(1))  # type: ignore[union-attr]
    seed = int(re.search(r"--seed (\d+)", command).group(1))  # type: ignore[union-attr]
    return share, seed, [line for line in lines if line and not line.startswith("#")]


@pytest.mark.shared_data
def test_the_recorded_command_reproduces_the_sample(shared_data: Path) -> None:
    share, seed, ids = _recorded()
    assert seed != 2026  # not the second pass's sample
    rows = worksheet(shared_data / "polnear-attribution", "dev")
    assert [row.item_id for row in sample(rows, share, seed)] == ids
    assert len(ids) == len(set(ids)) >= 400
    assert [row.item_id for row in sample(rows, share, seed + 1)] != ids
