"""Implied prevalence: the positive share of a binary test set that printed accuracy, precision and recall imply.

Rounding conventions: see :mod:`lungxray.audit.forensics`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


def _half_width(decimals: int, scale: int) -> float:
    return 0.5 * 10.0 ** -decimals / scale


@dataclass(frozen=True)
class Interval:
    """A closed interval [lo, hi] and the inputs it was computed from."""

    lo: float
    hi: float
    inputs: Mapping[str, Any]

    def contains(self, x: float) -> bool:
        return self.lo <= x <= self.hi

    @property
    def empty(self) -> bool:
        return self.lo > self.hi

    def to_dict(self) -> dict[str, Any]:
        return {"lo": self.lo, "hi": self.hi, "inputs": dict(self.inputs)}

    def summary(self) -> str:
        if self.empty:
            return "implied positive share: no solution"
        return f"implied positive share in [{self.lo:.4f}, {self.hi:.4f}]"


def implied_prevalence(accuracy: float, precision: float, recall: float, decimals: int, *,
                       scale: int = 1) -> Interval:
    """Positive share pi implied by printed binary accuracy, precision and recall.

    Assumes P and R are those of the positive class on the same test set as A, so
    pi = (1-A) / (1 - 2R + R/P).  Each value ranges over its rounding interval
    [v - h, v + h] (h = half a unit of the last printed digit, any rounding mode); pi is
    monotone in each of A, P, R for fixed others, so the extremes lie on the 8 corners.
    The interval is clipped to [0, 1]; empty (lo > hi) when no share fits.
    """
    h = _half_width(decimals, scale)
    box = [(max(0.0, x / scale - h), min(1.0, x / scale + h))
           for x in (accuracy, precision, recall)]
    if box[1][1] <= 0:
        raise ValueError("precision must be positive")
    vals = []
    for a, p, r in itertools.product(*box):
        p = max(p, 1e-12)
        den = 1 - 2 * r + r / p
        if den > 0:
            vals.append((1 - a) / den)
    lo, hi = (min(vals), max(vals)) if vals else (1.0, 0.0)
    return Interval(max(lo, 0.0), min(hi, 1.0),
                    {"accuracy": accuracy, "precision": precision, "recall": recall,
                     "decimals": decimals, "scale": scale, "reading": "binary"})


@dataclass(frozen=True)
class PrevalenceSearch:
    """Integer (positives p, TP, TN) on n images matching printed A, P, R.

    ``average``: "macro" (P and R averaged over both classes) or "binary" (positive
    class).  ``share`` spans p/n over all solutions; ``examples`` holds a few (p, TP, TN).
    """

    accuracy: float
    precision: float
    recall: float
    decimals: int
    scale: int
    n: int
    average: str
    n_solutions: int
    p_range: tuple[int, int] | None
    examples: tuple[tuple[int, int, int], ...]

    @property
    def share(self) -> Interval:
        lo, hi = ((self.p_range[0] / self.n, self.p_range[1] / self.n) if self.p_range
                  else (1.0, 0.0))
        return Interval(lo, hi, {"n": self.n, "average": self.average})

    def to_dict(self) -> dict[str, Any]:
        return {"accuracy": self.accuracy, "precision": self.precision, "recall": self.recall,
                "decimals": self.decimals, "scale": self.scale, "n": self.n,
                "average": self.average, "n_solutions": self.n_solutions,
                "p_range": list(self.p_range) if self.p_range else None,
                "examples": [list(e) for e in self.examples]}

    def summary(self) -> str:
        if not self.p_range:
            return f"{self.average} reading, n={self.n}: no integer solution"
        return (f"{self.average} reading, n={self.n}: {self.n_solutions} solutions, positives "
                f"{self.p_range[0]}..{self.p_range[1]} (share {self.share.lo:.4f}.."
                f"{self.share.hi:.4f})")


def prevalence_search(accuracy: float, precision: float, recall: float, decimals: int, n: int,
                      *, average: str = "macro", scale: int = 1,
                      max_examples: int = 10) -> PrevalenceSearch:
    """Enumerate positives p in 1..n-1 and TP, TN on n images matching printed A, P, R.

    Values are compared with their closed rounding intervals (any rounding mode) in floating
    point with a 1e-12 slack.  Accuracy fixes TP+TN to a few values, so the search is
    O(n^2) at most.
    """
    if average not in ("macro", "binary"):
        raise ValueError("average must be 'macro' or 'binary'")
    h = _half_width(decimals, scale) + 1e-12
    a, pr, rc = accuracy / scale, precision / scale, recall / scale
    ks = [kk for kk in range(n + 1) if abs(kk / n - a) <= h]
    sols = 0
    lo_p = hi_p = None
    ex: list[tuple[int, int, int]] = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for p in range(1, n):
            neg = n - p
            for kk in ks:
                tp = np.arange(max(0, kk - neg), min(p, kk) + 1)
                if tp.size == 0:
                    continue
                tn = kk - tp
                fp, fn = neg - tn, p - tp
                prec_pos = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
                rec_pos = tp / p
                if average == "macro":
                    prec_neg = np.where(tn + fn > 0, tn / (tn + fn), 0.0)
                    P = (prec_pos + prec_neg) / 2
                    R = (rec_pos + tn / neg) / 2
                else:
                    P, R = prec_pos, rec_pos
                ok = (np.abs(P - pr) <= h) & (np.abs(R - rc) <= h)
                hits = np.flatnonzero(ok)
                if hits.size:
                    sols += int(hits.size)
                    lo_p = p if lo_p is None else lo_p
                    hi_p = p
                    for t in hits[: max(0, max_examples - len(ex))]:
                        ex.append((p, int(tp[t]), int(tn[t])))
    return PrevalenceSearch(accuracy, precision, recall, decimals, scale, n, average, sols,
                            (lo_p, hi_p) if lo_p is not None else None, tuple(ex))


@dataclass(frozen=True)
class PrevalenceComparison:
    """Whether a described positive share lies in the implied interval."""

    interval: Interval
    described_share: float
    inside: bool
    distance: float

    def to_dict(self) -> dict[str, Any]:
        return {"interval": self.interval.to_dict(), "described_share": self.described_share,
                "inside": self.inside, "distance": self.distance}

    def summary(self) -> str:
        verdict = "consistent" if self.inside else f"INCONSISTENT (off by {self.distance:.4f})"
        return (f"described share {self.described_share:.4f} vs implied "
                f"[{self.interval.lo:.4f}, {self.interval.hi:.4f}]: {verdict}")


def compare_prevalence(interval: Interval, described_share: float) -> PrevalenceComparison:
    """Flag a described test-set positive share outside the implied interval."""
    if interval.empty:
        return PrevalenceComparison(interval, described_share, False, math.inf)
    d = max(interval.lo - described_share, described_share - interval.hi, 0.0)
    return PrevalenceComparison(interval, described_share, d == 0.0, d)
