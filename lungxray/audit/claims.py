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

Every record carries a severity and names the rule of the rubric that placed it (``RULES``), so a
reviewer reads the worst first and can check why:

- ``critical`` / ``headline``: a published headline cannot be trusted as stated and the paper's
  conclusion changes (test images in training, models compared on different test sets, a headline
  that measures another task), shown by the paper's own numbers or its data, never by inference alone;
- ``major`` / ``contradiction``: a published result its own paper contradicts beyond rounding;
- ``major`` / ``unstated-detail``: an unstated or self-contradictory detail that changes results;
- ``major`` / ``inference``: what the paper does not state, inferred, however serious its consequence
  (inferences are capped at major unless the paper's own numbers prove them);
- ``minor`` / ``rounding``: a slip within one unit of the last printed digit;
- ``minor`` / ``recovered-detail``: a pipeline detail the paper's numbers reveal (a fact about the
  paper, not an error in it);
- ``minor`` / ``reporting``: a reporting gap, or a prose slip that changes no published result.

Code applies the rubric where it can: a record that names no rule gets one from its kind, tool and
severity (``default_rule``); a check whose published and recomputed values differ by at most one unit
of the last printed digit and that declares no severity is ``minor`` / ``rounding``
(``claim(severity=None)``); a record marked ``inference`` cannot be critical; a rule's severity must be
the record's. One record per fact: records that rest on the same evidence are merged (per-class rows
become one record listing the classes), so counts of records are counts of findings.

A consistent claim carries the severity and rule it would have if it failed; an inconsistent one
shows them. ``tool`` names what produced the record and ``evidence`` holds its arithmetic or the
recovered configuration as JSON-ready data.
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
class Rule:
    """One rule of the severity rubric (module docstring): the severity it gives and when it applies."""

    name: str
    severity: str
    when: str


RULES: dict[str, Rule] = {r.name: r for r in (
    Rule("headline", "critical", "a published headline cannot be trusted as stated and the paper's conclusion "
         "changes, shown by the paper's own numbers or its data (never by inference alone)"),
    Rule("contradiction", "major", "a published result its own paper contradicts beyond rounding"),
    Rule("unstated-detail", "major", "an unstated or self-contradictory detail that changes results"),
    Rule("inference", "major", "what the paper does not state, inferred; inferences are capped at major"),
    Rule("rounding", "minor", "a slip within one unit of the last printed digit"),
    Rule("recovered-detail", "minor", "a pipeline detail the paper's numbers reveal, not an error of the paper"),
    Rule("reporting", "minor", "a reporting gap, or a prose slip that changes no published result"),
)}
RECOVERY_TOOLS = ("split-recovery", "denominator", "batch-size", "confusion-reconstruction", "prevalence")


def default_rule(kind: str, tool: str, severity: str) -> str:
    """The rubric rule a record that names none falls under, from its kind, tool and severity."""
    if severity == "critical":
        return "headline"
    if severity == "major":
        return "contradiction" if kind == "consistency" else "unstated-detail"
    return "recovered-detail" if tool in RECOVERY_TOOLS else "reporting"


def rounding_level(published: float, recomputed: float, tolerance: float) -> bool:
    """Whether two values differ by at most one unit of the last printed digit (twice the half-unit tolerance)."""
    return tolerance > 0 and abs(published - recomputed) <= 2 * tolerance + 1e-9


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
    rule: str = ""  # the rubric rule that placed its severity (RULES); empty: default_rule decides
    inference: bool = False  # rests on what the paper does not state: never critical

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if not self.rule:
            object.__setattr__(self, "rule", default_rule(self.kind, self.tool, self.severity))
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {list(RULES)}, not {self.rule!r}")
        if RULES[self.rule].severity != self.severity:
            raise ValueError(f"{self.claim!r}: rule {self.rule!r} gives severity {RULES[self.rule].severity}, "
                             f"not {self.severity}")
        if self.inference and self.severity == "critical":
            raise ValueError(f"{self.claim!r}: an inference is capped at major (rubric rule 'inference')")

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
          severity: str | None = None, tool: str = "arithmetic", evidence: Mapping[str, Any] | None = None,
          rule: str = "", inference: bool = False) -> Claim:
    """A published number checked against the value its paper's other numbers give.

    ``severity=None`` applies the rubric: a difference within one unit of the last printed digit is
    ``minor`` / ``rounding``, anything else ``major`` / ``contradiction``."""
    tol = rounding(published) if tolerance is None else tolerance
    slip = not abs(published - recomputed) <= tol + 1e-9 and rounding_level(published, recomputed, tol)
    if severity is None:
        severity = "minor" if slip else "major"
    if not rule and severity == "minor" and slip:
        rule = "rounding"
    return Claim(study, source, text, float(published), float(recomputed), tol, explanation,
                 experiment=experiment, metric=metric, severity=severity, tool=tool, evidence=evidence or {},
                 rule=rule, inference=inference)


def finding(study: str, source: str, text: str, value: float = math.nan, explanation: str = "", *,
            severity: str = "major", tool: str = "reading", evidence: Mapping[str, Any] | None = None,
            experiment: str = "", metric: str = "", rule: str = "", inference: bool = False) -> Claim:
    """What the paper's numbers or data reveal that is not a simple arithmetic check."""
    return Claim(study, source, text, value, value, 0.0, explanation or text, kind="finding",
                 experiment=experiment, metric=metric, severity=severity, tool=tool, evidence=evidence or {},
                 rule=rule, inference=inference)


def prose(study: str, source: str, text: str, stated: float, from_tables: float,
          tolerance: float | None = None, explanation: str = "", *, severity: str = "minor",
          experiment: str = "", metric: str = "", evidence: Mapping[str, Any] | None = None,
          rule: str = "", inference: bool = False) -> Claim:
    """A numeric statement of the paper's text, checked against its tables like any other number."""
    return claim(study, source, text, stated, from_tables, tolerance, explanation, experiment, metric,
                 severity=severity, tool="prose", evidence=evidence, rule=rule, inference=inference)


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


RANK = {sev: i for i, sev in enumerate(SEVERITIES)}


def ranked(claims: Sequence[Claim]) -> list[Claim]:
    """Problems first (critical, major, minor; inconsistencies before findings at each level), then the rest."""
    return sorted(claims, key=lambda c: (not c.problem, RANK[c.severity], c.kind == "finding"))
