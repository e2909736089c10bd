"""The PDF of a ``--runs K`` set (aggregate.pdf beside aggregate.json and its seed-N/ run folders): every
published number against the interval where one more run of the pipeline lands, with each seed's value
drawn, the verdicts over seeds, and one row per seed.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.platypus import CondPageBreak, Flowable, KeepTogether

from lungxray.report import figures as F
from lungxray.report.layout import (
    banner,
    build_pdf,
    coloured,
    esc,
    figure,
    gap,
    interval_text,
    para,
    published_text,
    table,
    verdict_colour,
)
from lungxray.report.pdf import departure_banners, head
from lungxray.results.files import atomic_write_bytes
from lungxray.results.types import AggregateResult

AGGREGATE_REPORT = "aggregate.pdf"


def seed_points(agg: AggregateResult) -> dict[str, list[float]]:
    """Metric key -> the value of each seed (training-log rows have none here)."""
    return {k: m.values for k, m in agg.metrics.items()}


def verdict_table(agg: AggregateResult) -> list[Flowable]:
    cells = [["metric (source)", "published [rounding]", "mean ± std over seeds (min to max)",
              "one more run lands (95%)", "verdict"]]
    for r in agg.comparison:
        vals = agg.metrics[r.key].values if r.key in agg.metrics else []
        spread = f" ({min(vals):.3f} to {max(vals):.3f})" if vals else ""
        iv = r.interval
        detail = f"<br/>{esc(r.detail)}" if r.detail else ""
        cells.append([f"{r.label} ({r.source})" + (" [training log, not held]" if r.informational else ""),
                      published_text(r.published, r.published_interval),
                      "-" if r.mean is None else f"{r.mean:.3f} ± {r.std:.3f}{spread}",
                      interval_text(iv.lo, iv.hi) if iv else "-",
                      para(coloured(r.verdict, verdict_colour(r.verdict)) + detail, "tiny", markup=True)])
    return [table(cells, [0.25, 0.16, 0.2, 0.13, 0.26])]


def seed_table(agg: AggregateResult) -> list[Flowable]:
    """One row per seed: its split seed and the values of the compared metrics (at most six)."""
    keys = [r.key for r in agg.comparison if r.key in agg.metrics][:6]
    rows = [["run", "seed", "split seed", *keys]]
    for i, seed in enumerate(agg.seeds):
        run = agg.runs[i] if i < len(agg.runs) else ""
        rows.append([run, seed, agg.split_seeds[i], *[f"{agg.metrics[k].values[i]:.4f}" for k in keys]])
    n = 3 + len(keys)
    return [table(rows, [0.12, 0.07, 0.09] + [(1 - 0.28) / max(n - 3, 1)] * (n - 3))]


def aggregate_story(agg: AggregateResult, level: str = "title") -> list[Flowable]:
    title = f"{agg.study} / {agg.experiment}: {agg.n_runs} runs that differ in seed"
    story = head(title, agg.study, level)
    story += [banner(text, colour) for text, colour in departure_banners(agg.departures)]
    story.append(para(
        f"Seeds {', '.join(map(str, agg.seeds))}; split seeds {', '.join(map(str, agg.split_seeds))}. "
        "The interval is where one more run of the same pipeline lands (95%): the mean ± Student's t quantile "
        "times the test-set standard error and the spread over seeds together (lungxray/judge/verdict.py); small dots "
        "are the seeds, one each."))
    story += [KeepTogether([para("Published vs reproduced over seeds", "h1"),
                            figure(F.forest(F.forest_rows(agg.comparison, seed_points(agg))))]), gap()]
    story += verdict_table(agg)
    story += [CondPageBreak(150), para("Each seed", "h2"), *seed_table(agg)]
    return story


def render_aggregate(agg: AggregateResult) -> bytes:
    return build_pdf(aggregate_story(agg), f"{agg.study} / {agg.experiment} over {agg.n_runs} seeds")


def write_aggregate_report(folder: Path) -> Path:
    """aggregate.pdf beside ``folder``/aggregate.json (a ``--runs`` set's experiment folder)."""
    out = Path(folder) / AGGREGATE_REPORT
    atomic_write_bytes(out, render_aggregate(AggregateResult.load(Path(folder))))
    return out
