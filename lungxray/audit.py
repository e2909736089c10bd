"""``lungxray audit``: recompute every published number that follows from other published numbers.

Each check is a ``Claim``: where it is printed, what it says, the published value, the value
recomputed from the paper's other numbers, the tolerance (the paper's own rounding) and, when
they disagree, a one-line explanation. Findings (what the data shows, definitional slips) are
claims with ``kind="finding"``.

Generic checks come from each experiment's ``Published`` data (metrics from a published
confusion matrix, macro rows from per-class rows, F1 from precision and recall); a study adds
its own through ``Study.audit`` (split tables, resampling rules, logs against final figures).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from lungxray import metrics as M


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
        return d


def decimals_of(value: float) -> int:
    """Decimal places as printed (0.9942 -> 4, 0.93 -> 2, 1.0 -> 2 at least)."""
    text = repr(float(value))
    return max(2, len(text.split(".")[1]) if "." in text and "e" not in text else 2)


def rounding(value: float) -> float:
    """Half a unit in the last printed place: the widest gap rounding alone explains."""
    return 0.5 * 10 ** -decimals_of(value)


def claim(study: str, source: str, text: str, published: float, recomputed: float,
          tolerance: float | None = None, explanation: str = "", experiment: str = "", metric: str = "") -> Claim:
    tol = rounding(published) if tolerance is None else tolerance
    return Claim(study, source, text, float(published), float(recomputed), tol, explanation,
                 experiment=experiment, metric=metric)


def finding(study: str, source: str, text: str, value: float = math.nan, explanation: str = "") -> Claim:
    return Claim(study, source, text, value, value, 0.0, explanation or text, kind="finding")


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def generic_claims(study) -> list[Claim]:
    out: list[Claim] = []
    for exp in study.experiments:
        pub = exp.published
        cfg = exp.configure(study.defaults())
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
    claims = generic_claims(study)
    if study.audit is not None:
        claims += list(study.audit())
    return claims


def to_text(claims: Sequence[Claim]) -> str:
    lines = []
    for sid in dict.fromkeys(c.study for c in claims):
        cs = [c for c in claims if c.study == sid]
        bad = [c for c in cs if c.kind == "consistency" and not c.consistent]
        finds = [c for c in cs if c.kind == "finding"]
        good = [c for c in cs if c.kind == "consistency" and c.consistent]
        lines.append(f"== {sid}: {len(good)} consistent, {len(bad)} inconsistent, {len(finds)} findings")
        for c in bad:
            lines.append(f"  INCONSISTENT [{c.source}] {c.claim}: published {c.published:g}, recomputed "
                         f"{c.recomputed:.4f} (tolerance {c.tolerance:g}): {c.explanation}")
        for c in finds:
            lines.append(f"  FINDING [{c.source}] {c.claim}" + (f": {c.explanation}" if c.explanation != c.claim else ""))
        for c in good:
            lines.append(f"  ok [{c.source}] {c.claim}: {c.published:g} ~ {c.recomputed:.4f}")
    return "\n".join(lines)


def run_audit(studies: Iterable) -> list[Claim]:
    out: list[Claim] = []
    for st in studies:
        out += audit_study(st)
    return out


def inconsistent_metrics(study, experiment: str) -> dict[str, str]:
    """Published metric keys of one experiment that the audit finds inconsistent -> why."""
    return {c.metric: f"{c.source}: {c.claim} ({c.explanation})" for c in audit_study(study)
            if c.kind == "consistency" and not c.consistent and c.metric and c.experiment in ("", experiment)}
