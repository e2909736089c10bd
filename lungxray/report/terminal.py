"""The few lines printed after a run: each published number against its reproduction, and where the PDF is."""

from __future__ import annotations

from pathlib import Path


def _interval(iv: dict | None) -> str:
    return "(no interval)" if not iv else f"[{iv['lo']:.3f}, {iv['hi']:.3f}]"


def terminal_summary(result: dict, pdf_path: Path | str) -> str:
    """Plain text: the run, whether it is faithful, one line per published number (published, reproduced with
    its 95% interval, verdict) and the report's path."""
    faithful = result["faithful"]
    status = ("faithful" + (" with stated minor departures" if result["departures"] else "") if faithful
              else "NOT faithful: " + "; ".join(result["unfaithful_reasons"]))
    lines = [f"{result['study']} / {result['experiment']} (seed {result['provenance']['seed']}, "
             f"{result['evaluation']['n']} test images): {status}"]
    if result["degenerate"]:
        lines.append(f"warning: {result['degenerate']['banner']}")
    rows = result["comparison"]
    width = max([len(r["label"]) for r in rows] + [6])
    for r in rows:
        rep = "not run" if r["reproduced"] is None else f"{r['reproduced']:.4f} {_interval(r['interval'])}"
        log = " (training log, not held)" if r["informational"] else ""
        lines.append(f"  {r['label']:<{width}}  published {r['published']:<7g} reproduced {rep:<27} "
                     f"{r['verdict']}{log}")
    if not rows:
        lines.append("  (the paper publishes no number for this experiment)")
    lines.append(f"report: {pdf_path}")
    return "\n".join(lines)
