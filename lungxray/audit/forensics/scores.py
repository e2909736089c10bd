"""Scores on a test set of known composition: every binary confusion matrix that gives all printed scores.

The question mlscorecheck (Fazekas & Kovács) answers by interval arithmetic, answered here by exact enumeration
of (TP, TN) in integer arithmetic (the rounding convention "any" of the package docstring); tests/test_oracle.py
holds the two to agreement on the papers' score sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lungxray.audit.forensics.denominators import _printed

SCORE_NAMES = ("accuracy", "recall", "specificity", "precision", "npv", "f1")


@dataclass(frozen=True)
class ScoreSetCheck:
    """Every binary confusion matrix on ``positives`` + ``negatives`` images that gives all printed scores."""

    scores: Mapping[str, float]
    decimals: int
    positives: int
    negatives: int
    n_solutions: int
    examples: tuple[tuple[int, int, int, int], ...]  # (TP, FN, FP, TN)

    def to_dict(self) -> dict[str, Any]:
        return {"scores": dict(self.scores), "decimals": self.decimals, "positives": self.positives,
                "negatives": self.negatives, "n_solutions": self.n_solutions,
                "examples": [list(e) for e in self.examples]}

    def summary(self) -> str:
        if not self.n_solutions:
            return f"no confusion matrix on {self.positives} + {self.negatives} images gives these scores"
        return f"{self.n_solutions} confusion matrices on {self.positives} + {self.negatives} images give them"


def scores_on_testset(scores: Mapping[str, float | str], decimals: int, positives: int, negatives: int, *,
                      max_examples: int = 10) -> ScoreSetCheck:
    """Enumerate every (TP, TN) with TP <= positives, TN <= negatives and test each printed score exactly.

    Scores (fractions, printed with ``decimals``): ``accuracy`` (TP+TN)/N, ``recall`` TP/P, ``specificity``
    TN/Nn, ``precision`` TP/(TP+FP), ``npv`` TN/(TN+FN), ``f1`` 2TP/(2TP+FP+FN); a score whose denominator is 0
    is not attained. Rounding "any" (module docstring): the closed interval [v-h, v+h], in integer arithmetic.
    """
    unknown = set(scores) - set(SCORE_NAMES)
    if unknown:
        raise ValueError(f"unknown scores {sorted(unknown)}; known: {', '.join(SCORE_NAMES)}")
    tp = np.arange(positives + 1, dtype=np.int64)[:, None]
    tn = np.arange(negatives + 1, dtype=np.int64)[None, :]
    fn, fp = positives - tp, negatives - tn
    parts = {"accuracy": (tp + tn, np.full_like(tp + tn, positives + negatives)), "recall": (tp, positives + 0 * tn),
             "specificity": (tn + 0 * tp, np.full_like(tn + 0 * tp, negatives)), "precision": (tp + 0 * tn, tp + fp),
             "npv": (tn + 0 * tp, tn + fn), "f1": (2 * tp + 0 * tn, 2 * tp + fp + fn)}
    m = 2 * 10 ** decimals
    ok = np.ones((positives + 1, negatives + 1), dtype=bool)
    for name, value in scores.items():
        v = _printed(value, decimals)
        num, den = (np.broadcast_to(a, ok.shape) for a in parts[name])
        x = m * num
        ok &= (den > 0) & ((2 * v - 1) * den <= x) & (x <= (2 * v + 1) * den)
    hits = np.argwhere(ok)
    ex = tuple((int(a), positives - int(a), negatives - int(b), int(b)) for a, b in hits[:max_examples])
    return ScoreSetCheck(dict(scores), decimals, positives, negatives, int(hits.shape[0]), ex)
