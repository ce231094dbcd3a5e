"""The package installs (non-editable) with its configs and corpora, runs from any directory, and
finds user configs through ``hydra.searchpath`` (the worked example in ``examples/user_config``)."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.entities import Run

from bench.data.corpus import Corpus
from cli_helpers import job_runs, ROOT, run_bench, tracking_uri

pytestmark = pytest.mark.slow

#: what a source distribution of the project holds (everything the build needs)
SOURCE_FILES = ("pyproject.toml", "setup.py", "README.md")
SOURCE_DIRS = ("bench", "conf", "corpora")
EXAMPLE = ROOT / "examples" / "user_config"
SEARCHPATH = f"hydra.searchpath=[file://{EXAMPLE / 'conf'}]"
#: fewer bootstrap resamples than the default 1,000 keep the multi-document runs quick
QUICK = "evaluation.bootstrap_resamples=50"


def _env() -> dict[str, str]:
    """The environment of a child process, without anything that would import the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return dict(env, HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1", PIP_DISABLE_PIP_VERSION_CHECK="1")


def _run(args: list[str | Path], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)


def _ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _copy_source(dest: Path) -> Path:
    """A clean copy of the project to build from (the build writes build/ and *.egg-info beside it)."""
    dest.mkdir()
    for name in SOURCE_FILES:
        shutil.copy2(ROOT / name, dest / name)
    for name in SOURCE_DIRS:
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def _wheel(source: Path, out: Path) -> Path:
    """Build the wheel with this interpreter's setuptools (no network: no build isolation, no index)."""
    _ok(_run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
              "-w", out, source], cwd=source.parent))
    return next(out.glob("newsbias_bench-*.whl"))


def _see_this_interpreters_packages(venv: Path) -> None:
    """Let ``venv`` import the dependencies installed for the interpreter running the tests.

    ``venv --system-site-packages`` would point at the *base* interpreter's site-packages, which, when the
    tests run inside a virtual environment (as a newcomer runs them), holds none of the dependencies. A
    ``.pth`` file listing this interpreter's site directories works from a venv and from a bare interpreter
    alike; plain path lines (no ``import`` lines) keep the parent's own ``.pth`` hooks, such as the editable
    install of the checkout, out of the new environment.
    """
    parent_dirs = [p for p in (*site.getsitepackages(), sysconfig.get_path("purelib"), sysconfig.get_path("platlib"))
                   if Path(p).is_dir()]
    child = _ok(_run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     cwd=venv)).stdout.strip()
    (Path(child) / "_newsbias_test_parent.pth").write_text("\n".join(dict.fromkeys(parent_dirs)) + "\n")


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (seeing the test interpreter's packages) with the project installed from its wheel."""
    pytest.importorskip("setuptools", minversion="70.1", reason="building the wheel offline needs setuptools ≥ 70.1")
    base = tmp_path_factory.mktemp("install")
    wheel = _wheel(_copy_source(base / "src"), base / "wheels")
    venv = base / "venv"
    _ok(_run([sys.executable, "-m", "venv", venv], cwd=base))
    _see_this_interpreters_packages(venv)
    _ok(_run([venv / "bin" / "python", "-m", "pip", "install", "--no-deps", "--no-index", wheel], cwd=base))
    return venv


def test_the_fresh_venv_imports_the_dependencies(venv: Path, tmp_path: Path) -> None:
    """The environment the install tests run in has hydra, mlflow and torch, whether or not the tests
    themselves run inside a virtual environment."""
    _ok(_run([venv / "bin" / "python", "-c", "import hydra, mlflow, sklearn, bench.__main__"], cwd=tmp_path))


def _only_run(uri: str, experiment: str) -> Run:
    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment}"
    runs = job_runs(client, [found.experiment_id])
    assert len(runs) == 1
    return runs[0]


def _bench_args(venv: Path, work: Path, *overrides: str) -> list[str | Path]:
    return [venv / "bin" / "newsbias-bench", f"tracking.uri={tracking_uri(work)}", f"hydra.run.dir={work / 'out'}",
            "progress=false", *overrides]


def test_installed_package_is_not_the_checkout(venv: Path, tmp_path: Path) -> None:
    proc = _ok(_run([venv / "bin" / "python", "-c",
                     "import bench, bench.config as c; print(bench.__file__); print(c.config_dir()); "
                     "print(c.corpora_dir())"], cwd=tmp_path))
    module, conf, corpora = (Path(line) for line in proc.stdout.split())
    for path in (module, conf, corpora):
        assert path.is_relative_to(venv), path
    assert (conf / "config.yaml").is_file() and (conf / "corpus" / "reference.yaml").is_file()
    assert (corpora / "reference" / "documents.jsonl").is_file()
    assert (corpora / "ANNOTATION_GUIDELINE.md").is_file()


def test_console_script_runs_from_any_directory(venv: Path, tmp_path: Path, reference: Corpus) -> None:
    _ok(_run(_bench_args(venv, tmp_path, "task=loaded_language", "model=lexicon"), cwd=tmp_path))
    run = _only_run(tracking_uri(tmp_path), "newsbias/reference/loaded_language")
    assert run.info.status == "FINISHED"
    assert run.data.tags["corpus_fingerprint"] == reference.fingerprint
    assert Path(run.data.params["paths.corpora_dir"]).is_relative_to(venv)
    assert run.data.tags["git_commit"] == "unknown"
    assert "span.overlap.f1" in run.data.metrics
    # an installed package keeps its caches where it is run from
    assert Path(run.data.params["cache.dir"]) == tmp_path.resolve() / ".cache"
    assert (tmp_path / ".cache").is_dir()


def test_installed_app_reads_a_user_config_folder(venv: Path, tmp_path: Path) -> None:
    _ok(_run(_bench_args(venv, tmp_path, SEARCHPATH, "corpus=my_news", "task=loaded_language", "model=lexicon",
                         f"corpus.root={EXAMPLE / 'data'}", QUICK), cwd=tmp_path))
    run = _only_run(tracking_uri(tmp_path), "newsbias/my_news/loaded_language")
    assert run.info.status == "FINISHED"
    assert run.data.tags["corpus_documents"] == "4"


def _example(tmp_path: Path, task: str) -> tuple[Run, str]:
    """The worked example of examples/user_config/README.md, run by the checkout's app: (run, stdout)."""
    proc = run_bench(tmp_path, SEARCHPATH, "corpus=my_news", f"task={task}", "model=lexicon", QUICK)
    _ok(proc)
    return _only_run(tracking_uri(tmp_path), f"newsbias/my_news/{task}"), proc.stdout


def test_worked_example_user_corpus(tmp_path: Path) -> None:
    run, stdout = _example(tmp_path, "loaded_language")
    assert run.info.status == "FINISHED"
    # one's own small corpus is shown like the reference article: its first three documents, then a count
    assert "my_news / my-news-001 — lexicon on loaded_language:" in stdout
    assert "my_news / my-news-003 — lexicon on loaded_language:" in stdout
    assert "my-news-004 —" not in stdout and "… and 1 more documents" in stdout
    assert run.data.params["corpus.root"] == str(EXAMPLE / "data")
    assert run.data.metrics["span.exact.recall"] > 0


def test_worked_example_user_task(tmp_path: Path) -> None:
    run, _ = _example(tmp_path, "my_loaded_terms")
    assert run.info.status == "FINISHED"
    assert run.data.params["task.name"] == "my_loaded_terms"
    for metric in ("span.exact.f1", "span.overlap.f1", "sentence.f1"):
        assert metric in run.data.metrics
