"""Turn exceptions into one clear error line and a non-zero exit (traceback with verbose)."""

from __future__ import annotations

import errno
import os
import sys
import traceback
import warnings
from typing import NoReturn

from bench.configschema.hydra_errors import compose_error_line
from bench.errors import BenchError, BenchWarning

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1
#: 128 + SIGINT, as shells report a Ctrl-C
EXIT_INTERRUPTED = 130
#: OS errors that are the user's environment (a full disk, a read-only place), not a harness bug
_ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT}


def verbose_requested(argv: list[str] | None = None) -> bool:
    args = sys.argv[1:] if argv is None else argv
    return os.environ.get("NEWSBIAS_VERBOSE") == "1" or any(a in ("verbose=true", "verbose=True") for a in args)


def is_user_error(exc: BaseException) -> bool:
    return isinstance(exc, BenchError) or (isinstance(exc, OSError) and exc.errno in _ENVIRONMENT_ERRNOS)


def report(exc: BaseException, verbose: bool, hint: str = "add verbose=true for a traceback") -> None:
    """Print the error as one line (after the traceback when ``verbose``)."""
    if verbose:
        traceback.print_exception(exc)
    if isinstance(exc, BenchError):
        message = f"error: {exc}"
    elif is_user_error(exc):
        assert isinstance(exc, OSError)
        message = f"error: cannot write {exc.filename or 'a file'}: {exc.strerror}"
    else:
        message = f"internal error ({type(exc).__name__}): {exc}"
    suffix = "" if verbose else f" ({hint})"
    print(f"newsbias-bench: {' '.join(message.split())}{suffix}", file=sys.stderr)


def fail(exc: BaseException, verbose: bool, hint: str = "add verbose=true for a traceback") -> NoReturn:
    report(exc, verbose, hint)
    sys.exit(EXIT_USER_ERROR if is_user_error(exc) else EXIT_INTERNAL_ERROR)


def one_line_warnings() -> None:
    """Show the harness's own warnings (a rebuilt cache entry, ...) as one line each, without source lines."""
    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        if issubclass(category, BenchWarning):
            print(f"newsbias-bench: warning: {message}", file=sys.stderr)
        else:
            shown(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def _one_line(exc: BaseException) -> str:
    line = compose_error_line(exc)
    if line:
        return line
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
