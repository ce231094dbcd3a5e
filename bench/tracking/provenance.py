"""Provenance of a run: git commit, package version, flattened config."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from bench import __version__


def source_root() -> Path | None:
    """The source checkout ``bench`` runs from (``pyproject.toml`` and ``conf/`` beside ``bench/``);
    None for an installed (non-editable) package."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "conf").is_dir() else None


def project_root() -> Path:
    """Where relative paths, ``.cache/`` and the default ``mlflow.db`` live: the source checkout
    when running from one, else the current working directory (an installed package)."""
    return source_root() or Path.cwd().resolve()


def git_commit(root: Path | None = None) -> tuple[str, bool]:
    """(commit hash or 'unknown', whether the work tree has uncommitted changes) of the checkout
    ``bench`` runs from; 'unknown' for an installed package or outside a git repository."""
    where = root or source_root()
    if where is None:
        return "unknown", False
    try:
        commit = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True, timeout=10).stdout.strip()
        dirty = bool(subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
                                    capture_output=True, text=True, check=True, timeout=10).stdout.strip())
        return commit, dirty
    except (OSError, subprocess.SubprocessError):
        return "unknown", False


def package_version() -> str:
    return __version__


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Nested dicts/lists to ``a.b.0.c`` keys with string values."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}{key}."))
    elif isinstance(value, (list, tuple)):
        if not value:
            out[prefix[:-1]] = "[]"
        for i, inner in enumerate(value):
            out.update(flatten(inner, f"{prefix}{i}."))
    else:
        out[prefix[:-1]] = str(value)
    return out
