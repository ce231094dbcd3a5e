"""Wiki Neutrality Corpus pairs (Pryzant et al. 2020): a biased sentence and its neutralised edit.

``files`` maps each native split to its ``pre`` file (the biased sentences) and ``<split>_neutralised``
to the aligned ``post`` file (line *i* of one is the edit of line *i* of the other). Each pair is kept
as one document of two sentences: the biased one (``loaded_language`` 1) then, on the next line, the
neutralised one (0); ``pair_of`` gives them back as a pair.
The words the edit removed or replaced are ``loaded_language/biased_word`` spans of the biased
sentence (native label ``wnc_edit``): the biased span, as the dataset defines it.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from bench.data.loaders._common import check_document_size, require_file, text_lines
from bench.data.registry import LoadResult, Reading, register_loader
from bench.data.schema import Document, Sentence, Span
from bench.errors import ConfigError, DataError

_TOKEN = re.compile(r"\S+")
#: the files key of a split's neutralised sentences: ``<split>_neutralised``
NEUTRALISED = "_neutralised"


def edit_spans(pre: str, post: str) -> list[tuple[int, int]]:
    """Character spans of ``pre``'s tokens that the edit to ``post`` deleted or replaced (runs merged)."""
    pre_tokens = list(_TOKEN.finditer(pre))
    matcher = difflib.SequenceMatcher(a=[m.group() for m in pre_tokens], b=post.split(), autojunk=False)
    spans = []
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete") and i2 > i1:
            spans.append((pre_tokens[i1].start(), pre_tokens[i2 - 1].end()))
    return spans


def pair_of(doc: Document) -> tuple[str, str]:
    """(biased sentence, neutralised sentence) of a WNC pair document."""
    if len(doc.sentences) != 2:
        raise DataError(f"expected a biased and a neutralised sentence, found {len(doc.sentences)} sentences",
                        doc_id=doc.id)
    return doc.sentence_text(doc.sentences[0]), doc.sentence_text(doc.sentences[1])


def _lines(path: Path, encoding: str) -> list[tuple[int, str]]:
    lines = list(text_lines(path, encoding))
    while lines and not lines[-1][1].strip():  # the final newline
        lines.pop()
    return lines


@register_loader("wnc_pairs")
def load_wnc(root: Path, files: dict[str, str], *, strict: bool, options: dict[str, Any],
             reading: Reading = Reading()) -> LoadResult:
    """Aligned ``pre.<split>`` / ``post.<split>`` files, one tokenised sentence per line."""
    documents, splits, identical = [], {}, 0
    for split, relative in files.items():
        if split.endswith(NEUTRALISED):
            continue
        if f"{split}{NEUTRALISED}" not in files:
            raise ConfigError(f"corpus.files.{split}{NEUTRALISED} is not set: the file of neutralised sentences "
                              f"aligned with corpus.files.{split}")
        pre_path, post_path = require_file(root, relative), require_file(root, files[f"{split}{NEUTRALISED}"])
        pre, post = _lines(pre_path, reading.encoding), _lines(post_path, reading.encoding)
        if len(pre) != len(post):
            raise DataError(f"{len(pre)} biased sentences but {len(post)} neutralised ones in {post_path.name}: "
                            "the files must be aligned line by line", path=str(pre_path))
        ids = []
        for (number, biased), (_, neutral) in zip(pre, post):
            biased, neutral = biased.strip(), neutral.strip()
            if not biased or not neutral:
                raise DataError("empty sentence in a pair", path=str(pre_path if not biased else post_path),
                                line=number)
            text = f"{biased}\n{neutral}"
            check_document_size(text, reading, pre_path, line=number)
            same = biased == neutral
            identical += same
            doc_id = f"wnc-{split}-{number:05d}"
            spans = [Span(s, e, "loaded_language/biased_word", text[s:e], native_label="wnc_edit")
                     for s, e in edit_spans(biased, neutral)]
            sentences = [Sentence(0, len(biased), {"loaded_language": 1}),
                         Sentence(len(biased) + 1, len(text), {"loaded_language": 0})]
            documents.append(Document(doc_id, text, {"native_split": split, "line": number, "identical": same},
                                      spans, sentences))
            ids.append(doc_id)
        if not ids:
            raise DataError(f"no sentence pairs in split {split!r} (empty file)", path=str(pre_path))
        splits[split] = ids
    return LoadResult(documents, splits=splits, notes={"identical_pairs": identical})
