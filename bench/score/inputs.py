"""Reading an article archive: JSON lines or Parquet, one article per line or row.

Each article has ``id`` (a non-empty string or an integer) and ``text`` (a string); optionally
``sentences`` (``[[start, end], ...]`` character offsets, else the text is split) and metadata
(every other key or column, or those named). :func:`scan` reads the whole file once before any
scoring: it checks every article (the first problem is one error naming the file, the line or row
and the field), fingerprints the file and cuts it into fixed-size shards in article order.
:func:`read_shard` then reads one shard back, which a worker on another machine can do as well.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from bench.data.schema import Sentence
from bench.data.sentences import given_sentences
from bench.errors import ConfigError, DataError

ID, TEXT, SENTENCES = "id", "text", "sentences"
RESERVED = (ID, TEXT, SENTENCES)
FORMATS = ("jsonl", "parquet")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
_INT64 = (-(2**63), 2**63 - 1)
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class Article:
    """One article as read: ``sentences`` is None unless the input gives them."""

    id: str
    text: str
    sentences: list[Sentence] | None
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Shard:
    """Articles ``[start, start + count)`` of the input; for JSON lines also where they begin in the file."""

    number: int
    start: int
    count: int
    offset: int = 0
    line: int = 0

    @property
    def name(self) -> str:
        return f"part-{self.number:05d}.parquet"


@dataclass(frozen=True)
class InputPlan:
    """A checked input: its fingerprint, article count, metadata columns and shards."""

    path: Path
    format: str
    fingerprint: str
    size_bytes: int
    articles: int
    shard_size: int
    metadata: pa.Schema
    has_sentences: bool
    shards: list[Shard] = field(default_factory=list)

    def without_shards(self) -> "InputPlan":
        """The plan without its shard list (what a worker needs to read any shard)."""
        return replace(self, shards=[])


def input_format(path: Path, given: str | None) -> str:
    """``given``, else the format the file name says (``.jsonl``, ``.parquet``, ...)."""
    if given is not None:
        if given not in FORMATS:
            raise ConfigError(f"--format {given}: must be one of {', '.join(FORMATS)}")
        return given
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise ConfigError(f"{path}: cannot tell the format from the suffix {path.suffix!r}; "
                          f"name it .jsonl or .parquet, or give --format {'|'.join(FORMATS)}")
    return found


def scan(path: Path, *, fmt: str | None = None, shard_size: int = 1000,
         metadata: Sequence[str] | None = None) -> InputPlan:
    """Check every article of ``path`` and plan its shards (``metadata``: keys to keep; None: all others)."""
    if shard_size < 1:
        raise ConfigError(f"--shard-size {shard_size}: must be an integer ≥ 1")
    path = path.expanduser().resolve()
    if not path.exists():
        raise DataError("input file does not exist", path=str(path))
    if not path.is_file():
        raise DataError("input is not a regular file", path=str(path))
    fmt = input_format(path, fmt)
    wanted = None if metadata is None else list(dict.fromkeys(metadata))
    for key in wanted or []:
        if key in RESERVED:
            raise ConfigError(f"--metadata {key}: {', '.join(RESERVED)} are read as the article, not as metadata")
    scanner = _scan_jsonl if fmt == "jsonl" else _scan_parquet
    return scanner(path, shard_size, wanted)


def read_shard(plan: InputPlan, shard: Shard) -> list[Article]:
    """The articles of one shard, in input order."""
    if plan.format == "jsonl":
        return list(_read_jsonl(plan, shard))
    return _read_parquet(plan, shard)


# ------------------------------------------------------------------------------------ JSON lines
def _kind(value: Any) -> str:
    """The JSON kind of a metadata value, for choosing its column type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if _INT64[0] <= value <= _INT64[1] else "json"
    if isinstance(value, float):
        return "float"
    return "string" if isinstance(value, str) else "json"


def _column_type(kinds: set[str]) -> pa.DataType:
    """One kind keeps its type (integers with floats become floats); mixed kinds, lists and objects
    become JSON text."""
    kinds = kinds - {"null"}
    if kinds == {"bool"}:
        return pa.bool_()
    if kinds == {"int"}:
        return pa.int64()
    if kinds and kinds <= {"int", "float"}:
        return pa.float64()
    return pa.string()


def _column_value(value: Any, kind: pa.DataType) -> Any:
    if value is None:
        return None
    if pa.types.is_string(kind) and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if pa.types.is_floating(kind):
        return float(value)
    return value


def _parse_line(raw: bytes, path: Path, number: int) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
        record = json.loads(text.removeprefix("\ufeff") if number == 1 else text)  # a byte-order mark
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 (an invalid byte at column {exc.start + 1})", path=str(path),
                        line=number) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON ({exc.msg} at column {exc.colno})", path=str(path), line=number) from None
    if not isinstance(record, dict):
        raise DataError(f"each line must be a JSON object with {ID!r} and {TEXT!r}, not {type(record).__name__}",
                        path=str(path), line=number)
    return record


def _article_fields(record: dict[str, Any], path: Path, number: int) -> tuple[str, str, list[Sentence] | None]:
    """The id, text and given sentences of a JSON record; errors name the line and the field."""
    def bad(message: str) -> DataError:
        return DataError(message, path=str(path), line=number)

    if ID not in record:
        raise bad(f"field {ID!r} is missing (keys: {', '.join(sorted(record)) or 'none'})")
    raw_id = record[ID]
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        raise bad(f"field {ID!r} must be a string or an integer, not {_json_type(raw_id)}")
    doc_id = str(raw_id)
    if not doc_id.strip():
        raise bad(f"field {ID!r} is empty")
    if TEXT not in record:
        raise bad(f"field {TEXT!r} is missing (article {doc_id!r})")
    text = record[TEXT]
    if not isinstance(text, str):
        raise bad(f"field {TEXT!r} must be a string, not {_json_type(text)} (article {doc_id!r})")
    sentences = None
    if record.get(SENTENCES) is not None:
        if not isinstance(record[SENTENCES], list):
            raise bad(f"field {SENTENCES!r} must be a list of [start, end] pairs, not {_json_type(record[SENTENCES])}")
        try:
            sentences = given_sentences(text, record[SENTENCES])
        except ValueError as exc:
            raise bad(f"field {SENTENCES!r}: {exc} (article {doc_id!r})") from None
    return doc_id, text, sentences


def _json_type(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _lines(path: Path, offset: int, first_line: int) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of each non-blank line from byte ``offset`` (line ``first_line``)."""
    with path.open("rb") as handle:
        handle.seek(offset)
        for number, raw in enumerate(handle, start=first_line):
            if raw.strip():
                yield number, raw


def _scan_jsonl(path: Path, shard_size: int, wanted: list[str] | None) -> InputPlan:
    digest, size = hashlib.sha256(), 0
    seen: dict[str, int] = {}
    kinds: dict[str, set[str]] = {}
    shards: list[Shard] = []
    has_sentences = False
    with path.open("rb") as handle:
        number, position = 0, 0
        for raw in handle:
            number += 1
            digest.update(raw)
            size += len(raw)
            start, position = position, position + len(raw)
            if not raw.strip():
                continue
            record = _parse_line(raw, path, number)
            doc_id, _, sentences = _article_fields(record, path, number)
            if doc_id in seen:
                raise DataError(f"duplicate article id {doc_id!r} (first on line {seen[doc_id]})", path=str(path),
                                line=number)
            if len(seen) % shard_size == 0:
                shards.append(Shard(len(shards), len(seen), 0, start, number))
            seen[doc_id] = number
            has_sentences = has_sentences or sentences is not None
            for key, value in record.items():
                if key not in RESERVED and (wanted is None or key in wanted):
                    kinds.setdefault(key, set()).add(_kind(value))
    if not seen:
        raise DataError("the input holds no articles", path=str(path))
    missing = [key for key in wanted or [] if key not in kinds]
    if missing:
        raise ConfigError(f"--metadata: no article in {path} has the key(s) {', '.join(missing)}")
    names = wanted if wanted is not None else list(kinds)
    schema = pa.schema([(name, _column_type(kinds[name])) for name in names])
    return InputPlan(path, "jsonl", digest.hexdigest(), size, len(seen), shard_size, schema, has_sentences,
                     _counted(shards, len(seen)))


def _read_jsonl(plan: InputPlan, shard: Shard) -> Iterator[Article]:
    types = {f.name: f.type for f in plan.metadata}
    for i, (number, raw) in enumerate(_lines(plan.path, shard.offset, shard.line)):
        if i == shard.count:
            return
        record = _parse_line(raw, plan.path, number)
        doc_id, text, sentences = _article_fields(record, plan.path, number)
        yield Article(doc_id, text, sentences, {k: _column_value(record.get(k), t) for k, t in types.items()})


# ------------------------------------------------------------------------------------ Parquet
def _open_parquet(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"not a readable Parquet file ({_first_line(exc)})", path=str(path)) from None


def _scan_parquet(path: Path, shard_size: int, wanted: list[str] | None) -> InputPlan:
    parquet = _open_parquet(path)
    schema = parquet.schema_arrow
    names = schema.names
    for column in (ID, TEXT):
        if column not in names:
            raise DataError(f"column {column!r} is missing (columns: {', '.join(names)})", path=str(path))
    id_type, text_type = schema.field(ID).type, schema.field(TEXT).type
    if not (pa.types.is_string(id_type) or pa.types.is_large_string(id_type) or pa.types.is_integer(id_type)):
        raise DataError(f"column {ID!r} must hold strings or integers, not {id_type}", path=str(path))
    if not (pa.types.is_string(text_type) or pa.types.is_large_string(text_type)):
        raise DataError(f"column {TEXT!r} must hold strings, not {text_type}", path=str(path))
    has_sentences = SENTENCES in names
    if has_sentences and not pa.types.is_list(schema.field(SENTENCES).type) \
            and not pa.types.is_large_list(schema.field(SENTENCES).type):
        raise DataError(f"column {SENTENCES!r} must hold lists of [start, end] pairs, not "
                        f"{schema.field(SENTENCES).type}", path=str(path))
    missing = [key for key in wanted or [] if key not in names]
    if missing:
        raise ConfigError(f"--metadata: {path} has no column(s) {', '.join(missing)} (columns: {', '.join(names)})")
    keep = wanted if wanted is not None else [n for n in names if n not in RESERVED]
    seen: set[str] = set()
    row = 0
    columns = [ID, TEXT] + ([SENTENCES] if has_sentences else [])
    try:
        for batch in parquet.iter_batches(batch_size=65_536, columns=columns):
            data = batch.to_pydict()
            for i, (raw_id, text) in enumerate(zip(data[ID], data[TEXT])):
                _check_row(path, row + i, raw_id, text, data[SENTENCES][i] if has_sentences else None, seen)
            row += batch.num_rows
    except pa.ArrowException as exc:
        raise DataError(f"Parquet data could not be read near row {row} ({_first_line(exc)})", path=str(path)) \
            from None
    if not row:
        raise DataError("the input holds no articles", path=str(path))
    shards = [Shard(n, start, min(shard_size, row - start)) for n, start in enumerate(range(0, row, shard_size))]
    return InputPlan(path, "parquet", _file_digest(path), path.stat().st_size, row, shard_size,
                     pa.schema([schema.field(name) for name in keep]), has_sentences, shards)


def _check_row(path: Path, row: int, raw_id: Any, text: Any, sentences: Any, seen: set[str]) -> None:
    where = f"row {row} (0-based)"
    if raw_id is None or not str(raw_id).strip():
        raise DataError(f"{where}: column {ID!r} is {'null' if raw_id is None else 'empty'}", path=str(path))
    doc_id = str(raw_id)
    if text is None:
        raise DataError(f"{where}: column {TEXT!r} is null (article {doc_id!r})", path=str(path))
    if doc_id in seen:
        raise DataError(f"{where}: duplicate article id {doc_id!r}", path=str(path))
    seen.add(doc_id)
    if sentences is not None:
        try:
            given_sentences(text, sentences)
        except ValueError as exc:
            raise DataError(f"{where}: column {SENTENCES!r}: {exc} (article {doc_id!r})", path=str(path)) from None


def _read_parquet(plan: InputPlan, shard: Shard) -> list[Article]:
    parquet = _open_parquet(plan.path)
    meta = parquet.metadata
    groups, first_row, row = [], None, 0
    for group in range(meta.num_row_groups):
        rows = meta.row_group(group).num_rows
        if row + rows > shard.start and row < shard.start + shard.count:
            groups.append(group)
            first_row = row if first_row is None else first_row
        row += rows
    columns = [ID, TEXT] + ([SENTENCES] if plan.has_sentences else []) + plan.metadata.names
    table = parquet.read_row_groups(groups, columns=list(dict.fromkeys(columns)))
    data = table.slice(shard.start - (first_row or 0), shard.count).to_pydict()
    out = []
    for i in range(shard.count):
        text = data[TEXT][i]
        given = data[SENTENCES][i] if plan.has_sentences else None
        sentences = given_sentences(text, given) if given is not None else None
        out.append(Article(str(data[ID][i]), text, sentences, {k: data[k][i] for k in plan.metadata.names}))
    return out


# ------------------------------------------------------------------------------------ helpers
def _counted(shards: list[Shard], total: int) -> list[Shard]:
    """Fill in each shard's article count from where the next one starts."""
    ends = [s.start for s in shards[1:]] + [total]
    return [replace(s, count=end - s.start) for s, end in zip(shards, ends)]


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
