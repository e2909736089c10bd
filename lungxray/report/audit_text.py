"""Audit records as a reviewer reads them: one sentence per record (the claim and what the check found, numbers
labelled) and its evidence as a short table of labelled values.

Written against the generic fields of ``lungxray.audit.claims.Claim`` (claim, explanation, published,
recomputed, tolerance, kind, evidence), so records of any tool, and fields added later, render the same way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from lungxray._util.output import json_safe
from lungxray.audit.claims import Claim

EVIDENCE_ROWS = 6  # rows of an evidence table; the rest is in `lungxray audit -v --json`
_LEGEND = re.compile(r"^\s*1\s*=\s*(?P<one>[^,]+),\s*0\s*=\s*(?P<zero>.+?)\s*$")


def number(x: Any) -> str:
    """A number as a reader wants it: whole numbers with thousands separators, others to 4 significant digits."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (int, float)) and float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    if isinstance(x, float) and 0 < abs(x) < 1e-3:  # 5e-05 reads as 0.00005
        return f"{x:.{3 - math.floor(math.log10(abs(x)))}f}".rstrip("0")
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def _truth_check(c: Claim) -> bool:
    """A statement checked for truth (1 = it holds, 0 = it does not) or a count of values that fail (0 fit):
    its two numbers say nothing a sentence cannot say better."""
    p, r = c.published, c.recomputed
    return c.tolerance == 0 and (r == 0 or {p, r} <= {0.0, 1.0})


def claim_sentence(c: Claim) -> str:
    """The record as one sentence: what the paper says, and what the check found (its explanation, which states
    the numbers with their meaning), or the two numbers labelled where there is no explanation."""
    claim = c.claim.rstrip(". ")
    expl = c.explanation.strip().rstrip(".")
    if c.kind == "finding":
        return f"{claim}. {expl[:1].upper()}{expl[1:]}." if expl and not expl.startswith(claim) else f"{claim}."
    if c.consistent:
        return f"{claim}: holds (stated {number(c.published)}, recomputed {number(c.recomputed)})."
    legend = _LEGEND.match(expl)
    if legend and c.recomputed in (0.0, 1.0):
        return f"{claim}: not so, {legend['one' if c.recomputed == 1 else 'zero']}."
    if _truth_check(c):
        return f"{claim}: not so" + (f", {expl}." if expl else ".")
    if expl:
        return f"{claim} (paper's value {number(c.published)}): {expl}."
    return (f"{claim}: the paper's value is {number(c.published)}, its other numbers give {number(c.recomputed)}"
            + (" (they must agree exactly)." if c.tolerance == 0 else
               f" (its rounding allows ±{number(c.tolerance)})."))


def _label(path: list[str]) -> str:
    return " › ".join(p.replace("_", " ") for p in path)


def _value(v: Any) -> str:
    if isinstance(v, list):
        shown = ", ".join(_value(x) for x in v[:6])
        return f"{shown}, … ({len(v)} in all)" if len(v) > 6 else shown or "none"
    if isinstance(v, Mapping):
        return ", ".join(f"{k}: {_value(x)}" for k, x in list(v.items())[:4]) + (" …" if len(v) > 4 else "")
    text = number(v)
    return text if len(text) <= 90 else text[:87] + "…"


def _flatten(value: Any, path: list[str], depth: int = 3) -> list[tuple[list[str], Any]]:
    if isinstance(value, Mapping) and value and depth:
        return [row for k, v in value.items() for row in _flatten(v, [*path, str(k)], depth - 1)]
    return [(path, value)]


def evidence_rows(c: Claim, limit: int = EVIDENCE_ROWS) -> list[tuple[str, str]]:
    """(label, value) rows: the two numbers checked (labelled) where they mean something, then the tool's evidence,
    flattened (a shared leading key dropped), at most ``limit`` rows with a last row saying how many are left out."""
    rows: list[tuple[str, str]] = []
    if c.kind == "consistency" and not _truth_check(c):
        rows += [("paper's value", number(c.published)), ("recomputed", number(c.recomputed)),
                 ("allowed difference", "none (exact)" if c.tolerance == 0 else f"±{number(c.tolerance)}")]
    flat = _flatten(json_safe(c.evidence), [])
    if flat and all(len(p) > 1 for p, _ in flat) and len({p[0] for p, _ in flat}) == 1:
        flat = [(p[1:], v) for p, v in flat]
    rows += [(_label(p), _value(v)) for p, v in flat if p]
    if len(rows) > limit:
        rest = len(rows) - (limit - 1)
        rows = [*rows[:limit - 1], (f"+{rest} more rows", f"python -m lungxray audit {c.study} -v --json")]
    return rows
