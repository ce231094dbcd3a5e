"""BASIL (Fan et al. 2019): articles with lexical and informational bias spans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.data.loaders._common import (
    UndecodableFile,
    check_document_size,
    gold_file_notes,
    read_text,
    require_int,
)
from bench.data.registry import LoadResult, Reading, register_loader
from bench.data.schema import Document, Sentence, Span
from bench.errors import DataError

LABELS = {"lex": "loaded_language/lexical_bias", "inf": "informational_bias/selective"}


def _read_json(path: Path, encoding: str) -> dict[str, Any]:
    try:
        value = json.loads(read_text(path, encoding))
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON ({exc.msg} at column {exc.colno})", path=str(path), line=exc.lineno) from None
    except RecursionError:
        raise DataError("invalid JSON (nested too deeply)", path=str(path)) from None
    if not isinstance(value, dict):
        raise DataError("expected a JSON object", path=str(path), line=1)
    return value


def _assemble(article: dict[str, Any], path: Path) -> tuple[str, list[Sentence]]:
    """The title, then paragraphs on their own lines, sentences joined by spaces within them."""
    paragraphs = article.get("body-paragraphs")
    if not isinstance(paragraphs, list) or not all(
        isinstance(p, list) and all(isinstance(s, str) for s in p) for p in paragraphs
    ):
        raise DataError("'body-paragraphs' must be a list of paragraphs, each a list of sentence strings",
                        path=str(path))
    title = str(article.get("title") or "").strip()
    text, sentences = "", []
    for p_index, paragraph in enumerate([[title], *paragraphs] if title else paragraphs):
        if p_index:
            text += "\n"
        for s_index, sentence in enumerate(paragraph):
            if s_index:
                text += " "
            sentences.append(Sentence(len(text), len(text) + len(sentence)))
            text += sentence
    return text, [s for s in sentences if s.end > s.start]


@register_loader("basil")
def load_basil(root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any],
               reading: Reading = Reading()) -> LoadResult:
    """BASIL: ``articles/<year>/<n>_<outlet>.json`` with ``annotations/<year>/<n>_<outlet>_ann.json``."""
    articles_dir, annotations_dir = root / files["articles"], root / files["annotations"]
    for folder in (articles_dir, annotations_dir):
        if not folder.is_dir():
            raise DataError("corpus folder not found", path=str(folder))
    documents, skipped = [], {"malformed_files": 0, "articles_without_annotations": 0}
    unlocated, ambiguous = [], 0
    annotation_files: list[Path] = []
    article_paths = sorted(articles_dir.glob("*/*.json"))
    for path in article_paths:
        ann_path = annotations_dir / path.parent.name / f"{path.stem}_ann.json"
        if not ann_path.is_file():
            if strict:
                raise DataError("annotation file not found", path=str(ann_path))
            # no gold for it: skipped and counted, never scored as an article without bias
            skipped["articles_without_annotations"] += 1
            continue
        annotation_files.append(ann_path)
        try:
            article = _read_json(path, reading.encoding)
            annotation = _read_json(ann_path, reading.encoding)
            text, sentences = _assemble(article, path)
            if not text.strip():
                raise DataError("article has no title and no body text", path=str(path))
            check_document_size(text, reading, path)
            spans = []
            phrases = annotation.get("phrase-level-annotations", [])
            if not isinstance(phrases, list):
                raise DataError("'phrase-level-annotations' must be a list", path=str(ann_path))
            level = annotation.get("article-level-annotations", {})
            if not isinstance(level, dict):
                raise DataError("'article-level-annotations' must be an object", path=str(ann_path))
            for item in phrases:
                if not isinstance(item, dict):
                    raise DataError(f"phrase-level annotation {item!r:.40} is not an object", path=str(ann_path))
                bias, txt = item.get("bias"), str(item.get("txt", ""))
                if bias not in LABELS:
                    raise DataError(f"phrase {item.get('id')!r} has bias {bias!r}, expected lex or inf",
                                    path=str(ann_path))
                start = require_int(item["start"], f"phrase {item.get('id')!r} 'start'")
                end = require_int(item["end"], f"phrase {item.get('id')!r} 'end'")
                # offsets are within one sentence; the title is annotated with id "title"
                candidates = sentences[:1] if item.get("id") == "title" else sentences
                hits = [s for s in candidates if s.start + end <= s.end and text[s.start + start : s.start + end] == txt]
                if not hits and item.get("id") == "title":
                    hits = [s for s in sentences if s.start + end <= s.end and text[s.start + start : s.start + end] == txt]
                if not hits:
                    unlocated.append(f"{path.stem}:{item.get('id')}")
                    continue
                ambiguous += len(hits) > 1
                base = hits[0].start
                spans.append(Span(base + start, base + end, LABELS[bias], txt, native_label=bias,
                                  attributes={k: item.get(k) for k in ("target", "polarity", "aim", "quote", "speaker")}))
        except (DataError, KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, UndecodableFile) or (strict and isinstance(exc, DataError)):
                raise
            if strict:
                raise DataError(f"malformed entry ({type(exc).__name__}: {exc})", path=str(ann_path)) from None
            skipped["malformed_files"] += 1
            continue
        documents.append(Document(
            id=path.stem, text=text, spans=spans, sentences=sentences,
            metadata={"outlet": article.get("source"), "event": article.get("triplet-uuid"),
                      "main_event": article.get("main-event"), "date": article.get("date"),
                      "url": article.get("url"), "title": article.get("title"),
                      "relative_stance": level.get("relative_stance")},
        ))
    if not article_paths:
        raise DataError("no article JSON files found (expected <year>/<name>.json)", path=str(articles_dir))
    notes = {"unlocated_spans": len(unlocated), "unlocated_examples": unlocated[:10],
             "spans_matching_several_sentences": ambiguous,
             **gold_file_notes(root, annotations_dir, "<year>/<article>_ann.json", annotation_files,
                               len(article_paths))}
    return LoadResult(documents, skipped={k: v for k, v in skipped.items() if v}, notes=notes)
