"""PolNeAR (Newell et al. 2018): US political news with attribution relations in brat standoff.

Layout under the corpus root: ``data/<split>/text/<article>.txt`` and
``data/<split>/attributions/<article>_<annotator>.ann`` (one file per article and annotator), plus
``data/metadata.tsv``. An ``.ann`` file holds text-bound lines ``T<n><TAB><Type> <start> <end>[;<start>
<end>…]<TAB><surface>`` (a surface that crosses a line break continues on the next lines), event lines
``E<n><TAB><Attribution|Attribution-no-source>:T<a> Source:T<s> Cue:T<q> Content:T<c> …`` (roles may
repeat as ``Content2``) and ``#`` annotator notes.

**Gold rule.** An article annotated by several annotators takes as gold the layer of the annotator
listed first in ``metadata.tsv``'s ``annotators`` column that has a file (the lists are sorted, so
this is the lowest annotator id); the other layers stay readable through :func:`read_split` for
agreement (:mod:`bench.agreement`).

Each gold event becomes spans: its source fragments ``attribution_source/source``, cue fragments
``attribution_cue/cue``, content fragments ``attribution_content/content`` (a discontinuous brat span
gives one span per fragment; a fragment shared by several events is kept once) and its anchor
``attribution/sourced`` or ``attribution/no_source`` (no Source argument), whose attributes hold the
event id, annotator, source and cue offsets. With a sourcing layer, every event's source (or, without
one, its anchor) also becomes an ``unverified_source`` span when its class is unverified
(:mod:`bench.data.loaders.polnear_sourcing`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from bench.data.loaders._common import check_document_size, read_text, tsv_table
from bench.data.loaders.polnear_sourcing import SourcingClasses, class_attributes, unverified_spans
from bench.data.registry import LoadResult, Reading, register_loader
from bench.data.schema import Document, Span
from bench.data.sentences import split_sentences
from bench.errors import DataError

ENTITY_TYPES = ("Source", "Cue", "Content", "Attribution", "Attribution-no-source", "Discuss", "Discard")
EVENT_TYPES = ("Attribution", "Attribution-no-source")
ROLES = ("Source", "Cue", "Content")
#: span label of each role in the harness
ROLE_LABELS = {"Source": "attribution_source/source", "Cue": "attribution_cue/cue",
               "Content": "attribution_content/content"}
#: labels of the events' anchors: with a source, without one
ANCHOR_LABELS = ("attribution/sourced", "attribution/no_source")
METADATA_COLUMNS = ("compartment", "filename", "level", "annotators", "publisher", "publication_date", "author",
                    "title", "trump_count", "clinton_count", "credit", "wire")

_LINE = re.compile(r"^([TERAMN]\d+|#\d*)\t")
_OFFSETS = re.compile(r"^\d+ \d+(;\d+ \d+)*$")
_ROLE = re.compile(r"^([A-Za-z-]+?)(\d*)$")
_ANN = re.compile(r"^(?P<article>.+)_(?P<annotator>[0-9a-f]{4})$")

Fragments = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class TextBound:
    """A brat text-bound annotation (``T`` line): type and fragments (character offsets)."""

    id: str
    type: str
    fragments: Fragments
    line: int

    @property
    def start(self) -> int:
        return min(s for s, _ in self.fragments)

    @property
    def end(self) -> int:
        return max(e for _, e in self.fragments)

    def surface(self, text: str) -> str:
        """The text of the fragments joined by a space, as brat shows it."""
        return " ".join(text[s:e] for s, e in self.fragments)


@dataclass(frozen=True)
class Event:
    """An attribution event (``E`` line): its anchor and the text-bound parts of each role."""

    id: str
    type: str
    anchor: TextBound
    sources: tuple[TextBound, ...]
    cues: tuple[TextBound, ...]
    contents: tuple[TextBound, ...]
    line: int

    @property
    def has_source(self) -> bool:
        """Whether the text names a source: the event has a Source argument (PolNeAR types an event
        without one ``Attribution-no-source``; the few typed otherwise follow their arguments)."""
        return bool(self.sources)

    @property
    def source_fragments(self) -> Fragments:
        return tuple(f for s in self.sources for f in s.fragments)

    @property
    def anchor_fragments(self) -> Fragments:
        return self.anchor.fragments


@dataclass
class Layer:
    """One annotator's annotation of one article (one ``.ann`` file)."""

    article: str
    annotator: str
    path: Path
    entities: dict[str, TextBound] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    @property
    def item_prefix(self) -> str:
        """``<article>_<annotator>``: the file stem, the prefix of the sourcing layer's item ids."""
        return f"{self.article}_{self.annotator}"


@dataclass
class Article:
    """An article's text with every annotator's layer."""

    id: str
    split: str
    text: str
    path: Path
    layers: dict[str, Layer] = field(default_factory=dict)


class _Problems:
    """Malformed lines: raised (strict) or counted under a name (lenient)."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.skipped: dict[str, int] = {}

    def __call__(self, what: str, error: DataError) -> None:
        if self.strict:
            raise error
        self.skipped[what] = self.skipped.get(what, 0) + 1


def _fragments(value: str) -> Fragments:
    if not _OFFSETS.match(value):
        raise ValueError(f"offsets {value!r} are not 'start end' pairs separated by ';'")
    return tuple((int(a), int(b)) for a, b in (part.split() for part in value.split(";")))


def parse_ann(path: Path, text: str, *, encoding: str = "utf-8",
              problem: Callable[[str, DataError], None] | None = None) -> Layer:
    """One ``.ann`` file checked against its article ``text``; errors name the file and line.

    Checks: line kinds, entity and event types, offsets inside the text, the surface text equal to
    the text at the offsets (fragments joined by a space), event arguments that exist and are of
    their role's type, one anchor per event. ``problem`` receives each error (default: raise).
    """
    def report(what: str, message: str, line: int) -> None:
        error = DataError(message, path=str(path), line=line)
        if problem is None:
            raise error
        problem(what, error)

    match = _ANN.match(path.stem)
    if not match:
        raise DataError("file name is not <article>_<annotator id>.ann", path=str(path))
    layer = Layer(match["article"], match["annotator"], path)
    lines = read_text(path, encoding, universal_newlines=True).split("\n")
    raw_events: list[tuple[int, str, str]] = []
    i = 0
    while i < len(lines):
        number, line = i + 1, lines[i]
        i += 1
        if not line.strip():
            continue
        kind = _LINE.match(line)
        if kind is None:
            report("malformed_lines", "not a brat annotation line (expected T, E or # followed by a tab)", number)
            continue
        ident = kind.group(1)
        if ident.startswith("#"):
            continue
        if ident[0] not in "TE":
            report("malformed_lines", f"brat annotation {ident} is not used by PolNeAR (only T, E and # lines)",
                   number)
            continue
        parts = line.split("\t")
        if ident[0] == "E":
            if len(parts) != 2:
                report("malformed_lines", "event line must be E<n><TAB><type>:<T id> <role>:<T id> ...", number)
                continue
            raw_events.append((number, ident, parts[1]))
            continue
        if len(parts) < 3:
            report("malformed_lines", "text-bound line must be T<n><TAB><type> <start> <end><TAB><text>", number)
            continue
        etype, _, offsets = parts[1].partition(" ")
        surface = "\t".join(parts[2:])
        try:
            if etype not in ENTITY_TYPES:
                raise ValueError(f"unknown type {etype!r} (known: {', '.join(ENTITY_TYPES)})")
            fragments = _fragments(offsets)
            for start, end in fragments:
                if not 0 <= start <= end <= len(text):
                    raise ValueError(f"offsets {start}-{end} outside the article (length {len(text)})")
            expected = " ".join(text[s:e] for s, e in fragments)
            # a surface that crosses line breaks continues on the following lines
            while len(surface) < len(expected) and i < len(lines) and _LINE.match(lines[i]) is None:
                surface += "\n" + lines[i]
                i += 1
            if surface != expected:
                raise ValueError(f"surface text {surface[:40]!r} differs from the article text at {offsets} "
                                 f"({expected[:40]!r})")
        except ValueError as exc:
            report("malformed_lines", f"{ident}: {exc}", number)
            continue
        if ident in layer.entities:
            report("malformed_lines", f"{ident} is defined twice", number)
            continue
        layer.entities[ident] = TextBound(ident, etype, fragments, number)
    seen: set[str] = set()
    for number, ident, body in raw_events:
        try:
            if ident in seen:
                raise ValueError(f"{ident} is defined twice")
            seen.add(ident)
            layer.events.append(_event(ident, body, layer.entities, number))
        except ValueError as exc:
            report("malformed_events", f"{ident}: {exc}", number)
    return layer


def _event(ident: str, body: str, entities: dict[str, TextBound], line: int) -> Event:
    anchor: TextBound | None = None
    parts: dict[str, list[TextBound]] = {role: [] for role in ROLES}
    for argument in body.split():
        role, sep, target = argument.partition(":")
        if not sep or not target:
            raise ValueError(f"argument {argument!r} is not <role>:<T id>")
        if target not in entities:
            raise ValueError(f"argument {argument!r} names {target}, which is not defined in this file")
        bound = entities[target]
        if role in EVENT_TYPES:
            if anchor is not None:
                raise ValueError("event has two anchors")
            if bound.type != role:
                raise ValueError(f"anchor {target} is a {bound.type}, not a {role}")
            anchor = bound
            continue
        base = _ROLE.match(role)
        name = base.group(1) if base else role
        if name not in parts:
            raise ValueError(f"unknown role {role!r} (known: {', '.join((*EVENT_TYPES, *ROLES))})")
        if bound.type not in ("Source", "Cue", "Content", "Discuss", "Discard"):
            raise ValueError(f"{role} argument {target} is an anchor ({bound.type}), not a text span")
        parts[name].append(bound)
    if anchor is None:
        raise ValueError(f"event has no anchor ({' or '.join(EVENT_TYPES)}:<T id>)")
    return Event(ident, anchor.type, anchor, tuple(parts["Source"]), tuple(parts["Cue"]), tuple(parts["Content"]),
                 line)


def read_metadata(path: Path, encoding: str = "utf-8") -> dict[str, dict[str, str | None]]:
    """``metadata.tsv`` rows by ``filename`` (the article id); ``None`` cells become None."""
    rows: dict[str, dict[str, str | None]] = {}
    for _, row in tsv_table(path, METADATA_COLUMNS, exact=False, encoding=encoding):
        values = {k: (None if v in ("None", "") else v) for k, v in row.items()}
        rows[str(values["filename"])] = values
    return rows


def read_split(split_dir: Path, *, encoding: str = "utf-8", strict: bool = True,
               skipped: dict[str, int] | None = None) -> dict[str, Article]:
    """Every article of a split folder (``text/``, ``attributions/``) with all its annotators' layers."""
    text_dir, ann_dir = split_dir / "text", split_dir / "attributions"
    for folder in (text_dir, ann_dir):
        if not folder.is_dir():
            raise DataError("corpus folder not found", path=str(folder))
    problems = _Problems(strict)
    articles: dict[str, Article] = {}
    for path in sorted(text_dir.glob("*.txt")):
        articles[path.stem] = Article(path.stem, split_dir.name, read_text(path, encoding, strip_bom=True), path)
    if not articles:
        raise DataError("no <article>.txt files found", path=str(text_dir))
    for path in sorted(ann_dir.glob("*.ann")):
        match = _ANN.match(path.stem)
        if not match:
            problems("malformed_files", DataError("file name is not <article>_<annotator id>.ann", path=str(path)))
            continue
        article = articles.get(match["article"])
        if article is None:
            problems("malformed_files", DataError(f"no text file {match['article']}.txt for this annotation",
                                                  path=str(path)))
            continue
        article.layers[match["annotator"]] = parse_ann(path, article.text, encoding=encoding, problem=problems)
    if skipped is not None:
        for key, value in problems.skipped.items():
            skipped[key] = skipped.get(key, 0) + value
    return articles


def gold_annotator(article: Article, listed: str | None) -> str | None:
    """The gold layer's annotator: the first in the metadata's ``annotators`` list with a file, else
    the lowest annotator id that has one (None: the article has no layer)."""
    order = [a for a in (listed or "").split("|") if a]
    for annotator in order + sorted(article.layers):
        if annotator in article.layers:
            return annotator
    return None


def _fragment_spans(text: str, fragments: Fragments, label: str, native: str, attributes: dict[str, Any]
                    ) -> list[Span]:
    return [Span(s, e, label, text[s:e], native_label=native, attributes=dict(attributes))
            for s, e in fragments if e > s]


def event_spans(text: str, layer: Layer) -> list[Span]:
    """The role spans (each fragment once) and every event's anchor of a layer, in text order."""
    seen: set[tuple[int, int, str]] = set()
    spans: list[Span] = []

    def add(span: Span) -> None:
        key = (span.start, span.end, span.label)
        if key not in seen:
            seen.add(key)
            spans.append(span)

    for event in layer.events:
        for role, parts in (("Source", event.sources), ("Cue", event.cues), ("Content", event.contents)):
            for part in parts:
                for span in _fragment_spans(text, part.fragments, ROLE_LABELS[role], role, {"event": event.id}):
                    add(span)
        label = ANCHOR_LABELS[0] if event.has_source else ANCHOR_LABELS[1]
        attributes = {"event": event.id, "annotator": layer.annotator,
                      "source": [list(f) for f in event.source_fragments],
                      "cue": [list(f) for c in event.cues for f in c.fragments]}
        # one anchor per event, even where two events share an anchor (both are attributions)
        spans.extend(_fragment_spans(text, event.anchor.fragments, label, event.type, attributes))
    return sorted(spans, key=lambda s: (s.start, s.end, s.label))


def _metadata(article: Article, row: dict[str, str | None], gold: str) -> dict[str, Any]:
    return {
        "article": article.id, "split": article.split, "publisher": row.get("publisher"),
        "date": row.get("publication_date"), "month": (row.get("publication_date") or "")[:7] or None,
        "author": row.get("author"), "title": row.get("title"),
        # None in the metadata: not credited to another publisher / not wire copy
        "credit": row.get("credit") or "none", "wire": row.get("wire") or "none",
        "trump_count": row.get("trump_count"), "clinton_count": row.get("clinton_count"),
        "annotators": "|".join(sorted(article.layers)), "gold_annotator": gold,
    }


@register_loader("polnear")
def load_polnear(root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any],
                 reading: Reading = Reading()) -> LoadResult:
    """PolNeAR: one document per article (the gold annotator's layer); native splits from ``files``.

    ``files``: one entry per split folder (``train: data/train``, ``dev: data/dev``), ``metadata``
    (``data/metadata.tsv``) and optionally ``sourcing`` (the annotated sourcing layer of
    ``options.sourcing_split``; the splits in ``options.silver_splits`` get rule-derived classes).
    """
    split_names = [k for k in files if k not in ("metadata", "sourcing")]
    if not split_names:
        raise DataError("corpus.files names no split folder (e.g. train: data/train)", path=str(root))
    metadata_path = root / files.get("metadata", "data/metadata.tsv")
    if not metadata_path.is_file():
        raise DataError("corpus file not found", path=str(metadata_path))
    metadata = read_metadata(metadata_path, reading.encoding)
    skipped: dict[str, int] = {}
    classes = SourcingClasses.from_options(root, files, options, reading.encoding)
    documents: list[Document] = []
    splits: dict[str, list[str]] = {}
    for split in split_names:
        articles = read_split(root / files[split], encoding=reading.encoding, strict=strict, skipped=skipped)
        if split == classes.annotated_split:
            classes.check_articles(set(articles))
        splits[split] = []
        for article in articles.values():
            document = _document(article, metadata.get(article.id), metadata_path, classes, split, strict, skipped,
                                 reading)
            if document is not None:
                documents.append(document)
                splits[split].append(article.id)
    if classes.annotated_split is not None and classes.annotated_split not in splits:
        raise DataError(f"options.sourcing_split {classes.annotated_split!r} is not a split of corpus.files "
                        f"({', '.join(split_names)})", path=str(classes.path))
    notes = {"gold_rule": "first annotator listed in metadata.tsv (lowest id) with an .ann file", **classes.notes()}
    return LoadResult(documents, splits=splits, skipped={k: v for k, v in skipped.items() if v}, notes=notes)


def _with(span: Span, attributes: dict[str, Any]) -> Span:
    return Span(span.start, span.end, span.label, span.text, span.score, span.native_label,
                {**span.attributes, **attributes})


def _document(article: Article, row: dict[str, str | None] | None, metadata_path: Path, classes: SourcingClasses,
              split: str, strict: bool, skipped: dict[str, int], reading: Reading) -> Document | None:
    """The article's gold layer as a document (None: skipped in lenient mode)."""

    def skip(what: str, error: DataError) -> None:
        if strict:
            raise error
        skipped[what] = skipped.get(what, 0) + 1

    if row is None:
        skip("articles_without_metadata", DataError(f"article {article.id!r} has no row in the metadata",
                                                    path=str(metadata_path)))
        return None
    gold = gold_annotator(article, row.get("annotators"))
    if gold is None:
        skip("articles_without_annotation", DataError("article has no annotation file", path=str(article.path)))
        return None
    check_document_size(article.text, reading, article.path, doc_id=article.id)
    layer = article.layers[gold]
    event_classes = classes.for_split(split, layer, article.text, strict, skipped)
    extra = class_attributes(event_classes)
    spans = [_with(s, extra.get(s.attributes["event"], {})) if s.label in ANCHOR_LABELS else s
             for s in event_spans(article.text, layer)]
    spans += unverified_spans(article.text, layer, event_classes)
    meta = _metadata(article, row, gold)
    meta["sourcing"] = next(iter({c.origin for c in event_classes.values()}), "none")
    return Document(id=article.id, text=article.text, metadata=meta,
                    spans=sorted(spans, key=lambda s: (s.start, s.end, s.label)),
                    sentences=split_sentences(article.text))
