"""Turn exceptions into one clear error line and a non-zero exit (traceback with verbose)."""

from __future__ import annotations

import os
import sys
import traceback
from typing import NoReturn

from bench.errors import BenchError

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1


def verbose_requested(argv: list[str] | None = None) -> bool:
    args = sys.argv[1:] if argv is None else argv
    return os.environ.get("NEWSBIAS_VERBOSE") == "1" or any(a in ("verbose=true", "verbose=True") for a in args)


def fail(exc: BaseException, verbose: bool) -> NoReturn:
    if verbose:
        traceback.print_exception(exc)
    kind = "error" if isinstance(exc, BenchError) else f"internal error ({type(exc).__name__})"
    print(f"newsbias-bench: {kind}: {exc}", file=sys.stderr)
    if not verbose:
        print("  (add verbose=true for a traceback)", file=sys.stderr)
    sys.exit(EXIT_USER_ERROR if isinstance(exc, BenchError) else EXIT_INTERNAL_ERROR)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    head = lines[0]
    if "Available options" in text:
        start = next(i for i, line in enumerate(lines) if line.startswith("Available options"))
        options = [line for line in lines[start + 1 :] if not line.startswith(("Config search path", "provider="))]
        head += f" (available: {', '.join(options)})"
    cause = exc.__cause__
    if cause is not None and str(cause).strip():
        head += f": {str(cause).strip().splitlines()[0]}"
    return head


def fail_config(exc: BaseException, verbose: bool) -> NoReturn:
    """Report an error raised by Hydra itself (composition or override parsing)."""
    if verbose:
        traceback.print_exception(exc)
    print(f"newsbias-bench: invalid configuration: {_one_line(exc)}", file=sys.stderr)
    sys.exit(EXIT_USER_ERROR)
