"""The lines printed after a run: whether it is faithful (its departures, one a line, and what would make its
verdicts real), each published number against its reproduction, the extra test sets' scores, and where the
PDF is. Short labelled lines; the PDF has the full texts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.stats import binomtest

from lungxray.report.aggregate import AGGREGATE_REPORT
from lungxray.report.layout import verdict_short
from lungxray.report.wording import METRIC_NAMES, extra_title, plural, remedies, short
from lungxray.results.files import AGGREGATE, REPORT, load_results
from lungxray.results.types import AggregateResult, Departure, ExtraEvaluation, Interval, RunResult
from lungxray.spec.study import load_studies

EXTRA_METRICS = ("batch_mean_accuracy", "macro_f1")  # shown after accuracy for an extra test set

def _interval(iv: Interval | None) -> str:
    return "(no interval)" if iv is None else f"[{iv.lo:.3f}, {iv.hi:.3f}]"


def _status(study_id: str, faithful: bool | None, departures: list[Departure]) -> list[str]:
    """Faithful or not, the departures one a line, and what would make the verdicts real."""
    if faithful:
        if not departures:
            return ["faithful: the verdicts below are real"]
        return ["faithful with stated minor departures: the verdicts below are real",
                *[f"  - {d.kind}: {short(d.text)}" for d in departures]]
    serious = [d for d in departures if d.severity != "minor"]
    lines = ["NOT faithful: these numbers can neither confirm nor refute the paper. Departures:",
             *[f"  - {d.severity} {d.kind}: {short(d.text)}" for d in serious]]
    study = load_studies().get(study_id)
    if study is not None:
        lines.append("Real verdicts need: " + "; ".join(remedies(study, serious)))
    return lines


def _extra_line(name: str, ev: ExtraEvaluation, n_test: int) -> str:
    """One extra test set: its size, accuracy with Wilson's 95% interval, and its other scores."""
    cm = np.asarray(ev.confusion_matrix)
    correct, n = int(np.trace(cm)), int(cm.sum())
    parts = []
    if "accuracy" in ev.metrics and n:
        ci = binomtest(correct, n).proportion_ci(0.95, method="wilson")
        parts.append(f"Accuracy {ev.metrics['accuracy']:.4f} [{ci.low:.3f}, {ci.high:.3f}]")
    parts += [f"{METRIC_NAMES[k]} {ev.metrics[k]:.4f}" for k in EXTRA_METRICS if k in ev.metrics]
    return f"  {extra_title(name)} ({ev.n} of {n_test} test images): " + ", ".join(parts)


def terminal_summary(res: RunResult, pdf_path: Path | str) -> str:
    """Plain text: the run, whether it is faithful, one line per published number (published, reproduced with
    its 95% interval, verdict), the extra test sets and the report's path."""
    p = res.provenance
    lines = [f"{res.study} / {res.experiment}: seed {p.seed}, {plural(p.epochs_run, 'epoch')}, "
             f"{res.evaluation.n} test images" + (", generated images (smoke run)" if res.smoke else ""),
             *_status(res.study, res.faithful, res.departures)]
    if res.degenerate is not None:
        lines.append(f"warning: {res.degenerate.banner}")
    rows = res.comparison
    width = max([len(r.label) for r in rows] + [6])
    if rows:
        lines.append("Published vs reproduced (95% interval):")
    for r in rows:
        rep = "not run" if r.reproduced is None else f"{r.reproduced:.4f} {_interval(r.interval)}"
        log = " (training log, not held)" if r.informational else ""
        lines.append(f"  {r.label:<{width}}  published {r.published:<7g} reproduced {rep:<27} "
                     f"{verdict_short(r.verdict)}{log}")
    if not rows:
        lines.append("  (the paper publishes no number for this experiment)")
    if res.extra_evaluations:
        lines.append("Other test sets (the same predictions, rescored):")
        lines += [_extra_line(name, ev, res.evaluation.n) for name, ev in res.extra_evaluations.items()]
    lines.append(f"report: {pdf_path}")
    return "\n".join(lines)


def aggregate_summary(agg: AggregateResult, members: list[RunResult], pdf_path: Path | str) -> str:
    """Plain text for a ``--runs`` set: the set, whether it is faithful, one line per published number (the mean
    over seeds, where one more run lands, verdict) and the report's path."""
    first = members[0].provenance if members else None
    epochs = f", {plural(first.epochs_run, 'epoch')}" if first else ""
    lines = [f"{agg.study} / {agg.experiment}: {plural(agg.n_runs, 'run')} (seeds {', '.join(map(str, agg.seeds))})"
             f"{epochs}", *_status(agg.study, agg.faithful, agg.departures)]
    rows = agg.comparison
    width = max([len(r.label) for r in rows] + [6])
    if rows:
        lines.append("Published vs reproduced over seeds (mean; where one more run lands, 95%):")
    for r in rows:
        rep = "not run" if r.mean is None else f"{r.mean:.4f} {_interval(r.interval)}"
        log = " (training log, not held)" if r.informational else ""
        lines.append(f"  {r.label:<{width}}  published {r.published:<7g} mean {rep:<27} "
                     f"{verdict_short(r.verdict)}{log}")
    lines.append(f"report: {pdf_path} (each seed: its seed-N/{REPORT})")
    return "\n".join(lines)


def run_summaries(run_dirs: list[Path]) -> str:
    """What the terminal shows after ``python -m reproductions.<study>``: one summary per run, and one per
    ``--runs`` set in place of its seed runs."""
    out: list[str] = []
    sets: dict[Path, list[RunResult]] = {}
    for d in map(Path, run_dirs):
        res = load_results(d)
        if (d.parent / AGGREGATE).is_file():
            sets.setdefault(d.parent, []).append(res)
        else:
            out.append(terminal_summary(res, d / REPORT))
    for folder, members in sets.items():
        out.append(aggregate_summary(AggregateResult.load(folder), members, folder / AGGREGATE_REPORT))
    return "\n\n".join(out)
