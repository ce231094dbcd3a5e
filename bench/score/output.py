"""The output folder: ``articles/`` and ``spans/`` Parquet datasets written shard by shard, and a manifest.

``articles/part-NNNNN.parquet`` and ``spans/part-NNNNN.parquet`` hold input shard NNNNN. Each file
is written to a hidden temporary name beside it and renamed into place, spans first and articles
last, so a shard is complete exactly when its articles part exists, and a reader of the folder
(which skips hidden files) never sees half a file. ``manifest.json`` records what the parts depend
on (the input's fingerprint, shard size, models, metadata columns); a rerun with the same ones
writes only the missing shards, a rerun with other ones is refused unless asked to start over.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
from filelock import FileLock
import pyarrow.parquet as pq

from bench.errors import ConfigError, DataError
from bench.scorers.model_files import MAX_META_BYTES, read_json_file

MANIFEST = "manifest.json"
ARTICLES, SPANS = "articles", "spans"
#: bumped when the layout or the meaning of a column changes
FORMAT_VERSION = 1


class OutputDir:
    """Where one scoring run writes; see the module docstring for the layout."""

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()
        self.articles = self.root / ARTICLES
        self.spans = self.root / SPANS
        self.manifest = self.root / MANIFEST

    def lock(self) -> FileLock:
        """Held for a whole run: a second run into the same folder is refused rather than mixed in."""
        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.root / ".lock"), timeout=0)

    # ------------------------------------------------------------------ shards
    def done(self, name: str) -> bool:
        """Whether shard ``name`` (``part-NNNNN.parquet``) is complete."""
        return (self.articles / name).is_file()

    def write_shard(self, name: str, articles: pa.Table, spans: pa.Table) -> None:
        """Both parts of one shard, each renamed into place once written (spans first)."""
        write_atomic(spans, self.spans / name)
        write_atomic(articles, self.articles / name)

    # ------------------------------------------------------------------ manifest
    def prepare(self, identity: dict[str, Any], info: dict[str, Any], overwrite: bool) -> int:
        """Make the folder ready for a run with ``identity``; returns how many shards are already there.

        An existing run with another identity is refused; ``overwrite`` removes every part first.
        """
        if self.root.exists() and not self.root.is_dir():
            raise ConfigError(f"--output {self.root} is a file, not a folder")
        previous = self.read_manifest()
        if previous is None and self.root.is_dir() and any(self.root.iterdir()):
            ours = {ARTICLES, SPANS} | {p.name for p in self.root.glob(".*")}
            if not {p.name for p in self.root.iterdir()} <= ours:
                raise ConfigError(f"--output {self.root} is not empty and holds no {MANIFEST}: not a scoring output; "
                                  "choose an empty or new folder")
        if previous is not None and previous.get("identity") != identity:
            if not overwrite:
                changed = ", ".join(_differences(previous.get("identity"), identity)) or "the manifest"
                raise ConfigError(f"--output {self.root} holds scores made with other input or settings ({changed}); "
                                  "add --overwrite to replace them, or choose another folder")
        if overwrite:
            for folder in (self.articles, self.spans):
                shutil.rmtree(folder, ignore_errors=True)
        for folder in (self.articles, self.spans):
            folder.mkdir(parents=True, exist_ok=True)
            for stale in folder.glob(".*.tmp"):  # left by a killed run
                stale.unlink(missing_ok=True)
        self.write_manifest({"identity": identity, **info, "complete": False,
                             "started": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        return sum(1 for _ in self.articles.glob("part-*.parquet"))

    def read_manifest(self) -> dict[str, Any] | None:
        if not self.manifest.exists():
            return None
        manifest = read_json_file(self.manifest, MAX_META_BYTES, MANIFEST)
        if not isinstance(manifest, dict):
            raise DataError(f"{MANIFEST} must hold a JSON object", path=str(self.manifest))
        return manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        data = json.dumps(manifest, indent=2, sort_keys=True, default=str).encode("utf-8")
        _replace_with(self.manifest, lambda tmp: tmp.write_bytes(data))

    def finish(self, summary: dict[str, Any]) -> None:
        """Mark the run complete in the manifest, with its totals."""
        manifest = self.read_manifest() or {}
        manifest.update({"complete": True, "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                         "last_run": summary})
        self.write_manifest(manifest)


def write_atomic(table: pa.Table, path: Path) -> None:
    """``table`` as Parquet at ``path``, renamed into place only once fully written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _replace_with(path, lambda tmp: pq.write_table(table, tmp))


def _replace_with(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ, with the old and new value."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [d for key in sorted(set(old) | set(new), key=str)
                for d in _differences(old.get(key), new.get(key), f"{prefix}{key}.")]
    if old == new:
        return []
    return [f"{prefix.rstrip('.')}: {_short(old)} → {_short(new)}"]


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
