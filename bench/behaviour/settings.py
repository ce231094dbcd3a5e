"""What a suite needs to know about the run: threshold, tolerance, bootstrap settings and where the data is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: failing examples kept per suite for the HTML report
MAX_FAILURES = 40


@dataclass(frozen=True)
class BehaviourSettings:
    threshold: float = 0.5
    #: invariance: the largest score change that still passes
    tolerance: float = 0.1
    n_resamples: int = 1000
    seed: int = 13
    confidence: float = 0.95
    #: the public datasets folder (WNC, PolNeAR); None: not available
    data_dir: Path | None = None
    #: the job's ``paths`` config (to compose the WNC corpus config), and the cache root
    paths: Any = None
    cache_dir: Path | None = None
    #: the corpus the model was trained on (None: not trained); decides which WNC pairs are held out
    train_corpus: str | None = None
    max_failures: int = MAX_FAILURES

    def bootstrap(self) -> dict[str, Any]:
        return {"n_resamples": self.n_resamples, "seed": self.seed, "confidence": self.confidence}
