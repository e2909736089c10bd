"""Batch sizes: which batch sizes explain a log whose accuracy is the mean over batches of per-batch accuracy.

Rounding conventions: see :mod:`lungxray.audit.forensics`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lungxray.audit.forensics.denominators import _check_rounding, _printed, _prints_as, _witnesses


def _batch_attainable(v: int, decimals: int, n: int, b: int, drop_last: bool, scale: int,
                      rounding: str) -> bool:
    """Can the mean over batches of per-batch accuracy print as v for batch size b?

    Full batches: q = n // b of size b, total correct C in 0..q*b; last batch r = n % b with
    c correct.  Mean = (C/b + c/r) / (q + 1) = (C*r + c*b) / (b*r*(q+1)); without a last
    batch (r == 0 or drop_last) mean = C / (b*q).  For each c the admissible C form an
    interval, found with integer arithmetic; only its end points need an exact check.
    """
    q, r = divmod(n, b)
    if drop_last or r == 0:
        if q == 0:
            return False
        return bool(_witnesses(v, decimals, b * q, scale, rounding))
    den = b * r * (q + 1)
    m = 2 * 10 ** decimals * scale
    # closed bounds on x = m*(C*r + c*b) compared with den*(...); ties settled exactly below
    lo_x, hi_x = ((2 * v, 2 * v + 2) if rounding == "truncate" else (2 * v - 1, 2 * v + 1))
    lo_x, hi_x = lo_x * den, hi_x * den
    for c in range(r + 1):
        cmin = max(0, -((c * b * m - lo_x) // (r * m)))  # ceil
        cmax = min(q * b, (hi_x - c * b * m) // (r * m))  # floor
        if cmax - cmin >= 2:  # cmin + 1 lies strictly inside the rounding interval
            return True
        for cc in range(cmin, cmax + 1):
            if _prints_as(cc * r + c * b, den, v, decimals, scale, rounding):
                return True
    return False


@dataclass(frozen=True)
class BatchInference:
    """Batch sizes consistent with a log of mean-over-batches accuracies.

    ``consistent``: candidate batch sizes explaining every value.  ``failing[i]``: the
    candidates that cannot produce value i.  ``image_level[i]``: whether value i is some
    k/n (a sample-weighted mean, as Keras reports); ``image_level_all`` for the whole log.
    """

    values: tuple[str, ...]
    decimals: int
    n: int
    scale: int
    rounding: str
    drop_last: bool
    candidates: tuple[int, ...]
    consistent: tuple[int, ...]
    failing: tuple[tuple[int, ...], ...]
    image_level: tuple[bool, ...]

    @property
    def image_level_all(self) -> bool:
        return all(self.image_level)

    def to_dict(self) -> dict[str, Any]:
        return {"values": list(self.values), "decimals": self.decimals, "n": self.n,
                "scale": self.scale, "rounding": self.rounding, "drop_last": self.drop_last,
                "candidates": list(self.candidates), "consistent": list(self.consistent),
                "failing": [list(f) for f in self.failing],
                "image_level": list(self.image_level), "image_level_all": self.image_level_all}

    def summary(self) -> str:
        img = "explainable" if self.image_level_all else (
            f"not explainable ({self.image_level.count(False)} values are no k/{self.n})")
        bs = (", ".join(map(str, self.consistent[:12])) + (" ..." if len(self.consistent) > 12
                                                             else "")
              if self.consistent else "none")
        return (f"{len(self.values)} values, n={self.n}: batch sizes explaining all: {bs}; "
                f"as image-level accuracy: {img}")


def _batch_attainable_with_total(v: int, decimals: int, n: int, b: int, total: int, drop_last: bool,
                                 scale: int, rounding: str) -> bool:
    """As :func:`_batch_attainable`, when the same predictions are known to be ``total`` correct of n."""
    q, r = divmod(n, b)
    if r == 0:
        return q > 0 and _prints_as(total, b * q, v, decimals, scale, rounding)
    if drop_last:  # c of the total sit in the dropped last batch
        return q > 0 and any(_prints_as(total - c, b * q, v, decimals, scale, rounding)
                             for c in range(r + 1) if 0 <= total - c <= b * q)
    den = b * r * (q + 1)
    return any(_prints_as((total - c) * r + c * b, den, v, decimals, scale, rounding)
               for c in range(r + 1) if 0 <= total - c <= q * b)


def batch_sizes(values: Sequence[float | str], decimals: int, n: int,
                candidates: Iterable[int] = range(1, 129), *, drop_last: bool = False,
                scale: int = 1, rounding: str = "any",
                totals: Sequence[int | None] = ()) -> BatchInference:
    """Which batch sizes b make every logged value a mean over batches of per-batch accuracy.

    Assumes every epoch sees all n samples in batches of b (the last one of n mod b unless
    ``drop_last``) and logs the unweighted mean of per-batch accuracies (PyTorch loops that
    sum batch accuracies and divide by ``len(loader)``).  Exact; see :func:`_batch_attainable`.
    ``totals[i]``, when given and not None, is the number of correct predictions behind value i
    (the same model scored per image elsewhere in the paper): only the split of that total over
    the batches is then free, which pins the batch size much harder.
    """
    _check_rounding(rounding)
    cands = tuple(int(b) for b in candidates if b > 0)
    vs = [_printed(x, decimals) for x in values]
    tots = list(totals) + [None] * (len(vs) - len(totals))
    failing = []
    for v, t in zip(vs, tots, strict=True):
        if t is None:
            failing.append(tuple(b for b in cands
                                 if not _batch_attainable(v, decimals, n, b, drop_last, scale, rounding)))
        else:
            failing.append(tuple(b for b in cands if not _batch_attainable_with_total(
                v, decimals, n, b, int(t), drop_last, scale, rounding)))
    bad = set().union(*failing) if failing else set()
    return BatchInference(tuple(str(x) for x in values), decimals, n, scale, rounding, drop_last,
                          cands, tuple(b for b in cands if b not in bad), tuple(failing),
                          tuple(bool(_witnesses(v, decimals, n, scale, rounding)) for v in vs))
