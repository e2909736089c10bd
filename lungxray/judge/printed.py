"""How a published number was printed: its decimal places and the rounding interval they imply."""

from __future__ import annotations


def decimals_of(value: float) -> int:
    """Decimal places as printed (0.9942 -> 4, 0.93 -> 2, 1.0 -> 2 at least)."""
    text = repr(float(value))
    return max(2, len(text.split(".")[1]) if "." in text and "e" not in text else 2)


def rounding(value: float) -> float:
    """Half a unit in the last printed place: the widest gap rounding alone explains."""
    return 0.5 * 10 ** -decimals_of(value)


def interval_decimals(value: float) -> int:
    """Decimal places that show the rounding interval of a printed value: one more than the value's own
    (0.84 -> [0.835, 0.845], 3; 0.9942 -> [0.99415, 0.99425], 5), so the interval never collapses to a point."""
    return decimals_of(value) + 1
