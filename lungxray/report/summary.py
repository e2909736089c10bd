"""A study-level PDF (summary.pdf): every experiment of one study run side by side, then each
experiment's confusion matrices (published beside reproduced where the paper printed one)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from reportlab.platypus import CondPageBreak, Flowable

from lungxray.report import figures as F
from lungxray.report.layout import (
    LOG_GREY,
    banner,
    build_pdf,
    coloured,
    esc,
    figure,
    fmt,
    interval_text,
    para,
    table,
    verdict_colour,
)
from lungxray.report.pdf import banners, head
from lungxray.results.files import atomic_write_bytes, find_results, load_results
from lungxray.results.types import ComparisonRow, RunResult


def _cell(row: ComparisonRow) -> Flowable:
    iv = row.interval
    verdict = (coloured(f"log: {row.verdict}", LOG_GREY, bold=False) if row.informational
               else coloured(row.verdict, verdict_colour(row.verdict)))
    text = (f"{esc(fmt(row.published, 3))} / {esc(fmt(row.reproduced, 3))} "
            f"{esc(interval_text(iv.lo, iv.hi) if iv else '')}<br/>" + verdict)
    return para(text, "tiny", markup=True)


def table_section(results: list[RunResult]) -> list[Flowable]:
    """One row per published metric, one column per experiment: published / reproduced [interval], verdict."""
    labels = list(dict.fromkeys(row.label for r in results for row in r.comparison))
    head_row = ["metric"] + [f"{r.experiment}: published / reproduced [95%]" for r in results]
    rows = [head_row]
    for lab in labels:
        row: list[str | Flowable] = [lab]
        for r in results:
            hit = next((c for c in r.comparison if c.label == lab), None)
            row.append("-" if hit is None else _cell(hit))
        rows.append(row)
    w = 0.7 / max(len(results), 1)
    return [para("All experiments side by side", "h1"), table(rows, [0.3] + [w] * len(results))]


def confusion_section(results: list[RunResult]) -> list[Flowable]:
    out: list[Flowable] = [CondPageBreak(300), para("Confusion matrices", "h1")]
    for r in results:
        ev = r.evaluation
        pub = r.published.confusion_matrix
        title = f"{r.experiment}: reproduced ({ev.n} test images)"
        if pub is None:
            out += [CondPageBreak(260), figure(F.confusion(None, np.array(ev.confusion_matrix), ev.classes,
                                                           rep_title=title), 0.62),
                    para(f"{r.experiment}: the paper printed no confusion matrix; the reproduced one alone.")]
        else:
            out += [CondPageBreak(260), figure(F.confusion(np.array(pub), np.array(ev.confusion_matrix),
                                                           ev.classes, f"{r.experiment}: published "
                                                           f"({r.published.confusion_source})", title))]
    return out


def summary_story(results: list[RunResult], level: str = "title") -> list[Flowable]:
    first = results[0]
    story = head(f"{first.study}: all experiments of one run", first.study, level)
    seen = dict.fromkeys((text, colour) for r in results for text, colour in banners(r))
    story += [banner(text, colour) for text, colour in seen]
    return story + table_section(results) + confusion_section(results)


def render_summary(results: list[RunResult]) -> bytes:
    return build_pdf(summary_story(results), f"{results[0].study}: summary")


def write_summary(folder: Path, out: Path | None = None) -> Path:
    """summary.pdf over every run folder directly below ``folder``."""
    folder = Path(folder)
    results = [load_results(p) for p in find_results(folder) if p.parent.parent == folder]
    out = out or folder / "summary.pdf"
    atomic_write_bytes(out, render_summary(results))
    return out
