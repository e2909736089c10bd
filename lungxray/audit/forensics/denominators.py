"""Denominators: which set sizes make a printed rate a whole count, in exact rounding arithmetic (shared by
the batch and prevalence tools).

Rounding conventions: see :mod:`lungxray.audit.forensics`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ROUNDINGS = ("any", "half_up", "half_even", "truncate")


def _printed(value: float | str | Decimal, decimals: int) -> int:
    """The printed value as an integer count of last-digit units (95.58, 2 -> 9558)."""
    return int((Decimal(str(value)) * 10 ** decimals).to_integral_value())


def _prints_as(num: int, den: int, v: int, decimals: int, scale: int, rounding: str) -> bool:
    """Whether the exact value ``scale*num/den`` prints as ``v`` last-digit units."""
    x = 2 * 10 ** decimals * scale * num  # compare x/den with (2v +- 1)/2 exactly
    lo, hi = (2 * v - 1) * den, (2 * v + 1) * den
    if rounding == "truncate":
        return 2 * v * den <= x < (2 * v + 2) * den
    if lo < x < hi:
        return True
    if rounding == "any" and x in (lo, hi):
        return True  # an exact decimal tie: float formatting goes either way (f"{0.94375:.4f}" is '0.9437')
    tie_ok = v % 2 == 0
    if x == lo:
        return rounding == "half_up" or tie_ok
    if x == hi:
        return rounding != "half_up" and tie_ok
    return False


def _check_rounding(rounding: str) -> None:
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {ROUNDINGS}, not {rounding!r}")


def _witnesses(v: int, decimals: int, n: int, scale: int, rounding: str) -> list[int]:
    """All k in 0..n with k/n printing as v."""
    m = 2 * 10 ** decimals * scale
    k0 = max(0, ((2 * v - 1) * n) // m - 1)
    k1 = min(n, ((2 * v + 2) * n) // m + 1)
    return [k for k in range(k0, k1 + 1) if _prints_as(k, n, v, decimals, scale, rounding)]


def denominators(rate: float | str, decimals: int, n_range: Iterable[int], *, scale: int = 1,
                 rounding: str = "any") -> list[int]:
    """Set sizes n in ``n_range`` for which some k/n (0 <= k <= n) prints as ``rate``.

    ``scale`` = 100 when the rate is printed as a percentage (95.58 with decimals=2).
    ``rounding``: see the module docstring ("any" = half-up or half-even).
    """
    _check_rounding(rounding)
    v = _printed(rate, decimals)
    return [n for n in n_range if n > 0 and _witnesses(v, decimals, n, scale, rounding)]


def common_denominators(rates: Sequence[float | str], decimals: int, n_range: Iterable[int], *,
                        scale: int = 1, rounding: str = "any") -> list[int]:
    """Set sizes n for which every rate of a series is attainable as some k/n."""
    _check_rounding(rounding)
    vs = [_printed(r, decimals) for r in rates]
    return [n for n in n_range
            if n > 0 and all(_witnesses(v, decimals, n, scale, rounding) for v in vs)]


@dataclass(frozen=True)
class RateCheck:
    """Which printed rates are attainable as k/n for one n; ``witnesses`` lists the k."""

    rates: tuple[str, ...]
    decimals: int
    n: int
    scale: int
    rounding: str
    witnesses: tuple[tuple[int, ...], ...]

    @property
    def impossible(self) -> tuple[str, ...]:
        return tuple(r for r, w in zip(self.rates, self.witnesses, strict=True) if not w)

    def to_dict(self) -> dict[str, Any]:
        return {"rates": list(self.rates), "decimals": self.decimals, "n": self.n,
                "scale": self.scale, "rounding": self.rounding,
                "witnesses": [list(w) for w in self.witnesses],
                "impossible": list(self.impossible)}

    def summary(self) -> str:
        bad = self.impossible
        if not bad:
            return f"all {len(self.rates)} rates are attainable as k/{self.n}"
        return (f"{len(bad)} of {len(self.rates)} rates cannot be k/{self.n}: "
                + ", ".join(bad))


def impossible_on(rates: Sequence[float | str], decimals: int, n: int, *, scale: int = 1,
                  rounding: str = "any") -> RateCheck:
    """Check each printed rate against the set size n (``.impossible`` lists the failures)."""
    _check_rounding(rounding)
    return RateCheck(tuple(str(r) for r in rates), decimals, n, scale, rounding,
                     tuple(tuple(_witnesses(_printed(r, decimals), decimals, n, scale, rounding))
                           for r in rates))
