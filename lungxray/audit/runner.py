"""The audit runner: every check of one paper against itself, ranked, as text or JSON-ready claims."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from lungxray.audit.claims import SEVERITIES, Claim, claim, f1, ranked, rounding
from lungxray.audit.tools import forensic_claims
from lungxray.judge import metrics as M


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
    claims = generic_claims(study)
    if study.audit is not None:
        claims += list(study.audit())
    return claims + forensic_claims(study)


def _line(c: Claim, full: bool = True) -> str:
    """One record as text; ``full=False`` leaves the explanation out (minor problems in the short listing)."""
    where = f"[{c.source}]"
    level = f"{c.severity.upper()} ({c.rule}{', inferred' if c.inference and c.rule != 'inference' else ''})"
    if c.kind == "finding":
        extra = f": {c.explanation}" if full and c.explanation != c.claim else ""
        return f"  {level} finding {where} {c.claim}{extra}"
    if not c.consistent:
        extra = f": {c.explanation}" if full and c.explanation else ""
        return (f"  {level} inconsistent {where} {c.claim}: published {c.published:g}, "
                f"recomputed {c.recomputed:.4g} (tolerance {c.tolerance:g}){extra}")
    return f"  ok {where} {c.claim}: {c.published:g} ~ {c.recomputed:.4g}"


def to_text(claims: Sequence[Claim], verbose: bool = False) -> str:
    """One block per study: counts of findings (one record per fact), then every finding ranked by severity with
    the rubric rule that placed it (critical and major with their evidence, minor on one line each); ``verbose``
    adds the minor findings' evidence and the consistent checks."""
    lines = []
    for sid in dict.fromkeys(c.study for c in claims):
        cs = ranked([c for c in claims if c.study == sid])
        probs = [c for c in cs if c.problem]
        n_ok = len(cs) - len(probs)
        sev = ", ".join(f"{sum(c.severity == s for c in probs)} {s}" for s in SEVERITIES)
        lines.append(f"== {sid}: {len(probs)} findings ({sev}); {n_ok} checks consistent")
        lines += [_line(c, full=verbose or c.severity != "minor") for c in probs]
        if not verbose and any(c.severity == "minor" for c in probs):
            lines.append("  (minor findings without their evidence; -v or --json for all of it)")
        if verbose:
            lines += [_line(c) for c in cs if not c.problem]
        lines.append("")
    return "\n".join(lines).rstrip()


def run_audit(studies: Iterable) -> list[Claim]:
    out: list[Claim] = []
    for st in studies:
        out += audit_study(st)
    return out


_AUDITED: dict[int, tuple[object, list[Claim]]] = {}  # id(study) -> (the study, its audit), for this process


def inconsistent_metrics(study, experiment: str) -> dict[str, str]:
    """Published metric keys of one experiment that the audit finds inconsistent -> why.

    The study's audit is computed once per process and study object (covid_balancing's split recovery takes
    tens of seconds, and every scored run, rescore and sweep trial asks again); a study object is frozen, so
    its audit cannot change while it lives."""
    held = _AUDITED.get(id(study))
    if held is None or held[0] is not study:
        held = _AUDITED[id(study)] = (study, audit_study(study))
    return {c.metric: f"{c.source}: {c.claim} ({c.explanation})" for c in held[1]
            if c.kind == "consistency" and not c.consistent and c.metric and c.experiment in ("", experiment)}
