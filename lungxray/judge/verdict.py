"""The one verdict rule: a published number against its reproduction, as two one-sided tests.

Every comparison in the package (``lungxray.judge.faithful.score`` after a run and in ``lungxray rescore``,
``lungxray.judge.seeds`` over seeds, ``lungxray check``) goes through :func:`decide`. The rule, checkable by
hand from results.json (the variance models are in ``lungxray.judge.variance``):

1. The published value ``p`` stands for ``p ± r``, ``r`` half a unit of its last printed digit.
2. A reproduced value carries its test-set variance ``v``: the squared standard error of its 95% interval over
   the test images (Wilson's for proportions, a seeded percentile bootstrap otherwise). Over K seeds: the mean,
   the spread ``s`` and the mean ``v`` of the runs; the interval shown is where one more run lands (95%).
3. The published figure is one run on the paper's own test images: its own test-set variance ``v_pub``
   (``lungxray.judge.variance.paper_variance``; 0 when the paper's test-set size is not stated, which the row
   says, or when the test images are the paper's) and the paper's training variance (taken to be ours) are
   part of the difference's variance ``V`` of the design.
4. The difference ``d = mean - p`` gets the 90% interval ``D = [d - q sqrt(V) - r, d + q sqrt(V) + r]``, ``q``
   Student's 95% quantile (Welch-Satterthwaite degrees of freedom). With the registered tolerance ``t``:
   - **consistent** if ``D`` lies inside ``(-t, t)`` (TOST: both one-sided tests at 5%);
   - **not reproduced** if ``D`` lies wholly at or beyond ``t`` or ``-t`` (a one-sided test at 5%);
   - otherwise **inconclusive**, or **not shown to differ** when equivalence is untestable: ``t`` is not above
     ``z(0.95) sqrt(v_pub) + r``, the smallest tolerance any reproduction could ever show consistent.
   A non-consistent verdict names its direction (``D`` above or below 0); an undecided one names the test-set
   size that would decide (a power calculation) or why none would.
5. Before all of this: ``published number inconsistent`` (the audit), ``not comparable (run not faithful)``
   (a departure that is not minor; the difference is still shown), ``not run`` (no value).
6. One run measures no training variance: its verdict is **preliminary** (stated on the row). A training-log
   value of one run has no interval and no verdict beyond *inconclusive*; log rows are informational.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lungxray.judge import variance as VM
from lungxray.judge.printed import rounding
from lungxray.results.types import ComparisonRow, Interval
from lungxray.spec.study import Published, PublishedMetric

Z95 = 1.959963984540054
LEVEL = 0.95
N_RESAMPLES = 1000
SEED = 0

CONSISTENT, NOT_REPRODUCED, INCONCLUSIVE = "consistent", "not reproduced", "inconclusive"
NOT_SHOWN = "not shown to differ"
INCONSISTENT, NOT_FAITHFUL, NOT_RUN = "published number inconsistent", "not comparable (run not faithful)", "not run"
VERDICTS = (CONSISTENT, INCONCLUSIVE, NOT_SHOWN, NOT_REPRODUCED, INCONSISTENT, NOT_FAITHFUL, NOT_RUN)
DECISIVE = (CONSISTENT, NOT_REPRODUCED)
REAL = (CONSISTENT, INCONCLUSIVE, NOT_SHOWN, NOT_REPRODUCED)

LEVEL_TEXT = (f"two one-sided tests at alpha = {VM.ALPHA:g} each (TOST): the difference's "
              f"{1 - 2 * VM.ALPHA:.0%} interval, widened by the printed rounding, decides; the reproduced interval "
              f"is {VM.PREDICTION_LEVEL:.0%} (over a set of seeds: where one more run lands)")


@dataclass(frozen=True)
class Basis:
    """What the rule knows of a reproduction of one published number."""

    design: str  # lungxray.judge.variance: resplit, own fixed split, paper's test images
    k: int  # runs
    mean: float
    s: float  # standard deviation over the runs (0 for one run)
    v: float  # mean test-set variance of one run (nan: no test-set interval, e.g. a training-log value)
    n: int  # test images behind it per run (mean)

    @classmethod
    def of_run(cls, design: str, iv: Interval) -> Basis:
        return cls(design, 1, iv.value, 0.0, iv.se ** 2 if math.isfinite(iv.se) else math.nan, iv.n)


@dataclass(frozen=True)
class Decision:
    verdict: str
    gap: tuple[float, float] | None = None  # D: the 90% interval of reproduced minus published, with rounding
    difference: float | None = None
    direction: str = ""
    detail: str = ""
    n_to_decide: int | None = None
    preliminary: bool = False


@dataclass(frozen=True)
class Reach:
    """Whether *consistent* can ever be reached for a published number, before any run."""

    paper_images: int | None  # the paper's test images behind the metric (None: not stated)
    paper_variance: float  # v_pub counted in the difference (0 when unknown or shared)
    smallest_tolerance: float
    testable: bool
    note: str


# --- intervals ------------------------------------------------------------------------------------

def _wilson(k: int, n: int, value: float) -> Interval:
    from scipy.stats import binomtest

    if n == 0:  # no test images behind it (a class absent from the test set): undefined, not 0
        return Interval(math.nan, math.nan, math.nan, math.nan, "none", 0)
    ci = binomtest(int(k), int(n)).proportion_ci(LEVEL, method="wilson")
    return Interval(value, float(ci.low), float(ci.high), (ci.high - ci.low) / (2 * Z95), "wilson", int(n))


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


def _undefined(key: str, cm: np.ndarray, classes: Sequence[str], positive: int | None) -> bool:
    """A metric a resample cannot define (a precision with nothing predicted as the class, a recall with no image
    of it): sklearn would score it 0, which biases rare classes down; such resamples are dropped instead."""
    predicted, true = cm.sum(axis=0), cm.sum(axis=1)
    idx = {c: i for i, c in enumerate(classes)}
    base, _, cls = key.partition("[")
    if cls:
        i = idx.get(cls[:-1])
        if i is None:
            return False
        return {"precision": predicted[i] == 0, "recall": true[i] == 0,
                "f1": predicted[i] + true[i] == 0}.get(base, False)
    if positive is not None and key in ("precision", "recall", "f1", "specificity"):
        i = 1 - positive if key == "specificity" else positive
        return {"precision": predicted[i] == 0, "f1": predicted[i] + true[i] == 0}.get(key, true[i] == 0)
    present = true > 0
    return bool({"macro_precision": (predicted == 0).any(), "weighted_precision": (present & (predicted == 0)).any(),
                 "macro_recall": (~present).any(), "macro_f1": (predicted + true == 0).any()}.get(key, False))


def intervals(keys: Sequence[str], y_true: Sequence[int], y_pred: Sequence[int], classes: Sequence[str],
              positive: int | None = None, proba: np.ndarray | None = None, batch_size: int | None = None,
              values: Mapping[str, float] | None = None) -> dict[str, Interval]:
    """95% intervals over the test images for the metrics ``keys`` (those lungxray.judge.metrics computes,
    plus ``loss`` when ``proba`` is given). Proportions: Wilson; the rest: scipy's percentile bootstrap,
    resampling test images with a fixed seed (so the same predictions give the same interval); resamples in
    which a metric is undefined are dropped for that metric, not scored 0."""
    from scipy.stats import DegenerateDataWarning, bootstrap

    from lungxray.judge import metrics as M

    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    n = len(y_true)
    if n == 0:
        return {}
    mets = dict(values) if values is not None else M.compute(y_true, y_pred, classes, positive, batch_size)
    if proba is not None:
        mets.setdefault("loss", M.cross_entropy(y_true, proba))
    cm = M.confusion(y_true, y_pred, len(classes))
    out: dict[str, Interval] = {}
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
            m = M.compute(y_true[idx], y_pred[idx], classes, positive, batch_size, only=boot)
            if "loss" in boot:
                m["loss"] = M.cross_entropy(y_true[idx], proba[idx])
            rcm = M.confusion(y_true[idx], y_pred[idx], len(classes))
            return np.array([math.nan if _undefined(k, rcm, classes, positive) else m[k] for k in boot])

        with warnings.catch_warnings():  # scipy's own interval of a distribution with dropped (NaN) resamples
            warnings.simplefilter("ignore", DegenerateDataWarning)
            res = bootstrap((np.arange(n),), stat, vectorized=False, n_resamples=N_RESAMPLES,
                            confidence_level=LEVEL, method="percentile", random_state=np.random.default_rng(SEED))
        dist = np.atleast_2d(res.bootstrap_distribution)  # the percentile interval, without undefined resamples
        lo, hi = np.nanpercentile(dist, [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2], axis=-1)
        se = np.nanstd(dist, axis=-1, ddof=1)
        for i, k in enumerate(boot):
            out[k] = Interval(float(mets[k]), float(lo[i]), float(hi[i]), float(se[i]), "bootstrap", n)
    return out


# --- what the paper's own figure carries --------------------------------------------------------------

def paper_images(key: str, published: Published, classes: Sequence[str], positive: str | None) -> int | None:
    """The paper's test images behind a metric: the whole test set for accuracies and averages, a class's images
    for its recall and F1, the images predicted as it for its precision (its true images where the paper prints
    no confusion matrix: an approximation); None for a loss, a training-log value, or when the paper states no
    test-set size."""
    total = published.test_images(classes)
    if total is None or key == "loss" or key.startswith("history:"):
        return None
    base, _, cls = key.partition("[")
    cls = cls[:-1]
    if not cls and positive is not None and key in ("precision", "recall", "f1", "specificity"):
        cls = positive if key != "specificity" else next(c for c in classes if c != positive)
        base = "recall" if key == "specificity" else key
    if not cls or base == "ovr_accuracy":
        return total
    counts, predicted = published.test_class_counts(classes)
    if base == "precision" and predicted:
        return predicted.get(cls)
    return counts.get(cls)


def reach_of(value: float, tolerance: float, key: str, images: int | None, design: str) -> Reach:
    """Reachability of *consistent* for one published number under a design (module docstring, rule 4)."""
    r = rounding(value)
    if design == VM.PAPER_IMAGES:
        v_pub, note = 0.0, "the test images are the paper's: its test-set noise is shared and cancels"
    elif images is None:
        v_pub = 0.0
        note = ("a loss or training-log value: no binomial noise of the paper's figure to count"
                if key == "loss" or key.startswith("history:") else
                "the paper does not state its test-set size for this figure: its own sampling noise is not "
                "counted (the difference's interval is narrower than the truth by that much)")
    else:
        v_pub = VM.paper_variance(value, images)
        note = f"the published figure's own noise: {images:,} of the paper's test images (sd {math.sqrt(v_pub):.3f})"
    t_min = VM.smallest_tolerance(v_pub, r)
    return Reach(images, v_pub, t_min, tolerance > t_min, note)


def reach(pm: PublishedMetric, published: Published, classes: Sequence[str], positive: str | None,
          design: str) -> Reach:
    return reach_of(pm.value, pm.tolerance, pm.key, paper_images(pm.key, published, classes, positive), design)


# --- the rule -------------------------------------------------------------------------------------

def published_interval(value: float) -> tuple[float, float]:
    r = rounding(value)
    return value - r, value + r


def _direction(d: float, lo: float, hi: float) -> str:
    side = "higher" if d > 0 else "lower"
    shown = "zero excluded" if lo > 0 or hi < 0 else "zero not excluded"
    return (f"reproduction scores {side}: difference {d:+.3f}, {1 - 2 * VM.ALPHA:.0%} interval "
            f"[{lo:+.3f}, {hi:+.3f}] ({shown})")


def decide(published: float, tolerance: float, basis: Basis | None, reach_: Reach, *, faithful: bool = True,
           inconsistent: bool = False) -> Decision:
    """The verdict of one published number (module docstring)."""
    if inconsistent:
        return Decision(INCONSISTENT, detail="the audit finds the published number inconsistent with the paper's "
                        "other numbers")
    if basis is None or math.isnan(basis.mean):
        return Decision(NOT_RUN)
    preliminary = basis.k == 1
    d = basis.mean - published
    if preliminary and not math.isfinite(basis.v):
        return Decision(NOT_FAITHFUL if not faithful else INCONCLUSIVE, None, d, preliminary=True,
                        detail="one run's training-log value carries no interval: not judged")
    r = rounding(published)
    total, df = VM.difference_variance(basis.design, basis.k, basis.s, basis.v if math.isfinite(basis.v) else 0.0,
                                       reach_.paper_variance)
    lo, hi = (float(x) for x in VM.difference_interval(d, total, df, r))
    consistent, not_reproduced = (bool(x) for x in VM.classify(lo, hi, tolerance))
    direction = "" if consistent else _direction(d, lo, hi)
    note = "; preliminary: one run measures no training variance (run --runs K)" if preliminary else ""
    if reach_.paper_images is None and basis.design != VM.PAPER_IMAGES:
        note += f"; {reach_.note}"  # the paper's own noise could not be counted: say so
    if not faithful:
        return Decision(NOT_FAITHFUL, (lo, hi), d, direction, direction + note, preliminary=preliminary)
    if consistent:
        return Decision(CONSISTENT, (lo, hi), d, "", f"every difference the {1 - 2 * VM.ALPHA:.0%} interval allows "
                        f"is within ±{tolerance:g}" + note, preliminary=preliminary)
    if not_reproduced:
        return Decision(NOT_REPRODUCED, (lo, hi), d, direction, f"{direction}; every difference it allows is at "
                        f"least the tolerance {tolerance:g}" + note, preliminary=preliminary)
    size = VM.decide_size(basis.design, d, basis.k, basis.s, basis.v, basis.n, reach_.paper_variance, r, tolerance)
    if not reach_.testable:
        return Decision(NOT_SHOWN, (lo, hi), d, direction, f"{direction}; equivalence untestable at ±{tolerance:g} "
                        f"(the smallest reachable tolerance is {reach_.smallest_tolerance:.3f}: {reach_.note}); "
                        f"{size.text}" + note, size.n, preliminary)
    return Decision(INCONCLUSIVE, (lo, hi), d, direction, f"{direction}; both a difference within ±{tolerance:g} and "
                    f"one of at least {tolerance:g} fit; {size.text}" + note, size.n, preliminary)


def rank(verdict: str) -> int:
    return VERDICTS.index(verdict) if verdict in VERDICTS else len(VERDICTS)


def design_of(config, seeds_split: Sequence[int | None] = ()) -> str:
    """The variance model a run or set follows: the paper's own test images (its official test folder, or a split
    recovered with the paper's own seed), each seed its own split (``--resplit``), or one fixed split of ours."""
    split = config.split
    if split.method == "official" or split.random_state is not None:
        return VM.PAPER_IMAGES
    if len(set(seeds_split)) > 1:
        return VM.RESPLIT
    return VM.OWN_SPLIT


# --- comparison rows --------------------------------------------------------------------------------

def comparison_rows(exp, mets: Mapping[str, float], estimates: Mapping[str, Interval], *, faithful: bool,
                    design: str, classes: Sequence[str], positive: str | None,
                    history: Mapping[str, Sequence[float]] | None = None, epoch: int | None = None,
                    inconsistent: Mapping[str, str] | None = None,
                    compare_as: Mapping[str, Sequence[str]] | None = None) -> list[ComparisonRow]:
    """One row per published metric (and final-epoch log value) of an experiment, each with the published
    interval, the reproduced interval and the verdict of :func:`decide`.

    ``compare_as`` maps a published key to reproduced metric keys (the readings of the paper's definition):
    the first is compared with the published number; the row's ``readings`` holds all of them.
    """
    from lungxray.judge.metrics import describe

    compare_as, inconsistent = compare_as or {}, inconsistent or {}
    pub: Published = exp.published
    primary = pub.primary_row_id()
    rows = []
    for pm in pub.metrics:
        compared = compare_as[pm.key][0] if pm.key in compare_as else pm.key
        rep = mets.get(compared)
        iv = None if rep is None else (estimates.get(compared) or _no_interval(float(rep)))
        row = _row(pm, rep, iv, describe(compared), faithful, inconsistent,
                   reach(pm, pub, classes, positive, design), design, primary)
        if pm.key in compare_as:
            row.compared_with = compared
            row.readings = {k: mets.get(k) for k in compare_as[pm.key]}
        rows.append(row)
    for pm in pub.log_metrics():  # a logged value: no interval in one run
        key = pm.key.split(":", 1)[1]
        h = (history or {}).get(key)
        rep = None if not h else float(h[epoch if epoch is not None else -1])
        row = _row(pm, rep, None if rep is None else _no_interval(rep), "training-log value of the evaluated epoch",
                   faithful, inconsistent, reach(pm, pub, classes, positive, design), design, primary)
        row.informational, row.log_key = True, key
        rows.append(row)
    return rows


def _no_interval(value: float) -> Interval:
    return Interval(value, math.nan, math.nan, math.nan, "none", 0)


def _row(pm: PublishedMetric, rep: float | None, iv: Interval | None, definition: str, faithful: bool,
         inconsistent: Mapping[str, str], reach_: Reach, design: str, primary: str) -> ComparisonRow:
    basis = None if iv is None else Basis.of_run(design, iv)
    dec = decide(pm.value, pm.tolerance, basis, reach_, faithful=faithful, inconsistent=pm.key in inconsistent)
    if dec.verdict == NOT_RUN:  # undefined here (no test images of the class, or none predicted as it): no value
        rep, iv = None, None
    return ComparisonRow(
        key=pm.key, label=pm.name, definition=definition, source=pm.source, published=pm.value,
        published_interval=published_interval(pm.value), tolerance=pm.tolerance,
        tolerance_reason=pm.tolerance_reason, primary=pm.row_id == primary,
        expectation=pm.expectation, reason=pm.reason or inconsistent.get(pm.key, ""), informational=False,
        interval=None if iv is None or math.isnan(iv.lo) else iv, verdict=dec.verdict, design=design,
        paper_images=reach_.paper_images, smallest_tolerance=reach_.smallest_tolerance,
        equivalence_testable=reach_.testable, preliminary=dec.preliminary,
        difference=None if rep is None else rep - pm.value, gap_interval=dec.gap, direction=dec.direction,
        detail=dec.detail, n_to_decide=dec.n_to_decide, reproduced=rep)

