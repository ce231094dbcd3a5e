"""Error types that the command line reports as one clear line."""

from __future__ import annotations


def install_hint(extra: str) -> str:
    """The command that installs one of the package's optional feature sets (``pyproject.toml`` extras)."""
    return f"pip install 'newsbias-bench[{extra}]'"


class BenchError(Exception):
    """Any user-facing error: bad input, unknown names, invalid configuration."""


class ConfigError(BenchError):
    """A configuration value, name or combination is not valid."""


class DataError(BenchError):
    """A corpus file or annotation is missing or malformed.

    The message always names the file and, where known, the line, document id and span.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        doc_id: str | None = None,
        span: str | None = None,
    ) -> None:
        where = []
        if path is not None:
            where.append(f"{path}:{line}" if line is not None else str(path))
        if doc_id is not None:
            where.append(f"document {doc_id!r}")
        if span is not None:
            where.append(f"span {span}")
        self.path, self.line, self.doc_id, self.span = path, line, doc_id, span
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class BenchWarning(UserWarning):
    """A warning the command line shows as one line."""


class CacheWarning(BenchWarning):
    """A cache entry could not be read; it was evicted and is rebuilt."""


class InSampleWarning(BenchWarning):
    """A model is evaluated on documents it was trained on: the figures are in-sample."""
