"""Documents as Arrow rows and back, exactly: the layout of a corpus's ``datasets`` form.

One row per document. Offsets, labels and surface forms are typed columns (``sentences`` and
``spans`` are lists of structs). The free-form dictionaries (``metadata``, ``doc_labels``, each
sentence's ``labels`` and each span's ``attributes``) are JSON-encoded strings: their values mix
strings, integers, floats, booleans, nulls and lists, differently per corpus and even per document,
which one Arrow type per column cannot hold (a struct column would take the union of every
document's keys, fill the missing ones with nulls and coerce mixed values), whereas JSON keeps
each dictionary's keys, order and value types as they were. Values that JSON would change (a
tuple, a non-string key, a NumPy number) are refused with :class:`NotExact` instead.
"""

from __future__ import annotations

import gc
import json
from typing import TYPE_CHECKING, Any, Iterable

from bench.data.schema import Document, Sentence, Span

if TYPE_CHECKING:
    import datasets


class NotExact(ValueError):
    """A document holds a value that would not come back unchanged from its Arrow form."""


_SCALARS = (str, int, float, bool, type(None))


def _check_plain(value: Any, where: str) -> None:
    """Raise :class:`NotExact` unless ``value`` is built of JSON's own types only."""
    kind = type(value)
    if kind in _SCALARS:
        return
    if kind is list:
        for item in value:
            _check_plain(item, where)
    elif kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise NotExact(f"{where}: key {key!r} is not a string")
            _check_plain(item, where)
    else:
        raise NotExact(f"{where}: a {kind.__name__} value ({value!r:.40}) does not round-trip through JSON")


def encode_json(value: Any, where: str) -> str:
    """``value`` as compact JSON, after checking it will decode to an equal value of the same types."""
    _check_plain(value, where)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def features() -> datasets.Features:
    """The column types of a corpus's documents."""
    from datasets import Features, List, Value

    return Features({
        "id": Value("string"),
        "text": Value("string"),
        "metadata": Value("string"),
        "doc_labels": Value("string"),
        "sentences": List({"start": Value("int64"), "end": Value("int64"), "labels": Value("string")}),
        "spans": List({
            "start": Value("int64"), "end": Value("int64"), "label": Value("string"), "text": Value("string"),
            "score": Value("float64"), "native_label": Value("string"), "attributes": Value("string"),
        }),
    })


def document_row(doc: Document) -> dict[str, Any]:
    """One document as a row of :func:`features`."""
    where = f"document {doc.id!r}"
    if type(doc.id) is not str or type(doc.text) is not str:
        raise NotExact(f"{where}: id and text must be strings")
    return {
        "id": doc.id,
        "text": doc.text,
        "metadata": encode_json(doc.metadata, f"{where} metadata"),
        "doc_labels": encode_json(doc.doc_labels, f"{where} doc_labels"),
        "sentences": [{"start": s.start, "end": s.end, "labels": encode_json(s.labels, f"{where} sentence labels")}
                      for s in doc.sentences],
        "spans": [{"start": s.start, "end": s.end, "label": s.label, "text": s.text, "score": _score(s, where),
                   "native_label": s.native_label, "attributes": encode_json(s.attributes, f"{where} span attributes")}
                  for s in doc.spans],
    }


def _score(span: Span, where: str) -> float | None:
    if span.score is None or type(span.score) is float:
        return span.score
    raise NotExact(f"{where}: span score {span.score!r} is not a float")


class _Decoder:
    """``json.loads`` for the many small, repeated label dictionaries: a flat dictionary seen before
    is copied rather than parsed again (so no two objects share a mutable value)."""

    def __init__(self) -> None:
        self.flat: dict[str, dict[str, Any]] = {}

    def __call__(self, text: str) -> Any:
        known = self.flat.get(text)
        if known is not None:
            return dict(known)
        value = json.loads(text)
        if type(value) is dict and len(self.flat) < 10_000 and all(type(v) in _SCALARS for v in value.values()):
            self.flat[text] = dict(value)
        return value


def _column(table: Any, name: str) -> list[Any]:
    return table.column(name).to_pylist()


def _nested(table: Any, name: str, fields: tuple[str, ...]) -> tuple[list[int], list[list[Any]]]:
    """A list-of-structs column as its row offsets and one flat Python list per struct field."""
    column = table.column(name).combine_chunks()
    flat = column.flatten()  # the rows' items only, also when the column is a slice of a larger one
    offsets = column.offsets.to_pylist()
    return [o - offsets[0] for o in offsets], [flat.field(f).to_pylist() for f in fields]


def _documents_from_table(table: Any) -> list[Document]:
    """Column by column (far faster than a dictionary per sentence and span)."""
    was_enabled = gc.isenabled()
    gc.disable()  # the collector would walk the growing object graph again and again: 4x slower
    try:
        return _build_documents(table)
    finally:
        if was_enabled:
            gc.enable()


def _build_documents(table: Any) -> list[Document]:
    decode = _Decoder()
    ids, texts = _column(table, "id"), _column(table, "text")
    metadata, doc_labels = _column(table, "metadata"), _column(table, "doc_labels")
    s_off, (s_start, s_end, s_labels) = _nested(table, "sentences", ("start", "end", "labels"))
    p_off, (p_start, p_end, p_label, p_text, p_score, p_native, p_attrs) = _nested(
        table, "spans", ("start", "end", "label", "text", "score", "native_label", "attributes"))
    documents = []
    for i, doc_id in enumerate(ids):
        sentences = [Sentence(s_start[j], s_end[j], decode(s_labels[j])) for j in range(s_off[i], s_off[i + 1])]
        spans = [Span(p_start[j], p_end[j], p_label[j], p_text[j], p_score[j], p_native[j], decode(p_attrs[j]))
                 for j in range(p_off[i], p_off[i + 1])]
        documents.append(Document(doc_id, texts[i], json.loads(metadata[i]), spans, sentences,
                                  json.loads(doc_labels[i])))
    return documents


def documents_to_dataset(documents: Iterable[Document], fingerprint: str) -> datasets.Dataset:
    """The documents, in order, as a :class:`datasets.Dataset` whose fingerprint is ``fingerprint``.

    Raises :class:`NotExact` for a value that would not round-trip.
    """
    import pyarrow as pa
    from datasets import Dataset, DatasetInfo
    from datasets.table import InMemoryTable

    schema = features()
    rows = [document_row(d) for d in documents]
    try:
        table = pa.Table.from_pylist(rows, schema=schema.arrow_schema)
    except (pa.ArrowException, UnicodeError, OverflowError) as exc:  # e.g. a lone surrogate, an offset past int64
        raise NotExact(f"documents do not convert to Arrow ({exc})") from None
    return Dataset(InMemoryTable(table), info=DatasetInfo(features=schema), fingerprint=fingerprint)


def dataset_documents(dataset: datasets.Dataset) -> list[Document]:
    """The documents of a dataset written by :func:`documents_to_dataset`, in order."""
    if dataset.features != features():
        raise ValueError(f"dataset columns {sorted(dataset.features)} are not a corpus's document columns")
    if dataset._indices is not None:  # a selection or shuffle of the rows: materialise it in order
        dataset = dataset.flatten_indices()
    return _documents_from_table(dataset.data.table)
