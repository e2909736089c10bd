"""The one verdict rule: a published number against a reproduced interval.

Every comparison in the package (``lungxray.judge.faithful.score`` after a run and in ``lungxray rescore``,
``results.aggregate`` over seeds, ``lungxray check``) goes through :func:`decide`. The rule, checkable by hand:

1. The published value ``p`` stands for the interval ``p ± r``, ``r`` half a unit of its last
   printed digit (0.93 -> [0.925, 0.935]).
2. The reproduced value ``x`` carries a 95% interval ``[lo, hi]`` over the test images: Wilson's
   interval for proportions (accuracy, a class's recall, precision or one-vs-rest accuracy,
   specificity), a seeded percentile bootstrap over test images for everything else (F1,
   macro and weighted averages, mean one-vs-rest accuracy, loss). Over K seeds the interval is
   Student's prediction interval ``mean ± t(K-1) * sqrt(se_test^2 + s^2 * (1 + 1/K))``: ``se_test``
   the mean test-set standard error of one run, ``s`` the standard deviation over seeds; it is where
   one more run of the pipeline lands.
3. The gap interval is ``G = [lo - (p + r), hi - (p - r)]``: every difference reproduced minus
   published that the two intervals allow. With the tolerance ``t`` declared before any run (the
   smallest gap that matters):
   - **consistent**: ``G`` lies inside ``(-t, t)``: any difference is smaller than what matters;
   - **not reproduced**: every difference in ``G`` is at least ``t`` in size: a gap that matters;
   - **inconclusive**: otherwise: both a difference below ``t`` and one of at least ``t`` fit; the
     record says how many test images (or, when seeds dominate, nothing) would decide.
4. Before all of this: a published number the audit finds inconsistent gets
   ``published number inconsistent``; a run with a departure from the paper that is not minor
   gets ``not comparable (run not faithful)``; a metric the run did not compute, or one that is
   undefined on its test set (no test images of the class, or none predicted as it), ``not run``,
   with no reproduced value.
5. A training-log value of the evaluated epoch has no interval in one run, and its tolerance is the
   package's (0.05, or 0.1 for a loss), not one its study declared: its row is informational, shown
   with its verdict but never held by ``lungxray check``; over seeds it gets the seed spread.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from lungxray.results.types import ComparisonRow, Interval

Z95 = 1.959963984540054
LEVEL = 0.95
N_RESAMPLES = 1000
SEED = 0

CONSISTENT, NOT_REPRODUCED, INCONCLUSIVE = "consistent", "not reproduced", "inconclusive"
INCONSISTENT, NOT_FAITHFUL, NOT_RUN = "published number inconsistent", "not comparable (run not faithful)", "not run"
VERDICTS = (CONSISTENT, INCONCLUSIVE, NOT_REPRODUCED, INCONSISTENT, NOT_FAITHFUL, NOT_RUN)


@dataclass(frozen=True)
class Estimate:
    """A reproduced value with its 95% interval and standard error, and how they were obtained."""

    value: float
    lo: float
    hi: float
    se: float
    method: str  # "wilson", "bootstrap", "seeds" (K runs), or "none"
    n: int  # test images behind it (per run)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Decision:
    verdict: str
    gap: tuple[float, float] | None = None  # G: reproduced minus published, every difference the intervals allow
    detail: str = ""
    n_to_decide: int | None = None  # test images that would make an inconclusive comparison decide

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "gap_interval": list(self.gap) if self.gap else None,
                "detail": self.detail, "n_to_decide": self.n_to_decide}


# --- intervals ------------------------------------------------------------------------------------

def _wilson(k: int, n: int, value: float) -> Estimate:
    from scipy.stats import binomtest

    if n == 0:  # no test images behind it (a class absent from the test set): undefined, not 0
        return Estimate(math.nan, math.nan, math.nan, math.nan, "none", 0)
    ci = binomtest(int(k), int(n)).proportion_ci(LEVEL, method="wilson")
    return Estimate(value, float(ci.low), float(ci.high), (ci.high - ci.low) / (2 * Z95), "wilson", int(n))


def _proportion(key: str, cm: np.ndarray, classes: Sequence[str], positive: int | None) -> tuple[int, int] | None:
    """(successes, trials) when ``key`` is a proportion of test images; None otherwise."""
    tp = np.diag(cm)
    idx = {c: i for i, c in enumerate(classes)}
    total = int(cm.sum())
    if key == "accuracy":
        return int(tp.sum()), total
    if positive is not None and key in ("precision", "recall", "specificity"):
        i = positive if key != "specificity" else 1 - positive
        return (int(tp[i]), int(cm[:, i].sum())) if key == "precision" else (int(tp[i]), int(cm[i].sum()))
    if "[" in key:
        name, cls = key[:-1].split("[", 1)
        if cls not in idx:
            return None
        i = idx[cls]
        if name == "recall":
            return int(tp[i]), int(cm[i].sum())
        if name == "precision":
            return int(tp[i]), int(cm[:, i].sum())
        if name == "ovr_accuracy":
            fp, fn = int(cm[:, i].sum() - tp[i]), int(cm[i].sum() - tp[i])
            return total - fp - fn, total
    return None


def intervals(keys: Sequence[str], y_true: Sequence[int], y_pred: Sequence[int], classes: Sequence[str],
              positive: int | None = None, proba: np.ndarray | None = None, batch_size: int | None = None,
              values: Mapping[str, float] | None = None) -> dict[str, Estimate]:
    """95% intervals over the test images for the metrics ``keys`` (those lungxray.judge.metrics computes,
    plus ``loss`` when ``proba`` is given). Proportions: Wilson; the rest: scipy's percentile bootstrap,
    resampling test images with a fixed seed, so the same predictions give the same interval."""
    from scipy.stats import bootstrap

    from lungxray.judge import metrics as M

    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    n = len(y_true)
    if n == 0:
        return {}
    mets = dict(values) if values is not None else M.compute(y_true, y_pred, classes, positive, batch_size)
    if proba is not None:
        mets.setdefault("loss", M.cross_entropy(y_true, proba))
    cm = M.confusion(y_true, y_pred, len(classes))
    out: dict[str, Estimate] = {}
    boot = []
    for k in keys:
        if k not in mets or mets[k] is None or (isinstance(mets[k], float) and math.isnan(mets[k])):
            continue
        prop = _proportion(k, cm, classes, positive)
        if prop is not None:
            out[k] = _wilson(prop[0], prop[1], float(mets[k]))
        elif k != "loss" or proba is not None:
            boot.append(k)
    if boot:
        def stat(idx):
            idx = np.asarray(idx, dtype=int)
            m = M.compute(y_true[idx], y_pred[idx], classes, positive, batch_size)
            if "loss" in boot:
                m["loss"] = M.cross_entropy(y_true[idx], proba[idx])
            return np.array([m[k] for k in boot])

        res = bootstrap((np.arange(n),), stat, vectorized=False, n_resamples=N_RESAMPLES, confidence_level=LEVEL,
                        method="percentile", random_state=np.random.default_rng(SEED))
        lo, hi = np.atleast_1d(res.confidence_interval.low), np.atleast_1d(res.confidence_interval.high)
        se = np.atleast_1d(res.standard_error)
        for i, k in enumerate(boot):
            out[k] = Estimate(float(mets[k]), float(lo[i]), float(hi[i]), float(se[i]), "bootstrap", n)
    return out


def over_seeds(per_run: Sequence[Estimate], bounded: bool = True) -> Estimate:
    """K runs that differ only in seed: where one more run lands (module docstring, rule 2): a prediction
    interval ``mean ± t(K-1) sqrt(se_test^2 + s^2 (1 + 1/K))`` (t: Student's 97.5% quantile; 1.96 for K = 1),
    clipped to [0, 1] for bounded metrics. With ``--resplit`` ``s`` already holds test-set variation, so the
    interval errs on the wide side."""
    from scipy.stats import t as student

    vals = np.array([e.value for e in per_run], dtype=float)
    k = len(vals)
    ses = [e.se for e in per_run if not math.isnan(e.se)]
    se_test = float(np.mean(ses)) if ses else 0.0
    s = float(vals.std(ddof=1)) if k > 1 else 0.0
    q = float(student.ppf(0.975, k - 1)) if k > 1 else Z95
    h = q * math.sqrt(se_test ** 2 + s ** 2 * (1 + 1 / k))
    mean = float(vals.mean())
    lo, hi = mean - h, mean + h
    if bounded:
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    return Estimate(mean, lo, hi, h / q, "seeds", per_run[0].n)


# --- the rule -------------------------------------------------------------------------------------

def published_interval(value: float) -> tuple[float, float]:
    from lungxray.judge.printed import rounding

    r = rounding(value)
    return value - r, value + r


def decide(published: float, tolerance: float, est: Estimate | None, *, faithful: bool = True,
           inconsistent: bool = False, seed_spread: float = 0.0) -> Decision:
    """The verdict of one published number (module docstring, rules 1-4)."""
    if inconsistent:
        return Decision(INCONSISTENT, detail="the audit finds the published number inconsistent with the paper's "
                        "other numbers")
    if est is None or math.isnan(est.value):
        return Decision(NOT_RUN)
    if not faithful:
        return Decision(NOT_FAITHFUL)
    if math.isnan(est.lo):
        lo = hi = est.value
    else:
        lo, hi = est.lo, est.hi
    p_lo, p_hi = published_interval(published)
    gap = (lo - p_hi, hi - p_lo)
    t = tolerance
    if -t < gap[0] and gap[1] < t:
        return Decision(CONSISTENT, gap, f"every difference the intervals allow is within ±{t:g}")
    if gap[0] >= t or gap[1] <= -t:
        side = "above" if gap[0] > 0 else "below"
        return Decision(NOT_REPRODUCED, gap, f"reproduced {side} the published value by "
                        f"{min(map(abs, gap)):.4f} to {max(map(abs, gap)):.4f}, at least the tolerance {t:g}")
    # both a difference below t and one of at least t fit: how many test images would decide?
    r = (p_hi - p_lo) / 2
    test_half = math.sqrt(max(((hi - lo) / 2) ** 2 - (Z95 * seed_spread) ** 2, 0.0))
    room = (t / 2 - r) ** 2 - (Z95 * seed_spread) ** 2 if t / 2 > r else 0.0
    n_needed = math.ceil(est.n * test_half ** 2 / room) if est.n and test_half > 0 and room > 0 else None
    how = (f"a test set of about {n_needed:,} images would decide" if n_needed
           else "more test images alone would not decide (the spread over seeds or the printed rounding is too wide)")
    return Decision(INCONCLUSIVE, gap, f"both a difference within ±{t:g} and one of at least {t:g} fit; {how}",
                    n_needed)


def rank(verdict: str) -> int:
    return VERDICTS.index(verdict) if verdict in VERDICTS else len(VERDICTS)


# --- comparison rows --------------------------------------------------------------------------------

def comparison_rows(exp, mets: Mapping[str, float], estimates: Mapping[str, Estimate], *, faithful: bool,
                    history: Mapping[str, Sequence[float]] | None = None, epoch: int | None = None,
                    inconsistent: Mapping[str, str] | None = None,
                    compare_as: Mapping[str, Sequence[str]] | None = None) -> list[ComparisonRow]:
    """One row per published metric (and final-epoch log value) of an experiment, each with the published
    interval, the reproduced interval and the verdict of :func:`decide`.

    ``compare_as`` maps a published key to reproduced metric keys (the readings of the paper's definition):
    the first is compared with the published number; the row's ``readings`` holds all of them.
    """
    from lungxray.judge.metrics import describe
    from lungxray.spec.study import PublishedMetric

    compare_as, inconsistent = compare_as or {}, inconsistent or {}
    rows = []
    for pm in exp.published.metrics:
        compared = compare_as[pm.key][0] if pm.key in compare_as else pm.key
        rep = mets.get(compared)
        est = None if rep is None else (estimates.get(compared) or _no_interval(float(rep)))
        row = _row(pm, rep, est, describe(compared), faithful, inconsistent)
        if pm.key in compare_as:
            row.compared_with = compared
            row.readings = {k: mets.get(k) for k in compare_as[pm.key]}
        rows.append(row)
    for key, val in exp.published.final_epoch.items():  # a logged value: no interval in one run
        pm = PublishedMetric(f"history:{key}", val, exp.published.final_epoch_source, f"{log_label(key)} (evaluated epoch)",
                             tolerance=0.1 if "loss" in key else 0.05)
        h = (history or {}).get(key)
        rep = None if not h else float(h[epoch if epoch is not None else -1])
        row = _row(pm, rep, None if rep is None else _no_interval(rep), "training-log value of the evaluated epoch",
                   faithful, inconsistent)
        row.informational, row.log_key = True, key
        rows.append(row)
    return rows


def log_label(key: str) -> str:
    """A Keras history key as a label: 'val_accuracy' -> 'Validation accuracy', 'loss' -> 'Training loss'."""
    split, metric = ("Validation", key[4:]) if key.startswith("val_") else ("Training", key)
    return f"{split} {metric.replace('_', ' ')}"


def _no_interval(value: float) -> Estimate:
    return Estimate(value, math.nan, math.nan, math.nan, "none", 0)


def _row(pm, rep: float | None, est: Estimate | None, definition: str, faithful: bool,
         inconsistent: Mapping[str, str]) -> ComparisonRow:
    dec = decide(pm.value, pm.tolerance, est, faithful=faithful, inconsistent=pm.key in inconsistent)
    if dec.verdict == NOT_RUN:  # undefined here (no test images of the class, or none predicted as it): no value
        rep, est = None, None
    return ComparisonRow(
        key=pm.key, label=pm.name, definition=definition, source=pm.source, published=pm.value,
        published_interval=published_interval(pm.value), reproduced=rep,
        interval=None if est is None or math.isnan(est.lo) else Interval(**est.to_dict()),
        difference=None if rep is None else rep - pm.value, tolerance=pm.tolerance, expectation=pm.expectation,
        reason=pm.reason or inconsistent.get(pm.key, ""), informational=False, verdict=dec.verdict,
        gap_interval=dec.gap, detail=dec.detail, n_to_decide=dec.n_to_decide)
