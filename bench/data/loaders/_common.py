"""Helpers shared by the loaders: decoding corpus files, CSV rows, JSON field checks, word lists."""

from __future__ import annotations

import ast
import codecs
import hashlib
import csv
import io
import json
import re
from pathlib import Path
from typing import Any, Callable, Iterator

from bench.data.registry import Reading
from bench.errors import DataError


class UndecodableFile(DataError):
    """A file that is not text in ``corpus.encoding``: fatal even with ``corpus.strict=false``."""


def require_file(root: Path, relative: str) -> Path:
    path = root / relative
    if not path.is_file():
        raise DataError("corpus file not found", path=str(path))
    return path


def _codec(encoding: str, strip_bom: bool) -> str:
    """With ``strip_bom``, UTF-8 is read as ``utf-8-sig`` so that a byte-order mark is not part of
    the first field (UTF-16 drops its own mark either way)."""
    return "utf-8-sig" if strip_bom and codecs.lookup(encoding).name == "utf-8" else encoding


def _line_of(data: bytes, offset: int, encoding: str) -> int:
    """1-based line holding byte ``offset`` (the prefix is decoded, so any encoding counts right)."""
    return data[:offset].decode(encoding, errors="replace").count("\n") + 1


def decode_bytes(data: bytes, path: Path, encoding: str = "utf-8", *, strip_bom: bool = True) -> str:
    """``data`` decoded; an undecodable byte or a NUL is a DataError naming file, line and byte offset."""
    codec = _codec(encoding, strip_bom)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise UndecodableFile(
            f"not valid {encoding} text at byte offset {exc.start} (0x{bad}: {exc.reason}); "
            "convert the file to UTF-8 or set corpus.encoding to its encoding (e.g. latin-1, cp1252, utf-16)",
            path=str(path), line=_line_of(data, exc.start, codec),
        ) from None
    if "\x00".encode(encoding) == b"\x00":  # ASCII-compatible: a NUL byte is a NUL character
        nul = data.find(b"\x00")
        if nul >= 0:
            raise UndecodableFile(
                f"NUL byte at byte offset {nul}: a binary file, or UTF-16 text read as {encoding} "
                "(then set corpus.encoding=utf-16)",
                path=str(path), line=data.count(b"\n", 0, nul) + 1,
            )
    return text


def read_text(path: Path, encoding: str = "utf-8", *, universal_newlines: bool = False,
              strip_bom: bool = True) -> str:
    """The whole file as text (see :func:`decode_bytes`); ``universal_newlines`` turns ``\\r\\n`` and
    ``\\r`` into ``\\n`` as Python's text mode does; ``strip_bom=False`` keeps a UTF-8 byte-order mark
    as the first character (PTC's offsets count it)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read file ({exc.strerror or exc})", path=str(path)) from None
    text = decode_bytes(data, path, encoding, strip_bom=strip_bom)
    return text.replace("\r\n", "\n").replace("\r", "\n") if universal_newlines else text


def text_lines(path: Path, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """``(line number, line)`` for every line of the file, split at line breaks only (``\\n``,
    ``\\r\\n``, ``\\r``; not at U+2028 and the like, which JSON strings may hold), ends removed."""
    yield from enumerate(read_text(path, encoding, universal_newlines=True).split("\n"), start=1)


def json_object_lines(path: Path, encoding: str = "utf-8") -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for every non-blank line of a JSON-lines file; a line that is not
    a JSON object is a DataError naming the file and line."""
    for number, line in text_lines(path, encoding):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"invalid JSON ({exc.msg})", path=str(path), line=number) from None
        if not isinstance(item, dict):
            raise DataError("expected a JSON object", path=str(path), line=number)
        yield number, item


def tsv_table(path: Path, header: tuple[str, ...], *, exact: bool = True,
              encoding: str = "utf-8") -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row by column)`` for every non-blank row of a tab-separated file (no quoting)
    whose first line is ``header`` (or starts with it when ``exact`` is False); a wrong header or a
    row with another number of fields is a DataError naming the file and line."""
    reader = csv.reader(io.StringIO(read_text(path, encoding), newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    found = next(reader, None)
    if found is None or tuple(found if exact else found[: len(header)]) != header:
        raise DataError(f"expected the header {' '.join(header)} (tab-separated)", path=str(path), line=1)
    for number, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(found):
            raise DataError(f"expected {len(found)} tab-separated fields, got {len(row)}", path=str(path),
                            line=number)
        yield number, dict(zip(found, row))


def csv_rows(path: Path, encoding: str = "utf-8", *, on_error: Callable[[DataError], None] | None = None,
             **fmt: Any) -> Iterator[tuple[int, list[str]]]:
    """``(line number where the row ends, row)`` for every row of a CSV file.

    A CSV-level error (e.g. a field over ``csv.field_size_limit``) is a DataError naming the line
    where the row starts: raised, or passed to ``on_error`` and the row skipped.
    """
    reader = csv.reader(io.StringIO(read_text(path, encoding), newline=""), **fmt)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            error = DataError(f"malformed CSV ({exc})", path=str(path), line=start)
            if on_error is None:
                raise error from None
            on_error(error)
            continue
        yield reader.line_num, row


def require_int(value: object, what: str) -> int:
    """``value`` if it is a JSON integer (not a float such as 62.7, not a bool), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    return value


def require_object(value: object, what: str) -> dict[str, Any]:
    """``value`` if it is a JSON object, else ValueError."""
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object, got {type(value).__name__} {_short(value)}")
    return value


def require_list(value: object, what: str) -> list[Any]:
    """``value`` if it is a JSON array, else ValueError."""
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a JSON array, got {type(value).__name__} {_short(value)}")
    return value


def check_document_size(text: str, reading: Reading, path: Path, *, line: int | None = None,
                        doc_id: str | None = None) -> None:
    """Refuse a document longer than ``corpus.max_document_chars`` before it is split or scored."""
    limit = reading.max_document_chars
    if limit is not None and len(text) > limit:
        raise DataError(f"document has {len(text):,} characters, more than corpus.max_document_chars={limit:,} "
                        "(raise it or split the document)", path=str(path), line=line, doc_id=doc_id)


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_word_list(value: object, path: Path, line: int) -> list[str]:
    """A Python-list literal of strings such as ``"['belated', 'birtherism']"`` (parsed safely)."""
    if value is None or (isinstance(value, float)) or str(value).strip() in ("", "nan"):
        return []
    try:
        parsed = ast.literal_eval(str(value))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise DataError(f"biased_words {str(value)[:60]!r} is not a list literal", path=str(path), line=line) from None
    if not isinstance(parsed, (list, tuple)) or not all(isinstance(w, str) for w in parsed):
        raise DataError("biased_words must be a list of strings", path=str(path), line=line)
    return [w for w in parsed if w.strip()]


def locate_all(text: str, phrase: str) -> list[tuple[int, int]]:
    """Every whole-word, case-insensitive occurrence of ``phrase`` in ``text``."""
    words = phrase.strip().strip("\"'“”‘’.,;:!?()[]").split()
    if not words:
        return []
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)"
    return [(m.start(), m.end()) for m in re.finditer(pattern, text, flags=re.IGNORECASE)]


def slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.lower()).strip("_")


def gold_file_notes(root: Path, folder: Path, pattern: str, used: list[Path], documents: int,
                    what: str = "articles") -> dict[str, Any]:
    """Notes recording which files a corpus's gold came from, logged as run tags: ``gold_files``
    (folder, file-name pattern, how many files for how many documents) and ``gold_files_sha256``
    (a digest of the files' relative paths and bytes, in path order).

    Gold that matches none of the ``documents`` is an error in either mode (``corpus.strict=false``
    skips single bad files, never the whole gold): a corpus of unannotated documents would be
    scored as all negative. The error names the folder, the expected pattern and what is there.
    """
    if documents and not used:
        present = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
        found = (f"it holds {len(present)} files such as {', '.join(present[:3])}" if present
                 else "it holds no files")
        raise DataError(f"no gold annotation file matches any of the {documents} {what}: expected {pattern}; "
                        f"{found} (check corpus.files)", path=str(folder))

    def relative(path: Path) -> str:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            return path.as_posix()

    digest = hashlib.sha256()
    for path in sorted(used, key=relative):
        digest.update(relative(path).encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return {"gold_files": f"{relative(folder)}/{pattern}: {len(used)} files for {documents} {what}",
            "gold_files_sha256": digest.hexdigest()[:16]}
