"""Disk cache of chat-completion replies, keyed on everything that determines a reply.

The key is a SHA-256 over the endpoint's model name, the full request (prompt version and text,
the document's text inside it, the answer schema, temperature, seed, token limits) and the
document fingerprint. Only replies the endpoint gave are stored (whether or not they parse:
at temperature 0 the reply is what the model says); transport errors (timeouts, rate limits,
refused requests) are never stored, so a rerun asks again for those documents only.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

#: bump when the stored reply format changes, so old entries are never read
REPLY_FORMAT = 1


def reply_key(request: dict[str, Any], document_fingerprint: str) -> str:
    payload = json.dumps({"format": REPLY_FORMAT, "request": request, "document": document_fingerprint},
                         sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _valid(entry: Any) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("content"), (str, type(None)))
            and isinstance(entry.get("usage"), dict) and isinstance(entry.get("logprobs"), (list, type(None))))


class ReplyCache:
    """Replies as JSON files under ``folder/<key[:2]>/<key>.json`` (None: no cache)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        if self.folder is None:
            return None
        path = self._path(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return entry if _valid(entry) else None

    def put(self, key: str, reply: dict[str, Any]) -> None:
        if self.folder is None:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(reply, handle, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
