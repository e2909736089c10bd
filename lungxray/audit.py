"""``lungxray audit``: recompute every published number that follows from other published numbers.

Each check is a ``Claim``: where it is printed, what it says, the published value, the value
recomputed from the paper's other numbers, the tolerance (the paper's own rounding) and, when
they disagree, a one-line explanation. Findings (what the data shows, definitional slips) are
claims with ``kind="finding"``.

Generic checks come from each experiment's ``Published`` data (metrics from a published
confusion matrix, macro rows from per-class rows, F1 from precision and recall); a study adds
its own through ``Study.audit`` (split tables, resampling rules, logs against final figures,
the numeric statements of its prose, and the forensic tools of ``lungxray.forensics`` run on
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from lungxray import metrics as M

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
        d["evidence"] = json_ready(self.evidence)
        return d


def json_ready(obj: Any) -> Any:
    """Tuples, numpy scalars and NaN made JSON-safe (evidence comes from many tools)."""
    if isinstance(obj, Mapping):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return obj


def decimals_of(value: float) -> int:
    """Decimal places as printed (0.9942 -> 4, 0.93 -> 2, 1.0 -> 2 at least)."""
    text = repr(float(value))
    return max(2, len(text.split(".")[1]) if "." in text and "e" not in text else 2)


def rounding(value: float) -> float:
    """Half a unit in the last printed place: the widest gap rounding alone explains."""
    return 0.5 * 10 ** -decimals_of(value)


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


def generic_claims(study) -> list[Claim]:
    out: list[Claim] = []
    for exp in study.experiments:
        pub = exp.published
        cfg = study.resolve(exp)
        positive = 1 if cfg.binary_positive else None
        by_key: dict[str, list] = {}
        for pm in pub.metrics:
            by_key.setdefault(pm.key, []).append(pm)
        if pub.confusion_matrix:
            cm_m = M.from_confusion(pub.confusion_matrix, cfg.classes, positive)
            for pm in pub.metrics:
                if pm.key in cm_m:
                    out.append(claim(study.id, f"{pm.source} vs {pub.confusion_source}",
                                     f"{exp.name}: {pm.name} from the published confusion matrix", pm.value,
                                     cm_m[pm.key], explanation=f"the confusion matrix gives {cm_m[pm.key]:.4f}",
                                     experiment=exp.name, metric=pm.key))
        for metric in ("precision", "recall", "f1"):
            macro = by_key.get(f"macro_{metric}")
            per = [by_key.get(f"{metric}[{c}]") for c in cfg.classes]
            if macro and all(per):
                mean = float(np.mean([p[0].value for p in per]))
                tol = rounding(macro[0].value) + float(np.mean([rounding(p[0].value) for p in per]))
                out.append(claim(study.id, macro[0].source, f"{exp.name}: macro {metric} = mean of per-class rows",
                                 macro[0].value, mean, tol, f"the mean of the per-class rows is {mean:.4f}",
                                 exp.name, f"macro_{metric}"))
        for cls in cfg.classes:
            p, r, f = (by_key.get(f"{m}[{cls}]") for m in ("precision", "recall", "f1"))
            if p and r and f:
                val = f1(p[0].value, r[0].value)
                # F1's sensitivity to rounding of p and r, plus its own rounding
                tol = rounding(f[0].value) + max(rounding(p[0].value), rounding(r[0].value))
                out.append(claim(study.id, f[0].source, f"{exp.name}: F1 {cls} from its precision and recall",
                                 f[0].value, val, tol, f"2PR/(P+R) gives {val:.4f}", exp.name, f"f1[{cls}]"))
        if cfg.binary_positive and all(k in by_key for k in ("precision", "recall", "f1")):
            val = f1(by_key["precision"][0].value, by_key["recall"][0].value)
            tol = rounding(by_key["f1"][0].value) + rounding(by_key["precision"][0].value)
            out.append(claim(study.id, by_key["f1"][0].source, f"{exp.name}: F1 from precision and recall",
                             by_key["f1"][0].value, val, tol, f"2PR/(P+R) gives {val:.4f}", exp.name, "f1"))
    return out


def audit_study(study) -> list[Claim]:
    """Generic checks, the study's own claims, and the forensic tools run on its declared evidence."""
    from lungxray.audit_tools import forensic_claims

    claims = generic_claims(study)
    if study.audit is not None:
        claims += list(study.audit())
    return claims + forensic_claims(study)


RANK = {sev: i for i, sev in enumerate(SEVERITIES)}


def ranked(claims: Sequence[Claim]) -> list[Claim]:
    """Problems first (critical, major, minor; inconsistencies before findings at each level), then the rest."""
    return sorted(claims, key=lambda c: (not c.problem, RANK[c.severity], c.kind == "finding"))


def _line(c: Claim, full: bool = True) -> str:
    """One record as text; ``full=False`` leaves the explanation out (minor problems in the short listing)."""
    where = f"[{c.source}]"
    if c.kind == "finding":
        extra = f": {c.explanation}" if full and c.explanation != c.claim else ""
        return f"  {c.severity.upper():8} finding {where} {c.claim}{extra}"
    if not c.consistent:
        extra = f": {c.explanation}" if full and c.explanation else ""
        return (f"  {c.severity.upper():8} inconsistent {where} {c.claim}: published {c.published:g}, "
                f"recomputed {c.recomputed:.4g} (tolerance {c.tolerance:g}){extra}")
    return f"  ok {where} {c.claim}: {c.published:g} ~ {c.recomputed:.4g}"


def to_text(claims: Sequence[Claim], verbose: bool = False) -> str:
    """One block per study: counts, then every problem ranked by severity (critical and major with their
    evidence, minor on one line each); ``verbose`` adds the minor problems' evidence and the consistent checks."""
    lines = []
    for sid in dict.fromkeys(c.study for c in claims):
        cs = ranked([c for c in claims if c.study == sid])
        probs = [c for c in cs if c.problem]
        n_ok = len(cs) - len(probs)
        sev = ", ".join(f"{sum(c.severity == s for c in probs)} {s}" for s in SEVERITIES)
        lines.append(f"== {sid}: {len(probs)} problems ({sev}); {n_ok} checks consistent")
        lines += [_line(c, full=verbose or c.severity != "minor") for c in probs]
        if not verbose and any(c.severity == "minor" for c in probs):
            lines.append("  (minor problems without their evidence; -v or --json for all of it)")
        if verbose:
            lines += [_line(c) for c in cs if not c.problem]
        lines.append("")
    return "\n".join(lines).rstrip()


def run_audit(studies: Iterable) -> list[Claim]:
    out: list[Claim] = []
    for st in studies:
        out += audit_study(st)
    return out


def inconsistent_metrics(study, experiment: str) -> dict[str, str]:
    """Published metric keys of one experiment that the audit finds inconsistent -> why."""
    return {c.metric: f"{c.source}: {c.claim} ({c.explanation})" for c in audit_study(study)
            if c.kind == "consistency" and not c.consistent and c.metric and c.experiment in ("", experiment)}
