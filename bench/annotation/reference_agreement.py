"""Agreement between annotation passes of the reference article, and its adjudicated gold.

``python -m bench.annotation.reference_agreement`` compares the two independent passes in
``corpora/reference/annotation/`` (``pass1.jsonl``, ``pass2.jsonl``) and prints, per category, span
P/R/F1 with exact offsets and label and with SemEval-2020 Task 11 overlap credit (pass 2 scored
against pass 1; F1 is symmetric), Cohen's kappa on token-level span labels and on sentence
sentiment, and every disagreement. ``--final`` adds each pass against the gold in
``documents.jsonl``; ``--check`` verifies that gold is exactly the passes' agreement plus the
recorded decisions (``adjudication.jsonl``), and ``--write`` writes it so.

A pass file holds one JSON object per line: ``{"start", "end", "label", "text"}`` for a span (its
``text`` must be the document's text at the offsets) or ``{"sentence_no", "sentiment"}`` for the
sentiment of the harness's n-th sentence (``bench.data.sentences.split_sentences``). A decision
covers a ``region`` ``[start, end)`` (spans of either pass inside it) or a ``sentence_no``, lists
what each pass had there and the ``final`` gold, and gives the guideline ``rule`` and ``reason``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from sklearn.metrics import cohen_kappa_score

from bench.cli.errors import fail
from bench.config import corpora_dir
from bench.data.loaders._common import json_object_lines, text_lines
from bench.data.schema import SENTIMENT_CLASSES, Document
from bench.errors import DataError
from bench.metrics.spans import exact_counts, exact_from_counts, overlap_from_sums, overlap_sums

CATEGORIES = ("loaded_language", "unverified_source")
Labelled = tuple[int, int, str]
_TOKEN = re.compile(r"\w+")


@dataclass
class Pass:
    """One annotation of the document: spans ``(start, end, label)`` and sentiment per sentence."""

    name: str
    spans: list[Labelled]
    sentiment: list[str | None]
    reasons: dict[Any, str] = field(default_factory=dict)


def _folder() -> Path:
    return corpora_dir() / "reference"


def reference_document(path: Path | None = None) -> Document:
    """The reference article as the corpus loads it (its gold is the adjudicated pass)."""
    from bench.config import corpus_config
    from bench.data.load import load_corpus

    cfg = corpus_config("reference")
    if path is not None:
        cfg.root, cfg.files = str(path.parent), {"documents": path.name}
    return load_corpus(cfg).documents[0]


def _int(value: Any, what: str, where: tuple[str, int]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataError(f"{what} must be an integer, got {value!r}", path=where[0], line=where[1])
    return value


def _span(item: dict[str, Any], doc: Document, where: tuple[str, int]) -> Labelled:
    start, end = _int(item.get("start"), "start", where), _int(item.get("end"), "end", where)
    label = item.get("label")
    if not 0 <= start < end <= len(doc.text):
        raise DataError(f"span [{start}, {end}) is outside the text (length {len(doc.text)})", path=where[0],
                        line=where[1])
    if not isinstance(label, str) or label.split("/", 1)[0] not in CATEGORIES or "/" not in label:
        raise DataError(f"label {label!r} is not <category>/<sub_label> with a category of {CATEGORIES}",
                        path=where[0], line=where[1])
    if "text" in item and item["text"] != doc.text[start:end]:
        raise DataError(f"text {item['text']!r} is not the document's text at [{start}, {end}) "
                        f"({doc.text[start:end]!r})", path=where[0], line=where[1])
    return start, end, label


def _sentiment(value: Any, where: tuple[str, int]) -> str:
    if value not in SENTIMENT_CLASSES:
        raise DataError(f"sentiment {value!r} is not one of {list(SENTIMENT_CLASSES)}", path=where[0], line=where[1])
    return str(value)


def _json_lines(path: Path) -> list[tuple[tuple[str, int], dict[str, Any]]]:
    return [((str(path), number), item) for number, item in json_object_lines(path)]


def read_pass(path: Path, doc: Document, name: str | None = None) -> Pass:
    """A pass file (see the module docstring); every sentence needs a sentiment."""
    if not path.is_file():
        raise DataError("annotation pass not found", path=str(path))
    spans: list[Labelled] = []
    sentiment: list[str | None] = [None] * len(doc.sentences)
    reasons: dict[Any, str] = {}
    for where, item in _json_lines(path):
        if "sentence_no" in item:
            number = _int(item["sentence_no"], "sentence_no", where)
            if not 0 <= number < len(doc.sentences):
                raise DataError(f"sentence_no {number} is not one of the {len(doc.sentences)} sentences",
                                path=where[0], line=where[1])
            sentiment[number] = _sentiment(item.get("sentiment"), where)
            reasons[number] = str(item.get("reason", ""))
        else:
            span = _span(item, doc, where)
            spans.append(span)
            reasons[span] = str(item.get("reason", ""))
    missing = [i for i, s in enumerate(sentiment) if s is None]
    if missing:
        raise DataError(f"no sentiment for sentences {missing}", path=str(path))
    return Pass(name or path.stem, sorted(set(spans)), sentiment, reasons)


def gold_pass(doc: Document, name: str = "final") -> Pass:
    """The gold the corpus holds, as a pass."""
    return Pass(name, sorted((s.start, s.end, s.label) for s in doc.spans if s.category in CATEGORIES),
                [s.labels.get("sentiment") for s in doc.sentences])


# ------------------------------------------------------------------------------ agreement
def _kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa; NaN when both raters used one and the same label throughout."""
    if len(set(a) | set(b)) < 2:
        return float("nan")
    return float(cohen_kappa_score(a, b))


def token_labels(doc: Document, spans: Sequence[Labelled], category: str | None) -> list[str]:
    """Each word token of the article body (before the credit notice) labelled with the sub-label
    of the span covering it (``O`` if none); ``category`` None: full labels over both categories."""
    end = int(doc.metadata.get("credit_notice_start") or len(doc.text))
    chosen = [s for s in spans if category is None or s[2].split("/", 1)[0] == category]
    out = []
    for token in _TOKEN.finditer(doc.text, 0, end):
        labels = sorted({label if category is None else label.split("/", 1)[1]
                         for s, e, label in chosen if s < token.end() and token.start() < e})
        out.append("+".join(labels) or "O")
    return out


def span_agreement(first: Pass, second: Pass, doc: Document) -> dict[str, dict[str, float]]:
    """Per category and over both: exact (offsets and label) and overlap P/R/F1 of ``second``
    against ``first``, token-level kappa on sub-labels and on in-span/out."""
    out = {}
    for category in (*CATEGORIES, None):
        a = [s for s in first.spans if category is None or s[2].startswith(category + "/")]
        b = [s for s in second.spans if category is None or s[2].startswith(category + "/")]
        exact = exact_from_counts(_rows([exact_counts(b, a)]))  # type: ignore[arg-type]
        overlap = overlap_from_sums(_rows([overlap_sums([(s, e) for s, e, _ in b], [(s, e) for s, e, _ in a])]))
        tokens_a, tokens_b = token_labels(doc, a, category), token_labels(doc, b, category)
        out[category or "all"] = {
            "spans_first": float(len(a)), "spans_second": float(len(b)),
            "exact.precision": exact["precision"], "exact.recall": exact["recall"], "exact.f1": exact["f1"],
            "overlap.precision": overlap["precision"], "overlap.recall": overlap["recall"],
            "overlap.f1": overlap["f1"],
            "token_kappa": _kappa(tokens_a, tokens_b),
            "token_kappa_binary": _kappa(["O" if t == "O" else "I" for t in tokens_a],
                                         ["O" if t == "O" else "I" for t in tokens_b]),
            "tokens": float(len(tokens_a)),
        }
    return out


def _rows(rows: list[tuple[float, ...]]) -> np.ndarray:
    return np.asarray(rows, dtype=float)


_EXAMPLE = re.compile(r"\*([^*\n]+)\*|`([^`\n]+)`")


def guideline_examples(path: Path) -> set[str]:
    """The example phrases of a guideline (its *italic* and `code` stretches), lower-cased."""
    text = path.read_text(encoding="utf-8")
    return {(a or b).strip().lower() for a, b in _EXAMPLE.findall(text)}


def without_examples(annotation: Pass, doc: Document, examples: set[str]) -> Pass:
    """The pass without the spans whose text the guideline gives as an example: agreement on
    them measures whether annotators read the guideline, not whether they agree."""
    kept = [s for s in annotation.spans if doc.text[s[0]:s[1]].lower() not in examples]
    return Pass(annotation.name, kept, annotation.sentiment)


def sentiment_agreement(first: Pass, second: Pass) -> dict[str, float]:
    a, b = [str(s) for s in first.sentiment], [str(s) for s in second.sentiment]
    same = sum(x == y for x, y in zip(a, b))
    return {"sentences": float(len(a)), "agreement": same / len(a) if a else float("nan"), "kappa": _kappa(a, b)}


def span_disagreements(first: Pass, second: Pass) -> list[dict[str, Any]]:
    """Clusters of overlapping spans that are not in both passes, with what each pass has there."""
    only = sorted(set(first.spans) ^ set(second.spans))
    clusters: list[list[Labelled]] = []
    for span in only:
        if clusters and span[0] < max(e for _, e, _ in clusters[-1]):
            clusters[-1].append(span)
        else:
            clusters.append([span])
    out = []
    for cluster in clusters:
        lo, hi = min(s for s, _, _ in cluster), max(e for _, e, _ in cluster)
        out.append({"region": [lo, hi], **{p.name: sorted(s for s in p.spans if lo <= s[0] and s[1] <= hi)
                                           for p in (first, second)}})
    return out


def sentence_disagreements(first: Pass, second: Pass) -> list[dict[str, Any]]:
    return [{"sentence_no": i, first.name: a, second.name: b}
            for i, (a, b) in enumerate(zip(first.sentiment, second.sentiment)) if a != b]


# ------------------------------------------------------------------------------ adjudication
@dataclass(frozen=True)
class Decision:
    kind: str  # span | sentence
    key: Any  # (start, end) region or sentence number
    first: Any
    second: Any
    final: Any
    rule: str
    reason: str
    disputed: bool


def read_decisions(path: Path, doc: Document, sides: tuple[str, str] = ("pass1", "pass2")) -> list[Decision]:
    """``adjudication.jsonl``: one decision per line (see the module docstring); ``sides`` names the keys
    that record what the two adjudicated passes had (``pass1``/``pass2``, or ``pass4``/``pass5``)."""
    if not path.is_file():
        raise DataError("adjudication file not found", path=str(path))
    decisions = []
    for where, item in _json_lines(path):
        rule, reason = str(item.get("rule", "")).strip(), str(item.get("reason", "")).strip()
        if not rule or not reason:
            raise DataError("a decision needs its guideline rule and its reason", path=where[0], line=where[1])
        if item.get("kind") == "span":
            region = item.get("region")
            if not (isinstance(region, list) and len(region) == 2):
                raise DataError("region must be [start, end]", path=where[0], line=where[1])
            lo, hi = _int(region[0], "region start", where), _int(region[1], "region end", where)
            recorded = []
            for side in (*sides, "final"):
                spans = [_span(s, doc, where) for s in item.get(side) or []]
                if any(not (lo <= s and e <= hi) for s, e, _ in spans):
                    raise DataError(f"a {side} span lies outside the region [{lo}, {hi})", path=where[0], line=where[1])
                recorded.append(tuple(sorted(spans)))
            decisions.append(Decision("span", (lo, hi), *recorded, rule, reason, bool(item.get("disputed"))))
        elif item.get("kind") == "sentence":
            number = _int(item.get("sentence_no"), "sentence_no", where)
            values = [_sentiment(item.get(side), where) for side in (*sides, "final")]
            decisions.append(Decision("sentence", number, *values, rule, reason, bool(item.get("disputed"))))
        else:
            raise DataError(f"kind {item.get('kind')!r} is not span or sentence", path=where[0], line=where[1])
    return decisions


def adjudicate(first: Pass, second: Pass, decisions: Sequence[Decision]) -> Pass:
    """The final gold: what both passes agree on, except where a decision rules; a DataError for a
    disagreement no decision covers, or a decision whose record of a pass does not match it."""
    regions = [d for d in decisions if d.kind == "span"]

    def decided(span: Labelled) -> bool:
        return any(d.key[0] <= span[0] and span[1] <= d.key[1] for d in regions)

    for d in regions:
        for name, recorded, actual in ((first.name, d.first, first), (second.name, d.second, second)):
            there = tuple(sorted(s for s in actual.spans if d.key[0] <= s[0] and s[1] <= d.key[1]))
            if there != recorded:
                raise DataError(f"the decision on region {list(d.key)} records {name} as {list(recorded)}, "
                                f"but {name} has {list(there)} there")
    undecided = [s for s in set(first.spans) ^ set(second.spans) if not decided(s)]
    if undecided:
        raise DataError(f"span disagreements without a decision: {sorted(undecided)}")
    spans = {s for s in set(first.spans) & set(second.spans) if not decided(s)}
    for d in regions:
        spans.update(d.final)
    by_sentence = {d.key: d for d in decisions if d.kind == "sentence"}
    sentiment = []
    for i, (a, b) in enumerate(zip(first.sentiment, second.sentiment)):
        if i in by_sentence:
            d = by_sentence[i]
            if (d.first, d.second) != (a, b):
                raise DataError(f"the decision on sentence {i} records ({d.first}, {d.second}), the passes say "
                                f"({a}, {b})")
            sentiment.append(d.final)
        elif a != b:
            raise DataError(f"sentence {i}: pass sentiments {a} and {b} differ and no decision covers them")
        else:
            sentiment.append(a)
    return Pass("final", sorted(spans), sentiment)


def write_gold(final: Pass, doc: Document, path: Path) -> None:
    """Replace the spans and sentence labels of the document in ``path`` (one JSON line) by ``final``."""
    lines = [line for _, line in text_lines(path) if line.strip()]
    if len(lines) != 1:
        raise DataError(f"expected one document, found {len(lines)}", path=str(path))
    record = json.loads(lines[0])
    record["spans"] = [{"start": s, "end": e, "label": label, "text": doc.text[s:e]} for s, e, label in final.spans]
    record["sentence_labels"] = [{"start": s.start, "end": s.end, "sentiment": value}
                                 for s, value in zip(doc.sentences, final.sentiment)]
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------ report
def _fmt(value: float) -> str:
    return "–" if value != value else f"{value:.3f}"


def markdown(first: Pass, second: Pass, doc: Document, finals: Sequence[Pass] = ()) -> str:
    lines = [f"Span agreement, {second.name} against {first.name} (F1 is symmetric); token kappa over "
             f"{int(span_agreement(first, second, doc)['all']['tokens'])} word tokens of the article body",
             "", "| compared | category | spans | exact P | exact R | exact F1 | overlap F1 | token κ (sub-labels) "
             "| token κ (in span) |", "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for a, b in [(first, second), *[(p, f) for f in finals for p in (first, second)]]:
        for category, m in span_agreement(a, b, doc).items():
            lines.append(f"| {b.name} vs {a.name} | {category} | {int(m['spans_first'])} / {int(m['spans_second'])} | "
                         f"{_fmt(m['exact.precision'])} | {_fmt(m['exact.recall'])} | {_fmt(m['exact.f1'])} | "
                         f"{_fmt(m['overlap.f1'])} | {_fmt(m['token_kappa'])} | {_fmt(m['token_kappa_binary'])} |")
    lines += ["", "| compared | sentences | agreement | Cohen's κ (sentiment) |", "|---|---:|---:|---:|"]
    for a, b in [(first, second), *[(p, f) for f in finals for p in (first, second)]]:
        m = sentiment_agreement(a, b)
        lines.append(f"| {b.name} vs {a.name} | {int(m['sentences'])} | {_fmt(m['agreement'])} | {_fmt(m['kappa'])} |")
    lines += ["", f"Disagreements between {first.name} and {second.name}:", ""]
    for item in span_disagreements(first, second):
        lo, hi = item["region"]
        show = {name: ", ".join(f"{doc.text[s:e]!r} {label}" for s, e, label in item[name]) or "–"
                for name in (first.name, second.name)}
        lines.append(f"- span [{lo}, {hi}): {first.name}: {show[first.name]}; {second.name}: {show[second.name]}")
    for item in sentence_disagreements(first, second):
        lines.append(f"- sentence {item['sentence_no']}: {first.name}: {item[first.name]}; "
                     f"{second.name}: {item[second.name]}")
    return "\n".join(lines)


def decisions_markdown(decisions: Sequence[Decision], doc: Document, sides: tuple[str, str] = ("pass 1", "pass 2")
                       ) -> str:
    """The decisions as a table: what each pass had, the final gold, the guideline rule and the reason."""
    def show(value: Any) -> str:
        if isinstance(value, tuple):
            return "<br>".join(f"`{doc.text[s:e]}` {label.split('/', 1)[1]}" for s, e, label in value) or "–"
        return str(value)

    lines = [f"| # | item | {sides[0]} | {sides[1]} | final | disputed | rule | reason |",
             "|---|---|---|---|---|---|---|---|"]
    for number, d in enumerate(decisions, start=1):
        if d.kind == "span":
            item = f"span [{d.key[0]}, {d.key[1]}) “{doc.text[d.key[0]:d.key[1]]}”"
        else:
            item = f"sentence {d.key}: “{doc.sentence_text(doc.sentences[d.key])[:60]}…”"
        lines.append(f"| {number} | {item} | {show(d.first)} | {show(d.second)} | {show(d.final)} | "
                     f"{'yes' if d.disputed else 'no'} | {d.rule} | {d.reason} |")
    return "\n".join(lines)


def summary(first: Pass, second: Pass, doc: Document, finals: Sequence[Pass] = ()) -> dict[str, Any]:
    pairs = [(first, second), *[(p, f) for f in finals for p in (first, second)]]
    return {f"{b.name}_vs_{a.name}": {"spans": span_agreement(a, b, doc), "sentiment": sentiment_agreement(a, b)}
            for a, b in pairs} | {"disagreements": {"spans": span_disagreements(first, second),
                                                    "sentences": sentence_disagreements(first, second)},
                                 "labels": dict(Counter(label for _, _, label in first.spans + second.spans))}


def main(argv: list[str] | None = None) -> None:
    folder = _folder()
    parser = argparse.ArgumentParser(prog="python -m bench.annotation.reference_agreement", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--first", type=Path, default=folder / "annotation" / "pass1.jsonl")
    parser.add_argument("--second", type=Path, default=folder / "annotation" / "pass2.jsonl")
    parser.add_argument("--adjudication", type=Path, default=folder / "annotation" / "adjudication.jsonl")
    parser.add_argument("--gold", type=Path, default=folder / "documents.jsonl")
    parser.add_argument("--final", action="store_true", help="also compare each pass with the gold")
    parser.add_argument("--check", action="store_true", help="the gold must equal the adjudicated passes")
    parser.add_argument("--write", action="store_true", help="write the adjudicated passes as the gold")
    parser.add_argument("--decisions", action="store_true", help="print the adjudication decisions as a table")
    parser.add_argument("--examples", type=Path, default=None, metavar="GUIDELINE",
                        help="also report span agreement without the spans this guideline quotes as examples")
    parser.add_argument("--blind", action="store_true",
                        help="the blind passes 4 and 5 (made from the guideline and the article alone) and their "
                             "re-adjudication (annotation/adjudication_blind.jsonl) instead of passes 1 and 2")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    names = ("pass1", "pass2")
    if args.blind:
        names = ("pass4", "pass5")
        args.first, args.second = folder / "annotation" / "pass4.jsonl", folder / "annotation" / "pass5.jsonl"
        args.adjudication = folder / "annotation" / "adjudication_blind.jsonl"
        if args.write:
            parser.error("--write takes passes 1 and 2; --blind --check verifies that the blind passes give the same gold")
    try:
        doc = reference_document(args.gold)
        first, second = read_pass(args.first, doc, names[0]), read_pass(args.second, doc, names[1])
        finals: list[Pass] = []
        if args.check or args.write:
            adjudicated = adjudicate(first, second, read_decisions(args.adjudication, doc, names))
            if args.write:
                write_gold(adjudicated, doc, args.gold)
                doc = reference_document(args.gold)  # reloaded: validated by the corpus loader
            gold = gold_pass(doc)
            if (gold.spans, gold.sentiment) != (adjudicated.spans, adjudicated.sentiment):
                raise DataError("the gold is not the adjudicated passes (run with --write)", path=str(args.gold))
        if args.final or args.check or args.write:
            finals.append(gold_pass(doc))
        if args.decisions:
            print(decisions_markdown(read_decisions(args.adjudication, doc, names), doc,
                                     tuple(n.replace("pass", "pass ") for n in names)))
            return
    except Exception as exc:
        fail(exc, args.verbose, "--verbose for a traceback")
    if args.format == "json":
        print(json.dumps(summary(first, second, doc, finals), indent=2, default=str))
    else:
        print(markdown(first, second, doc, finals))
    if args.examples is not None:
        examples = guideline_examples(args.examples)
        a, b = without_examples(first, doc, examples), without_examples(second, doc, examples)
        figures = span_agreement(a, b, doc)
        if args.format == "json":
            print(json.dumps({"without_guideline_examples": figures}, indent=2))
        else:
            print(f"\nWithout the spans {args.examples} quotes as examples:\n")
            print("| category | spans | exact F1 | overlap F1 | token κ (in span) |\n|---|---|---:|---:|---:|")
            for category, m in figures.items():
                print(f"| {category} | {int(m['spans_first'])} / {int(m['spans_second'])} | {_fmt(m['exact.f1'])} | "
                      f"{_fmt(m['overlap.f1'])} | {_fmt(m['token_kappa_binary'])} |")


if __name__ == "__main__":
    main(sys.argv[1:])
