"""The audit's vocabulary: a ``Claim`` (a published number checked, or a finding) and how to make one.

``lungxray audit`` recomputes every published number that follows from other published numbers.

Each check is a ``Claim``: where it is printed, what it says, the published value, the value
recomputed from the paper's other numbers, the tolerance (the paper's own rounding) and, when
they disagree, a one-line explanation. Findings (what the data shows, definitional slips) are
claims with ``kind="finding"``.

Generic checks come from each experiment's ``Published`` data (metrics from a published
confusion matrix, macro rows from per-class rows, F1 from precision and recall); a study adds
its own through ``Study.audit`` (split tables, resampling rules, logs against final figures,
the numeric statements of its prose, and the forensic tools of ``lungxray.audit.forensics`` run on
its printed numbers).

Every record carries a severity, so a reviewer reads the worst first:
- ``critical``: changes what a published number means or whether it can be trusted (a leak,
  a metric that is not what its name says, models compared on different test sets);
- ``major``: a published number that its own paper contradicts, or an unstated detail that
  changes results;
- ``minor``: rounding-level slips, reporting gaps, recovered details that change nothing.
A consistent claim has no severity that matters; an inconsistent one shows the severity it
was declared with. ``tool`` names what produced the record and ``evidence`` holds its
arithmetic or the recovered configuration as JSON-ready data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from lungxray._util.output import json_safe
from lungxray.judge.printed import decimals_of, rounding  # noqa: F401  (re-exported for study audits)

SEVERITIES = ("critical", "major", "minor")
KINDS = ("consistency", "finding")


@dataclass(frozen=True)
class Claim:
    study: str
    source: str
    claim: str
    published: float
    recomputed: float
    tolerance: float
    explanation: str = ""  # shown when inconsistent
    kind: str = "consistency"  # or "finding"
    experiment: str = ""  # when the claim is about one published metric of one experiment ...
    metric: str = ""  # ... its key, so that metric's verdict can say "published number inconsistent"
    severity: str = "major"  # critical | major | minor (see the module docstring)
    tool: str = "arithmetic"  # what produced it: arithmetic, prose, split-recovery, denominator, batch-size, ...
    evidence: Mapping[str, Any] = field(default_factory=dict)  # JSON-ready arithmetic / configuration

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")

    @property
    def problem(self) -> bool:
        """Whether a reviewer must read it: an inconsistency, or a finding."""
        return self.kind == "finding" or not self.consistent

    @property
    def consistent(self) -> bool:
        if self.kind == "finding":
            return False
        return abs(self.published - self.recomputed) <= self.tolerance + 1e-9

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("published", "recomputed"):
            if isinstance(d[k], float) and math.isnan(d[k]):
                d[k] = None  # findings carry no number
        d["consistent"] = None if self.kind == "finding" else self.consistent
        d["evidence"] = json_safe(self.evidence)
        return d


def claim(study: str, source: str, text: str, published: float, recomputed: float,
          tolerance: float | None = None, explanation: str = "", experiment: str = "", metric: str = "", *,
          severity: str = "major", tool: str = "arithmetic", evidence: Mapping[str, Any] | None = None) -> Claim:
    """A published number checked against the value its paper's other numbers give."""
    tol = rounding(published) if tolerance is None else tolerance
    return Claim(study, source, text, float(published), float(recomputed), tol, explanation,
                 experiment=experiment, metric=metric, severity=severity, tool=tool, evidence=evidence or {})


def finding(study: str, source: str, text: str, value: float = math.nan, explanation: str = "", *,
            severity: str = "major", tool: str = "reading", evidence: Mapping[str, Any] | None = None,
            experiment: str = "", metric: str = "") -> Claim:
    """What the paper's numbers or data reveal that is not a simple arithmetic check."""
    return Claim(study, source, text, value, value, 0.0, explanation or text, kind="finding",
                 experiment=experiment, metric=metric, severity=severity, tool=tool, evidence=evidence or {})


def prose(study: str, source: str, text: str, stated: float, from_tables: float,
          tolerance: float | None = None, explanation: str = "", *, severity: str = "minor",
          experiment: str = "", metric: str = "", evidence: Mapping[str, Any] | None = None) -> Claim:
    """A numeric statement of the paper's text, checked against its tables like any other number."""
    return claim(study, source, text, stated, from_tables, tolerance, explanation, experiment, metric,
                 severity=severity, tool="prose", evidence=evidence)


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


RANK = {sev: i for i, sev in enumerate(SEVERITIES)}


def ranked(claims: Sequence[Claim]) -> list[Claim]:
    """Problems first (critical, major, minor; inconsistencies before findings at each level), then the rest."""
    return sorted(claims, key=lambda c: (not c.problem, RANK[c.severity], c.kind == "finding"))
