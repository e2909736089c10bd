"""The few lines printed after a run: each published number against its reproduction, and where the PDF is."""

from __future__ import annotations

from pathlib import Path

from lungxray.results.types import Interval, RunResult


def _interval(iv: Interval | None) -> str:
    return "(no interval)" if iv is None else f"[{iv.lo:.3f}, {iv.hi:.3f}]"


def terminal_summary(res: RunResult, pdf_path: Path | str) -> str:
    """Plain text: the run, whether it is faithful, one line per published number (published, reproduced with
    its 95% interval, verdict) and the report's path."""
    status = ("faithful" + (" with stated minor departures" if res.departures else "") if res.faithful
              else "NOT faithful: " + "; ".join(res.unfaithful_reasons))
    lines = [f"{res.study} / {res.experiment} (seed {res.provenance.seed}, "
             f"{res.evaluation.n} test images): {status}"]
    if res.degenerate is not None:
        lines.append(f"warning: {res.degenerate.banner}")
    rows = res.comparison
    width = max([len(r.label) for r in rows] + [6])
    for r in rows:
        rep = "not run" if r.reproduced is None else f"{r.reproduced:.4f} {_interval(r.interval)}"
        log = " (training log, not held)" if r.informational else ""
        lines.append(f"  {r.label:<{width}}  published {r.published:<7g} reproduced {rep:<27} "
                     f"{r.verdict}{log}")
    if not rows:
        lines.append("  (the paper publishes no number for this experiment)")
    lines.append(f"report: {pdf_path}")
    return "\n".join(lines)
