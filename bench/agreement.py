"""Inter-annotator agreement on a corpus's span annotations: token-wise Krippendorff's alpha.

``python -m bench.agreement polnear`` reads every PolNeAR article that several annotators labelled
(all their layers, not only the gold one), gives each word token of such an article, for each
annotator, the role of the span covering it (``source``, ``cue``, ``content`` or ``none``; a token
inside several spans takes the first of that order) and prints nominal Krippendorff's alpha over
those tokens (the ``krippendorff`` package): all roles, source and cue only (content read as none),
and each role against the rest. The PolNeAR paper reports token-wise alpha 0.754.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import krippendorff
import numpy as np

from bench.data.loaders.polnear import Article, Layer, read_split
from bench.errors import BenchError, ConfigError

ROLE_ORDER = ("source", "cue", "content")
_TOKEN = re.compile(r"\w+|[^\w\s]")
#: the views alpha is reported for: name -> roles kept (others read as none)
VIEWS = {"source, cue, content": ROLE_ORDER, "source, cue": ("source", "cue"), "source": ("source",),
         "cue": ("cue",), "content": ("content",)}


@dataclass(frozen=True)
class AgreementResult:
    articles: int
    annotators: int
    tokens: int
    alpha: dict[str, float]


def token_roles(text: str, layer: Layer) -> list[str]:
    """The role of each word token of ``text`` in one annotator's layer (``none`` outside every span)."""
    marks = np.zeros(len(text) + 1, dtype=np.int8)  # 0 none; otherwise 1 + index in ROLE_ORDER, first wins
    for rank in reversed(range(len(ROLE_ORDER))):
        kind = ROLE_ORDER[rank].capitalize()
        for event in layer.events:
            parts = {"Source": event.sources, "Cue": event.cues, "Content": event.contents}[kind]
            for part in parts:
                for start, end in part.fragments:
                    marks[start:end] = rank + 1
    return ["none" if marks[m.start()] == 0 else ROLE_ORDER[marks[m.start()] - 1] for m in _TOKEN.finditer(text)]


def _alpha(data: np.ndarray, n_values: int) -> float:
    """Nominal alpha of (annotators × units) codes 0..n_values-1; NaN when no unit varies in value at all."""
    present = np.unique(data[~np.isnan(data)])
    if len(present) < 2:
        return float("nan")
    return float(krippendorff.alpha(reliability_data=data, value_domain=list(range(n_values)),
                                    level_of_measurement="nominal"))


def multi_annotated(articles: Sequence[Article]) -> list[Article]:
    return [a for a in articles if len(a.layers) > 1]


def token_alpha(articles: Sequence[Article]) -> AgreementResult:
    """Nominal alpha per view over the tokens of articles with several layers."""
    shared = multi_annotated(articles)
    if not shared:
        raise ConfigError("no article has more than one annotator's layer: alpha needs two or more")
    annotators = sorted({a for art in shared for a in art.layers})
    columns: list[list[str | None]] = []
    for article in shared:
        roles = {a: token_roles(article.text, layer) for a, layer in article.layers.items()}
        n = len(next(iter(roles.values())))
        for i in range(n):
            columns.append([roles[a][i] if a in roles else None for a in annotators])
    alpha = {}
    for view, kept in VIEWS.items():
        codes = {role: float(k + 1) for k, role in enumerate(kept)}
        data = np.array([[np.nan if v is None else codes.get(v, 0.0) for v in column] for column in columns]).T
        alpha[view] = _alpha(data, len(kept) + 1)
    return AgreementResult(len(shared), len(annotators), len(columns), alpha)


def polnear_articles(root: Path, splits: Sequence[str]) -> list[Article]:
    out: list[Article] = []
    for split in splits:
        out.extend(read_split(root / "data" / split).values())
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("corpus", choices=["polnear"], help="the corpus (PolNeAR: several annotators per article)")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("NEWSBIAS_DATA_DIR", "../shared/datasets")))
    parser.add_argument("--splits", nargs="+", default=["train", "dev"],
                        help="split folders to read (annotator-training is also multi-annotated)")
    args = parser.parse_args(argv)
    try:
        result = token_alpha(polnear_articles(args.data_dir / "polnear-attribution", args.splits))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"PolNeAR ({', '.join(args.splits)}): {result.articles} articles with several annotators, "
          f"{result.annotators} annotators, {result.tokens:,} tokens")
    print("Krippendorff's alpha (nominal, token-wise):")
    for view, value in result.alpha.items():
        print(f"  {view:22} {value:.3f}")
    print("(paper: 0.754 token-wise)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
