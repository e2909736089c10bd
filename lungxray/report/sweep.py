"""``sweep.pdf``: what the unstated details of a paper do to its numbers (``sweep.json``, ``lungxray.judge.sweep``).

Page one: what was run, one sentence per published metric, and the table of readings ranked by how well they
fit the paper's own numbers. Then per metric its specification curve (every point's mean and the verdict rule's
interval, sorted, with the published value, its own noise band and the tolerance; below it, which switch each
point makes) and the table of switches against the default.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reportlab.platypus import CondPageBreak, Flowable, KeepTogether

from lungxray.judge.verdict import LEVEL_TEXT
from lungxray.report import figures as F
from lungxray.report.layout import (
    banner,
    build_pdf,
    command_block,
    figure,
    gap,
    interval_text,
    para,
    table,
    verdict_cell,
    verdict_colour,
)
from lungxray.results.files import atomic_write_bytes
from lungxray.results.sweep import BEYOND, FAILED, KEPT, MetricCurve, SweepResult

CHANGE_MARK = "#37474f"


def spec_curve(curve: MetricCurve, varied: Sequence[str]) -> object:
    """Every point of the grid for one metric, sorted by its mean: the verdict rule's 90% interval for the
    difference placed on the metric's scale, coloured by verdict; the published value, the band of its own
    test-set noise (95%) and the tolerance; under it, which choice each point switches."""
    pts = [c for c in curve.points if c.mean is not None]
    rows = max(len(varied), 1)
    fig = F.new_figure(7.0, 2.4 + 0.18 * rows)
    top, bottom = fig.add_gridspec(2, 1, height_ratios=[3.2, 0.5 + 0.35 * rows], hspace=0.05).subplots(sharex=True)
    xs = range(len(pts))
    if curve.paper_band:
        top.axhspan(*curve.paper_band, color="#90caf9", alpha=0.35, lw=0, label="paper's own test-set noise (95%)")
    top.axhline(curve.published, color="#1565c0", lw=1.2, label=f"published {curve.published:g}")
    for sign in (-1, 1):
        top.axhline(curve.published + sign * curve.tolerance, color="#1565c0", lw=0.8, ls="--",
                    label=f"tolerance ±{curve.tolerance:g}" if sign > 0 else None)
    for x, c in zip(xs, pts, strict=True):
        colour = "#8a8a8a" if curve.informational else verdict_colour(c.verdict)
        if c.lo is not None and c.hi is not None:
            top.plot([x, x], [c.lo, c.hi], color=colour, lw=2.2, solid_capstyle="butt")
        top.plot([x], [c.mean], "o", color=colour, ms=5, mec="white", mew=0.6)
    top.set_ylabel(curve.label, fontsize=7)
    top.tick_params(labelsize=6.5)
    top.legend(fontsize=6, loc="best", frameon=False)
    top.grid(axis="y", lw=0.3, alpha=0.5)
    for i, name in enumerate(varied):
        for x, c in zip(xs, pts, strict=True):
            choice = c.changes.get(name)
            bottom.plot([x], [i], "s" if choice else ".", color=CHANGE_MARK if choice else "#cfd8dc",
                        ms=5 if choice else 3)
            if choice:
                bottom.annotate(choice, (x, i), xytext=(4, -2), textcoords="offset points", fontsize=5.5,
                                color=CHANGE_MARK)
    bottom.set_yticks(range(len(varied)), list(varied), fontsize=6.5)
    bottom.set_ylim(len(varied) - 0.5, -0.5)
    bottom.set_xticks(list(xs), ["" for _ in pts])
    bottom.set_xlim(-0.6, len(pts) - 0.4 + 0.6)
    bottom.set_xlabel("points, sorted by the mean (a filled square: the point switches that variant)", fontsize=6.5)
    return fig


def _trials_line(sweep: SweepResult) -> str:
    n = len(sweep.trials)
    kept = sum(t.status == KEPT for t in sweep.trials)
    failed = len(sweep.failed)
    ran = [t.seconds for t in sweep.trials if t.status == "ran" and t.seconds]
    mean = f", {sum(ran) / len(ran):.0f} s each on average" if ran else ""
    return (f"{n} trials ({len(sweep.points)} points x {sweep.runs_per_point} seeds): {n - kept - failed} run now"
            f"{mean}, {kept} kept from an earlier invocation, {failed} failed after a retry.")


def sweep_story(sweep: SweepResult, level: str = "title") -> list[Flowable]:
    title = f"{sweep.study} / {sweep.experiment}: every reading of the paper"
    story: list[Flowable] = [para(title, level), para(sweep.title, "citation")]
    if sweep.smoke:
        story.append(banner("SMOKE SWEEP: generated images and few epochs. It proves the machinery, not the paper."))
    elif sweep.faithful is False:
        story.append(banner("Some points are not faithful runs (a departure that is not minor): their verdicts "
                            "are 'not comparable'."))
    if sweep.failed:
        story.append(banner(f"{len(sweep.failed)} trial(s) FAILED after a retry; their points are left out: "
                            + "; ".join(f"{t.folder}: {t.error[:120]}" for t in sweep.failed[:4])))
    story.append(para(
        f"Grid: {sweep.grid} over {', '.join(sweep.varied)}; {sweep.runs_per_point} seeds per point, design "
        f"'{sweep.design}'. {_trials_line(sweep)} Backend: {sweep.backend}. Each trial is an ordinary run folder "
        "(results.json, predictions, report.pdf) and each point a --runs set (aggregate.json, aggregate.pdf). "
        f"Verdicts: {LEVEL_TEXT}. The effect of a switch is the mean of seed-paired differences from the default "
        "point with its 90% interval (same seeds, same splits), against the tolerance by the same two one-sided "
        "tests."))
    story += [para("What the unstated details do", "h1")]
    story += [para("• " + c.sentence, "body") for c in sweep.curves if not c.informational]
    logs = [c for c in sweep.curves if c.informational]
    if logs:
        story.append(para("Training-log values (information, not judged): " + " ".join(c.sentence for c in logs),
                          "small"))
    story += compatibility_section(sweep)
    for c in sweep.curves:
        story += curve_section(c, sweep.varied)
    story += [CondPageBreak(120), para("Trials", "h1"), trials_table(sweep), gap()]
    story += [para("Command", "h2"), command_block(sweep.command)]
    story += [para("Notes", "h2")] + [para("• " + n, "small") for n in sweep.notes] if sweep.notes else []
    return story


def compatibility_section(sweep: SweepResult) -> list[Flowable]:
    if not sweep.compatibility:
        return []
    rows = [["rank", "reading (point)", "numbers beyond the headline", "shown to differ", "sum z²",
             "confusion matrix p", "evidence"]]
    for c in sweep.compatibility:
        rows.append([str(c.rank), c.point, str(c.numbers), str(c.contradicted), f"{c.chi2:.1f}",
                     "-" if c.confusion_p is None else f"{c.confusion_p:.3g}", c.detail])
    return [para("Which reading fits the paper's own numbers", "h1"),
            para("Each point against the paper's numbers other than its headline (its other table rows, its final "
                 "training-log values, its confusion matrix): how many its runs show to differ (90% interval of the "
                 "difference excludes 0), the sum of squared standardised differences, and a chi-square test of "
                 "the paper's confusion matrix against the point's pooled one. Ranked by the first two. This is "
                 "evidence of fit, not a claim about what the authors did; the rows share their images, so the sum "
                 "ranks and is not a calibrated test.", "small"),
            table(rows, [0.05, 0.17, 0.09, 0.08, 0.07, 0.09, 0.45]), gap()]


def curve_section(c: MetricCurve, varied: Sequence[str]) -> list[Flowable]:
    head = [para(f"{c.label} ({c.source}){' [primary]' if c.primary else ''}"
                 f"{' [training log]' if c.informational else ''}", "h2"), para(c.sentence, "small")]
    out: list[Flowable] = [CondPageBreak(260), KeepTogether([*head, figure(spec_curve(c, varied))])]
    rows = [["switch", "difference from the default", "90% interval", "seed pairs", "against the tolerance"]]
    for e in c.effects:
        diff = "-" if e.difference is None else f"{e.difference:+.3f}"
        lo_hi = "-" if e.lo is None else interval_text(e.lo, e.hi)
        mark = verdict_cell("not reproduced" if e.moves == BEYOND else "consistent", e.moves) \
            if e.moves == BEYOND else e.moves
        rows.append([f"{e.variant} = {e.choice}", diff, lo_hi, str(e.pairs), mark])
    if len(rows) > 1:
        out += [table(rows, [0.3, 0.17, 0.18, 0.1, 0.25]), gap()]
    return out


def trials_table(sweep: SweepResult) -> Flowable:
    rows = [["trial (run folder)", "split seed", "status", "attempts", "seconds", "error"]]
    for t in sweep.trials:
        status = t.status.upper() if t.status == FAILED else t.status
        rows.append([t.folder, str(t.split_seed), status, str(t.attempts),
                     "-" if t.seconds is None else f"{t.seconds:.0f}", t.error[:200]])
    return table(rows, [0.3, 0.08, 0.08, 0.08, 0.08, 0.38], style="tiny")


def render_sweep(sweep: SweepResult) -> bytes:
    return build_pdf(sweep_story(sweep), f"{sweep.study} / {sweep.experiment}: sweep")


def write_sweep_report(sweep: SweepResult, out: Path) -> Path:
    atomic_write_bytes(Path(out), render_sweep(sweep))
    return Path(out)
