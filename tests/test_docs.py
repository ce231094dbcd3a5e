"""The documentation: the site builds with ``mkdocs build --strict`` (every page in the nav, every link and
anchor resolved), the README stays a short guide whose links point at pages that exist, and its JSON-lines
example loads as a corpus."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.data.load import load_corpus
from cli_helpers import ROOT

README = ROOT / "README.md"


def test_readme_is_a_short_guide_whose_links_resolve() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    headings = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
                for h in re.findall(r"^#+ (.*)$", text, flags=re.M)}
    for target in re.findall(r"\]\(([^)]+)\)", text):
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        if not path:
            assert anchor in headings, target
        else:
            assert (ROOT / path).is_file(), target


def test_readme_corpus_example_loads(tmp_path: Path) -> None:
    block = re.search(r"```json\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert block is not None
    (tmp_path / "documents.jsonl").write_text(json.dumps(json.loads(block.group(1))) + "\n", encoding="utf-8")
    doc = load_corpus({"name": "mine", "loader": "jsonl", "root": str(tmp_path),
                       "files": {"documents": "documents.jsonl"}, "splits": {"strategy": "none"}}).documents[0]
    assert [doc.text[s.start:s.end] for s in doc.spans] == ["Officials", "reportedly", "mayor"]
    assert doc.spans[2].start == doc.text.rindex("mayor")
    assert doc.sentences[0].labels == {"sentiment": "negative"}


@pytest.mark.slow
def test_docs_site_builds_strictly(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="the docs extra: pip install 'newsbias-bench[docs]'")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
                          env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (tmp_path / "site" / "index.html").is_file()
    shutil.rmtree(tmp_path / "site")
