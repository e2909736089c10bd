"""How much a reproduced number and a published one may differ by chance: one variance model per design.

A published figure is one run of the paper's pipeline on the paper's own test images; a reproduction is
``K`` runs of ours. Each run's value is the pipeline's mean plus two kinds of noise: which test images it was
scored on (its test-set variance ``v``, the square of the standard error of its Wilson or bootstrap
interval) and training randomness (variance ``tau2``, estimated from the spread ``s`` over seeds). How they
combine depends on the design of the reproduction, read from the run's configuration and seeds:

| design | the K runs | where one more run lands: ``W`` | the difference ``d = mean - p``: ``V`` |
|---|---|---|---|
| ``resplit`` | each its own split and images: ``s^2`` holds ``v`` | ``s^2 (1 + 1/K)`` | ``s^2/K + max(s^2 - v, 0) + v_pub`` |
| ``own fixed split`` | one test set of ours, shared | ``2v + s^2 (1 + 1/K)`` | ``v + s^2/K + s^2 + v_pub`` |
| ``paper's test images`` | the paper's test images (official folder, recovered split) | ``s^2 (1 + 1/K)`` | ``s^2 (1 + 1/K)`` |
| one run (``K = 1``) | preliminary: training variance unmeasured | its own test-set interval | ``v + v_pub`` (own split), ``v`` (paper's images) |

``v_pub`` is the published figure's own test-set variance: ``p~ (1 - p~) / m`` with ``m`` the paper's test
images behind the metric and ``p~ = (p m + z^2/2) / (m + z^2)`` Wilson's centre (so a printed 1.00 still carries
noise); in the paper's-test-images design the test-set noise is shared and cancels; where the paper does not
state its test-set size it is not counted, and the record says so. The paper's training variance is taken to
be ours (``max(s^2 - v, 0)`` over resplit seeds, ``s^2`` over a fixed split).

Quantiles are Student's with Welch-Satterthwaite degrees of freedom (``s^2`` has ``K - 1``; ``v`` and ``v_pub``
are taken as known), so a set of K seeds is never surer than its ``K - 1`` degrees of freedom allow.

Every function here takes numpy arrays as well as numbers (the Monte Carlo tests run the rule itself on
thousands of simulated sets at once).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student

ALPHA = 0.05  # each one-sided test of the TOST pair; the difference interval is therefore 90%
PREDICTION_LEVEL = 0.95  # where one more run lands
POWER = 0.80  # of the test-set size asked for to decide
Z_ONE_SIDED = float(norm.ppf(1 - ALPHA))
Z_WILSON = float(norm.ppf(0.975))

RESPLIT, OWN_SPLIT, PAPER_IMAGES = "resplit", "own fixed split", "paper's test images"
DESIGNS = {
    RESPLIT: "each seed has its own split (and, with a random subset, its own images): the spread over seeds "
             "already holds the test-set noise",
    OWN_SPLIT: "every seed is scored on one test set of ours: its test-set noise is shared by all seeds and "
               "added once",
    PAPER_IMAGES: "every seed is scored on the paper's own test images (official test folder or recovered "
                  "split): the test-set noise is shared with the published figure and cancels; seed spread only",
}


def satterthwaite(total, estimated, k):
    """Welch-Satterthwaite degrees of freedom of a variance ``total`` whose part ``estimated`` is a multiple of
    ``s^2`` from ``k`` runs (``k - 1`` degrees of freedom) and the rest known; infinite when nothing is estimated."""
    total, estimated, k = np.asarray(total, float), np.asarray(estimated, float), np.asarray(k, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(estimated > 0, total ** 2 * (k - 1) / np.where(estimated > 0, estimated, 1.0) ** 2, np.inf)
    return np.maximum(df, np.maximum(k - 1, 1))


def one_more_run(design: str, k, s, v):
    """(half-width, degrees of freedom, sd) of the 95% interval where one more run lands around the mean of ``k``
    runs (``k >= 2``) with seed spread ``s`` and mean test-set variance ``v`` (table above)."""
    s2, k = np.asarray(s, float) ** 2, np.asarray(k, float)
    estimated = s2 * (1 + 1 / k)
    w = estimated + (2 * np.asarray(v, float) if design == OWN_SPLIT else 0.0)
    df = satterthwaite(w, estimated, k)
    return student.ppf(0.5 + PREDICTION_LEVEL / 2, df) * np.sqrt(w), df, np.sqrt(w)


def difference_variance(design: str, k, s, v, v_pub):
    """(V, degrees of freedom) of ``d = mean - published`` (table above); ``k = 1`` is a single run."""
    s2, k = np.asarray(s, float) ** 2, np.asarray(k, float)
    v, v_pub = np.asarray(v, float), np.asarray(v_pub, float)
    if design == PAPER_IMAGES:
        estimated = s2 * (1 + 1 / k)
        many, single = estimated, v
    elif design == OWN_SPLIT:
        estimated = s2 * (1 + 1 / k)
        many, single = v + estimated + v_pub, v + v_pub
    else:  # resplit: the training variance is what the seed spread holds beyond the test-set noise
        excess = s2 > v
        estimated = np.where(excess, s2 * (1 + 1 / k), s2 / k)
        many, single = np.where(excess, s2 * (1 + 1 / k) - v, s2 / k) + v_pub, v + v_pub
    seeds = k > 1
    total = np.where(seeds, many, single)
    return total, np.where(seeds, satterthwaite(total, np.where(seeds, estimated, 0.0), k), np.inf)


def paper_variance(published, m):
    """The published figure's own test-set variance: a proportion over ``m`` of the paper's test images, at
    Wilson's centre ``(p m + z^2/2) / (m + z^2)`` (a printed 1.00 still has noise); 0 where ``m`` is unknown."""
    if m is None or m <= 0:
        return 0.0
    centre = (published * m + Z_WILSON ** 2 / 2) / (m + Z_WILSON ** 2)
    return float(centre * (1 - centre) / m)


def smallest_tolerance(v_pub: float, rounding: float) -> float:
    """The smallest tolerance any reproduction could ever show *consistent* against: the published figure's
    own noise at the one-sided level plus its printed rounding (a reproduction of infinitely many seeds and
    test images still differs from one run of the paper by that much)."""
    return Z_ONE_SIDED * math.sqrt(max(v_pub, 0.0)) + rounding


def difference_interval(d, total, df, rounding):
    """The 90% interval of the difference, widened by the printed rounding: each end a one-sided 5% bound."""
    h = student.ppf(1 - ALPHA, df) * np.sqrt(total)
    return np.asarray(d, float) - h - rounding, np.asarray(d, float) + h + rounding


def classify(lo, hi, tolerance):
    """(consistent, not reproduced) masks: TOST, each side at ALPHA."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    return (lo > -tolerance) & (hi < tolerance), (lo >= tolerance) | (hi <= -tolerance)


@dataclass(frozen=True)
class DecideSize:
    n: int | None  # test images per run that would decide with POWER at the observed difference
    text: str


def decide_size(design: str, d: float, k: int, s: float, v: float, n: int, v_pub: float, rounding: float,
                tolerance: float) -> DecideSize:
    """How many test images per run would decide (power ``POWER`` at the observed difference ``d``, keeping
    ``k`` seeds), or why none would. Power calculation: the interval's end must clear its bound by
    ``(q + z_power) sd``, ``q`` the one-sided quantile at ``k - 1`` degrees of freedom (never below the rule's)."""
    if design == PAPER_IMAGES and k > 1:
        return DecideSize(None, "the test images are the paper's own: more seeds, not more images, narrow it")
    if not n or not math.isfinite(v):
        return DecideSize(None, "no test-set interval to scale")
    gap = abs(d)
    if gap + rounding < tolerance:
        margin, goal = tolerance - gap - rounding, "consistent"
    elif gap - rounding > tolerance:
        margin, goal = gap - rounding - tolerance, "not reproduced"
    else:
        return DecideSize(None, "the observed difference is within the printed rounding of the tolerance: no "
                                "size decides")
    q = float(student.ppf(1 - ALPHA, k - 1)) if k > 1 else Z_ONE_SIDED
    target = (margin / (q + float(norm.ppf(POWER)))) ** 2
    per_image = v * n
    s2 = s * s
    if k == 1:
        floor, scaled = v_pub, per_image
    elif design == RESPLIT:
        floor, scaled = max(s2 - v, 0.0) * (1 + 1 / k) + v_pub, per_image / k
    else:
        floor, scaled = s2 * (1 + 1 / k) + v_pub, per_image
    if target <= floor:
        why = "the paper's own test-set noise" if v_pub > 0 and v_pub >= floor / 2 else "the training variance"
        return DecideSize(None, f"no test-set size of ours decides: {why} alone keeps the difference's sd at "
                                f"{math.sqrt(floor):.3f} or more; showing '{goal}' at the observed difference needs "
                                f"{math.sqrt(target):.3f}")
    size = math.ceil(scaled / (target - floor))
    return DecideSize(size, f"about {size:,} test images per run would show it {goal} ({POWER:.0%} power at the "
                            f"observed difference {d:+.3f})")
