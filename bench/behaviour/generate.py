"""``python -m bench.behaviour.generate``: write the behaviour test sets under ``corpora/behaviour/``.

Deterministic for a seed (default 13) and the same inputs: the recipes in
:mod:`bench.behaviour.recipes`, the reference article (``corpora/reference/``) and PolNeAR's dev
articles from the data directory. PolNeAR is third-party text, so its cases are stored as offsets
into its files, the SHA-256 of each file's text and our own replacement phrases; they are rebuilt
from the data directory when a suite runs. Template and reference-article cases are stored whole
(the reference article's credit notice permits excerpts with credit).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
from pathlib import Path
from typing import Any, Iterable, Sequence

from bench.behaviour import recipes
from bench.behaviour.polnear_source import Article, articles
from bench.data.sentences import split_sentences
from bench.errors import DataError

VERSION = 1
ATTRIBUTION_FILE = f"attribution_swaps.v{VERSION}.jsonl"
ENTITY_FILE = f"entity_swaps.v{VERSION}.jsonl"
#: template cases per direction
TEMPLATE_CASES = 48
#: PolNeAR cases per direction (attribution swaps) and PolNeAR sentences for the candidates group
POLNEAR_CASES = 80
POLNEAR_ENTITY_SENTENCES = 40
#: share of unverified template sources whose cue becomes "claimed"
CLAIMED_SHARE = 1 / 3
POLNEAR_SPLIT = "dev"

CUES = {"said", "told", "added", "wrote", "stated", "announced", "noted", "explained", "reported", "according to"}
ANON_HEADS = {"official", "officials", "source", "sources", "aide", "aides", "adviser", "advisers", "advisor",
              "advisors", "person", "people", "spokesman", "spokeswoman", "spokesperson", "insider", "insiders",
              "operative", "operatives", "strategist", "strategists", "critics", "observers", "experts", "analysts",
              "staffers", "associates", "allies", "someone", "some", "many", "others", "republicans", "democrats",
              "conservatives", "liberals", "progressives", "voters", "supporters"}
#: sources the heuristic leaves alone (institution or crowd, depending on context)
AMBIGUOUS = {"police", "authorities", "officers", "investigators", "prosecutors"}
FUNCTION_WORDS = {"the", "of", "for", "and", "'s", "’s", "on", "in", "at"}
PRONOUNS = {"he", "him", "his", "himself", "she", "her", "hers", "herself", "i", "we", "they", "it", "you", "who",
            "which", "that", "this", "these", "those", "me", "us", "them"}
PARTY_WORDS = {"republican", "democrat", "democratic", "gop"}
GENDERED = {"he", "him", "his", "himself", "she", "her", "hers", "herself"}
_WORDS = re.compile(r"[\w'’.-]+")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _write(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


# ------------------------------------------------------------------------------------------ attribution swaps
def _framed(frame: str, source: str, cue: str, claim: str) -> str:
    return frame.format(Source=_cap(source), source=source, cue=cue, claim=claim, Claim=_cap(claim))


def template_swaps(rng: random.Random) -> list[dict[str, Any]]:
    """Template pairs: a named source vs an unverified one in the same frame and claim, both directions."""
    rows = []
    for direction in ("to_unverified", "to_named"):
        for i in range(TEMPLATE_CASES):
            frame, cue_may_change = rng.choice(recipes.FRAMES)
            claim = rng.choice(recipes.CLAIMS)
            named = rng.choice(recipes.NAMED_SOURCES)
            unverified, klass = rng.choice(recipes.UNVERIFIED_SOURCES)
            changed = cue_may_change and rng.random() < CLAIMED_SHARE
            named_text = _framed(frame, named, recipes.CUE, claim)
            unverified_text = _framed(frame, unverified, recipes.UNVERIFIED_CUE if changed else recipes.CUE, claim)
            original, variant = (named_text, unverified_text) if direction == "to_unverified" else \
                (unverified_text, named_text)
            classes = ("named", klass) if direction == "to_unverified" else (klass, "named")
            rows.append({"id": f"template-{direction}-{i:03d}", "origin": "template", "direction": direction,
                         "original": original, "variant": variant,
                         "source_class": {"original": classes[0], "variant": classes[1]}, "cue_changed": changed})
    return rows


def reference_swaps(reference: dict[str, Any]) -> list[dict[str, Any]]:
    """The reference article's attributions rewritten by the recipes (each ``find`` must occur once)."""
    text = reference["text"]
    sentences = split_sentences(text)
    rows = []
    for k, (indices, find, replacement, direction, before, after) in enumerate(recipes.REFERENCE_SWAPS):
        start, end = sentences[indices[0]].start, sentences[indices[-1]].end
        original = text[start:end]
        if original.count(find) != 1:
            raise DataError(f"reference swap {k}: {find!r} occurs {original.count(find)} times in sentence(s) "
                            f"{list(indices)} (the reference article changed?)", path="corpora/reference")
        rows.append({"id": f"reference-{k:02d}", "origin": "reference", "direction": direction,
                     "original": original, "variant": original.replace(find, replacement),
                     "source_class": {"original": before, "variant": after}, "cue_changed": False,
                     "document": reference["id"], "offsets": [start, end]})
    return rows


def _tokens(text: str) -> list[str]:
    return _WORDS.findall(text)


def source_class(source: str) -> str | None:
    """``named`` (a capitalised name of at most six words), ``anonymous`` (an unnamed person or group by
    role, e.g. "a senior official", "sources close to …"), or None where the heuristic is unsure."""
    words = _tokens(source)
    lower = [w.lower() for w in words]
    if not words or lower[0] in PRONOUNS or len(words) > 8 or set(lower) & AMBIGUOUS:
        return None
    heads = [i for i, w in enumerate(lower) if w in ANON_HEADS]
    if heads:
        after = words[heads[0] + 1] if heads[0] + 1 < len(words) else ""
        return "anonymous" if not after[:1].isupper() else None  # "spokeswoman Hope Hicks" names someone
    content = [w for w in words if w.lower() not in FUNCTION_WORDS]
    if len(words) <= 6 and content and all(w[:1].isupper() for w in content):
        return "named"
    return None


def _placement(text: str, source: tuple[int, int], cue: tuple[int, int]) -> bool:
    """The source right before its cue ("X said"), or right after it ("said X", "according to X")."""
    if source[1] <= cue[0]:
        return text[source[1] : cue[0]].strip(" ,") == ""
    if cue[1] <= source[0]:
        return text[cue[1] : source[0]].strip() == ""
    return False


def _sentence_of(sentences: Sequence[Any], start: int, end: int) -> tuple[int, int] | None:
    for s in sentences:
        if s.start <= start and end <= s.end:
            return s.start, s.end
    return None


def polnear_candidates(corpus: Iterable[Article]) -> dict[str, list[dict[str, Any]]]:
    """Attribution events whose source is clearly named or clearly anonymous, with a past-tense cue,
    source next to cue, both in one sentence of 40–400 characters (one event per sentence)."""
    out: dict[str, list[dict[str, Any]]] = {"named": [], "anonymous": []}
    for article in corpus:
        sentences = split_sentences(article.text)
        seen: set[tuple[int, int]] = set()
        for attribution in article.attributions:
            text = article.text
            cue = " ".join(text[attribution.cue[0] : attribution.cue[1]].lower().split())
            source = text[attribution.source[0] : attribution.source[1]]
            klass = source_class(source)
            if cue not in CUES or klass is None or not _placement(text, attribution.source, attribution.cue):
                continue
            bounds = _sentence_of(sentences, min(attribution.source[0], attribution.cue[0]),
                                  max(attribution.source[1], attribution.cue[1]))
            if bounds is None or not 40 <= bounds[1] - bounds[0] <= 400 or bounds in seen:
                continue
            seen.add(bounds)
            out[klass].append({"article": article.path, "digest": article.digest, "sentence": list(bounds),
                               "source": list(attribution.source), "cue": list(attribution.cue), "cue_text": cue,
                               "event": attribution.event, "sentence_start": attribution.source[0] == bounds[0]})
    return out


def polnear_swaps(candidates: dict[str, list[dict[str, Any]]], rng: random.Random) -> list[dict[str, Any]]:
    """A seeded sample of PolNeAR attributions, each rewritten with a source of the other kind."""
    rows = []
    for direction, pool in (("to_unverified", candidates["named"]), ("to_named", candidates["anonymous"])):
        chosen = sorted(rng.sample(range(len(pool)), min(POLNEAR_CASES, len(pool))))
        for i in chosen:
            c = pool[i]
            if direction == "to_unverified":
                phrase, klass = rng.choice(recipes.UNVERIFIED_SOURCES)
                classes = {"original": "named", "variant": klass}
            else:
                phrase = rng.choice(recipes.NAMED_SOURCES_US)
                classes = {"original": "anonymous", "variant": "named"}
            edits = [[c["source"][0], c["source"][1], _cap(phrase) if c["sentence_start"] else phrase]]
            changed = direction == "to_unverified" and c["cue_text"] == "said" and rng.random() < CLAIMED_SHARE
            if changed:
                edits.append([c["cue"][0], c["cue"][1], recipes.UNVERIFIED_CUE])
            stem = Path(c["article"]).stem
            rows.append({"id": f"polnear-{direction}-{stem}-{c['event']}", "origin": "polnear",
                         "direction": direction, "article": c["article"], "text_sha256": c["digest"],
                         "sentence": c["sentence"], "edits": sorted(edits), "source_class": classes,
                         "cue_changed": changed})
    return rows


# ------------------------------------------------------------------------------------------ entity swaps
def _surfaces(group: str) -> list[tuple[str, str]]:
    """(surface, form) of every entity of a group, longest first."""
    spec = recipes.ENTITY_GROUPS[group]
    found = {(entity[form], form) for side in ("A", "B") for entity in spec[side] for form in entity}  # type: ignore
    return sorted(found, key=lambda sf: (-len(sf[0]), sf))


def fills(group: str, form: str) -> dict[str, list[str]]:
    spec = recipes.ENTITY_GROUPS[group]
    return {side: [entity[form] for entity in spec[side]] for side in ("A", "B")}  # type: ignore[index]


def _mentions(sentence: str) -> list[tuple[int, int, str, str]]:
    """(start, end, group, form) of every entity mention, a mention inside a longer one dropped."""
    found = []
    for group in recipes.ENTITY_GROUPS:
        for surface, form in _surfaces(group):
            for m in re.finditer(r"(?<!\w)" + re.escape(surface) + r"(?!\w)", sentence):
                found.append((m.start(), m.end(), group, form))
    return [m for m in found
            if not any(o[0] <= m[0] and m[1] <= o[1] and (o[1] - o[0]) > (m[1] - m[0]) for o in found)]


def template_entities() -> list[dict[str, Any]]:
    rows = []
    for group, templates in recipes.ENTITY_TEMPLATES.items():
        for i, (form, template) in enumerate(templates):
            start = template.index("{E}")
            rows.append({"id": f"template-{group}-{i:02d}", "origin": "template", "group": group, "form": form,
                         "text": template, "slot": [start, start + 3], "fills": fills(group, form)})
    return rows


def reference_entities(reference: dict[str, Any]) -> list[dict[str, Any]]:
    """One case per (reference sentence, group): the group's first mention in the sentence."""
    text = reference["text"]
    sentences = split_sentences(text)
    rows = []
    for k in recipes.REFERENCE_SENTENCES:
        s = sentences[k]
        sentence = text[s.start : s.end]
        first: dict[str, tuple[int, int, str, str]] = {}
        for mention in sorted(_mentions(sentence)):
            first.setdefault(mention[2], mention)
        for group, (start, end, _, form) in sorted(first.items()):
            rows.append({"id": f"reference-{group}-{k:02d}", "origin": "reference", "group": group, "form": form,
                         "text": sentence, "slot": [start, end], "fills": fills(group, form),
                         "document": reference["id"], "offsets": [s.start, s.end]})
    return rows


def polnear_entities(corpus: Iterable[Article], rng: random.Random) -> list[dict[str, Any]]:
    """PolNeAR sentences that mention exactly one 2016 candidate by a form the group swaps cleanly."""
    group = "us_candidates_2016"
    pool = []
    for article in corpus:
        for s in split_sentences(article.text):
            sentence = article.text[s.start : s.end]
            if not 40 <= len(sentence) <= 300 or {w.lower() for w in _tokens(sentence)} & GENDERED:
                continue
            mentions = [m for m in _mentions(sentence) if m[2] == group]
            hits = [m for m in re.finditer(r"(?<!\w)(Clinton|Trump)(?!\w)", sentence)]
            if len(mentions) != 1 or len(hits) != 1:
                continue
            start, end, _, form = mentions[0]
            before = sentence[:start].split()[-1:] if start else []
            after = sentence[end:].split()[:1]
            if form == "short" and before and before[0][:1].isupper() and start > 0:
                continue  # "Mr. Trump", "Bill Clinton", "Ivanka Trump": not a swappable mention
            if after and after[0][:1].isupper():
                continue  # "Trump Tower", "Clinton Foundation": part of another name
            if {w.lower() for w in sentence[:start].split()[-3:]} & PARTY_WORDS:
                continue  # "Republican nominee Donald Trump": the swap would keep the other party's label
            pool.append({"article": article.path, "digest": article.digest, "sentence": [s.start, s.end],
                         "slot": [s.start + start, s.start + end], "form": form})
    chosen = sorted(rng.sample(range(len(pool)), min(POLNEAR_ENTITY_SENTENCES, len(pool))))
    return [{"id": f"polnear-{group}-{Path(pool[i]['article']).stem}-{pool[i]['sentence'][0]}",
             "origin": "polnear", "group": group, "form": pool[i]["form"], "article": pool[i]["article"],
             "text_sha256": pool[i]["digest"], "sentence": pool[i]["sentence"], "slot": pool[i]["slot"],
             "fills": fills(group, pool[i]["form"])} for i in chosen]


# ------------------------------------------------------------------------------------------ command
def reference_document(corpora: Path) -> dict[str, Any]:
    path = corpora / "reference" / "documents.jsonl"
    return json.loads(path.read_text(encoding="utf-8").splitlines()[0])


def generate(out_dir: Path, data_dir: Path, corpora: Path, seed: int = 13) -> dict[str, int]:
    """Write both test sets to ``out_dir``; returns the number of cases per file."""
    reference = reference_document(corpora)
    polnear = list(articles(data_dir, POLNEAR_SPLIT))
    rng = random.Random(seed)
    swaps = template_swaps(rng) + reference_swaps(reference) + polnear_swaps(polnear_candidates(polnear), rng)
    entities = template_entities() + reference_entities(reference) + polnear_entities(polnear, rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    return {ATTRIBUTION_FILE: _write(out_dir / ATTRIBUTION_FILE, swaps),
            ENTITY_FILE: _write(out_dir / ENTITY_FILE, entities)}


def main(argv: list[str] | None = None) -> None:
    from bench.cli.errors import fail
    from bench.config import corpora_dir
    from bench.tracking.provenance import project_root

    parser = argparse.ArgumentParser(prog="python -m bench.behaviour.generate", description=__doc__)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="public datasets folder (default: NEWSBIAS_DATA_DIR, else ../shared/datasets)")
    parser.add_argument("--out", type=Path, default=None, help="default: corpora/behaviour")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(os.environ.get("NEWSBIAS_DATA_DIR", "../shared/datasets"))
    if not data_dir.is_absolute():
        data_dir = (project_root() / data_dir).resolve()
    try:
        counts = generate(args.out or corpora_dir() / "behaviour", data_dir, corpora_dir(), args.seed)
    except Exception as exc:
        fail(exc, args.verbose)
    for name, n in counts.items():
        print(f"{name}: {n} cases")


if __name__ == "__main__":
    main()
