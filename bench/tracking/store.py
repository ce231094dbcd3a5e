"""Check and prepare the MLflow tracking store before a job does any work.

``prepare_store`` (jobs that write runs) and ``open_store`` (commands that only read them) turn
every unusable tracking URI into one :class:`~bench.errors.ConfigError` line naming the URI or
path and what is wrong, within a bounded time:

* ``http(s)://``: the server must answer ``GET /health`` within ``timeout_s``; MLflow's own HTTP
  retries and timeouts are bounded for the rest of the process (unless the user set them).
* ``sqlite:///PATH``: the path must be a (writable) SQLite file or creatable in an existing,
  writable folder; a fresh store is created and migrated once, under a file lock beside the
  database, so parallel first runs do not race on MLflow's schema migrations.
"""

from __future__ import annotations

import logging
import math
import os
import re
import stat
from pathlib import Path

import mlflow
from filelock import FileLock, Timeout
from mlflow.tracking import MlflowClient
from mlflow.tracking._tracking_service.utils import _tracking_store_registry
from mlflow.utils.credentials import get_default_host_creds
from mlflow.utils.rest_utils import http_request
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bench.errors import ConfigError

#: the default of ``tracking.timeout_s``: seconds a tracking server has to answer
DEFAULT_TIMEOUT_S = 10.0
#: seconds to wait for another process that is creating or migrating the same SQLite store
LOCK_TIMEOUT_S = 120.0
#: MLflow's HTTP retries during a run: attempts after the first, and the backoff factor (s)
HTTP_MAX_RETRIES, HTTP_BACKOFF_FACTOR = 2, 1
_SQLITE_HEADER = b"SQLite format 3\x00"


def resolve_uri(uri: str | None) -> str:
    """``uri``, or MLflow's own choice when unset (``MLFLOW_TRACKING_URI``, else ``./mlflow.db``)."""
    return uri or mlflow.get_tracking_uri()


def scheme_of(uri: str) -> str:
    """The URI's scheme, checked against the tracking stores MLflow knows (one line otherwise)."""
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", uri)
    scheme = match.group(1).lower() if match and len(match.group(1)) > 1 else ""  # 'C:' is a drive
    if scheme and scheme not in _tracking_store_registry._registry and uri not in {"databricks", "uc"}:
        known = ", ".join(s for s in ("sqlite", "http", "https", "file", "postgresql", "mysql")
                          if s in _tracking_store_registry._registry)
        raise ConfigError(f"tracking URI {uri!r} has an unsupported scheme {scheme!r} (use one of: {known}; "
                          f"e.g. sqlite:///mlflow.db or http://127.0.0.1:5000)")
    return scheme


# --- tracking servers ------------------------------------------------------------------------

def bound_http_client(timeout_s: float) -> None:
    """Bound MLflow's HTTP client for this process: per-request timeout ``timeout_s`` (rounded up),
    2 retries with a 1 s backoff factor, instead of 7 retries over about 4 minutes.

    Values the user set in the environment are kept.
    """
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(max(1, math.ceil(timeout_s))))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", str(HTTP_MAX_RETRIES))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", str(HTTP_BACKOFF_FACTOR))


def _reason(exc: BaseException, timeout_s: float) -> str:
    """A short cause for a failed request: 'connection refused', 'no answer within 2 s', …"""
    chain = [exc]
    while chain[-1].__cause__ or chain[-1].__context__:
        chain.append(chain[-1].__cause__ or chain[-1].__context__)  # type: ignore[arg-type]
        if len(chain) > 8:
            break
    text = " ".join(str(e) for e in chain)
    if "timeout" in text.lower() or "timed out" in text.lower():
        return f"no answer within {timeout_s:g} s"
    errno = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if errno:
        return errno.group(1).strip().rstrip(".")
    return str(chain[-1]).strip().splitlines()[0][:200] if str(chain[-1]).strip() else type(chain[-1]).__name__


def check_server(uri: str, timeout_s: float) -> None:
    """The server at ``uri`` must answer ``GET /health`` within ``timeout_s`` (no retries)."""
    if not re.match(r"^https?://[^/?#\s]+", uri):
        raise ConfigError(f"tracking URI {uri!r} names no host (e.g. http://127.0.0.1:5000)")
    try:
        response = http_request(get_default_host_creds(uri), "/health", "GET", max_retries=0, backoff_factor=0,
                                backoff_jitter=0, timeout=timeout_s, raise_on_status=False)
    except Exception as exc:  # MLflow wraps requests' errors in MlflowException
        raise ConfigError(f"cannot reach the MLflow tracking server at {uri} ({_reason(exc, timeout_s)})") from None
    if response.status_code == 404:
        raise ConfigError(f"the server at {uri} answers but is not an MLflow tracking server "
                          f"(GET /health: HTTP 404)")
    if response.status_code >= 500:
        raise ConfigError(f"the MLflow tracking server at {uri} is failing (GET /health: HTTP "
                          f"{response.status_code})")


# --- SQLite stores ---------------------------------------------------------------------------

def sqlite_url(uri: str) -> URL:
    """The parsed ``sqlite:///PATH`` URI; one line for forms that name no database file."""
    try:
        url = make_url(uri)
    except ArgumentError:
        raise ConfigError(f"tracking URI {uri!r} is not a valid database URI (e.g. sqlite:///mlflow.db)") from None
    if url.host:
        raise ConfigError(f"tracking URI {uri!r} has a host part {url.host!r}; a SQLite store is "
                          f"sqlite:///relative/path.db or sqlite:////absolute/path.db")
    if not url.database or url.database == ":memory:":
        raise ConfigError(f"tracking URI {uri!r} names no database file (an in-memory store keeps no runs); "
                          f"use e.g. sqlite:///mlflow.db")
    return url


def _read_only(path: Path) -> bool:
    """Not writable by this process, or marked read-only (no write bit at all, which root ignores)."""
    return not os.access(path, os.W_OK) or not stat.S_IMODE(path.stat().st_mode) & 0o222


def check_sqlite_path(path: Path, *, create: bool) -> None:
    """One line naming ``path`` if it cannot hold (or, with ``create``, become) a usable store."""
    folder = path.parent
    if path.is_dir():
        raise ConfigError(f"MLflow store {path} is a directory, not a SQLite database file")
    if not path.exists():
        if not folder.is_dir():
            what = "is a file, not a folder" if folder.exists() else "does not exist"
            raise ConfigError(f"cannot create MLflow store {path}: folder {folder} {what}")
        if not create:
            raise ConfigError(f"no MLflow store at {path} (run `python -m bench` first, or pass --tracking-uri)")
        if _read_only(folder):
            raise ConfigError(f"cannot create MLflow store {path}: folder {folder} is read-only")
        return
    if not os.access(path, os.R_OK):
        raise ConfigError(f"MLflow store {path} is not readable")
    with path.open("rb") as handle:
        header = handle.read(len(_SQLITE_HEADER))
    if header and header != _SQLITE_HEADER:
        raise ConfigError(f"MLflow store {path} is not a SQLite database")
    if create and _read_only(path):
        raise ConfigError(f"MLflow store {path} is read-only")
    if create and _read_only(folder):  # SQLite writes its journal beside the database
        raise ConfigError(f"MLflow store {path} is in a read-only folder {folder} (SQLite needs to write its "
                          f"journal there)")


def store_lock(path: Path) -> FileLock:
    """The lock serialising creation and migration of the SQLite store at ``path``."""
    return FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_S)


def _open_sqlite(uri: str, path: Path) -> None:
    """Build MLflow's store for ``uri`` (creating and migrating it if needed); one line on failure."""
    try:
        MlflowClient(uri).search_experiments(max_results=1)
    except Exception as exc:  # MLflow, SQLAlchemy and alembic raise their own types
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"cannot open MLflow store {path}: {first[:300]}") from exc


def init_sqlite(uri: str, path: Path) -> None:
    """Create and migrate the store (if needed) while holding its lock."""
    try:
        with store_lock(path):
            _open_sqlite(uri, path)
    except Timeout:
        raise ConfigError(f"MLflow store {path}: another process held its lock {path}.lock for over "
                          f"{LOCK_TIMEOUT_S:g} s") from None


def _sqlite_target(uri: str) -> tuple[str, Path]:
    url = sqlite_url(uri)
    path = Path(url.database).expanduser().absolute()  # type: ignore[arg-type]
    return url.set(database=str(path)).render_as_string(hide_password=False), path


def _check_file_store(uri: str) -> None:
    raw = re.sub(r"^file:(//)?", "", uri)
    if not uri.startswith("file:") and raw.endswith((".db", ".sqlite", ".sqlite3")):
        raise ConfigError(f"tracking URI {uri!r} looks like a SQLite file; write sqlite:///{raw}")
    if Path(raw).is_file():
        raise ConfigError(f"tracking URI {uri!r} is a file store but {raw} is a file, not a folder")


def _checked(uri: str | None, timeout_s: float, *, create: bool, timeout_name: str) -> str:
    """The resolved URI of a store that passed the checks for its scheme (see the module doc)."""
    if not timeout_s > 0:
        raise ConfigError(f"{timeout_name}={timeout_s}: must be a positive number of seconds")
    resolved = resolve_uri(uri)
    scheme = scheme_of(resolved)
    if scheme in ("http", "https"):
        bound_http_client(timeout_s)
        check_server(resolved, timeout_s)
    elif scheme == "sqlite":
        resolved, path = _sqlite_target(resolved)
        check_sqlite_path(path, create=create)
        if create:
            init_sqlite(resolved, path)
        else:
            _open_sqlite(resolved, path)
    elif scheme in ("", "file"):
        _check_file_store(resolved)
    return resolved


def prepare_store(uri: str | None, timeout_s: float = DEFAULT_TIMEOUT_S) -> str:
    """Check the store a job will write to and return its resolved URI.

    A server must answer within ``timeout_s`` (and MLflow's HTTP client is bounded for the rest of
    the process); a SQLite store must be usable and is created and migrated once, under a lock.
    MLflow's and alembic's informational logging ("Creating initial MLflow database tables...") is
    turned down so that a job's standard error holds only what the job itself says.
    """
    for noisy in ("alembic", "mlflow.store.db.utils", "mlflow.tracking.fluent"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return _checked(uri, timeout_s, create=True, timeout_name="tracking.timeout_s")


def open_store(uri: str | None, timeout_s: float = DEFAULT_TIMEOUT_S) -> MlflowClient:
    """A client for an existing store that commands read runs from; never creates a database.

    Without ``uri``: ``MLFLOW_TRACKING_URI``, else ``./mlflow.db``, else the project's ``mlflow.db``.
    """
    if not uri and not os.environ.get("MLFLOW_TRACKING_URI"):
        from bench.tracking.provenance import project_root

        here, project = Path("mlflow.db").absolute(), project_root() / "mlflow.db"
        if not here.is_file() and not project.is_file():
            raise ConfigError(f"no MLflow store found: neither {here} nor the project's {project} exists "
                              f"(pass --tracking-uri)")
        uri = f"sqlite:///{here if here.is_file() else project}"
    return MlflowClient(_checked(uri, timeout_s, create=False, timeout_name="--timeout"))
