"""``lungxray check``: are the committed results what they claim, and within tolerance?

For every results.json under the folder:
1. integrity: metrics and confusion matrix recomputed from its predictions.csv must equal the
   stored ones (this is the committed reference every run is held to);
2. its departures, intervals and verdicts must be what ``lungxray.faithful`` and
   ``lungxray.verdict`` give on its own predictions with the study module as it is now;
3. faithful runs (every departure minor): a published number expected to be reproduced whose
   verdict is ``not reproduced`` fails, and so does a declared deviation that is now
   ``consistent``; ``inconclusive`` is printed with the test-set size that would decide;
4. runs that cannot be faithful (smoke, weights none, downscaled copies) are held to (1) and (2)
   only; their distance from the published numbers is printed for information.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lungxray import metrics as M
from lungxray import results as R
from lungxray import verdict as V
from lungxray.errors import ResultsError
from lungxray.study import get_study


@dataclass
class CheckOutcome:
    path: Path
    failures: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def check_run(path: Path, member: bool = False) -> CheckOutcome:
    """One run; ``member``: one seed of a ``--runs`` set, held to published numbers through the set's aggregate
    (one draw is not the set's verdict), so only to its own predictions here."""
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
    bad = [k for k, v in ev["metrics"].items() if k not in recomputed or not np.isclose(v, recomputed[k], atol=1e-9, equal_nan=True)]
    if bad:
        out.failures.append(f"metrics differ from those recomputed from predictions.csv: {', '.join(bad[:5])}")
    try:
        study = get_study(res["study"])
        study.experiment(res["experiment"])
    except KeyError as exc:
        out.failures.append(str(exc))
        return out
    if res.get("schema") != R.SCHEMA:
        out.failures.append(f"results.json has schema {res.get('schema')}, not {R.SCHEMA}: bring it up to date with "
                            f"`python -m lungxray rescore {run_dir}`")
        return out
    from lungxray.faithful import score

    try:
        fresh = score(json.loads(R.dumps(res)), study, y_true, y_pred,
                      R.read_probabilities(run_dir / R.PREDICTIONS, classes))
    except (KeyError, ValueError, ResultsError) as exc:
        out.failures.append(f"cannot rescore it with the study module as it is now ({exc}): rerun the run")
        return out
    if not _same(fresh["comparison"], res["comparison"]) or fresh["departures"] != res.get("departures"):
        out.failures.append("results.json's departures, intervals or verdicts differ from lungxray.verdict's rule on "
                            f"its own predictions (the study module changed?): `python -m lungxray rescore {run_dir}`")
    faithful = bool(res.get("faithful"))
    minor = [d["text"] for d in res.get("departures", []) if d["severity"] == "minor"]
    mode = ("faithful" + (f" with stated departures ({'; '.join(minor)})" if minor else "")
            + ": held to published numbers" if faithful else
            "not faithful (" + "; ".join(res.get("unfaithful_reasons", [])) + "): held to its own predictions")
    if member and faithful:
        mode = mode.replace("held to published numbers", "one seed of a --runs set, held to published numbers "
                            "through its aggregate.json")
    out.lines.append(mode)
    if res.get("degenerate"):
        out.lines.append("  " + res["degenerate"]["banner"])
    for row in res["comparison"]:
        out.lines.append("  " + row_text(row))
        if not member and faithful:
            out.failures += expectation_failures(row)
    return out


def expectation_failures(row: dict) -> list[str]:
    """A faithful comparison row against the expectation its study declared before any run."""
    if row.get("informational") or row["verdict"] not in (V.CONSISTENT, V.NOT_REPRODUCED):
        return []
    if row["expectation"] == "reproduces" and row["verdict"] == V.NOT_REPRODUCED:
        return [f"{row['label']} not reproduced: {row_text(row)}"]
    if row["expectation"] == "deviates" and row["verdict"] == V.CONSISTENT:
        return [f"{row['label']} was declared to deviate ({row['reason']}) but is now consistent: "
                "reclassify it in the study module"]
    return []


def row_text(row: dict) -> str:
    """'label: published 0.84 [0.835, 0.845], reproduced 0.88 [0.80, 0.93] (wilson): inconclusive (...)'."""
    pub = f"published {row['published']:.4g}"
    if row.get("published_interval"):
        pub += " [{:.4g}, {:.4g}]".format(*row["published_interval"])
    if row.get("reproduced") is None:
        rep = "not computed"
    else:
        rep = f"reproduced {row['reproduced']:.4f}"
        iv = row.get("interval")
        if iv:
            rep += f" [{iv['lo']:.4f}, {iv['hi']:.4f}] ({iv['method']})"
    detail = f" ({row['detail']})" if row.get("detail") else ""
    return f"{row['label']}: {pub}, {rep}, tolerance ±{row['tolerance']:g}: {row['verdict']}{detail}"


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
    out.lines.append(f"{agg['n_runs']} runs, seeds {agg['seeds']}"
                     + (": faithful, held to published numbers" if agg.get("faithful") else ""))
    for row in agg["comparison"]:
        out.lines.append("  " + row_text({**row, "reproduced": row.get("mean")}))
        if agg.get("faithful"):
            out.failures += expectation_failures(row)
    return out


def compare_verdicts(new: Path, committed: Path) -> CheckOutcome:
    """A shorter rerun of a committed ``--runs`` set (fewer seeds) against its verdicts.

    The rerun must be of the same study and experiment and share published numbers with it; a decisive
    rerun verdict (consistent / not reproduced) must not contradict a decisive committed one; a rerun that
    lost a real verdict (now not faithful, not run or inconsistent) fails; ``inconclusive`` on either side
    passes and is printed (fewer seeds usually widen the interval)."""
    import json

    def load(p: Path) -> dict:
        p = Path(p)
        return json.loads((p / R.AGGREGATE if p.is_dir() else p).read_text())

    out = CheckOutcome(Path(new))
    try:
        fresh, ref = load(new), load(committed)
    except (OSError, ValueError) as exc:
        out.failures.append(f"unreadable aggregate: {exc}")
        return out
    if (fresh.get("study"), fresh.get("experiment")) != (ref.get("study"), ref.get("experiment")):
        out.failures.append(f"the rerun is {fresh.get('study')}/{fresh.get('experiment')}, the committed set "
                            f"{ref.get('study')}/{ref.get('experiment')}")
        return out
    real = (V.CONSISTENT, V.NOT_REPRODUCED, V.INCONCLUSIVE)
    ref_rows = {r["key"]: r for r in ref["comparison"] if not r.get("informational")}
    matched = 0
    out.lines.append(f"{fresh['n_runs']} runs against the committed {ref['n_runs']}")
    for row in fresh["comparison"]:
        old = ref_rows.get(row["key"])
        if old is None or row.get("informational"):
            continue
        matched += 1
        iv = row.get("interval")
        shown = f"[{iv['lo']:.4f}, {iv['hi']:.4f}]" if iv else "-"
        out.lines.append(f"  {row['label']}: published {row['published']:g}, rerun {shown}: {row['verdict']} "
                         f"(committed: {old['verdict']})")
        decisive = (V.CONSISTENT, V.NOT_REPRODUCED)
        if row["verdict"] in decisive and old["verdict"] in decisive and row["verdict"] != old["verdict"]:
            out.failures.append(f"{row['label']}: the rerun says {row['verdict']}, the committed run set "
                                f"{old['verdict']} ({row['detail']})")
        elif old["verdict"] in real and row["verdict"] not in real:
            out.failures.append(f"{row['label']}: the rerun has no real verdict ({row['verdict']}); the committed "
                                f"run set has {old['verdict']}")
    if not matched:
        out.failures.append("no published number in common with the committed run set")
    return out


def check_all(root: Path) -> list[CheckOutcome]:
    paths = R.find_results(root)
    if not paths:
        raise ResultsError(f"no results.json under {root}")
    aggs = sorted(Path(root).rglob(R.AGGREGATE))
    sets = {a.parent for a in aggs}
    return [check_run(p, member=p.parent.parent in sets) for p in paths] + [check_aggregate(p) for p in aggs]


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
