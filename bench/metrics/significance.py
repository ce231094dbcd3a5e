"""McNemar's test on paired binary decisions (exact binomial form, via scipy)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.stats import binomtest


@dataclass(frozen=True)
class McNemarResult:
    a_only: int  # items system A gets right and B wrong
    b_only: int  # items B gets right and A wrong
    p_value: float

    @property
    def odds_ratio(self) -> float:
        """Effect size: discordant pairs in A's favour per pair in B's (inf if B has none)."""
        if self.b_only == 0:
            return math.inf if self.a_only else math.nan
        return self.a_only / self.b_only


def mcnemar(gold: Sequence[object], pred_a: Sequence[object], pred_b: Sequence[object]) -> McNemarResult:
    """Exact McNemar test: under H0 the discordant pairs split 50/50 (two-sided binomial test)."""
    g, a, b = np.asarray(gold), np.asarray(pred_a), np.asarray(pred_b)
    right_a, right_b = a == g, b == g
    a_only = int(np.sum(right_a & ~right_b))
    b_only = int(np.sum(~right_a & right_b))
    n = a_only + b_only
    p = 1.0 if n == 0 else float(binomtest(a_only, n, 0.5, alternative="two-sided").pvalue)
    return McNemarResult(a_only, b_only, p)
