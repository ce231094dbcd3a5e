"""Helpers shared by the public-corpus loaders."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bench.errors import DataError


def require_file(root: Path, relative: str) -> Path:
    path = root / relative
    if not path.is_file():
        raise DataError("corpus file not found", path=str(path))
    return path


def parse_word_list(value: object, path: Path, line: int) -> list[str]:
    """A Python-list literal of strings such as ``"['belated', 'birtherism']"`` (parsed safely)."""
    if value is None or (isinstance(value, float)) or str(value).strip() in ("", "nan"):
        return []
    try:
        parsed = ast.literal_eval(str(value))
    except (ValueError, SyntaxError):
        raise DataError(f"biased_words {str(value)[:60]!r} is not a list literal", path=str(path), line=line) from None
    if not isinstance(parsed, (list, tuple)) or not all(isinstance(w, str) for w in parsed):
        raise DataError("biased_words must be a list of strings", path=str(path), line=line)
    return [w for w in parsed if w.strip()]


def locate_all(text: str, phrase: str) -> list[tuple[int, int]]:
    """Every whole-word, case-insensitive occurrence of ``phrase`` in ``text``."""
    words = phrase.strip().strip("\"'“”‘’.,;:!?()[]").split()
    if not words:
        return []
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)"
    return [(m.start(), m.end()) for m in re.finditer(pattern, text, flags=re.IGNORECASE)]


def slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.lower()).strip("_")
