"""Tracking-store faults: every bad store, server or run id is one clear line, fast.

Also: parallel first runs on a fresh SQLite store, and runs left RUNNING by ``kill -9``.
"""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from bench.compare import main as compare_main
from bench.errors import ConfigError
from bench.leaderboard import main as leaderboard_main
from bench.runs import resolve_run_id
from bench.tracking import orphans
from bench.tracking.mlflow_run import TrackedRun
from bench.tracking.store import open_store, prepare_store
from cli_helpers import job_runs

TIMEOUT = 2.0
HTTP_ENV = ("MLFLOW_HTTP_REQUEST_TIMEOUT", "MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Run in tmp_path with MLflow's URI and HTTP settings restored afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    saved = {k: os.environ.get(k) for k in HTTP_ENV}
    for key in HTTP_ENV:
        os.environ.pop(key, None)
    previous = mlflow.get_tracking_uri()
    yield
    mlflow.set_tracking_uri(previous)
    for key, value in saved.items():
        os.environ.pop(key, None)
        if value is not None:
            os.environ[key] = value


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def not_mlflow_server() -> Iterator[str]:
    """A loopback HTTP server that answers 404 to everything."""
    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One created and migrated store; tests copy it rather than migrate their own."""
    path = tmp_path_factory.mktemp("template") / "mlflow.db"
    prepare_store(f"sqlite:///{path}", TIMEOUT)
    return path


@pytest.fixture(autouse=True)
def _template(template_store: Path) -> None:
    global TEMPLATE
    TEMPLATE = template_store


TEMPLATE: Path | None = None


@pytest.fixture
def servers(not_mlflow_server: str) -> Iterator[dict[str, str]]:
    """Loopback URLs: a server answering 404, and one that accepts connections but never answers."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes handshakes; nothing ever reads or replies
        yield {"not_mlflow": not_mlflow_server, "silent": f"http://127.0.0.1:{silent.getsockname()[1]}"}


def _store(tmp: Path, name: str = "mlflow.db") -> Path:
    assert TEMPLATE is not None
    path = tmp / name
    shutil.copyfile(TEMPLATE, path)
    return path


def _read_only_file(tmp: Path) -> str:
    path = _store(tmp)
    path.chmod(0o444)
    return f"sqlite:///{path}"


def _read_only_folder(tmp: Path, existing: bool) -> str:
    folder = tmp / "locked"
    folder.mkdir()
    if existing:
        _store(folder)
    folder.chmod(0o555)
    return f"sqlite:///{folder / 'mlflow.db'}"


def _file(tmp: Path, name: str, text: str = "not a database\n") -> Path:
    (tmp / name).write_text(text)
    return tmp / name


# (id, URI built from tmp_path and the loopback servers' URLs, text the one-line message must hold)
STORE_FAULTS: list[tuple[str, Callable[[Path, dict[str, str]], str], str]] = [
    ("sqlite-directory", lambda t, _: (t / "store.db").mkdir() or f"sqlite:///{t / 'store.db'}",
     "store.db is a directory"),
    ("sqlite-missing-folder", lambda t, _: f"sqlite:///{t / 'nope' / 'mlflow.db'}", "nope does not exist"),
    ("sqlite-parent-is-file", lambda t, _: f"sqlite:///{_file(t, 'plain') / 'mlflow.db'}", "is a file, not a folder"),
    ("sqlite-read-only-file", lambda t, _: _read_only_file(t), "mlflow.db is read-only"),
    ("sqlite-read-only-folder-new", lambda t, _: _read_only_folder(t, False), "locked is read-only"),
    ("sqlite-read-only-folder-existing", lambda t, _: _read_only_folder(t, True), "read-only folder"),
    ("sqlite-not-a-database", lambda t, _: f"sqlite:///{_file(t, 'notes.db')}", "notes.db is not a SQLite database"),
    ("sqlite-no-path", lambda t, _: "sqlite://", "names no database file"),
    ("sqlite-in-memory", lambda t, _: "sqlite:///:memory:", "names no database file"),
    ("sqlite-host-part", lambda t, _: "sqlite://somehost/x.db", "has a host part 'somehost'"),
    ("http-closed-port", lambda t, _: f"http://127.0.0.1:{free_port()}", "cannot reach the MLflow tracking server"),
    ("https-closed-port", lambda t, _: f"https://127.0.0.1:{free_port()}", "cannot reach the MLflow tracking server"),
    ("http-no-host", lambda t, _: "http://", "names no host"),
    ("http-not-mlflow", lambda t, urls: urls["not_mlflow"], "is not an MLflow tracking server"),
    ("http-silent-server", lambda t, urls: urls["silent"], f"no answer within {TIMEOUT:g} s"),
    ("scheme-typo", lambda t, _: "htp://127.0.0.1:5000", "unsupported scheme 'htp'"),
    ("scheme-ftp", lambda t, _: "ftp://127.0.0.1/store", "unsupported scheme 'ftp'"),
    ("bare-db-path", lambda t, _: "results/mlflow.db", "looks like a SQLite file"),
    ("file-store-is-file", lambda t, _: f"file://{_file(t, 'runs')}", "is a file, not a folder"),
]


@pytest.mark.parametrize("build, needle", [pytest.param(b, n, id=i) for i, b, n in STORE_FAULTS])
def test_bad_store_is_one_line(build: Callable[[Path, dict[str, str]], str], needle: str, tmp_path: Path,
                               servers: dict[str, str]) -> None:
    uri = build(tmp_path, servers)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(ConfigError) as raised:
        with TrackedRun(uri=uri, experiment="faults", run_name="r", tags={}, timeout_s=TIMEOUT):
            pytest.fail("the run must not start")
    message = str(raised.value)
    assert "\n" not in message and needle in message
    where = uri.split("///")[-1].split("/")[-1] if uri.startswith("sqlite:///") else uri
    assert where in message, message  # names the path or URI
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing created


def test_server_check_bounds_mlflow_http_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "5")  # the user's value is kept
    with pytest.raises(ConfigError, match="Connection refused"):
        prepare_store(f"http://127.0.0.1:{free_port()}", 1.5)
    assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "2"
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "5"
    assert os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] == "1"


@pytest.mark.parametrize("timeout", [0, -1.0, float("nan")])
def test_timeout_must_be_positive(timeout: float) -> None:
    with pytest.raises(ConfigError, match="tracking.timeout_s=.*must be a positive number"):
        prepare_store("sqlite:///unused.db", timeout)
    assert not Path("unused.db").exists()


def test_prepare_store_creates_and_returns_absolute_uri(tmp_path: Path) -> None:
    uri = prepare_store("sqlite:///fresh.db", TIMEOUT)
    assert uri == f"sqlite:///{tmp_path / 'fresh.db'}"
    assert MlflowClient(uri).get_experiment("0") is not None
    assert not (tmp_path / "fresh.db.lock").exists() or (tmp_path / "fresh.db.lock").stat().st_size == 0


# --- parallel first runs, kill -9 ----------------------------------------------------------------

RUN_SNIPPET = """
import sys, time
from bench.tracking.mlflow_run import TrackedRun
with TrackedRun(uri=sys.argv[1], experiment="parallel", run_name="r", tags={}, timeout_s=5) as run:
    run.log_metrics({"m": 1.0})
    print(run.run_id, flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _start(uri: str, sleep: float, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", RUN_SNIPPET, uri, str(sleep)], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_parallel_first_runs_on_a_fresh_store(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    processes = [_start(uri, 0, tmp_path) for _ in range(4)]
    results = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, [err[-800:] for _, err in results]
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("parallel")
    runs = job_runs(client, [experiment.experiment_id])
    assert sorted(r.info.status for r in runs) == ["FINISHED"] * 4
    assert {r.info.run_id for r in runs} == {out.strip() for out, _ in results}
    assert all(r.data.tags[orphans.HOST_TAG] == socket.gethostname() for r in runs)


def test_run_left_running_by_kill_9_is_marked_killed(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    victim = _start(uri, 600, tmp_path)
    assert victim.stdout is not None
    run_id = victim.stdout.readline().strip()
    assert run_id, victim.stderr.read() if victim.stderr else ""
    client = MlflowClient(uri)
    assert client.get_run(run_id).info.status == "RUNNING"
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    with TrackedRun(uri=uri, experiment="parallel", run_name="next", tags={}, timeout_s=TIMEOUT) as run:
        assert run.run_id != run_id
    killed = client.get_run(run_id)
    assert killed.info.status == "KILLED"
    assert f"process {victim.pid}" in killed.data.tags["failure_reason"]
    assert client.get_run(run.run_id).info.status == "FINISHED"


def test_live_processes_are_not_orphans() -> None:
    tags = orphans.process_tags()
    assert orphans.process_alive(os.getpid(), float(tags[orphans.STARTED_TAG]))
    assert not orphans.process_alive(os.getpid(), 0.0)  # the pid now belongs to a newer process


# --- review commands -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def store_with_runs(template_store: Path) -> tuple[str, list[str]]:
    """A store holding plain (non-bench) runs, enough that two ids share their first hex digit.

    All but the first are finished (the leaderboard then sees finished runs that are not model runs).
    """
    path = template_store.with_name("runs.db")
    shutil.copyfile(template_store, path)
    client = open_store(f"sqlite:///{path}")
    experiment = client.create_experiment("newsbias/none/none")
    ids: list[str] = []
    while len({i[0] for i in ids}) == len(ids):
        ids.append(client.create_run(experiment).info.run_id)
    for run_id in ids[1:]:
        client.set_terminated(run_id)
    return f"sqlite:///{path}", ids


def _ambiguous(ids: list[str]) -> str:
    return next(i[0] for i in ids if sum(j[0] == i[0] for j in ids) > 1)


def _unknown_prefix(ids: list[str]) -> str:
    return next(p for p in ("0000", "ffff", "abcd", "1234") if not any(i.startswith(p) for i in ids))


# (id, arguments given store URI and run ids, text the one-line message must hold)
COMMAND_FAULTS: list[tuple[str, str, Callable[[str, list[str], Path], list[str]], str]] = [
    ("compare-unknown-prefix", "compare", lambda u, ids, t: [_unknown_prefix(ids), ids[0], "--tracking-uri", u],
     "no MLflow run id starts with"),
    ("compare-ambiguous-prefix", "compare", lambda u, ids, t: [_ambiguous(ids), ids[0], "--tracking-uri", u],
     "is ambiguous"),
    ("compare-not-an-id", "compare", lambda u, ids, t: ["run-7!", ids[0], "--tracking-uri", u],
     "'run-7!' is not an MLflow run id"),
    ("compare-unknown-full-id", "compare", lambda u, ids, t: ["0" * 32, ids[0], "--tracking-uri", u],
     "no MLflow run 000000"),
    ("compare-not-a-bench-run", "compare", lambda u, ids, t: [ids[1][:8], ids[0], "--tracking-uri", u],
     "is not a newsbias-bench model run"),
    ("compare-store-is-directory", "compare", lambda u, ids, t: ["ab", "cd", "--tracking-uri", f"sqlite:///{t}"],
     "is a directory"),
    ("compare-missing-store", "compare",
     lambda u, ids, t: ["ab", "cd", "--tracking-uri", f"sqlite:///{t / 'absent.db'}"], "no MLflow store at"),
    ("leaderboard-closed-port", "leaderboard",
     lambda u, ids, t: ["--corpus", "babe", "--task", "sentiment", "--tracking-uri",
                        f"http://127.0.0.1:{free_port()}", "--timeout", "1"],
     "cannot reach the MLflow tracking server"),
    ("leaderboard-unknown-experiment", "leaderboard",
     lambda u, ids, t: ["--corpus", "nope", "--task", "sentiment", "--tracking-uri", u], "no MLflow experiment"),
    ("leaderboard-no-model-runs", "leaderboard",
     lambda u, ids, t: ["--corpus", "none", "--task", "none", "--tracking-uri", u], "has no finished model runs"),
    ("leaderboard-all-missing-store", "leaderboard",
     lambda u, ids, t: ["--all", "--tracking-uri", f"sqlite:///{t / 'absent.db'}"], "no MLflow store at"),
    ("leaderboard-bad-scheme", "leaderboard", lambda u, ids, t: ["--all", "--tracking-uri", "htp://x"],
     "unsupported scheme"),
]


@pytest.mark.parametrize("command, build, needle", [pytest.param(c, b, n, id=i) for i, c, b, n in COMMAND_FAULTS])
def test_review_command_fault_is_one_line(command: str, build: Callable[[str, list[str], Path], list[str]],
                                          needle: str, store_with_runs: tuple[str, list[str]], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    uri, ids = store_with_runs
    args = build(uri, ids, tmp_path)
    main = compare_main if command == "compare" else leaderboard_main
    with pytest.raises(SystemExit) as raised:
        main(args)
    assert raised.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsbias-bench: error: ") and needle in lines[0], lines
    assert lines[0].endswith("(add --verbose for a traceback)") and "verbose=true" not in lines[0]
    assert not (tmp_path / "absent.db").exists() and not (tmp_path / "mlflow.db").exists()


def test_short_run_ids_resolve(store_with_runs: tuple[str, list[str]]) -> None:
    uri, ids = store_with_runs
    client = MlflowClient(uri)
    for run_id in ids:
        assert resolve_run_id(client, run_id[:12]) == run_id
        assert resolve_run_id(client, run_id.upper()) == run_id


def test_leaderboard_elsewhere_creates_no_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("bench.tracking.provenance.project_root", lambda: tmp_path / "project")
    with pytest.raises(SystemExit) as raised:
        leaderboard_main(["--all"])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "no MLflow store found" in err and str(tmp_path / "project" / "mlflow.db") in err
    assert list(tmp_path.iterdir()) == []
