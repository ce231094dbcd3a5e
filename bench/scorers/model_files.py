"""Reading saved-model files that may come from someone else: nothing in them is ever executed.

A model folder is what users download from another person's MLflow run, so every file the harness
reads from it is checked before it is parsed: skops pipelines against an allowlist of exact type
names, CRFsuite files against their header, Hugging Face folders for safetensors weights and no
remote code, JSON files against a size limit and a schema. Every refusal is one line naming the
file and what is wrong.
"""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path
from typing import Any

from bench.errors import DataError

#: Types that skops does not trust by default but that our TF-IDF pipelines contain (exact names,
#: never a prefix). Everything else that skops reports as untrusted is refused.
SKOPS_ALLOWED_TYPES: frozenset[str] = frozenset({
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
})

#: Size limits for files the harness parses (bytes).
MAX_SKOPS_BYTES = 2 * 1024**3
MAX_CRFSUITE_BYTES = 2 * 1024**3
MAX_META_BYTES = 1024**2
MAX_VOCABULARY_BYTES = 1024**3

#: Pickle-based weight files that ``from_pretrained`` could unpickle; never loaded.
PICKLED_WEIGHT_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")


def check_file(path: Path, max_bytes: int, what: str) -> None:
    """``path`` is a regular file no larger than ``max_bytes``."""
    if not path.exists():
        raise DataError(f"{what} is missing", path=str(path))
    if not path.is_file():
        raise DataError(f"{what} is not a regular file", path=str(path))
    size = path.stat().st_size
    if size > max_bytes:
        raise DataError(f"{what} is {size:,} bytes, over the {max_bytes:,}-byte limit; refusing to read it",
                        path=str(path))


def read_json_file(path: Path, max_bytes: int, what: str) -> Any:
    """Parse a JSON file after checking its size; errors name the file and the position."""
    check_file(path, max_bytes, what)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(f"{what} is not UTF-8 (byte {exc.start})", path=str(path)) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{what} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                        path=str(path)) from None


def load_skops(path: Path) -> Any:
    """Load a skops file, refusing any type outside skops' defaults and :data:`SKOPS_ALLOWED_TYPES`."""
    import skops.io as sio

    check_file(path, MAX_SKOPS_BYTES, "skops model file")
    if not zipfile.is_zipfile(path):
        raise DataError("skops model file is not a valid skops (zip) archive: truncated or corrupt", path=str(path))
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # a malformed schema: skops raises many kinds of error
        raise DataError(f"skops model file could not be audited ({type(exc).__name__}: {_first_line(exc)})",
                        path=str(path)) from None
    refused = sorted(t for t in untrusted if t not in SKOPS_ALLOWED_TYPES)
    if refused:
        raise DataError(f"skops model file names types that are not allowed, refusing to load it: "
                        f"{', '.join(refused)}", path=str(path))
    try:
        return sio.load(path, trusted=sorted(untrusted))
    except Exception as exc:  # truncated arrays, bad schema: one line
        raise DataError(f"skops model file could not be read ({type(exc).__name__}: {_first_line(exc)})",
                        path=str(path)) from None


def check_crfsuite(path: Path) -> None:
    """Validate a CRFsuite model header before the C library opens it (it trusts its offsets)."""
    check_file(path, MAX_CRFSUITE_BYTES, "CRFsuite model file")
    size = path.stat().st_size
    header_size = 48
    with path.open("rb") as handle:
        header = handle.read(header_size)
    if len(header) < header_size or header[:4] != b"lCRF" or header[8:12] != b"FOMC":
        raise DataError("not a CRFsuite model file (bad header): truncated or corrupt", path=str(path))
    declared, = struct.unpack_from("<I", header, 4)
    offsets = struct.unpack_from("<5I", header, 28)
    if declared != size or any(o >= size for o in offsets):
        raise DataError(f"CRFsuite model file is truncated or corrupt (header says {declared:,} bytes, "
                        f"file has {size:,})", path=str(path))


def check_hf_folder(folder: Path, trust_remote_code: bool) -> None:
    """A Hugging Face model folder with safetensors weights, and no custom code unless trusted."""
    config = folder / "config.json"
    meta = read_json_file(config, MAX_META_BYTES, "model config.json")
    weights = list(folder.glob("*.safetensors")) + list(folder.glob("*.safetensors.index.json"))
    if not weights:
        pickled = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLED_WEIGHT_SUFFIXES)
        found = f" (found pickled weights {', '.join(pickled)}, which are never loaded)" if pickled else ""
        raise DataError(f"model folder has no safetensors weights{found}", path=str(folder))
    for name in ("config.json", "tokenizer_config.json"):
        path = folder / name
        content = meta if name == "config.json" else (
            read_json_file(path, MAX_META_BYTES, name) if path.is_file() else {})
        if isinstance(content, dict) and content.get("auto_map") and not trust_remote_code:
            raise DataError("model folder asks to run its own code (auto_map); refused because "
                            "model.trust_remote_code is false", path=str(path))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
