"""``lungxray check``: are the committed results what they claim, and within tolerance?

For every results.json under the folder:
1. integrity: metrics and confusion matrix recomputed from its predictions.csv must equal the
   stored ones (this is the committed reference every run is held to), and so must what the run
   took from its probabilities: every row a distribution whose most probable class is the predicted
   one, and the stored loss their cross-entropy;
2. its departures, intervals and verdicts must be what ``lungxray.judge.faithful`` and
   ``lungxray.judge.verdict`` give on its own predictions with the study module as it is now;
3. every study with results under the folder: its tolerances, primary rows and the paper's test-set sizes
   must be what it registered (``lungxray.spec.registration``); the failure names the command that
   re-registers them, a visible, dated change;
4. faithful runs (every departure minor): their verdicts are printed; a published number expected to
   be reproduced whose verdict is ``not reproduced``, or a declared deviation that is ``consistent``,
   is a *finding* about the paper, printed, never a failure (CI fails on software regressions: results
   that are not what their own predictions give, a rerun that contradicts a committed verdict
   (``--verdicts-of``), a reference rerun that moved (``--reference``));
5. runs that cannot be faithful (smoke, weights none, downscaled copies) are held to (1) and (2)
   only; their distance from the published numbers is printed for information.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lungxray.errors import ResultsError
from lungxray.judge import metrics as M
from lungxray.judge import verdict as V
from lungxray.judge.seeds import aggregate
from lungxray.results import files as R
from lungxray.results.types import AggregateResult, AggregateRow, ComparisonRow, RunResult
from lungxray.spec.study import get_study


@dataclass
class CheckOutcome:
    path: Path
    failures: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def check_run(path: Path, member: bool = False) -> CheckOutcome:
    """One run; ``member``: one seed of a ``--runs`` set, held to published numbers through the set's aggregate
    (one draw is not the set's verdict), so only to its own predictions here."""
    out = CheckOutcome(path)
    run_dir = Path(path).parent if Path(path).is_file() else Path(path)
    try:
        res = R.load_results(path, current=True)
        y_true, y_pred = R.read_predictions(run_dir / R.PREDICTIONS, res.evaluation.classes)
    except ResultsError as exc:
        out.failures.append(str(exc))
        return out
    out.failures += _integrity(res, y_true, y_pred)
    out.failures += _probabilities(res, run_dir, y_true, y_pred)
    try:
        study = get_study(res.study)
        study.experiment(res.experiment)
    except KeyError as exc:
        out.failures.append(str(exc))
        return out
    out.failures += _rescored(res, study, run_dir, y_true, y_pred)
    out.lines.append(_mode(res, member))
    if res.degenerate:
        out.lines.append("  " + res.degenerate.banner)
    for row in res.comparison:
        out.lines.append("  " + row_text(row))
        if not member and res.faithful:
            out.lines += ["  " + f for f in findings(row)]
    return out


def _integrity(res: RunResult, y_true: np.ndarray, y_pred: np.ndarray) -> list[str]:
    """The stored confusion matrix and metrics against those recomputed from predictions.csv."""
    ev, failures = res.evaluation, []
    recomputed = M.compute(y_true, y_pred, ev.classes, 1 if res.binary else None, res.batch_mean_size)
    if M.confusion(y_true, y_pred, len(ev.classes)).tolist() != ev.confusion_matrix:
        failures.append("confusion matrix in results.json differs from predictions.csv")
    bad = [k for k, v in ev.metrics.items()
           if k not in recomputed or not np.isclose(v, recomputed[k], atol=1e-9, equal_nan=True)]
    if bad:
        failures.append(f"metrics differ from those recomputed from predictions.csv: {', '.join(bad[:5])}")
    return failures


PROBABILITY_ROUNDING = 1e-6  # predictions.csv holds 6 decimals


def _probabilities(res: RunResult, run_dir: Path, y_true: np.ndarray, y_pred: np.ndarray) -> list[str]:
    """predictions.csv's class probabilities against what the run stores from them: each row a distribution whose
    most likely class is the predicted one (a threshold of 0.5 for a binary model), and the stored loss their
    cross-entropy. (The PDF's ROC curves and AUC are drawn from these same columns when it is rendered; results.json
    stores no AUC.)"""
    try:
        proba = R.read_probabilities(run_dir / R.PREDICTIONS, res.evaluation.classes)
    except ResultsError as exc:
        return [str(exc)]
    if not len(proba):
        return []
    failures = []
    if not np.all(np.isfinite(proba)) or proba.min() < 0 or proba.max() > 1 or \
            np.abs(proba.sum(axis=1) - 1).max() > len(res.evaluation.classes) * PROBABILITY_ROUNDING:
        failures.append("predictions.csv's probabilities are not distributions (each row in [0, 1], summing to 1)")
    if res.binary:
        agree = (proba[:, 1] > 0.5) == (y_pred == 1)
        agree |= np.abs(proba[:, 1] - 0.5) <= PROBABILITY_ROUNDING  # a tie at the printed precision
    else:
        picked = proba[np.arange(len(y_pred)), y_pred]
        agree = picked >= proba.max(axis=1) - PROBABILITY_ROUNDING
    if not agree.all():
        bad = np.flatnonzero(~agree)
        failures.append(f"predictions.csv: the predicted class is not the most probable one in {len(bad)} row(s) "
                        f"(first: row {bad[0] + 2})")
    stored = res.evaluation.loss
    if stored is not None:
        fresh = M.cross_entropy(y_true, proba)
        if not np.isclose(stored, fresh, rtol=0, atol=1e-9, equal_nan=True):
            failures.append(f"the stored loss {stored:.6f} is not the cross-entropy of predictions.csv's "
                            f"probabilities ({fresh:.6f})")
    return failures


def _rescored(res: RunResult, study, run_dir: Path, y_true: np.ndarray, y_pred: np.ndarray) -> list[str]:
    """Departures, intervals and verdicts against ``lungxray.judge.faithful.score`` on the run's own predictions."""
    from lungxray.audit.runner import inconsistent_metrics
    from lungxray.judge.faithful import score

    try:
        fresh = score(copy.deepcopy(res), study, y_true, y_pred,
                      R.read_probabilities(run_dir / R.PREDICTIONS, res.evaluation.classes),
                      inconsistent=inconsistent_metrics(study, res.experiment))
    except (KeyError, ValueError, ResultsError) as exc:
        return [f"cannot rescore it with the study module as it is now ({exc}): rerun the run"]
    a, b = fresh.to_dict(), res.to_dict()
    if not _same(a["comparison"], b["comparison"]) or a["departures"] != b["departures"]:
        return ["results.json's departures, intervals or verdicts differ from lungxray.judge.verdict's rule on its own "
                f"predictions (the study module changed?): `python -m lungxray rescore {run_dir}`"]
    return []


def _mode(res: RunResult, member: bool) -> str:
    minor = res.stated_departures
    if not res.faithful:
        return "not faithful (" + "; ".join(res.unfaithful_reasons) + "): held to its own predictions"
    mode = "faithful" + (f" with stated departures ({'; '.join(minor)})" if minor else "")
    if member:
        return mode + ": one seed of a --runs set, held to published numbers through its aggregate.json"
    return mode + ": compared with published numbers (a number not reproduced is a finding, not a failure)"


def findings(row: ComparisonRow | AggregateRow) -> list[str]:
    """A faithful row whose verdict goes against the expectation its study declared: a finding about the paper,
    printed, never a failure."""
    if row.informational or row.verdict not in V.DECISIVE:
        return []
    if row.expectation == "reproduces" and row.verdict == V.NOT_REPRODUCED:
        return [f"finding: {row.label} not reproduced ({row.direction})"]
    if row.expectation == "deviates" and row.verdict == V.CONSISTENT:
        return [f"finding: {row.label} was declared to deviate ({row.reason}) but is consistent: "
                "reclassify it in the study module"]
    return []


def registration_outcome(study_id: str) -> CheckOutcome:
    """A study's tolerances, primary rows and test-set sizes against its registration."""
    from lungxray.spec.registration import differences, path_for

    try:
        out = CheckOutcome(path_for(study_id))
        out.failures += differences(get_study(study_id))
    except (KeyError, ResultsError) as exc:
        return CheckOutcome(Path(study_id), failures=[str(exc)])
    out.lines.append(f"{study_id}: tolerances, primary rows and test-set sizes as registered")
    return out


def row_text(row: ComparisonRow | AggregateRow) -> str:
    """'label: published 0.84 [0.835, 0.845], reproduced 0.88 [0.80, 0.93] (wilson): inconclusive (...)'."""
    pub = f"published {row.published:.4g}"
    if row.published_interval:
        pub += " [{:.4g}, {:.4g}]".format(*row.published_interval)
    value = row.reproduced if isinstance(row, ComparisonRow) else row.mean
    if value is None:
        rep = "not computed"
    else:
        rep = f"reproduced {value:.4f}"
        if row.interval:
            rep += f" [{row.interval.lo:.4f}, {row.interval.hi:.4f}] ({row.interval.method})"
    detail = f" ({row.detail})" if row.detail else ""
    return f"{row.label}: {pub}, {rep}, tolerance ±{row.tolerance:g}: {row.verdict}{detail}"


def _same(a, b) -> bool:
    """Equal up to float noise (intervals recomputed from the 6-decimal probabilities of predictions.csv)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=0, atol=1e-6, equal_nan=True))
    return a == b


def check_aggregate(path: Path) -> CheckOutcome:
    """aggregate.json must equal the aggregate recomputed from its member runs."""
    out = CheckOutcome(path)
    try:
        agg = AggregateResult.load(path)
        members = [Path(path).parent / d for d in agg.runs]
        fresh = aggregate([R.load_results(d) for d in members], agg.runs)
    except (OSError, ValueError, KeyError, ResultsError) as exc:
        out.failures.append(f"unreadable aggregate: {exc}")
        return out
    if json.loads(fresh.to_json()) != json.loads(Path(path).read_text()):
        out.failures.append("aggregate.json differs from the aggregate of its runs")
    out.lines.append(f"{agg.n_runs} runs, seeds {agg.seeds}" + (": faithful, held to published numbers"
                                                              if agg.faithful else ""))
    for row in agg.comparison:
        out.lines.append("  " + row_text(row))
        if agg.faithful:
            out.lines += ["  " + f for f in findings(row)]
    return out


def compare_verdicts(new: Path, committed: Path) -> CheckOutcome:
    """A shorter rerun of a committed ``--runs`` set (fewer seeds) against its verdicts.

    The rerun must be of the same study, experiment and design and share published numbers with it; a decisive
    rerun verdict (consistent / not reproduced) must not contradict a decisive committed one, and a difference
    shown to lie on one side of zero must not be shown on the other side in the rerun; a rerun that lost a real
    verdict (now not faithful, not run or inconsistent) fails. Fewer seeds widen the intervals (Student's
    quantile at K - 1 degrees of freedom), which only makes verdicts less decisive: an undecided verdict on
    either side passes and is printed."""
    out = CheckOutcome(Path(new))
    try:
        fresh, ref = AggregateResult.load(new), AggregateResult.load(committed)
    except (OSError, ValueError, ResultsError) as exc:
        out.failures.append(f"unreadable aggregate: {exc}")
        return out
    if (fresh.study, fresh.experiment) != (ref.study, ref.experiment):
        out.failures.append(f"the rerun is {fresh.study}/{fresh.experiment}, the committed set "
                            f"{ref.study}/{ref.experiment}")
        return out
    if fresh.design != ref.design:
        out.failures.append(f"the rerun's design is {fresh.design!r}, the committed set's {ref.design!r}: rerun it "
                            "as the committed set was made (--resplit, the same variants)")
    ref_rows = {(r.key, r.source): r for r in ref.comparison if not r.informational}
    pairs = [(row, ref_rows[(row.key, row.source)]) for row in fresh.comparison
             if (row.key, row.source) in ref_rows and not row.informational]
    out.lines.append(f"{fresh.n_runs} runs against the committed {ref.n_runs}")
    for row, old in pairs:
        shown = f"[{row.interval.lo:.4f}, {row.interval.hi:.4f}]" if row.interval else "-"
        out.lines.append(f"  {row.label}: published {row.published:g}, rerun {shown}: {row.verdict} "
                         f"(committed: {old.verdict})")
        out.failures += _contradiction(row, old)
    if not pairs:
        out.failures.append("no published number in common with the committed run set")
    return out


def _side(row: AggregateRow) -> int:
    """+1 / -1 when the difference's interval excludes zero above / below it, else 0."""
    if row.gap_interval is None:
        return 0
    lo, hi = row.gap_interval
    return 1 if lo > 0 else -1 if hi < 0 else 0


def _contradiction(row: AggregateRow, old: AggregateRow) -> list[str]:
    if row.verdict in V.DECISIVE and old.verdict in V.DECISIVE and row.verdict != old.verdict:
        return [f"{row.label}: the rerun says {row.verdict}, the committed run set {old.verdict} ({row.detail})"]
    if _side(row) * _side(old) < 0:
        return [f"{row.label}: the rerun's difference is on the other side of zero ({row.direction}) from the "
                f"committed run set's ({old.direction})"]
    if old.verdict in V.REAL and row.verdict not in V.REAL:
        return [f"{row.label}: the rerun has no real verdict ({row.verdict}); the committed run set has {old.verdict}"]
    return []


def check_all(root: Path) -> list[CheckOutcome]:
    paths = R.find_results(root)
    if not paths:
        raise ResultsError(f"no results.json under {root}")
    aggs = sorted(Path(root).rglob(R.AGGREGATE))
    sets = {a.parent for a in aggs}
    runs = [check_run(p, member=p.parent.parent in sets) for p in paths]
    return runs + [check_aggregate(p) for p in aggs] + [registration_outcome(s) for s in _studies(paths)]


def _studies(paths: list[Path]) -> list[str]:
    """The studies the results under a folder belong to (each file's "study"; unreadable ones are failures of
    their own run's outcome)."""
    found = set()
    for p in paths:
        try:
            found.add(json.loads(p.read_text(encoding="utf-8"))["study"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(found)


def compare_to_reference(run: Path, reference: Path, tolerance: float) -> CheckOutcome:
    """A rerun against a committed reference run of the same configuration."""
    out = check_run(Path(run))
    a, b = R.load_results(Path(run)), R.load_results(Path(reference))
    for what, x, y in (("study", a.study, b.study), ("experiment", a.experiment, b.experiment),
                       ("variant", a.variant, b.variant), ("seed", a.provenance.seed, b.provenance.seed),
                       ("manifest_sha256", a.provenance.manifest_sha256, b.provenance.manifest_sha256),
                       ("epochs_run", a.provenance.epochs_run, b.provenance.epochs_run)):
        if x != y:
            out.failures.append(f"{what} differs from the reference: {x!r} vs {y!r}")
    ma, mb = a.evaluation.metrics, b.evaluation.metrics
    worst = max((abs(ma[k] - mb[k]) for k in mb if k in ma and not k.startswith("support")), default=0.0)
    out.lines.append(f"largest metric difference from the reference {reference}: {worst:.4f} "
                     f"(tolerance {tolerance})")
    if worst > tolerance:
        out.failures.append(f"metrics differ from the reference by up to {worst:.4f} > {tolerance}")
    return out
