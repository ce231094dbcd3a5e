"""The corpus cache key: a digest of everything that determines a parsed corpus.

That is the corpus settings that ``load_corpus`` and the loaders read, with their effective values
(name, loader, root, files, options, strictness, encoding, max_document_chars, split rule; not the
descriptive ones such as ``tasks``, ``slices`` or ``citation``), the size and SHA-256 of every raw
input file (each ``files`` entry; a folder: everything under it), and the parsing code's version:
:data:`CORPUS_FORMAT_VERSION`, the package version, a digest of ``bench/data``'s source (so an edited
loader never serves a stale entry) and the versions of the libraries that split sentences and documents.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from bench.data.registry import Reading

#: bump when the document schema, the Arrow layout or what a loader produces changes
CORPUS_FORMAT_VERSION = 1

#: libraries whose behaviour is part of the parsed corpus (sentence splitting, grouped splits)
LIBRARIES = ("pysbd", "scikit-learn", "numpy")


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


@lru_cache(maxsize=1)
def code_version() -> dict[str, Any]:
    """The format version, package and library versions, and a digest of ``bench/data/**/*.py``."""
    from bench import __version__

    package_dir = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return {"format": CORPUS_FORMAT_VERSION, "package": __version__, "source": digest.hexdigest(),
            "libraries": {name: _version(name) for name in LIBRARIES}}


def _plain(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else (node or {})


def parse_settings(c: DictConfig, *, strict: bool) -> dict[str, Any]:
    """The settings the parse reads, as it reads them (``strict`` as it takes effect)."""
    reading = Reading.of(c)
    return {"name": str(c.name), "loader": str(c.loader), "root": str(Path(str(c.root)).resolve()),
            "files": {str(k): str(v) for k, v in (c.get("files") or {}).items()},
            "options": _plain(c.get("options")), "splits": _plain(c.get("splits")), "strict": strict,
            "encoding": reading.encoding, "max_document_chars": reading.max_document_chars}


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_files(root: Path, files: dict[str, str]) -> list[list[Any]]:
    """``[entry, its path, file within it, size, sha256]`` for every file each ``files`` entry names
    (a folder: every file under it, sorted); an entry that does not exist is listed as missing."""
    listing: list[list[Any]] = []
    for entry, relative in sorted(files.items()):
        path = root / relative
        if path.is_file():
            found = [path]
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file())
        else:
            listing.append([entry, relative, "", None, "missing"])
            continue
        for file in found:
            name = file.relative_to(path).as_posix() if file != path else ""
            listing.append([entry, relative, name, file.stat().st_size, _file_digest(file)])
    return listing


def corpus_cache_key(c: DictConfig, *, strict: bool) -> str:
    """A 24-hex-digit key for the parsed corpus of config ``c`` read with ``strict``."""
    settings = parse_settings(c, strict=strict)
    payload = {"code": code_version(), "settings": settings,
               "inputs": input_files(Path(str(c.root)), settings["files"])}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
