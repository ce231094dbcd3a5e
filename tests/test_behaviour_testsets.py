"""The stored behaviour test sets: regenerated identically, PolNeAR cases rebuilt from offsets, bad files refused."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from bench.behaviour import generate
from bench.behaviour.polnear_source import FOLDER, read_attributions
from bench.behaviour.testsets import attribution_pairs, behaviour_dir, entity_cases, read_cases
from bench.config import corpora_dir
from bench.errors import DataError


def _stored(name: str) -> list[str]:
    return (behaviour_dir() / name).read_text(encoding="utf-8").splitlines()


def test_template_and_reference_cases_regenerate_byte_for_byte() -> None:
    reference = generate.reference_document(corpora_dir())
    swaps = generate.template_swaps(random.Random(13)) + generate.reference_swaps(reference)
    assert [json.dumps(r, ensure_ascii=False) for r in swaps] == _stored(generate.ATTRIBUTION_FILE)[: len(swaps)]
    entities = generate.template_entities() + generate.reference_entities(reference)
    assert [json.dumps(r, ensure_ascii=False) for r in entities] == _stored(generate.ENTITY_FILE)[: len(entities)]
    # the reference rewrites are the article's own sentences with one phrase replaced
    row = next(r for r in swaps if r["id"] == "reference-00")
    assert row["original"].startswith("The Ukrainian military claimed on Saturday")
    assert row["variant"].startswith("A Ukrainian Telegram channel claimed on Saturday")


def test_source_classes_follow_the_guideline_where_the_heuristic_is_sure() -> None:
    assert generate.source_class("Trump") == generate.source_class("The New York Post") == "named"
    assert generate.source_class("a senior official") == generate.source_class("Republicans") == "anonymous"
    assert generate.source_class("sources familiar with the matter") == "anonymous"
    assert generate.source_class("Trump spokeswoman Hope Hicks") is None  # names someone after the role
    assert generate.source_class("he") is None and generate.source_class("police") is None


def test_polnear_sampling_is_seeded() -> None:
    pool = {"named": [{"article": f"data/dev/text/a{i}.txt", "digest": "d", "sentence": [0, 50], "source": [0, 5],
                       "cue": [6, 10], "cue_text": "said", "event": f"E{i}", "sentence_start": True}
                      for i in range(120)],
            "anonymous": []}
    first, again = generate.polnear_swaps(pool, random.Random(13)), generate.polnear_swaps(pool, random.Random(13))
    assert first == again and len(first) == generate.POLNEAR_CASES
    assert first != generate.polnear_swaps(pool, random.Random(14))


@pytest.mark.shared_data
def test_polnear_cases_rebuild_from_offsets(shared_data: Path) -> None:
    loaded = attribution_pairs(shared_data)
    assert len(loaded.items) == 204 and loaded.skipped == {}
    root = shared_data / FOLDER
    for case in read_cases(behaviour_dir() / generate.ATTRIBUTION_FILE):
        if case["origin"] != "polnear":
            continue
        stem = Path(case["article"]).stem
        ann = sorted((root / "data" / "dev" / "attributions").glob(f"{stem}_*.ann"))[0]
        sources = {a.source for a in read_attributions(ann)}
        assert tuple(case["edits"][0][:2]) in sources or tuple(case["edits"][-1][:2]) in sources
    pair = next(p for p in loaded.items if p.meta["origin"] == "polnear" and p.group == "to_unverified")
    assert pair.original != pair.variant and pair.expect == "higher"
    cases = entity_cases(shared_data)
    assert len(cases.items) == 92
    polnear = [c for c in cases.items if c.origin == "polnear"]
    assert len(polnear) == 40 and all(c.sentence[c.slot[0]:c.slot[1]] in ("Trump", "Clinton", "Donald Trump",
                                                                           "Hillary Clinton") for c in polnear)


def test_without_polnear_its_cases_are_skipped_and_counted(tmp_path: Path) -> None:
    loaded = attribution_pairs(tmp_path)
    assert loaded.skipped == {"polnear": 100} and len(loaded.items) == 104
    assert entity_cases(tmp_path).skipped == {"polnear": 40}


@pytest.mark.shared_data
def test_a_changed_article_or_a_malformed_line_is_refused(shared_data: Path, tmp_path: Path) -> None:
    case = next(c for c in read_cases(behaviour_dir() / generate.ATTRIBUTION_FILE) if c["origin"] == "polnear")
    target = tmp_path / FOLDER / case["article"]
    target.parent.mkdir(parents=True)
    shutil.copy(shared_data / FOLDER / case["article"], target)
    target.write_text(target.read_text(encoding="utf-8") + " edited", encoding="utf-8")
    one = tmp_path / "cases.jsonl"
    one.write_text(json.dumps({k: v for k, v in case.items() if k != "_line"}) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="differs from the one the behaviour test set was generated from"):
        attribution_pairs(tmp_path, one)
    one.write_text('{"id": "x", "origin": "template"}\n{not json\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"cases\.jsonl:2: invalid JSON"):
        read_cases(one)
