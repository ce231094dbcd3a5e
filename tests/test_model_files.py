"""Crafted model files: nothing in a model folder executes, and every refusal is one line naming the file."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import warnings
import zipfile
from pathlib import Path

import mlflow
import pytest
import skops.io as sio
from omegaconf import OmegaConf

from bench.cache import PredictionCache
from bench.data.corpus import Corpus
from bench.errors import BenchError, CacheWarning, ConfigError, DataError
from bench.job.steps import build_scorer
from bench.job.training import load_cached_model
from bench.scorers.hf_models import TransformerSentenceClassifier, TransformerTokenTagger
from bench.scorers.sklearn_models import CRFSpanTagger, SklearnSentenceClassifier
from bench.tasks import load_task

LOADED = load_task("loaded_language")


@pytest.fixture(scope="module")
def saved_models(reference: Corpus, tmp_path_factory) -> dict[str, Path]:
    """TF-IDF (logreg and calibrated SVM) and CRF models trained on the reference article, saved."""
    root = tmp_path_factory.mktemp("models")
    docs = reference.documents
    folders = {}
    for name, model in {
        "logreg": SklearnSentenceClassifier(estimator="logreg", min_df=1, C=1.0),
        "svm": SklearnSentenceClassifier(estimator="linear_svm", min_df=1, C=1.0, calibration_folds=2),
        "crf": CRFSpanTagger(max_iterations=10),
    }.items():
        model.fit(docs, LOADED)
        model.save(root / name)
        folders[name] = root / name
    return folders


def _copy(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(folder, target)
    return target


def _assert_one_line(exc: BaseException, *phrases: str) -> None:
    text = str(exc)
    assert "\n" not in text, text
    for phrase in phrases:
        assert phrase in text, text


def _json_node(value: object, node_id: int) -> dict:
    return {"__class__": type(value).__name__, "__module__": "builtins", "__loader__": "JsonNode",
            "content": json.dumps(value), "is_json": True, "__id__": node_id}


def _reduce_payload(constructor: str, *args: object) -> dict:
    """A skops node that calls ``constructor(*args)`` while the file is loaded (a LossNode)."""
    module, name = constructor.rsplit(".", 1)
    return {"__class__": name, "__module__": module, "__loader__": "LossNode",
            "__reduce__": {"args": {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
                                    "content": [_json_node(a, 900 + i) for i, a in enumerate(args)]}},
            "content": {"__class__": "NoneType", "__module__": "builtins", "__loader__": "JsonNode",
                        "content": "null", "is_json": True, "__id__": 999}}


def _plant(path: Path, payload: dict) -> None:
    """Replace the pipeline's final estimator in ``pipeline.skops`` with ``payload``."""
    with zipfile.ZipFile(path) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    schema = json.loads(files["schema.json"])
    schema["content"]["content"]["steps"]["content"][1]["content"][1] = payload
    files["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def _code(sentinel: Path) -> str:
    return f"open({str(sentinel)!r}, 'w').write('pwned')"


PAYLOADS = {
    "exec": lambda s: _reduce_payload("builtins.exec", _code(s)),
    "eval": lambda s: _reduce_payload("builtins.eval", _code(s)),
    "getattr-chain": lambda s: _reduce_payload("builtins.getattr", "os", "system"),
    "os.system": lambda s: _reduce_payload("os.system", f"touch {s}"),
    "subprocess": lambda s: _reduce_payload("subprocess.check_call", f"touch {s}"),
    "builtins-prefix": lambda s: _reduce_payload("builtins.open", str(s), "w"),
}


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_crafted_skops_file_is_refused_and_nothing_runs(saved_models, tmp_path: Path, kind: str) -> None:
    folder = _copy(saved_models["logreg"], tmp_path)
    sentinel = tmp_path / "PWNED"
    _plant(folder / "pipeline.skops", PAYLOADS[kind](sentinel))
    with pytest.raises(DataError) as caught:
        SklearnSentenceClassifier(load_from=str(folder))
    module, name = PAYLOADS[kind](sentinel)["__module__"], PAYLOADS[kind](sentinel)["__class__"]
    _assert_one_line(caught.value, str(folder / "pipeline.skops"), f"{module}.{name}", "not allowed")
    assert not sentinel.exists()


def test_the_exec_payload_is_live_under_a_prefix_policy(saved_models, tmp_path: Path) -> None:
    """The crafted file really executes code if its reported types are trusted (the old policy)."""
    folder = _copy(saved_models["logreg"], tmp_path)
    sentinel = tmp_path / "PWNED"
    _plant(folder / "pipeline.skops", PAYLOADS["exec"](sentinel))
    path = folder / "pipeline.skops"
    sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert sentinel.read_text() == "pwned"


@pytest.mark.parametrize("name", ["logreg", "svm"])
def test_our_own_pipelines_load_under_the_allowlist(saved_models, reference: Corpus, name: str) -> None:
    model = SklearnSentenceClassifier(load_from=str(saved_models[name]))
    preds = model.predict(reference.documents, LOADED)
    assert len(preds[0].sentence_scores) == len(reference.documents[0].sentences)


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


BROKEN_SKLEARN = {
    "truncated skops": (lambda f: _truncate(f / "pipeline.skops"), "pipeline.skops", "truncated or corrupt"),
    "empty skops": (lambda f: (f / "pipeline.skops").write_bytes(b""), "pipeline.skops", "truncated or corrupt"),
    "skops is a folder": (lambda f: ((f / "pipeline.skops").unlink(), (f / "pipeline.skops").mkdir()),
                          "pipeline.skops", "not a regular file"),
    "no skops": (lambda f: (f / "pipeline.skops").unlink(), "pipeline.skops", "missing"),
    "vocabulary not JSON": (lambda f: (f / "vocabulary.json").write_text("{oops"), "vocabulary.json",
                            "not valid JSON"),
    "vocabulary wrong shape": (lambda f: (f / "vocabulary.json").write_text('{"word": [1, 2]}'),
                               "vocabulary.json", "term-to-index"),
    "meta missing task": (lambda f: _edit_meta(f, lambda m: m.pop("task")), "bench_meta.json", "'task'"),
    "meta threshold text": (lambda f: _edit_meta(f, lambda m: m.update(threshold="high")), "bench_meta.json",
                            "'threshold'"),
    "meta not an object": (lambda f: (f / "bench_meta.json").write_text("[1, 2]"), "bench_meta.json",
                           "JSON object"),
    "meta not JSON": (lambda f: (f / "bench_meta.json").write_text("class: x"), "bench_meta.json",
                      "not valid JSON"),
    "meta oversized": (lambda f: _edit_meta(f, lambda m: m.update(padding="x" * 1_200_000)), "bench_meta.json",
                       "over the"),
    "meta not UTF-8": (lambda f: (f / "bench_meta.json").write_bytes(b'{"class": "\xff"}'), "bench_meta.json",
                       "not UTF-8"),
}


def _edit_meta(folder: Path, change) -> None:
    meta = json.loads((folder / "bench_meta.json").read_text())
    change(meta)
    (folder / "bench_meta.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("case", sorted(BROKEN_SKLEARN))
def test_broken_sklearn_folder_is_one_line(saved_models, tmp_path: Path, case: str) -> None:
    folder = _copy(saved_models["logreg"], tmp_path)
    damage, file_name, phrase = BROKEN_SKLEARN[case]
    damage(folder)
    with pytest.raises(DataError) as caught:
        SklearnSentenceClassifier(load_from=str(folder))
    _assert_one_line(caught.value, str(folder / file_name), phrase)


BROKEN_CRF = {
    "truncated": (lambda p: _truncate(p, 0.7), "truncated or corrupt"),
    "header only": (lambda p: _truncate(p, 0.0105), "truncated or corrupt"),
    "not a crfsuite file": (lambda p: p.write_bytes(b"\x80\x04K\x01." * 20), "bad header"),
    "declared size lies": (lambda p: p.write_bytes(p.read_bytes() + b"\0" * 64), "truncated or corrupt"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_CRF))
def test_broken_crfsuite_file_is_refused_before_the_c_library_reads_it(saved_models, tmp_path: Path,
                                                                        case: str) -> None:
    folder = _copy(saved_models["crf"], tmp_path)
    damage, phrase = BROKEN_CRF[case]
    damage(folder / "model.crfsuite")
    with pytest.raises(DataError) as caught:
        CRFSpanTagger(load_from=str(folder))
    _assert_one_line(caught.value, str(folder / "model.crfsuite"), phrase)


def test_crf_meta_needs_its_category(saved_models, tmp_path: Path) -> None:
    folder = _copy(saved_models["crf"], tmp_path)
    _edit_meta(folder, lambda m: m.pop("category"))
    with pytest.raises(DataError) as caught:
        CRFSpanTagger(load_from=str(folder))
    _assert_one_line(caught.value, "bench_meta.json", "'category'")


class _Exploit:
    """Pickles to a call of ``os.system`` (what a malicious ``pytorch_model.bin`` does)."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self):
        return (os.system, (f"touch {self.sentinel}",))


def _hf_folder(tmp_path: Path, cls: type, **config: object) -> Path:
    folder = tmp_path / "hf"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "bert", **config}))
    meta = {"class": cls.__name__, "task": "loaded_language", "threshold": 0.5, "params": {"max_length": 64},
            "category": "loaded_language"}
    (folder / "bench_meta.json").write_text(json.dumps(meta))
    return folder


@pytest.mark.parametrize("cls", [TransformerSentenceClassifier, TransformerTokenTagger])
@pytest.mark.parametrize("weights", ["pytorch_model.bin", "model.pt", "training_state.ckpt"])
def test_pickled_checkpoint_is_refused_and_never_unpickled(tmp_path: Path, cls: type, weights: str) -> None:
    sentinel = tmp_path / "PWNED"
    folder = _hf_folder(tmp_path, cls)
    (folder / weights).write_bytes(pickle.dumps(_Exploit(sentinel)))
    with pytest.raises(DataError) as caught:
        cls(load_from=str(folder), device="cpu")
    _assert_one_line(caught.value, str(folder), "no safetensors weights", weights)
    assert not sentinel.exists()


def test_remote_code_is_refused_unless_trusted(tmp_path: Path) -> None:
    folder = _hf_folder(tmp_path, TransformerSentenceClassifier, auto_map={"AutoModel": "evil.Model"})
    (folder / "model.safetensors").write_bytes(b"")
    with pytest.raises(DataError) as caught:
        TransformerSentenceClassifier(load_from=str(folder), device="cpu")
    _assert_one_line(caught.value, "config.json", "auto_map", "trust_remote_code")


def test_truncated_safetensors_is_one_line(tmp_path: Path) -> None:
    folder = _hf_folder(tmp_path, TransformerSentenceClassifier)
    (folder / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":")
    with pytest.raises(DataError) as caught:
        TransformerSentenceClassifier(load_from=str(folder), device="cpu")
    _assert_one_line(caught.value, str(folder), "could not be loaded")


LOAD_FROM_ERRORS = {
    "missing folder": (lambda t: t / "nope", "does not exist"),
    "a file": (lambda t: (t / "model.txt").write_text("x") and t / "model.txt", "is a file"),
    "not a bench folder": (lambda t: (t / "empty").mkdir() or t / "empty", "no bench_meta.json"),
}


@pytest.mark.parametrize("case", sorted(LOAD_FROM_ERRORS))
def test_load_from_errors_are_one_line_through_the_config(tmp_path: Path, case: str) -> None:
    make, phrase = LOAD_FROM_ERRORS[case]
    path = make(tmp_path)
    cfg = OmegaConf.create({"name": "tfidf_logreg", "_target_": "bench.scorers.sklearn_models.SklearnSentenceClassifier",
                            "load_from": str(path)})
    with pytest.raises(ConfigError) as caught:
        build_scorer(cfg)
    _assert_one_line(caught.value, str(path), phrase)
    assert "Error in call to target" not in str(caught.value)


def test_wrong_model_class_names_both(saved_models) -> None:
    with pytest.raises(ConfigError) as caught:
        CRFSpanTagger(load_from=str(saved_models["logreg"]))
    _assert_one_line(caught.value, "SklearnSentenceClassifier", "CRFSpanTagger")


def test_malicious_model_is_refused_through_an_mlflow_artifact(saved_models, tmp_path: Path) -> None:
    folder = _copy(saved_models["logreg"], tmp_path)
    sentinel = tmp_path / "PWNED"
    _plant(folder / "pipeline.skops", PAYLOADS["exec"](sentinel))
    good = saved_models["logreg"]
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        mlflow.set_experiment("model-files")
        with mlflow.start_run() as run:
            mlflow.log_artifacts(str(folder), "model")
            mlflow.log_artifacts(str(good), "good_model")
        with pytest.raises(DataError) as caught:
            SklearnSentenceClassifier(load_from=f"runs:/{run.info.run_id}/model")
        _assert_one_line(caught.value, "pipeline.skops", "builtins.exec")
        assert not sentinel.exists()
        loaded = SklearnSentenceClassifier(load_from=f"runs:/{run.info.run_id}/good_model")
        assert loaded.is_fitted and loaded.model_folder is not None
        with pytest.raises(ConfigError) as caught:
            SklearnSentenceClassifier(load_from="runs:/0123456789abcdef/model")
        _assert_one_line(caught.value, "cannot download runs:/0123456789abcdef/model")
    finally:
        mlflow.set_tracking_uri(None)


@pytest.mark.parametrize("damage", ["truncated skops", "meta missing task", "no skops"])
def test_corrupt_model_cache_entry_is_evicted_with_a_warning(saved_models, tmp_path: Path, damage: str) -> None:
    folder = _copy(saved_models["logreg"], tmp_path)
    (folder / "bench_training.json").write_text(json.dumps({"metrics": {"train.seconds": 1.0}, "history": []}))
    assert load_cached_model(SklearnSentenceClassifier(), folder) is not None
    BROKEN_SKLEARN[damage][0](folder)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert load_cached_model(SklearnSentenceClassifier(), folder) is None
    assert not folder.exists()
    assert [w for w in seen if issubclass(w.category, CacheWarning) and "rebuilt" in str(w.message)]


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"doc_id": 1}', b"\xff\xfe", b"[]",
                                     b'{"doc_id": "x", "spans": "no", "sentence_scores": [], "sentiment": []}'])
def test_corrupt_prediction_cache_entry_is_a_miss(reference: Corpus, tmp_path: Path, content: bytes) -> None:
    cache = PredictionCache(tmp_path, "model", "loaded_language")
    doc = reference.documents[0]
    cache._path(doc).parent.mkdir(parents=True)
    cache._path(doc).write_bytes(content)
    assert cache.get(doc) is None and cache.misses == 1


def test_errors_are_bench_errors() -> None:
    assert issubclass(DataError, BenchError) and issubclass(CacheWarning, UserWarning)
