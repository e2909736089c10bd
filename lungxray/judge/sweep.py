"""What a sweep shows: per published metric a specification curve and the effect of each switch, and per point
how well it fits the paper's own numbers beyond the headline.

- **Specification curve.** Each complete point's mean over its seeds, with the verdict rule's own 90% interval
  for the difference (``lungxray.judge.verdict``, the point's design) placed on the metric's scale, sorted; the
  published value with its own test-set noise band (``lungxray.judge.variance.paper_variance``) and tolerance.
- **Effect of a switch.** A point that switches one variant from the default, against the default point: the
  seeds are the same at both points (with ``resplit``, seed N has split N at both), so the effect is the mean of
  the K seed-paired differences with its 90% Student interval (K - 1 degrees of freedom). Against the metric's
  tolerance, by the same two one-sided tests as a verdict: *beyond the tolerance* (the interval lies wholly
  beyond +-t), *within the tolerance* (wholly inside), *moves it* (excludes 0 only), *not shown to move it*.
- **Which reading fits the paper.** For each point, every published number other than the primary one (the
  paper's other table rows and its final training-log values): the standardised difference ``z = d / sd(d)``
  under the point's design (a training-log value is one run of the paper against K of ours: ``sd^2 = s^2 (1 +
  1/K)``), how many of them the point's runs show to differ (the difference's 90% interval, widened by the printed
  rounding, excludes 0), and ``sum z^2``; and the paper's confusion matrix against the point's pooled one (a
  chi-square test of homogeneity per true class, summed). Points are ranked by (shown to differ, sum z^2). The
  rows are correlated (precision, recall and F1 share their images), so the sum ranks; it is not a calibrated
  test. It is evidence of fit, not a finding about what the authors did.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.stats import chi2 as chi2_dist
from scipy.stats import chi2_contingency
from scipy.stats import t as student

from lungxray.judge import variance as VM
from lungxray.judge.printed import rounding
from lungxray.judge.verdict import CONSISTENT, NOT_FAITHFUL, NOT_REPRODUCED, NOT_SHOWN, REAL
from lungxray.results.files import load_results
from lungxray.results.sweep import (
    BEYOND,
    DEFAULT_POINT,
    MOVES_SOME,
    NO_PAIRS,
    WITHIN,
    Compatibility,
    CurvePoint,
    Effect,
    MetricCurve,
    SweepResult,
)
from lungxray.results.sweep import (
    NOT_SHOWN as EFFECT_NOT_SHOWN,
)
from lungxray.results.types import AggregateResult, AggregateRow, RunResult

Key = tuple[str, str]  # a published number: its metric key and its source


class _Point:
    """A complete point's aggregate and member runs, by seed."""

    def __init__(self, name: str, changes: dict[str, str], folder: Path) -> None:
        self.name, self.changes = name, changes
        self.agg = AggregateResult.load(folder / name)
        self.runs: dict[int, RunResult] = {}
        for member in self.agg.runs:
            res = load_results(folder / name / member)
            self.runs[res.provenance.seed] = res
        self.rows = {(r.key, r.source): r for r in self.agg.comparison}

    def values(self, key: Key) -> dict[int, float]:
        """Each seed's reproduced value of a published number."""
        out = {}
        for seed, res in self.runs.items():
            for row in res.comparison:
                if (row.key, row.source) == key and row.reproduced is not None and math.isfinite(row.reproduced):
                    out[seed] = float(row.reproduced)
        return out


def analyse(result: SweepResult, folder: Path) -> SweepResult:
    """``result`` with its curves, effects, compatibility table, smoke and faithful flags filled from the complete
    points' folders under ``folder``."""
    points = [_Point(p.name, p.changes, folder) for p in result.points if p.complete]
    if not points:
        return replace(result, curves=[], compatibility=[], notes=["no point finished all its seeds: nothing to analyse"])
    default = next((p for p in points if p.name == DEFAULT_POINT), None)
    keys = [(r.key, r.source) for r in points[0].agg.comparison]
    curves = [_curve(key, points, default) for key in keys]
    smoke = any(res.smoke for p in points for res in p.runs.values())
    faithful = all(p.agg.faithful for p in points)
    notes = []  # the analysis's own notes, made afresh each time (rescore analyses a sweep again)
    if default is None:
        notes.append("the default point did not finish: no effect of a switch can be estimated")
    if any(k == "subset" for p in points for k in p.changes):
        notes.append("a switch of the subset changes which images seed N splits, so its seed pairs share the "
                     "seed, not the test images; its interval is still valid, only wider")
    return replace(result, curves=curves, compatibility=compatibility(points), smoke=smoke, faithful=faithful,
                   notes=notes)


def _curve(key: Key, points: Sequence[_Point], default: _Point | None) -> MetricCurve:
    row0 = points[0].rows[key]
    v_pub = VM.paper_variance(row0.published, row0.paper_images)
    band = None
    if row0.paper_images and not row0.informational:
        half = VM.Z_WILSON * math.sqrt(v_pub)
        band = (row0.published - half, row0.published + half)
    curve_points = [_curve_point(p, p.rows.get(key)) for p in points]
    curve_points.sort(key=lambda c: (c.mean is None, c.mean if c.mean is not None else 0.0, c.point))
    effects = [_effect(key, p, default, row0.tolerance) for p in points if default is not None and p is not default
               and len(p.changes) == 1] if default is not None else []
    curve = MetricCurve(row0.key, row0.label, row0.source, row0.published, row0.tolerance, row0.primary,
                        row0.informational, band, curve_points, effects, "")
    return replace(curve, sentence=sentence(curve))


def _curve_point(p: _Point, row: AggregateRow | None) -> CurvePoint:
    if row is None or row.mean is None:
        return CurvePoint(p.name, p.changes, None, None, None, row.verdict if row else "not run", p.agg.n_runs)
    if row.gap_interval is not None:
        lo, hi = row.published + row.gap_interval[0], row.published + row.gap_interval[1]
    elif row.interval is not None:
        lo, hi = row.interval.lo, row.interval.hi
    else:
        lo = hi = None
    return CurvePoint(p.name, p.changes, row.mean, lo, hi, row.verdict, p.agg.n_runs)


def _effect(key: Key, point: _Point, default: _Point, tolerance: float) -> Effect:
    (variant, choice), = point.changes.items()
    a, b = point.values(key), default.values(key)
    seeds = sorted(set(a) & set(b))
    if len(seeds) < 2:
        return Effect(variant, choice, point.name, None, None, None, len(seeds), NO_PAIRS)
    mean, lo, hi, moves = paired_effect(np.array([a[s] - b[s] for s in seeds]), tolerance)
    return Effect(variant, choice, point.name, mean, lo, hi, len(seeds), moves)


def paired_effect(differences: np.ndarray, tolerance: float) -> tuple[float, float, float, str]:
    """(mean, lo, hi, what it shows) of K >= 2 seed-paired differences: the 90% Student interval of their mean
    and, against ``tolerance``, the two one-sided tests of a verdict (each at 5%)."""
    d = np.asarray(differences, dtype=float)
    mean, sd, k = float(d.mean()), float(d.std(ddof=1)), len(d)
    half = float(student.ppf(1 - VM.ALPHA, k - 1)) * sd / math.sqrt(k)
    lo, hi = mean - half, mean + half
    within, beyond = VM.classify(lo, hi, tolerance)
    moves = BEYOND if beyond else WITHIN if within else MOVES_SOME if lo > 0 or hi < 0 else EFFECT_NOT_SHOWN
    return mean, lo, hi, moves


def sentence(curve: MetricCurve) -> str:
    """Which unstated details move the metric beyond its tolerance, and whether any reading reaches the published
    value: one sentence, from the curve's stored numbers only (a report re-renders it from sweep.json)."""
    head = f"{curve.label} ({curve.source}, published {curve.published:g}, tolerance ±{curve.tolerance:g})"
    beyond = [e for e in curve.effects if e.moves == BEYOND]
    some = [e for e in curve.effects if e.moves == MOVES_SOME]
    estimable = [e for e in curve.effects if e.moves != NO_PAIRS]
    if not estimable:
        moves = "no switch could be estimated against the default"
    elif beyond:
        moves = "moved beyond the tolerance by " + ", ".join(_effect_text(e) for e in beyond)
        if some:
            moves += ("; shown to move it, by an amount not resolved against the tolerance: "
                      + ", ".join(_effect_text(e) for e in some))
    elif some:
        moves = ("no switch is shown to move it beyond the tolerance; shown to move it, by an amount not resolved "
                 "against the tolerance: " + ", ".join(_effect_text(e) for e in some))
    else:
        within = sum(e.moves == WITHIN for e in estimable)
        moves = "no switch is shown to move it" + (
            "" if not within else " (the switch's effect is shown to lie within the tolerance)"
            if len(estimable) == 1 else " (every switch's effect is shown to lie within the tolerance)"
            if within == len(estimable) else f" ({within} of the {len(estimable)} switches' effects are shown to lie "
            "within the tolerance)")
    judged = [c for c in curve.points if c.mean is not None]
    span = _span(judged)
    if curve.informational:
        return f"{head}: {moves}; {span + '; ' if span else ''}a training-log value, not judged."
    real = [c for c in judged if c.verdict in REAL]
    by = {v: [c for c in real if c.verdict == v] for v in (CONSISTENT, NOT_SHOWN, NOT_REPRODUCED)}
    if not judged:
        reach = "no point has a value"
    elif not real:
        reach = "no point has a verdict on the paper: " + (
            "every point's runs are not faithful (not comparable)" if all(c.verdict == NOT_FAITHFUL for c in judged)
            else ", ".join(sorted({c.verdict for c in judged})))
    elif by[CONSISTENT]:
        reach = f"consistent with the published value at {_which(by[CONSISTENT], real)}"
    elif len(by[NOT_REPRODUCED]) == len(real):
        reach = ("no reading reaches the published value: every " + ("judged " if len(real) < len(judged) else "")
                 + "point is 'not reproduced'")
    elif by[NOT_SHOWN]:
        reach = (f"no reading is shown consistent (equivalence untestable at this tolerance); "
                 f"not shown to differ at {_which(by[NOT_SHOWN], real)}")
    else:
        reach = "no reading is shown consistent or shown to differ (inconclusive)"
    if by[NOT_REPRODUCED] and len(by[NOT_REPRODUCED]) < len(real):
        reach += f"; not reproduced at {_which(by[NOT_REPRODUCED], real)}"
    left = len(judged) - len(real)
    if real and left:
        reach += f" ({left} point(s) not comparable: their runs are not faithful)"
    return f"{head}: {moves}; {reach}{'; ' + span if span else ''}."


def _point_text(c: CurvePoint) -> str:
    """A point as the sentence names it: its name, the switches of a combination joined by " + "."""
    return c.point.replace(",", " + ")


def _which(some: Sequence[CurvePoint], every: Sequence[CurvePoint]) -> str:
    """Points named, or counted where naming them would be a list to read: "every one of the 7 readings",
    "6 of the 7 readings (all but selection=last)", "5 of the 12 readings"."""
    if len(some) == len(every) and len(every) > 1:
        return f"every one of the {len(every)} readings"
    if len(some) <= 3:
        return ", ".join(_point_text(c) for c in some)
    rest = [c for c in every if all(c is not x for x in some)]
    if len(rest) <= 2:
        return f"{len(some)} of the {len(every)} readings (all but {', '.join(_point_text(c) for c in rest)})"
    return f"{len(some)} of the {len(every)} readings"


def _span(points: Sequence[CurvePoint]) -> str:
    """Where the points' means lie: "the means run from 0.781 (selection=last) to 0.842 (default)"."""
    if len(points) < 2:
        return ""
    lo = min(points, key=lambda c: c.mean)
    hi = max(points, key=lambda c: c.mean)
    if f"{lo.mean:.3f}" == f"{hi.mean:.3f}":
        return f"every point's mean is {lo.mean:.3f}"
    return f"the means run from {lo.mean:.3f} ({_point_text(lo)}) to {hi.mean:.3f} ({_point_text(hi)})"


def _effect_text(e: Effect) -> str:
    return f"{e.variant}={e.choice} ({e.difference:+.3f}, 90% [{e.lo:+.3f}, {e.hi:+.3f}])"


# --- which reading fits the paper -------------------------------------------------------------------

def compatibility(points: Sequence[_Point]) -> list:
    rows = [_fit(p) for p in points]
    rows.sort(key=lambda c: (c.contradicted, c.chi2, c.point))
    return [replace(c, rank=i + 1) for i, c in enumerate(rows)]


def _fit(p: _Point) -> Compatibility:
    zs, shown, parts, compared, flat = [], 0, [], 0, []
    for key, row in p.rows.items():
        if row.primary:
            continue
        z, differs = _standardised(p, key, row)
        if z is None and not differs and not _no_spread(p, key):
            continue  # fewer than 2 values: not compared
        compared += 1
        if z is None:
            flat.append(row.label)
        else:
            zs.append(z)
        shown += differs
        if differs:
            parts.append(f"{row.label} ({row.source}) {row.published:g} vs {row.mean:.3f}"
                         + (" (the same at every seed)" if z is None else ""))
    cm_p = _confusion_p(p)
    chi = float(sum(z * z for z in zs))
    headline = next((r for r in p.rows.values() if r.primary), None)
    detail = (f"{shown} of {compared} published numbers beyond the headline shown to differ"
              + (f" ({'; '.join(parts)})" if parts else "") + f"; sum z^2 = {chi:.1f}"
              + (f" (without {', '.join(flat)}: no spread over the seeds, z undefined)" if flat else "")
              + (f"; confusion matrix p = {cm_p:.3g}" if cm_p is not None else "")
              + (f"; headline {headline.label}: {headline.verdict}" if headline else ""))
    return Compatibility(p.name, p.changes, compared, shown, chi, cm_p, 0, detail, parts)


def _standardised(p: _Point, key: Key, row: AggregateRow) -> tuple[float | None, bool]:
    """(z, shown to differ) of one published number at a point."""
    vals = np.array(list(p.values(key).values()), dtype=float)
    k = len(vals)
    if k < 2:
        return None, False
    mean, s = float(vals.mean()), float(vals.std(ddof=1))
    d = mean - row.published
    if row.informational:  # a final training-log value: one run of the paper's against K of ours
        total, df = s * s * (1 + 1 / k), k - 1
    else:
        ses = [res_row.interval.se for res in p.runs.values() for res_row in res.comparison
               if (res_row.key, res_row.source) == key and res_row.interval is not None]
        v = float(np.mean(np.square(ses))) if len(ses) == k and all(map(math.isfinite, ses)) else 0.0
        v_pub = 0.0 if row.design == VM.PAPER_IMAGES else VM.paper_variance(row.published, row.paper_images)
        total_a, df_a = VM.difference_variance(row.design, k, s, v, v_pub)
        total, df = float(total_a), float(df_a)
    r = rounding(row.published)
    if total <= 0:  # every seed gave the same value: no spread to standardise by; it differs if beyond the rounding
        return None, bool(abs(d) > r)
    half = float(student.ppf(1 - VM.ALPHA, df)) * math.sqrt(total) + r
    return d / math.sqrt(total), bool(d - half > 0 or d + half < 0)


def _no_spread(p: _Point, key: Key) -> bool:
    vals = list(p.values(key).values())
    return len(vals) >= 2 and len(set(vals)) == 1


def _confusion_p(p: _Point) -> float | None:
    """The paper's confusion matrix against the point's, pooled over its seeds: a chi-square test of homogeneity
    for each true class (its row of the paper against its row of ours), the statistics and degrees of freedom
    summed. None where the paper prints no matrix."""
    first = next(iter(p.runs.values()))
    paper = first.published.confusion_matrix
    if not paper:
        return None
    ours = np.sum([np.asarray(r.evaluation.confusion_matrix, dtype=float) for r in p.runs.values()], axis=0)
    paper_m = np.asarray(paper, dtype=float)
    if ours.shape != paper_m.shape:
        return None
    stat, dof = 0.0, 0
    for i in range(paper_m.shape[0]):
        table = np.vstack([paper_m[i], ours[i]])
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
            continue
        st, _, df, _ = chi2_contingency(table, correction=False)
        stat, dof = stat + float(st), dof + int(df)
    return float(chi2_dist.sf(stat, dof)) if dof else None
