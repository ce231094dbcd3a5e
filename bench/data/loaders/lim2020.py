"""Lim et al. 2020: news articles whose sentences crowd workers rated 1–4 for bias.

The CSV has one row per (worker, article): the worker's rating of the title (``t``) and of
sentences ``s0`` … ``s19`` (columns ``0`` … ``19``). Rows of one ``id_article`` are gathered into one
document: the title, then one sentence per line, each with every worker's rating kept.

A rating of 3 or 4 counts as a worker saying the sentence is biased; the sentence's
``loaded_language`` label is the majority of those votes (a tie is unlabelled, like MBIC's
"No agreement"). Each sentence keeps ``bias_ratings`` (the 1–4 ratings) and
``annotator_votes`` (the binary votes), so the spread of ratings and the disagreement between
workers are available to the evaluation.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.data.loaders._common import check_document_size, csv_rows, require_file
from bench.data.registry import LoadResult, Reading, register_loader
from bench.data.schema import Document, Sentence
from bench.errors import DataError

#: ratings at or above this value are votes for "biased"
BIASED_FROM = 3
SENTENCES = 20
REQUIRED = ("id_event", "event", "id_article", "source", "source_bias", "url", "article_bias", "t", "doctitle",
            *(str(i) for i in range(SENTENCES)), *(f"s{i}" for i in range(SENTENCES)))
_PREFIX = re.compile(r"^\[(\d+)\]:\s*")


def majority(votes: list[int]) -> int | None:
    """1 when most votes say biased, 0 when most say not, None on a tie (no gold)."""
    positive = sum(votes)
    if 2 * positive == len(votes):
        return None
    return int(2 * positive > len(votes))


def _rating(value: str | None, column: str, path: Path, line: int) -> int | None:
    raw = (value or "").strip()
    if not raw:
        return None
    if raw not in ("1", "2", "3", "4"):
        raise DataError(f"column {column!r}: rating {raw!r} is not 1, 2, 3 or 4", path=str(path), line=line)
    return int(raw)


def _sentence_text(value: str | None, index: int, path: Path, line: int) -> str:
    """``"[3]: text"`` -> ``"text"``; the bracketed index must be the column's."""
    raw = (value or "").strip()
    if not raw:
        return ""
    match = _PREFIX.match(raw)
    if not match or int(match.group(1)) != index:
        raise DataError(f"column 's{index}': expected the prefix '[{index}]: ', got {raw[:20]!r}",
                        path=str(path), line=line)
    return " ".join(raw[match.end():].split())


@dataclass
class _Article:
    first_line: int
    meta: dict[str, Any]
    title: str
    sentences: list[str]
    title_ratings: list[int] = field(default_factory=list)
    ratings: list[list[int]] = field(default_factory=list)
    article_ratings: list[int] = field(default_factory=list)
    workers: int = 0


def _outlet(source: str) -> str:
    """``001_Washington Post_1`` -> ``Washington Post``."""
    parts = source.split("_")
    return "_".join(parts[1:-1]) if len(parts) >= 3 else source


def _labels(ratings: list[int]) -> dict[str, Any]:
    votes = [int(r >= BIASED_FROM) for r in ratings]
    return {"loaded_language": majority(votes) if votes else None,
            "annotator_votes": {"loaded_language": votes}, "bias_ratings": ratings}


def _document(article_id: str, article: _Article, path: Path, reading: Reading) -> Document:
    parts = [article.title, *[s for s in article.sentences if s]]
    text = "\n".join(parts)
    check_document_size(text, reading, path, line=article.first_line)
    sentences, offset = [], 0
    rated = [(article.title, article.title_ratings)] + [(s, r) for s, r in zip(article.sentences, article.ratings)
                                                          if s]
    for sentence, ratings in rated:
        sentences.append(Sentence(offset, offset + len(sentence), _labels(ratings)))
        offset += len(sentence) + 1
    spread = [round(statistics.pstdev(r), 4) if r else None for _, r in rated]
    meta = {**article.meta, "annotators": article.workers, "article_bias_ratings": article.article_ratings,
            "rating_spread": spread, "line": article.first_line}
    return Document(f"lim2020-{article_id}", text, meta, [], sentences)


@register_loader("lim2020")
def load_lim2020(root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any],
                 reading: Reading = Reading()) -> LoadResult:
    """``Sora_LREC2020_biasedsentences.csv``: rows of one article gathered into one document."""
    path = require_file(root, files["ratings"])
    skipped: Counter[str] = Counter()

    def skip_or_raise(error: DataError) -> None:
        if strict:
            raise error
        skipped["malformed_rows"] += 1

    rows = csv_rows(path, reading.encoding, on_error=skip_or_raise)
    first = next(rows, None)
    if first is None:
        raise DataError("empty file: expected a header row and rating rows", path=str(path), line=1)
    header = first[1]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DataError(f"missing columns {missing[:5]} (header has {header[:12]})", path=str(path), line=1)
    articles: dict[str, _Article] = {}
    orphan_ratings = 0
    n_rows = 0
    for number, values in rows:
        if not values:
            continue
        row = {name: (values[i] if i < len(values) else None) for i, name in enumerate(header)}
        try:
            article_id = (row["id_article"] or "").strip()
            if not article_id:
                raise DataError("empty id_article", path=str(path), line=number)
            sentences = [_sentence_text(row[f"s{i}"], i, path, number) for i in range(SENTENCES)]
            ratings = [_rating(row[str(i)], str(i), path, number) for i in range(SENTENCES)]
            title_rating = _rating(row["t"], "t", path, number)
            article_rating = _rating(row["article_bias"], "article_bias", path, number)
            title = " ".join((row["doctitle"] or "").split())
            if not title:
                raise DataError("empty doctitle", path=str(path), line=number)
            article = articles.get(article_id)
            if article is None:
                meta = {"article": article_id, "event": (row["event"] or "").strip(),
                        "outlet": _outlet((row["source"] or "").strip()),
                        "leaning": (row["source_bias"] or "").strip(), "url": (row["url"] or "").strip()}
                article = _Article(number, meta, title, sentences, ratings=[[] for _ in range(SENTENCES)])
            elif article.sentences != sentences or article.title != title:
                changed = next((i for i in range(SENTENCES) if article.sentences[i] != sentences[i]), "title")
                raise DataError(f"article {article_id}: sentence {changed} differs from the article's row at line "
                                f"{article.first_line}", path=str(path), line=number)
        except DataError as error:
            skip_or_raise(error)
            continue
        articles[article_id] = article
        n_rows += 1
        article.workers += 1
        if title_rating is not None:
            article.title_ratings.append(title_rating)
        if article_rating is not None:
            article.article_ratings.append(article_rating)
        for i, rating in enumerate(ratings):
            if rating is None:
                continue
            if sentences[i]:
                article.ratings[i].append(rating)
            else:  # a rating of an empty sentence cell: nothing to attach it to
                orphan_ratings += 1
    if not articles:
        raise DataError("header only: no rating rows" if not skipped else "every row was malformed", path=str(path))
    documents = [_document(a, art, path, reading) for a, art in articles.items()]
    notes = {"rows": n_rows, "ratings_without_sentence": orphan_ratings,
             "tied_sentences": sum(s.labels["loaded_language"] is None for d in documents for s in d.sentences)}
    return LoadResult(documents, skipped=dict(skipped), notes=notes)
