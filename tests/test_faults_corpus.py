"""Every bad corpus input is one clear error line naming the file (and line), in every format read.

Each case builds a small bad file in tmp_path in one loader's raw format and loads it through
``load_corpus`` with that corpus's own config (root replaced), so no public data is needed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from omegaconf import DictConfig

from bench.config import corpus_config
from bench.data.load import check_reference_root, load_corpus
from bench.data.sentences import split_sentences
from bench.errors import BenchError, ConfigError, DataError

# ---------------------------------------------------------------------------- file builders

GOOD_DOC = {"id": "d1", "text": "The dictator spoke. Nobody listened.",
            "spans": [{"start": 4, "end": 12, "label": "loaded_language/name_calling", "text": "dictator"}]}
BABE_HEADER = "text;news_link;outlet;topic;type;label_bias;label_opinion;biased_words"
BABE_ROW = 'The senator\'s outrageous scheme collapsed.;https://x.example/a;Outlet;topic;left;Biased;' \
           'Entirely factual;"[\'outrageous\']"'
MBIC_HEADER = ["text", "news_link", "outlet", "topic", "type", "label_bias", "label_opinion", "biased_words"]
MBIC_ROW = ["The senator's outrageous scheme collapsed.", "https://x.example/a", "Outlet", "topic", "left",
            "Biased", "Entirely factual", "['outrageous']"]
PTC_ARTICLE = "A title\n\nThe dictator spoke again.\nNobody listened to him.\n"
BASIL_ARTICLE = {"title": "A title", "body-paragraphs": [["The dictator spoke.", "Nobody listened."]],
                 "source": "fox", "triplet-uuid": "e1"}
BASIL_ANN = {"article-level-annotations": {"relative_stance": "center"},
             "phrase-level-annotations": [{"id": "p0", "bias": "lex", "start": 4, "end": 12, "txt": "dictator"}]}
NEWSMTSC_LINE = {"primary_gid": "allsides_1_2_3", "sentence_normalized": "Winner wrote a letter.",
                 "targets": [{"from": 0, "to": 6, "mention": "Winner", "polarity": 4.0}]}
SZEGED_DOC = ('<Document><DocID>A_1</DocID><DocumentPart type="Text"><Sentence id="S1">It is '
              '<ccue type="speculation_modal_probable_">probably</ccue> true.</Sentence></DocumentPart></Document>')


def _write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    return path


def _config(config_name: str, tmp: Path, **settings: Any) -> DictConfig:
    """The corpus's own config with its root in ``tmp`` and ``settings`` replaced."""
    cfg = corpus_config(config_name)
    cfg.root = str(tmp)
    for key, value in settings.items():
        cfg[key] = value
    return cfg


def jsonl(tmp: Path, lines: list[str | dict] | bytes, **settings: Any) -> DictConfig:
    body = lines if isinstance(lines, bytes) else "".join(
        (x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines)
    _write(tmp / "documents.jsonl", body)
    return _config("jsonl", tmp, name="mine", **settings)


def doc(**changes: Any) -> dict:
    out = json.loads(json.dumps(GOOD_DOC))
    out.update(changes)
    return out


def span(**changes: Any) -> dict:
    return doc(spans=[{**GOOD_DOC["spans"][0], **changes}])


def babe(tmp: Path, body: str | bytes, **settings: Any) -> DictConfig:
    _write(tmp / "data" / "final_labels_SG2.csv", body)
    return _config("babe", tmp, **settings)


def conll(tmp: Path, body: str | bytes, **settings: Any) -> DictConfig:
    _write(tmp / "uncertainty-conll2010.csv", body)
    return _config("conll2010", tmp, **settings)


def _workbook(path: Path, rows: list[list[Any]], sheet: str = "Sheet1") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    book.save(path)


def mbic(tmp: Path, rows: list[list[Any]] | bytes, raw_sheet: str = "annotations", **settings: Any) -> DictConfig:
    final = tmp / "data" / "final_labels_MBIC.xlsx"
    if isinstance(rows, bytes):
        _write(final, rows)
    else:
        _workbook(final, rows)
    _workbook(tmp / "data" / "raw_labels_MBIC.xlsx", [["text", "label_bias"], [MBIC_ROW[0], "Biased"]], raw_sheet)
    return _config("mbic", tmp, **settings)


def ptc(tmp: Path, article: str | bytes = PTC_ARTICLE, labels: str | bytes = "", **settings: Any) -> DictConfig:
    _write(tmp / "train-articles" / "article1.txt", article)
    _write(tmp / "train-labels-task2-technique-classification" / "article1.task2-TC.labels", labels)
    return _config("ptc", tmp, **settings)


def basil(tmp: Path, article: dict | str | bytes = BASIL_ARTICLE, annotation: dict | str | bytes = BASIL_ANN,
          **settings: Any) -> DictConfig:
    def dump(value: dict | str | bytes) -> str | bytes:
        return json.dumps(value, indent=1) if isinstance(value, dict) else value

    _write(tmp / "articles" / "2010" / "1_fox.json", dump(article))
    _write(tmp / "annotations" / "2010" / "1_fox_ann.json", dump(annotation))
    return _config("basil", tmp, **settings)


def newsmtsc(tmp: Path, train: list[str | dict] | bytes, **settings: Any) -> DictConfig:
    good = json.dumps(NEWSMTSC_LINE) + "\n"
    body = train if isinstance(train, bytes) else "".join(
        (x if isinstance(x, str) else json.dumps(x)) + "\n" for x in train)
    _write(tmp / "train.jsonl", body)
    _write(tmp / "devtest_mt.jsonl", good)
    _write(tmp / "devtest_rw.jsonl", good)
    return _config("newsmtsc", tmp, **settings)


def target(**changes: Any) -> dict:
    return {**NEWSMTSC_LINE, "targets": [{**NEWSMTSC_LINE["targets"][0], **changes}]}


def szeged(tmp: Path, body: str | bytes, **settings: Any) -> DictConfig:
    _write(tmp / "wiki.xml", body)
    return _config("szeged", tmp, **settings)


def xml(*documents: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Annotation><DocumentSet>\n'
            + "\n".join(documents) + "\n</DocumentSet></Annotation>\n")


# ---------------------------------------------------------------------------- the cases


@dataclass
class Case:
    build: Callable[[Path], DictConfig]
    phrase: str  # expected in the message (a regular expression)
    file: str  # the file named, with ":line" where the format has lines
    strict: bool = True
    error: type[BenchError] = DataError


LATIN1_LINE = doc(id="d2", text="Un café noir.")
BIG = "x" * 200_000  # beyond csv.field_size_limit (131,072)

CASES: dict[str, Case] = {
    # --- the harness's JSONL (reference and custom corpora)
    "jsonl-latin1": Case(lambda t: jsonl(t, json.dumps(GOOD_DOC).encode() + b"\n"
                                         + json.dumps(LATIN1_LINE, ensure_ascii=False).encode("latin-1")),
                         r"not valid utf-8 text at byte offset \d+ \(0xe9", "documents.jsonl:2"),
    "jsonl-latin1-lenient": Case(lambda t: jsonl(t, json.dumps(LATIN1_LINE, ensure_ascii=False).encode("latin-1")),
                                 r"not valid utf-8 text at byte offset 28 ", "documents.jsonl:1", strict=False),
    "jsonl-utf16": Case(lambda t: jsonl(t, (json.dumps(GOOD_DOC) + "\n").encode("utf-16")),
                        r"byte offset 0 \(0xff: invalid start byte\).*corpus.encoding", "documents.jsonl:1"),
    "jsonl-utf16-no-bom": Case(lambda t: jsonl(t, (json.dumps(GOOD_DOC) + "\n").encode("utf-16-le")),
                               r"NUL byte at byte offset 1: .*corpus.encoding=utf-16", "documents.jsonl:1",
                               strict=False),
    "jsonl-stray-ff": Case(lambda t: jsonl(t, b"\n".join([json.dumps(GOOD_DOC).encode()] * 2
                                                         + [b'{"id": "d3", "text": "ab\xffcd"}'])),
                           r"byte offset 340 \(0xff", "documents.jsonl:3"),
    "jsonl-empty-file": Case(lambda t: jsonl(t, b""), r"corpus 'mine' has no documents", "documents.jsonl"),
    "jsonl-blank-lines": Case(lambda t: jsonl(t, b"\n  \n\n"), r"has no documents", "documents.jsonl", strict=False),
    "jsonl-empty-text": Case(lambda t: jsonl(t, [doc(text="  ", spans=[])]), r"field 'text' is empty",
                             "documents.jsonl:1"),
    "jsonl-all-empty-lenient": Case(lambda t: jsonl(t, [doc(text="", spans=[]), doc(id="d2", text="\n", spans=[])]),
                                    r"no documents: every one was skipped \(malformed_lines 2\)", "documents.jsonl",
                                    strict=False),
    "jsonl-metadata-list": Case(lambda t: jsonl(t, [doc(metadata=[["outlet", "x"]])]),
                                r"field 'metadata' must be a JSON object, got list", "documents.jsonl:1"),
    "jsonl-metadata-string": Case(lambda t: jsonl(t, [GOOD_DOC, doc(id="d2", metadata="fox")]),
                                  r"document 'd2': field 'metadata' must be a JSON object, got str",
                                  "documents.jsonl:2"),
    "jsonl-float-offset": Case(lambda t: jsonl(t, [span(start=4.0, end=62.7)]),
                               r"span #0 'start' must be an integer, got 4.0", "documents.jsonl:1"),
    "jsonl-float-end": Case(lambda t: jsonl(t, [span(end=12.5)]), r"span #0 'end' must be an integer, got 12.5",
                            "documents.jsonl:1"),
    "jsonl-bool-offset": Case(lambda t: jsonl(t, [span(start=True)]), r"'start' must be an integer, got True",
                              "documents.jsonl:1"),
    "jsonl-string-offset": Case(lambda t: jsonl(t, [span(start="4")]), r"'start' must be an integer, got '4'",
                                "documents.jsonl:1"),
    "jsonl-spans-object": Case(lambda t: jsonl(t, [doc(spans={"start": 4})]),
                               r"field 'spans' must be a JSON array", "documents.jsonl:1"),
    "jsonl-span-not-object": Case(lambda t: jsonl(t, [doc(spans=[[4, 12]])]), r"span #0 must be a JSON object",
                                  "documents.jsonl:1"),
    "jsonl-span-no-label": Case(lambda t: jsonl(t, [doc(spans=[{"start": 4, "end": 12}])]),
                                r"span #0 needs a string 'label'", "documents.jsonl:1"),
    "jsonl-array-line": Case(lambda t: jsonl(t, [GOOD_DOC, "[1, 2]"]), r"must hold one JSON object, got list",
                             "documents.jsonl:2"),
    "jsonl-invalid-json": Case(lambda t: jsonl(t, ['{"id": "d1", "text": ']), r"invalid JSON", "documents.jsonl:1"),
    "jsonl-id-number": Case(lambda t: jsonl(t, [doc(id=7)]), r"field 'id' is missing or not a string",
                            "documents.jsonl:1"),
    "jsonl-sentences-float": Case(lambda t: jsonl(t, [doc(sentences=[[0, 19.5]])]),
                                  r"sentences #0 must be a pair of integers", "documents.jsonl:1"),
    "jsonl-sentences-overlap": Case(lambda t: jsonl(t, [doc(sentences=[[0, 19], [10, 36]])]),
                                    r"sentences #1 \[10, 36\] starts before the previous sentence ends",
                                    "documents.jsonl:1"),
    "jsonl-sentences-outside": Case(lambda t: jsonl(t, [doc(sentences=[[0, 99]])]),
                                    r"sentences #0 \[0, 99\] is empty or outside the text \(length 36\)",
                                    "documents.jsonl:1"),
    "jsonl-sentences-empty-pair": Case(lambda t: jsonl(t, [doc(sentences=[[5, 5]])]), r"sentences #0 .* empty",
                                       "documents.jsonl:1"),
    "jsonl-sentences-object": Case(lambda t: jsonl(t, [doc(sentences={"0": [0, 19]})]),
                                   r"field 'sentences' must be a JSON array", "documents.jsonl:1"),
    "jsonl-sentence-labels-mismatch": Case(
        lambda t: jsonl(t, [doc(sentences=[[0, 19]],
                                sentence_labels=[{"start": 20, "end": 36, "sentiment": "neutral"}])]),
        r"sentence_labels #0 \[20:36\] is not a sentence of the document", "documents.jsonl:1"),
    "jsonl-too-long": Case(lambda t: jsonl(t, [doc(text="word " * 30, spans=[])], max_document_chars=100),
                           r"150 characters, more than corpus.max_document_chars=100", "documents.jsonl:1"),
    # --- BABE (semicolon CSV)
    "babe-latin1": Case(lambda t: babe(t, f"{BABE_HEADER}\n{BABE_ROW}\nUn café noir.;u;o;t;l;Biased;;[]\n"
                                       .encode("latin-1")), r"not valid utf-8 text at byte offset \d+ \(0xe9",
                        "final_labels_SG2.csv:3"),
    "babe-utf16-lenient": Case(lambda t: babe(t, f"{BABE_HEADER}\n{BABE_ROW}\n".encode("utf-16")),
                               r"byte offset 0 ", "final_labels_SG2.csv:1", strict=False),
    "babe-empty-file": Case(lambda t: babe(t, ""), r"empty file: expected a header row", "final_labels_SG2.csv:1"),
    "babe-header-only": Case(lambda t: babe(t, BABE_HEADER + "\n"), r"header only: no sentence rows",
                             "final_labels_SG2.csv"),
    "babe-missing-column": Case(lambda t: babe(t, "text;outlet\nA sentence.;Fox\n"),
                                r"missing columns \['news_link'", "final_labels_SG2.csv:1"),
    "babe-huge-field": Case(lambda t: babe(t, f"{BABE_HEADER}\n{BABE_ROW}\n{BIG};u;o;t;l;Biased;;[]\n"),
                            r"malformed CSV \(field larger than field limit", "final_labels_SG2.csv:3"),
    "babe-bad-label": Case(lambda t: babe(t, f"{BABE_HEADER}\n{BABE_ROW}\nA sentence.;u;o;t;l;Maybe;;[]\n"),
                           r"label_bias 'Maybe' is not one of", "final_labels_SG2.csv:3"),
    "babe-words-not-list": Case(lambda t: babe(t, f"{BABE_HEADER}\nA sentence.;u;o;t;l;Biased;;[oops\n"),
                                r"biased_words '\[oops' is not a list literal", "final_labels_SG2.csv:2"),
    "babe-all-empty-lenient": Case(lambda t: babe(t, f"{BABE_HEADER}\n ;u;o;t;l;Biased;;[]\n;u;o;t;l;Biased;;[]\n"),
                                   r"every one was skipped \(malformed_rows 2\)", "final_labels_SG2.csv",
                                   strict=False),
    # --- MBIC (xlsx: binary, no encoding)
    "mbic-not-a-workbook": Case(lambda t: mbic(t, b"text;label\nnot;a workbook\n"),
                                r"not a readable Excel workbook", "final_labels_MBIC.xlsx"),
    "mbic-empty-workbook": Case(lambda t: mbic(t, []), r"empty workbook", "final_labels_MBIC.xlsx:1"),
    "mbic-header-only": Case(lambda t: mbic(t, [MBIC_HEADER]), r"header only: no sentence rows",
                             "final_labels_MBIC.xlsx"),
    "mbic-missing-column": Case(lambda t: mbic(t, [["text", "outlet"], ["A sentence.", "Fox"]]),
                                r"missing columns", "final_labels_MBIC.xlsx:1"),
    "mbic-bad-label": Case(lambda t: mbic(t, [MBIC_HEADER, MBIC_ROW, [*MBIC_ROW[:5], "Maybe", *MBIC_ROW[6:]]]),
                           r"label_bias 'Maybe'", "final_labels_MBIC.xlsx:3"),
    "mbic-raw-labels-no-sheet": Case(lambda t: mbic(t, [MBIC_HEADER, MBIC_ROW], raw_sheet="Sheet1"),
                                     r"no sheet 'annotations'", "raw_labels_MBIC.xlsx"),
    # --- PTC (article txt + tab-separated technique labels)
    "ptc-article-latin1": Case(lambda t: ptc(t, "Titre\nUn café noir.\n".encode("latin-1")),
                               r"not valid utf-8 text at byte offset 12 \(0xe9", "article1.txt:2", strict=False),
    "ptc-labels-cp1252": Case(lambda t: ptc(t, labels="1\tDoubt\t10\t20\n1\tLoaded\u2019\t4\t9\n".encode("cp1252")),
                              r"byte offset 22 \(0x92", "article1.task2-TC.labels:2"),
    "ptc-float-offset": Case(lambda t: ptc(t, labels="1\tLoaded_Language\t13.0\t21\n"),
                             r"start offset '13.0' is not a non-negative integer", "article1.task2-TC.labels:1"),
    "ptc-offset-outside": Case(lambda t: ptc(t, labels="1\tDoubt\t10\t20\n1\tDoubt\t10\t999\n"),
                               r"offsets 10-999 outside the article", "article1.task2-TC.labels:2"),
    "ptc-wrong-fields": Case(lambda t: ptc(t, labels="1 Doubt 10 20\n"), r"expected article_id<TAB>technique",
                             "article1.task2-TC.labels:1"),
    "ptc-empty-article": Case(lambda t: ptc(t, "  \n"), r"empty article", "article1.txt"),
    "ptc-empty-article-lenient": Case(lambda t: ptc(t, ""), r"no documents: every one was skipped \(empty_articles 1\)",
                                      ".", strict=False),
    # --- BASIL (article + annotation JSON)
    "basil-article-latin1": Case(lambda t: basil(t, json.dumps(BASIL_ARTICLE | {"title": "Caf\u00e9"}, indent=1,
                                                               ensure_ascii=False).encode("latin-1")),
                                 r"not valid utf-8 text at byte offset \d+ \(0xe9", "1_fox.json:2", strict=False),
    "basil-invalid-json": Case(lambda t: basil(t, annotation='{\n"phrase-level-annotations": [\n'),
                               r"invalid JSON \(Expecting value", "1_fox_ann.json:3"),
    "basil-paragraphs-not-list": Case(lambda t: basil(t, BASIL_ARTICLE | {"body-paragraphs": "text"}),
                                      r"'body-paragraphs' must be a list of paragraphs", "1_fox.json"),
    "basil-float-offset": Case(lambda t: basil(t, annotation={"phrase-level-annotations": [
        {**BASIL_ANN["phrase-level-annotations"][0], "start": 4.5}]}),
        r"phrase 'p0' 'start' must be an integer, got 4.5", "1_fox_ann.json"),
    "basil-empty-article": Case(lambda t: basil(t, {"title": "", "body-paragraphs": []}),
                                r"article has no title and no body text", "1_fox.json"),
    "basil-phrase-not-object": Case(lambda t: basil(t, annotation={"phrase-level-annotations": ["lex"]}),
                                    r"phrase-level annotation 'lex' is not an object", "1_fox_ann.json"),
    "basil-no-articles": Case(lambda t: (t / "articles").mkdir() or (t / "annotations").mkdir()
                              or _config("basil", t), r"no article JSON files found", "articles"),
    # --- NewsMTSC (JSON lines per native split)
    "newsmtsc-utf16": Case(lambda t: newsmtsc(t, (json.dumps(NEWSMTSC_LINE) + "\n").encode("utf-16")),
                           r"byte offset 0 \(0xff", "train.jsonl:1", strict=False),
    "newsmtsc-float-from": Case(lambda t: newsmtsc(t, [NEWSMTSC_LINE, target(**{"from": 0.5})]),
                                r"target #0 'from' must be an integer, got 0.5", "train.jsonl:2"),
    "newsmtsc-polarity": Case(lambda t: newsmtsc(t, [target(polarity=5.0)]), r"polarity 5.0 is not 2.0, 4.0 or 6.0",
                              "train.jsonl:1"),
    "newsmtsc-mention": Case(lambda t: newsmtsc(t, [target(mention="Loser")]), r"target #0 'Loser' is not at 0:6",
                             "train.jsonl:1"),
    "newsmtsc-empty-split": Case(lambda t: newsmtsc(t, b""), r"no sentences in split 'train'", "train.jsonl"),
    "newsmtsc-not-object": Case(lambda t: newsmtsc(t, ["[]"]), r"a line must be a JSON object", "train.jsonl:1"),
    "newsmtsc-empty-sentence": Case(lambda t: newsmtsc(t, [NEWSMTSC_LINE | {"sentence_normalized": " "}]),
                                    r"'sentence_normalized' is missing, empty", "train.jsonl:1"),
    # --- CoNLL-2010 sample (label,sentence CSV)
    "conll-latin1": Case(lambda t: conll(t, '"1","A sentence."\n"-1","Un café noir."\n'.encode("latin-1")),
                         r"byte offset 30 \(0xe9", "uncertainty-conll2010.csv:2", strict=False),
    "conll-cp1252-quote": Case(lambda t: conll(t, '"1","He said \u201cmaybe\u201d."\n'.encode("cp1252")),
                               r"byte offset 13 \(0x93", "uncertainty-conll2010.csv:1"),
    "conll-empty-file": Case(lambda t: conll(t, b""), r"corpus 'conll2010' has no documents",
                             "uncertainty-conll2010.csv"),
    "conll-bad-label": Case(lambda t: conll(t, '"1","A sentence."\n"7","Another."\n'),
                            r"label -1 or 1, got \['7', 'Another.'\]", "uncertainty-conll2010.csv:2"),
    "conll-huge-field": Case(lambda t: conll(t, f'"1","A sentence."\n"-1","{BIG}"\n'),
                             r"malformed CSV \(field larger than field limit", "uncertainty-conll2010.csv:2"),
    "conll-all-bad-lenient": Case(lambda t: conll(t, '"7","x"\n"1",""\n'),
                                  r"every one was skipped \(malformed_rows 2\)", "uncertainty-conll2010.csv",
                                  strict=False),
    # --- Szeged Uncertainty Corpus (XML)
    "szeged-latin1": Case(lambda t: szeged(t, xml(SZEGED_DOC.replace("true", "vrai café")).encode("latin-1")),
                          r"not valid utf-8 text at byte offset \d+ \(0xe9", "wiki.xml:3", strict=False),
    "szeged-malformed": Case(lambda t: szeged(t, xml(SZEGED_DOC.replace("</Sentence>", ""))),
                             r"malformed XML \(mismatched tag", "wiki.xml:3"),
    "szeged-no-documents": Case(lambda t: szeged(t, xml()), r"corpus 'szeged' has no documents", "wiki.xml"),
    "szeged-unknown-cue": Case(lambda t: szeged(t, xml(SZEGED_DOC.replace("speculation_modal_probable_", "guess"))),
                               r"document 'A_1': unknown cue type 'guess'", "wiki.xml"),
    "szeged-too-long": Case(lambda t: szeged(t, xml(SZEGED_DOC), max_document_chars=10),
                            r"more than corpus.max_document_chars=10", "wiki.xml"),
}


@pytest.mark.parametrize("case", [pytest.param(c, id=k) for k, c in CASES.items()])
def test_bad_input_is_one_clear_line(case: Case, tmp_path: Path) -> None:
    cfg = case.build(tmp_path)
    with pytest.raises(case.error) as caught:
        load_corpus(cfg, strict=case.strict)
    message = str(caught.value)
    named = str(tmp_path) if case.file == "." else case.file  # "." : the corpus folder itself
    assert "\n" not in message and "\r" not in message, message
    assert re.search(rf"{re.escape(named)}(:\d+)?[,:] ", message), message
    if ":" not in named:  # where no line is expected, none is given
        assert re.search(rf"{re.escape(named)}[,:] ", message), message
    assert re.search(case.phrase, message), message
    assert str(tmp_path) in message, message


def test_there_are_enough_cases_across_every_format() -> None:
    assert len(CASES) >= 40
    assert {k.split("-")[0] for k in CASES} == {"jsonl", "babe", "mbic", "ptc", "basil", "newsmtsc", "conll", "szeged"}


# ---------------------------------------------------------------------------- focused checks


def test_lenient_mode_skips_malformed_rows_and_counts_them(tmp_path: Path) -> None:
    corpus = load_corpus(jsonl(tmp_path, [GOOD_DOC, doc(id="d2", metadata=[1]), doc(id="d3", text="")]), strict=False)
    assert [d.id for d in corpus.documents] == ["d1"] and corpus.skipped == {"malformed_lines": 2}


def test_lenient_csv_skips_an_oversized_field(tmp_path: Path) -> None:
    corpus = load_corpus(babe(tmp_path, f"{BABE_HEADER}\n{BABE_ROW}\n{BIG};u;o;t;l;Biased;;[]\n"), strict=False)
    assert len(corpus) == 1 and corpus.skipped == {"malformed_rows": 1}


def test_a_50_mb_csv_field_names_file_and_line(tmp_path: Path) -> None:
    cfg = conll(tmp_path, '"1","A sentence."\n"-1","' + "y" * 50_000_000 + '"\n')
    with pytest.raises(DataError, match=r"uncertainty-conll2010.csv:2: malformed CSV \(field larger than field limit"):
        load_corpus(cfg)


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-16"])
def test_corpus_encoding_setting_reads_other_encodings(tmp_path: Path, encoding: str) -> None:
    text = "Un caf\u00e9 noir, \u201cthe dictator\u201d said."
    line = json.dumps({"id": "d1", "text": text}, ensure_ascii=False)
    if encoding == "latin-1":
        line = line.replace("\u201c", '\\"').replace("\u201d", '\\"')
    corpus = load_corpus(jsonl(tmp_path, (line + "\n").encode(encoding), encoding=encoding))
    assert corpus.documents[0].text == json.loads(line)["text"]


def test_utf8_byte_order_mark_is_not_part_of_the_first_document(tmp_path: Path) -> None:
    corpus = load_corpus(jsonl(tmp_path, b"\xef\xbb\xbf" + json.dumps(GOOD_DOC).encode() + b"\n"))
    assert corpus.documents[0].id == "d1"


def test_ptc_keeps_a_byte_order_mark_its_offsets_count(tmp_path: Path) -> None:
    article = "\ufeff" + PTC_ARTICLE
    start = article.index("dictator")
    corpus = load_corpus(ptc(tmp_path, article, f"1\tName_Calling,Labeling\t{start}\t{start + 8}\n"))
    assert corpus.documents[0].spans[0].text == "dictator"


def test_unknown_encoding_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"corpus.encoding 'klingon' is not a known text encoding"):
        load_corpus(jsonl(tmp_path, [GOOD_DOC], encoding="klingon"))


@pytest.mark.parametrize("missing", ["name", "root"])
def test_custom_corpus_needs_its_own_name_and_root(tmp_path: Path, missing: str) -> None:
    cfg = jsonl(tmp_path, [GOOD_DOC])
    cfg[missing] = "???"
    with pytest.raises(ConfigError, match=rf"corpus config has no '{missing}': set corpus.{missing}="):
        load_corpus(cfg)


def test_custom_corpus_is_named_by_its_config(tmp_path: Path) -> None:
    corpus = load_corpus(jsonl(tmp_path, [GOOD_DOC]))
    assert corpus.name == "mine" and len(corpus) == 1


def test_dict_config_without_a_name_is_a_config_error(tmp_path: Path) -> None:
    _write(tmp_path / "documents.jsonl", json.dumps(GOOD_DOC) + "\n")
    with pytest.raises(ConfigError, match=r"corpus config has no 'name'"):
        load_corpus({"loader": "jsonl", "root": str(tmp_path), "files": {"documents": "documents.jsonl"}})


def test_given_sentences_replace_the_splitter_and_take_labels(tmp_path: Path) -> None:
    given = doc(sentences=[[0, 36]], sentence_labels=[{"start": 0, "end": 36, "sentiment": "negative"}])
    sentences = load_corpus(jsonl(tmp_path, [given])).documents[0].sentences
    assert [(s.start, s.end, s.labels) for s in sentences] == [(0, 36, {"sentiment": "negative"})]


# ---------------------------------------------------------------------------- the sentence splitter

TOKENS = [*"ab .!?\n\r\t\"'”)(AZ19é", "\u00a0", "\u2028", "\x85",
          "Mr.", "U.S.", "e.g. ", "The dictator", "...", " \n "]
#: arbitrary Unicode, and text built from the pieces sentence splitters trip on
TEXT = st.one_of(st.text(max_size=300), st.lists(st.sampled_from(TOKENS), max_size=150).map("".join))


def _check_sentences(text: str, sentences: list) -> None:
    """In bounds, ordered, not overlapping, not blank, within one line, and no visible character lost."""
    previous_end = 0
    for s in sentences:
        assert previous_end <= s.start < s.end <= len(text)
        piece = text[s.start : s.end]
        assert piece.strip() and "\n" not in piece
        previous_end = s.end
    covered = "".join(text[s.start : s.end] for s in sentences)
    assert "".join(covered.split()) == "".join(text.split())


@settings(max_examples=150, deadline=None)
@given(TEXT)
def test_sentence_offsets_index_the_text(text: str) -> None:
    _check_sentences(text, split_sentences(text))


@settings(max_examples=150, deadline=None)
@given(TEXT, st.integers(min_value=2, max_value=60))
def test_chunked_long_paragraphs_keep_the_same_invariants(text: str, chunk_chars: int) -> None:
    _check_sentences(text, split_sentences(text, chunk_chars=chunk_chars))


def test_chunking_leaves_news_paragraphs_as_they_were(reference) -> None:
    text = reference.documents[0].text
    assert [(s.start, s.end) for s in split_sentences(text)] == [(s.start, s.end) for s in
                                                                 split_sentences(text, chunk_chars=10**9)]


def test_one_huge_paragraph_is_split_in_pieces(reference) -> None:
    one_line = " ".join(reference.documents[0].text.split("\n"))
    text = " ".join([one_line] * 40)  # about 160,000 characters on one line
    sentences = split_sentences(text)
    _check_sentences(text, sentences)
    assert len(sentences) >= 40 * 20


# ---------------------------------------------------------------------------- the reference corpus's name


def test_reference_config_with_its_own_root_passes() -> None:
    check_reference_root(corpus_config("reference"))


@pytest.mark.parametrize("override", ["root", "files"])
def test_reference_name_on_other_data_is_refused(tmp_path: Path, override: str) -> None:
    cfg = corpus_config("reference")
    if override == "root":
        cfg.root = str(tmp_path)
    else:
        cfg.files.documents = "other.jsonl"
    with pytest.raises(ConfigError, match=r"corpus 'reference' is this project's reference article.*corpus=jsonl"):
        check_reference_root(cfg)


def test_other_corpora_may_be_read_from_another_folder(tmp_path: Path) -> None:
    check_reference_root(jsonl(tmp_path, [GOOD_DOC]))
    check_reference_root(_config("babe", tmp_path))
