"""The fault suite: bad input as a new user gives it, through the command line, in-process.

Every case must end with exit code 2, exactly one line on stderr naming the file, key, URI or
folder at fault, no traceback, no FINISHED MLflow run and no published artifacts. Signals and full
disks, which need a process of their own, are in test_job_faults.py.
"""

from __future__ import annotations

import json
import pickle
import shutil
import socket
import zipfile
from pathlib import Path
from typing import Callable

import pytest
from mlflow.tracking import MlflowClient

from bench.data.corpus import Corpus
from bench.scorers.sklearn_models import CRFSpanTagger, SklearnSentenceClassifier
from bench.tasks import load_task
from cli_helpers import Outcome, job_runs, run_in_process

LOADED = load_task("loaded_language")
TEXT = "The dictator left the capital. Sources say he is ill."


def run_cli(*args: str) -> Outcome:
    """``python -m bench ARGS`` in this process."""
    return run_in_process(*args)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("store")


def _finished(store: Path) -> int:
    db = store / "mlflow.db"
    if not db.exists():
        return 0
    client = MlflowClient(f"sqlite:///{db}")
    ids = [e.experiment_id for e in client.search_experiments()]
    return len([r for r in job_runs(client, ids, max_results=5000) if r.info.status == "FINISHED"]) if ids else 0


# --- files the cases are built from ------------------------------------------------------------

def _jsonl(tmp: Path, *records: object, raw: bytes | None = None) -> list[str]:
    folder = tmp / "corpus"
    folder.mkdir(exist_ok=True)
    data = raw if raw is not None else "".join(
        (r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records).encode()
    (folder / "documents.jsonl").write_bytes(data)
    return ["corpus=jsonl", "corpus.name=custom", f"corpus.root={folder}", "task=loaded_language", "model=lexicon"]


def _doc(**changes: object) -> dict:
    doc = {"id": "d1", "text": TEXT,
           "spans": [{"start": 4, "end": 12, "label": "loaded_language/name_calling", "text": "dictator"}]}
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not ...}


def _public(tmp: Path, corpus: str, files: dict[str, bytes], *extra: str) -> list[str]:
    root = tmp / corpus
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    task = {"conll2010": "unverified_sources", "szeged": "unverified_sources", "newsmtsc": "sentiment"}.get(
        corpus, "loaded_language")
    model = {"loaded_language": "lexicon", "unverified_sources": "unverified_patterns", "sentiment": "vader"}[task]
    return [f"corpus={corpus}", f"corpus.root={root}", f"task={task}", f"model={model}", *extra]


BABE_HEADER = b"text;news_link;outlet;topic;type;label_bias;label_opinion;biased_words\n"
BABE_ROW = b'"A sentence.";http://x;Fox;guns;right;Biased;Expresses writer\'s opinion;[]\n'
NEWSMTSC = {"primary_gid": "g1", "sentence_normalized": "Winner met the director.",
            "targets": [{"Input.gid": "g1", "from": 0, "to": 6, "mention": "Winner", "polarity": 4.0}]}
PTC_LABELS = "train-labels-task2-technique-classification/article1.task2-TC.labels"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def models(reference: Corpus, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    logreg = SklearnSentenceClassifier(min_df=1, C=1.0).fit(reference.documents, LOADED)
    logreg.save(root / "logreg")
    crf = CRFSpanTagger(max_iterations=5).fit(reference.documents, LOADED)
    crf.save(root / "crf")
    return {"logreg": root / "logreg", "crf": root / "crf"}


def _model_folder(tmp: Path, models: dict[str, Path], kind: str, damage: Callable[[Path], object]) -> Path:
    folder = tmp / "model"
    shutil.copytree(models[kind], folder)
    damage(folder)
    return folder


def _plant_exec(folder: Path, constructor: str) -> None:
    path = folder / "pipeline.skops"
    with zipfile.ZipFile(path) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    schema = json.loads(files["schema.json"])
    module, name = constructor.rsplit(".", 1)
    code = {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode", "is_json": True, "__id__": 1,
            "content": json.dumps(f"open({str(folder / 'PWNED')!r}, 'w')")}
    schema["content"]["content"]["steps"]["content"][1]["content"][1] = {
        "__class__": name, "__module__": module, "__loader__": "LossNode",
        "__reduce__": {"args": {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
                                "content": [code]}},
        "content": {"__class__": "NoneType", "__module__": "builtins", "__loader__": "JsonNode", "content": "null",
                    "is_json": True, "__id__": 2}}
    files["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for n, data in files.items():
            archive.writestr(n, data)


class _Exploit:
    def __reduce__(self):
        return (print, ("PWNED",))


def _edit_json(path: Path, change: Callable[[dict], object]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


# --- the cases: (overrides built in a temporary folder, phrases the one line must contain) -------

Case = tuple[Callable[[Path], list[str]], tuple[str, ...]]

CONFIG: dict[str, Case] = {
    "seed negative": (lambda t: ["seed=-1"], ("seed", "-1")),
    "seed text": (lambda t: ["seed=abc"], ("seed", "abc")),
    "seed float": (lambda t: ["seed=1.5"], ("seed", "1.5")),
    "subset.eval negative": (lambda t: ["subset.eval=-5"], ("subset.eval", "-5")),
    "subset.eval zero": (lambda t: ["subset.eval=0"], ("subset.eval", "0")),
    "subset.train text": (lambda t: ["subset.train=abc"], ("subset.train", "abc")),
    "subset.validation negative": (lambda t: ["subset.validation=-1"], ("subset.validation", "-1")),
    "subset unknown key": (lambda t: ["subset.evaluate=3"], ("subset.evaluate",)),
    "calibration_bins zero": (lambda t: ["evaluation.calibration_bins=0"], ("evaluation.calibration_bins", "0")),
    "bootstrap zero": (lambda t: ["evaluation.bootstrap_resamples=0"], ("evaluation.bootstrap_resamples", "0")),
    "bootstrap negative": (lambda t: ["evaluation.bootstrap_resamples=-1"],
                           ("evaluation.bootstrap_resamples", "-1")),
    "confidence above one": (lambda t: ["evaluation.confidence=1.5"], ("evaluation.confidence", "1.5")),
    "confidence zero": (lambda t: ["evaluation.confidence=0"], ("evaluation.confidence", "0")),
    "confidence text": (lambda t: ["evaluation.confidence=high"], ("evaluation.confidence", "high")),
    "min_slice_documents zero": (lambda t: ["evaluation.min_slice_documents=0"],
                                 ("evaluation.min_slice_documents", "0")),
    "unknown slice key": (lambda t: ["evaluation.slices=[no_such_key]"], ("no_such_key",)),
    "evaluation unknown key": (lambda t: ["evaluation.bootstrap=5"], ("evaluation.bootstrap",)),
    "worst_documents negative": (lambda t: ["report.worst_documents=-1"], ("report.worst_documents", "-1")),
    "report unknown key": (lambda t: ["report.worst=1"], ("report.worst",)),
    "progress not a boolean": (lambda t: ["progress=maybe"], ("progress", "maybe")),
    "eval_split unknown": (lambda t: ["eval_split=nope"], ("eval_split", "nope")),
    "unknown top-level key": (lambda t: ["no_such_key=1"], ("no_such_key",)),
    "unknown model": (lambda t: ["model=nope"], ("model/nope", "lexicon")),
    "unknown task": (lambda t: ["task=nope"], ("task/nope",)),
    "unknown corpus": (lambda t: ["corpus=nope"], ("corpus/nope",)),
    "unknown train corpus": (lambda t: ["train_corpus=nope", "model=tfidf_logreg"], ("nope",)),
    "model and task mismatch": (lambda t: ["task=sentiment", "model=lexicon"], ("sentiment",)),
    "corpus lacks the task": (lambda t: ["corpus=conll2010", "task=sentiment", "model=vader"],
                              ("conll2010", "sentiment")),
    "estimator unknown": (lambda t: ["model=tfidf_logreg", "model.estimator=forest"], ("forest",)),
    "batch_size zero": (lambda t: ["model=minilm", "model.batch_size=0"], ("batch_size", "0")),
    "epochs zero": (lambda t: ["model=minilm", "model.epochs=0"], ("epochs", "0")),
    "learning_rate negative": (lambda t: ["model=minilm", "model.learning_rate=-1"], ("learning_rate", "-1")),
    "max_length zero": (lambda t: ["model=minilm", "model.max_length=0"], ("max_length", "0")),
    "cache.dir is a file": (lambda t: ((t / "f").write_text("x"), [f"cache.dir={t / 'f'}"])[1], ("cache",)),
    "seed too large": (lambda t: [f"seed={2**33}"], ("seed", str(2**33))),
    "cache.enabled not a boolean": (lambda t: ["cache.enabled=maybe"], ("cache.enabled", "maybe")),
    "crf window negative": (lambda t: ["model=crf", "model.window=-1"], ("window", "-1")),
    "crf iterations zero": (lambda t: ["model=crf", "model.max_iterations=0"], ("max_iterations", "0")),
    "C negative": (lambda t: ["model=tfidf_logreg", "model.C=-1"], ("C", "-1")),
    "ngram range reversed": (lambda t: ["model=tfidf_logreg", "model.word_ngrams=[3,1]"], ("word_ngrams",)),
    "cache.dir under a file": (lambda t: ((t / "f").write_text("x"), [f"cache.dir={t / 'f' / 'c'}"])[1],
                               ("cache",)),
}

CUSTOM_JSONL: dict[str, Case] = {
    "not JSON": (lambda t: _jsonl(t, "{oops"), ("documents.jsonl:1",)),
    "a JSON array line": (lambda t: _jsonl(t, [1, 2]), ("documents.jsonl:1",)),
    "Latin-1 text": (lambda t: _jsonl(t, raw=json.dumps(_doc(), ensure_ascii=False).replace(
        "dictator", "dictateur é").encode("latin-1") + b"\n"), ("documents.jsonl", "UTF-8")),
    "UTF-16 file": (lambda t: _jsonl(t, raw=(json.dumps(_doc()) + "\n").encode("utf-16")),
                    ("documents.jsonl", "UTF-8")),
    "stray 0xff byte": (lambda t: _jsonl(t, raw=json.dumps(_doc()).encode() + b"\n\xff\n"),
                        ("documents.jsonl:2", "UTF-8")),
    "empty file": (lambda t: _jsonl(t, raw=b""), ("documents.jsonl", "empty")),
    "only blank lines": (lambda t: _jsonl(t, raw=b"\n\n\n"), ("documents.jsonl",)),
    "all texts empty": (lambda t: _jsonl(t, _doc(text="", spans=[]), _doc(id="d2", text="  ", spans=[])),
                        ("documents.jsonl",)),
    "metadata a list": (lambda t: _jsonl(t, _doc(metadata=[1, 2])), ("documents.jsonl:1", "metadata")),
    "metadata a string": (lambda t: _jsonl(t, _doc(metadata="outlet")), ("documents.jsonl:1", "metadata")),
    "float offsets": (lambda t: _jsonl(t, _doc(spans=[{"start": 4.0, "end": 12.7, "text": "dictator",
                                                        "label": "loaded_language/name_calling"}])),
                      ("documents.jsonl:1",)),
    "text offsets": (lambda t: _jsonl(t, _doc(spans=[{"start": "4", "end": 12, "text": "dictator",
                                                       "label": "loaded_language/name_calling"}])),
                     ("documents.jsonl:1",)),
    "span text differs": (lambda t: _jsonl(t, _doc(spans=[{"start": 4, "end": 12, "text": "tyrant",
                                                            "label": "loaded_language/name_calling"}])),
                          ("d1", "tyrant")),
    "span beyond text": (lambda t: _jsonl(t, _doc(spans=[{"start": 50, "end": 500, "text": "x",
                                                           "label": "loaded_language/name_calling"}])),
                         ("d1",)),
    "span reversed": (lambda t: _jsonl(t, _doc(spans=[{"start": 12, "end": 4, "text": "",
                                                        "label": "loaded_language/name_calling"}])),
                      ("d1",)),
    "missing id": (lambda t: _jsonl(t, _doc(id=...)), ("documents.jsonl:1", "id")),
    "missing text": (lambda t: _jsonl(t, _doc(text=...)), ("documents.jsonl:1", "text")),
    "text a number": (lambda t: _jsonl(t, _doc(text=5)), ("documents.jsonl:1", "text")),
    "duplicate ids": (lambda t: _jsonl(t, _doc(), _doc()), ("d1",)),
    "sentences overlap": (lambda t: _jsonl(t, _doc(sentences=[[0, 30], [20, 53]])), ("documents.jsonl:1",
                                                                                       "sentences")),
    "sentences beyond text": (lambda t: _jsonl(t, _doc(sentences=[[0, 30], [31, 900]])), ("documents.jsonl:1",
                                                                                            "sentences")),
    "sentences floats": (lambda t: _jsonl(t, _doc(sentences=[[0, 30.5]])), ("documents.jsonl:1", "sentences")),
    "sentences not pairs": (lambda t: _jsonl(t, _doc(sentences=[0, 30])), ("documents.jsonl:1", "sentences")),
    "missing corpus file": (lambda t: _jsonl(t, _doc())[:-2] + ["corpus.files.documents=missing.jsonl"],
                            ("missing.jsonl",)),
    "missing corpus folder": (lambda t: ["corpus=jsonl", "corpus.name=custom", f"corpus.root={t / 'nowhere'}"],
                              ("nowhere",)),
    "corpus name missing": (lambda t: ["corpus=jsonl", f"corpus.root={t}"], ("corpus.name",)),
    "wrong encoding setting": (lambda t: _jsonl(t, _doc()) + ["corpus.encoding=no-such-codec"],
                               ("no-such-codec",)),
}

PUBLIC_FORMATS: dict[str, Case] = {
    "BABE Latin-1 byte": (lambda t: _public(t, "babe", {"data/final_labels_SG2.csv": BABE_HEADER + BABE_ROW.replace(
        b"A sentence", b"A sent\xe9nce")}), ("final_labels_SG2.csv", "UTF-8")),
    "BABE header only": (lambda t: _public(t, "babe", {"data/final_labels_SG2.csv": BABE_HEADER}),
                         ("final_labels_SG2.csv",)),
    "BABE empty file": (lambda t: _public(t, "babe", {"data/final_labels_SG2.csv": b""}),
                        ("final_labels_SG2.csv",)),
    "BABE bad label": (lambda t: _public(t, "babe", {"data/final_labels_SG2.csv": BABE_HEADER + BABE_ROW.replace(
        b"Biased", b"Maybe")}), ("final_labels_SG2.csv:2", "Maybe")),
    "BABE missing column": (lambda t: _public(t, "babe", {"data/final_labels_SG2.csv": b"text;outlet\n\"x\";Fox\n"}),
                            ("final_labels_SG2.csv",)),
    "CoNLL empty file": (lambda t: _public(t, "conll2010", {"uncertainty-conll2010.csv": b""}),
                         ("uncertainty-conll2010.csv",)),
    "CoNLL bad label": (lambda t: _public(t, "conll2010", {"uncertainty-conll2010.csv": b'"7","A sentence."\n'}),
                        ("uncertainty-conll2010.csv:1",)),
    "CoNLL UTF-16": (lambda t: _public(t, "conll2010", {"uncertainty-conll2010.csv": '"1","A sentence."\n'.encode(
        "utf-16")}), ("uncertainty-conll2010.csv", "UTF-8")),
    "NewsMTSC not JSON": (lambda t: _public(t, "newsmtsc", {"train.jsonl": b"{oops\n",
                                                             "devtest_mt.jsonl": b"", "devtest_rw.jsonl": b""}),
                          ("train.jsonl:1",)),
    "NewsMTSC stray byte": (lambda t: _public(t, "newsmtsc", {
        "train.jsonl": json.dumps(NEWSMTSC).encode() + b"\n\xff\n", "devtest_mt.jsonl": b"",
        "devtest_rw.jsonl": b""}), ("train.jsonl:2", "UTF-8")),
    "PTC label offsets beyond article": (lambda t: _public(t, "ptc", {
        "train-articles/article1.txt": b"A short article.\n",
        PTC_LABELS: b"1\tLoaded_Language\t5\t900\n"}), ("article1",)),
    "PTC label offsets not numbers": (lambda t: _public(t, "ptc", {
        "train-articles/article1.txt": b"A short article.\n",
        PTC_LABELS: b"1\tLoaded_Language\tfive\t9\n"}), ("article1.task2-TC.labels:1",)),
    "PTC article Latin-1": (lambda t: _public(t, "ptc", {
        "train-articles/article1.txt": b"A caf\xe9 article.\n", PTC_LABELS: b""}), ("article1.txt", "UTF-8")),
    "Szeged malformed XML": (lambda t: _public(t, "szeged", {"wiki.xml": b"<Annotation><DocumentSet>"}),
                             ("wiki.xml",)),
    "Szeged empty file": (lambda t: _public(t, "szeged", {"wiki.xml": b""}), ("wiki.xml",)),
}

MODEL_FOLDERS: dict[str, Callable[[Path, dict[str, Path]], tuple[list[str], tuple[str, ...]]]] = {
    "skops exec": lambda t, m: (["model=tfidf_logreg", f"model.load_from={_model_folder(t, m, 'logreg', lambda f: _plant_exec(f, 'builtins.exec'))}"],
                                ("pipeline.skops", "builtins.exec")),
    "skops eval": lambda t, m: (["model=tfidf_logreg", f"model.load_from={_model_folder(t, m, 'logreg', lambda f: _plant_exec(f, 'builtins.eval'))}"],
                                ("pipeline.skops", "builtins.eval")),
    "skops getattr": lambda t, m: (["model=tfidf_logreg", f"model.load_from={_model_folder(t, m, 'logreg', lambda f: _plant_exec(f, 'builtins.getattr'))}"],
                                   ("pipeline.skops", "builtins.getattr")),
    "skops truncated": lambda t, m: (["model=tfidf_logreg", f"model.load_from={_model_folder(t, m, 'logreg', lambda f: (f / 'pipeline.skops').write_bytes((f / 'pipeline.skops').read_bytes()[:500]))}"],
                                     ("pipeline.skops", "truncated")),
    "meta tampered": lambda t, m: (["model=tfidf_logreg", f"model.load_from={_model_folder(t, m, 'logreg', lambda f: _edit_json(f / 'bench_meta.json', lambda d: d.pop('task')))}"],
                                   ("bench_meta.json", "'task'")),
    "meta oversized": lambda t, m: (["model=tfidf_logreg", f"model.load_from={_model_folder(t, m, 'logreg', lambda f: _edit_json(f / 'bench_meta.json', lambda d: d.update(pad='x' * 1_100_000)))}"],
                                    ("bench_meta.json", "limit")),
    "wrong model class": lambda t, m: (["model=crf", f"model.load_from={m['logreg']}"],
                                       ("SklearnSentenceClassifier",)),
    "crf truncated": lambda t, m: (["model=crf", f"model.load_from={_model_folder(t, m, 'crf', lambda f: (f / 'model.crfsuite').write_bytes((f / 'model.crfsuite').read_bytes()[:200]))}"],
                                   ("model.crfsuite",)),
    "pickled checkpoint only": lambda t, m: (["model=minilm", f"model.load_from={_hf_pickled(t)}"],
                                             ("no safetensors", "pytorch_model.bin")),
    "load_from missing": lambda t, m: (["model=tfidf_logreg", f"model.load_from={t / 'nope'}"], ("nope",)),
    "load_from a file": lambda t, m: (["model=tfidf_logreg", f"model.load_from={m['logreg'] / 'bench_meta.json'}"],
                                      ("bench_meta.json", "is a file")),
    "load_from not a model": lambda t, m: (["model=tfidf_logreg", f"model.load_from={t}"], ("bench_meta.json",)),
}


def _hf_pickled(tmp: Path) -> Path:
    folder = tmp / "hf"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "bert"}))
    (folder / "bench_meta.json").write_text(json.dumps({"class": "TransformerSentenceClassifier",
                                                        "task": "loaded_language", "threshold": 0.5,
                                                        "params": {}}))
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(_Exploit()))
    return folder


TRACKING: dict[str, Case] = {
    "sqlite path is a folder": (lambda t: [f"tracking.uri=sqlite:///{t}"], ("sqlite", "director")),
    "sqlite folder missing": (lambda t: [f"tracking.uri=sqlite:///{t / 'no' / 'such' / 'mlflow.db'}"], ("no/such",)),
    "sqlite file not a database": (lambda t: ((t / "x.db").write_text("not sqlite"),
                                              [f"tracking.uri=sqlite:///{t / 'x.db'}"])[1], ("x.db",)),
    "server not answering": (lambda t: [f"tracking.uri=http://127.0.0.1:{_closed_port()}", "tracking.timeout_s=1"],
                             ("cannot reach the MLflow tracking server", "127.0.0.1")),
    "unknown scheme": (lambda t: ["tracking.uri=nonsense://x"], ("nonsense",)),
    "ftp scheme": (lambda t: ["tracking.uri=ftp://127.0.0.1/x"], ("ftp",)),
    "sqlite in memory": (lambda t: ["tracking.uri=sqlite://"], ("sqlite://",)),
    "sqlite parent is a file": (lambda t: ((t / "f").write_text("x"),
                                           [f"tracking.uri=sqlite:///{t / 'f' / 'mlflow.db'}"])[1], ("mlflow.db",)),
    "bare path": (lambda t: [f"tracking.uri={t / 'mlflow.db'}"], ("mlflow.db",)),
    "timeout not positive": (lambda t: [f"tracking.uri=http://127.0.0.1:{_closed_port()}", "tracking.timeout_s=0"],
                             ("timeout",)),
}


def _check(outcome: Outcome, phrases: tuple[str, ...], store: Path, run_dir: Path, before: int) -> None:
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    assert outcome.code == 2, outcome.stderr[-2000:]
    assert len(lines) == 1, outcome.stderr[-2000:]
    assert "Traceback" not in outcome.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    assert _finished(store) == before
    assert not (run_dir / "artifacts").exists() and not (run_dir / ".artifacts.partial").exists()


def _run_case(store: Path, tmp_path: Path, overrides: list[str], phrases: tuple[str, ...]) -> None:
    run_dir = tmp_path / "out"
    before = _finished(store)
    args = [f"tracking.uri=sqlite:///{store / 'mlflow.db'}", "progress=false", f"cache.dir={store / 'cache'}",
            f"hydra.run.dir={run_dir}"]
    _check(run_cli(*args, *overrides), phrases, store, run_dir, before)


@pytest.mark.parametrize("case", sorted(CONFIG))
def test_configuration(store: Path, tmp_path: Path, case: str) -> None:
    make, phrases = CONFIG[case]
    _run_case(store, tmp_path, make(tmp_path), phrases)


@pytest.mark.parametrize("case", sorted(CUSTOM_JSONL))
def test_custom_jsonl_corpus(store: Path, tmp_path: Path, case: str) -> None:
    make, phrases = CUSTOM_JSONL[case]
    _run_case(store, tmp_path, make(tmp_path), phrases)


@pytest.mark.parametrize("case", sorted(PUBLIC_FORMATS))
def test_public_corpus_formats(store: Path, tmp_path: Path, case: str) -> None:
    make, phrases = PUBLIC_FORMATS[case]
    _run_case(store, tmp_path, make(tmp_path), phrases)


@pytest.mark.parametrize("case", sorted(MODEL_FOLDERS))
def test_model_folders(store: Path, tmp_path: Path, models: dict[str, Path], case: str) -> None:
    overrides, phrases = MODEL_FOLDERS[case](tmp_path, models)
    _run_case(store, tmp_path, overrides, phrases)
    assert not list(tmp_path.rglob("PWNED"))


@pytest.mark.parametrize("case", sorted(TRACKING))
def test_tracking_stores(store: Path, tmp_path: Path, case: str) -> None:
    make, phrases = TRACKING[case]
    overrides = make(tmp_path)
    run_dir = tmp_path / "out"
    args = ["progress=false", f"cache.dir={store / 'cache'}", f"hydra.run.dir={run_dir}", *overrides]
    _check(run_cli(*args), phrases, store, run_dir, _finished(store))


def test_the_suite_has_over_a_hundred_cases() -> None:
    total = len(CONFIG) + len(CUSTOM_JSONL) + len(PUBLIC_FORMATS) + len(MODEL_FOLDERS) + len(TRACKING)
    assert total >= 100, total
