"""Forensic inference: recover unstated pipeline details from the numbers a paper prints.

Every tool here is a pure function of printed numbers; nothing reads images or trains
models.  Results are small frozen dataclasses that carry the inputs they were computed
from, a JSON-serialisable ``to_dict()`` and a one-line ``summary()``.

Tools (one module each; this package re-exports them)
-----
1. :func:`recover_split` - which ``sklearn.model_selection.train_test_split`` call
   (scheme, fractions, stratification, class order of the file list, seed) reproduces
   printed per-class split counts.
2. :func:`denominators`, :func:`common_denominators`, :func:`impossible_on` - which set
   sizes n make a printed rate attainable as k/n.
3. :func:`batch_sizes` - which batch sizes explain a log whose accuracy is the mean over
   batches of per-batch accuracy.
4. :func:`confusion_from_ovr`, :func:`check_statements` - every confusion matrix
   consistent with printed one-vs-rest TP/FP/FN/TN counts.
5. :func:`implied_prevalence`, :func:`prevalence_search`, :func:`compare_prevalence` -
   the positive share of a binary test set implied by printed accuracy/precision/recall.
6. :func:`scores_on_testset` - every binary confusion matrix on a test set of known
   composition that gives all printed scores (accuracy, recall, specificity, precision,
   NPV, F1).

Rounding conventions (tools 2, 3, 5, 6): a printed value ``v`` with ``decimals`` digits
stands for the exact quantity ``x`` (a fraction, multiplied by ``scale``: 1 for values
printed as fractions, 100 for percentages) when ``x`` rounds to ``v``.  ``rounding`` is
``"half_up"`` (ties away from zero), ``"half_even"`` (banker's, ties to the even last
digit, as Python's ``round`` on exact values), ``"truncate"`` (digits cut off), or
``"any"`` (default: the closed interval ``[v-h, v+h]``, both exact ties included).  "any"
covers half-up, half-even and binary-float formatting, which at an exact decimal tie goes
either way depending on the float's representation (``f"{0.94375:.4f}"`` prints ``0.9437``,
where half-up and half-even both give ``0.9438``).
All rounding decisions are made in exact integer arithmetic.
"""

from __future__ import annotations

from lungxray.audit.forensics.batches import BatchInference, batch_sizes  # noqa: F401
from lungxray.audit.forensics.confusion import (  # noqa: F401
    OVR_FIELDS,
    ConfusionReconstruction,
    StatementCheck,
    check_statements,
    confusion_from_ovr,
)
from lungxray.audit.forensics.denominators import (  # noqa: F401
    ROUNDINGS,
    RateCheck,
    common_denominators,
    denominators,
    impossible_on,
)
from lungxray.audit.forensics.prevalence import (  # noqa: F401
    Interval,
    PrevalenceComparison,
    PrevalenceSearch,
    compare_prevalence,
    implied_prevalence,
    prevalence_search,
)
from lungxray.audit.forensics.scores import SCORE_NAMES, ScoreSetCheck, scores_on_testset  # noqa: F401
from lungxray.audit.forensics.split_schemes import (  # noqa: F401
    DEFAULT_FRACTIONS,
    DEFAULT_SCHEMES,
    DEFAULT_SEEDS,
    SPLIT_PARTS,
    Scheme,
    make_schemes,
)
from lungxray.audit.forensics.splits import SplitMatch, SplitRecovery, TargetRecovery, recover_split  # noqa: F401
from lungxray.spec.study import Statement  # noqa: F401  (a study declares its sentences with it)
