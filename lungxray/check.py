"""``lungxray check``: are the committed results what they claim, and within tolerance?

For every results.json under the folder:
1. integrity: metrics and confusion matrix recomputed from its predictions.csv must equal the
   stored ones (this is the committed reference every run is held to);
2. faithful runs: each published metric is compared with the tolerance and expectation the
   study module declares now; a miss of an expected reproduction, or an unexpected
   reproduction of a declared deviation, fails;
3. runs that cannot be faithful (smoke, weights none, subsets) are held to (1) only; their
   distance from the published numbers is printed for information.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lungxray import metrics as M
from lungxray import results as R
from lungxray.errors import ResultsError
from lungxray.study import get_study


@dataclass
class CheckOutcome:
    path: Path
    failures: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def check_run(path: Path) -> CheckOutcome:
    out = CheckOutcome(path)
    try:
        res = R.load_results(path)
    except ResultsError as exc:
        out.failures.append(str(exc))
        return out
    run_dir = Path(path).parent if Path(path).is_file() else Path(path)
    ev = res["evaluation"]
    classes = ev["classes"]
    y_true, y_pred = R.read_predictions(run_dir / R.PREDICTIONS, classes)
    positive = 1 if res["config"].get("binary_positive") else None
    train = res["config"].get("train", {})
    recomputed = M.compute(y_true, y_pred, classes, positive,
                           train.get("batch_size") if train.get("batch_mean_accuracy") else None)
    cm = M.confusion(y_true, y_pred, len(classes))
    if cm.tolist() != ev["confusion_matrix"]:
        out.failures.append("confusion matrix in results.json differs from predictions.csv")
    bad = [k for k, v in ev["metrics"].items() if k not in recomputed or not np.isclose(v, recomputed[k], atol=1e-9)]
    if bad:
        out.failures.append(f"metrics differ from those recomputed from predictions.csv: {', '.join(bad[:5])}")
    try:
        exp = get_study(res["study"]).experiment(res["experiment"])
    except KeyError as exc:
        out.failures.append(str(exc))
        return out
    from lungxray.audit import inconsistent_metrics

    bad_published = inconsistent_metrics(get_study(res["study"]), res["experiment"])
    faithful = bool(res.get("faithful"))
    mode = "faithful: held to published numbers" if faithful else \
        "not faithful (" + "; ".join(res.get("unfaithful_reasons", [])) + "): held to its own predictions"
    out.lines.append(mode)
    for pm in exp.published.metrics:
        rep = recomputed.get(pm.key)
        if rep is None:
            out.lines.append(f"  {pm.name}: published {pm.value:.4f}, not computed")
            continue
        within = abs(rep - pm.value) <= pm.tolerance + 1e-12
        status = "within" if within else "outside"
        line = f"  {pm.name}: published {pm.value:.4f}, reproduced {rep:.4f} ({status} ±{pm.tolerance})"
        if pm.key in bad_published:
            line += f"; published number inconsistent: {bad_published[pm.key]}"
        elif faithful:
            if pm.expectation == "reproduces" and not within:
                out.failures.append(f"{pm.name} not reproduced: {rep:.4f} vs {pm.value:.4f} ±{pm.tolerance}")
            elif pm.expectation == "deviates" and within:
                out.failures.append(f"{pm.name} was declared to deviate ({pm.reason}) but now reproduces: "
                                    "reclassify it in the study module")
        out.lines.append(line)
    return out


def check_aggregate(path: Path) -> CheckOutcome:
    """aggregate.json must equal the aggregate recomputed from its member runs."""
    import json

    out = CheckOutcome(path)
    try:
        agg = json.loads(Path(path).read_text())
        members = [Path(path).parent / d for d in agg["runs"]]
        results = []
        for d in members:
            r = R.load_results(d)
            r["_dir"] = d.name
            results.append(r)
        fresh = json.loads(R.dumps(R.aggregate(results)))
    except (OSError, ValueError, KeyError, ResultsError) as exc:
        out.failures.append(f"unreadable aggregate: {exc}")
        return out
    if fresh != agg:
        out.failures.append("aggregate.json differs from the aggregate of its runs")
    out.lines.append(f"{agg['n_runs']} runs, seeds {agg['seeds']}")
    return out


def check_all(root: Path) -> list[CheckOutcome]:
    paths = R.find_results(root)
    if not paths:
        raise ResultsError(f"no results.json under {root}")
    aggs = sorted(Path(root).rglob(R.AGGREGATE))
    return [check_run(p) for p in paths] + [check_aggregate(p) for p in aggs]


def compare_to_reference(run: Path, reference: Path, tolerance: float) -> CheckOutcome:
    """A rerun against a committed reference run of the same configuration."""
    out = check_run(Path(run))
    a, b = R.load_results(Path(run)), R.load_results(Path(reference))
    for key in ("study", "experiment", "variant"):
        if a[key] != b[key]:
            out.failures.append(f"{key} differs from the reference: {a[key]!r} vs {b[key]!r}")
    for key in ("seed", "manifest_sha256", "epochs_run"):
        if a["provenance"][key] != b["provenance"][key]:
            out.failures.append(f"{key} differs from the reference: {a['provenance'][key]!r} vs "
                                f"{b['provenance'][key]!r}")
    ma, mb = a["evaluation"]["metrics"], b["evaluation"]["metrics"]
    worst = max((abs(ma[k] - mb[k]) for k in mb if k in ma and not k.startswith("support")), default=0.0)
    out.lines.append(f"largest metric difference from the reference {reference}: {worst:.4f} "
                     f"(tolerance {tolerance})")
    if worst > tolerance:
        out.failures.append(f"metrics differ from the reference by up to {worst:.4f} > {tolerance}")
    return out
