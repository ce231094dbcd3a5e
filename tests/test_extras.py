"""Features of the optional extras (``[ray]``, ``[onnx]``) fail in one line naming the install when the
extra is missing; the base install does not pull them in."""

from __future__ import annotations

import importlib.util
import sys
import tomllib

import pytest

import bench.__main__ as app
from bench.errors import ConfigError
from cli_helpers import ROOT, run_in_process

EXTRA_ONLY = {"ray": ("ray", "hydra-ray-launcher"), "onnx": ("onnx", "onnxruntime")}


def _requirement_names(requirements: list[str]) -> set[str]:
    return {r.split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower() for r in requirements}


def test_base_install_leaves_the_extras_out_and_the_test_extra_takes_them() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = _requirement_names(project["dependencies"])
    for extra, packages in EXTRA_ONLY.items():
        assert not base & set(packages), f"{extra} packages are base dependencies"
        assert _requirement_names(project["optional-dependencies"][extra]) == set(packages)
    assert "newsbias-bench[ray,onnx,docs]" in project["optional-dependencies"]["test"]


def _hide(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make ``import m`` fail as it does where the extra is not installed."""
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


def test_ray_launcher_without_the_extra_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("hydra_plugins.hydra_ray_launcher") else real(name, *a))
    with pytest.raises(ConfigError, match=r"hydra/launcher=ray_cluster .*pip install 'newsbias-bench\[ray\]'"):
        app.check_launcher_installed(["-m", "hydra/launcher=ray_cluster", "task=sentiment"])
    app.check_launcher_installed(["-m", "task=sentiment"])  # no Ray launcher asked for: nothing to check
    outcome = run_in_process("-m", "hydra/launcher=ray", "task=sentiment")
    assert outcome.code == 2
    assert outcome.stderr.strip().count("\n") == 0
    assert "pip install 'newsbias-bench[ray]'" in outcome.stderr


def test_score_on_ray_without_the_extra_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.score import ray_runner

    _hide(monkeypatch, "ray", "ray.data")
    with pytest.raises(ConfigError, match=r"--ray needs Ray Data.*pip install 'newsbias-bench\[ray\]'"):
        ray_runner._import_ray()


def test_onnx_runtime_without_the_extra_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from bench.scorers.hf_runtime import OnnxEngine

    _hide(monkeypatch, "onnxruntime", "onnx")
    with pytest.raises(ConfigError, match=r"model.runtime=onnx needs the onnx extra: pip install 'newsbias-bench\[onnx\]'"):
        OnnxEngine(torch.nn.Linear(2, 2), ["input_ids"], torch.device("cpu"), None)
