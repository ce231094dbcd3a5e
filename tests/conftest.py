"""Shared fixtures. Public datasets are found through NEWSBIAS_DATA_DIR (default ../shared/datasets).

Outside CI, tests that need them skip with the reason; with CI=true or NEWSBIAS_REQUIRE_DATA=1 a
missing data directory is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.config import corpus_config, register_resolvers
from bench.data.corpus import Corpus
from bench.data.load import load_corpus
from bench.tracking.provenance import project_root

register_resolvers()
ROOT = project_root()


def data_dir() -> Path:
    raw = os.environ.get("NEWSBIAS_DATA_DIR", "../shared/datasets")
    path = Path(raw)
    return path if path.is_absolute() else (ROOT / path).resolve()


def require_data() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("NEWSBIAS_REQUIRE_DATA") == "1"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = data_dir()
    if not (path / "INDEX.md").is_file():
        message = f"public datasets not found at {path} (set NEWSBIAS_DATA_DIR)"
        if require_data():
            pytest.fail(message + "; CI requires them")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def reference() -> Corpus:
    return load_corpus(corpus_config("reference"))


@pytest.fixture(scope="session")
def corpus_loader(shared_data: Path):
    """Load a public corpus by config name (cached per session)."""
    cache: dict[str, Corpus] = {}

    def load(name: str) -> Corpus:
        if name not in cache:
            cache[name] = load_corpus(corpus_config(name))
        return cache[name]

    return load
