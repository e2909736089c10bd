"""``sweep.pdf``: what the unstated details of a paper do to its numbers (``sweep.json``, ``lungxray.judge.sweep``).

Page one is the summary a reviewer reads in a minute: what was run, one sentence per published metric (which
switches move it beyond its tolerance, whether any reading reaches the published value), the effect of every
switch on every judged metric at a glance, and the readings ranked by how well they fit the paper's own numbers
(evidence of fit, never a claim about what the authors did). Then one specification curve per metric: every
point's mean and the verdict rule's own interval for its design, sorted, against the published value, its own
test-set noise band and the tolerance; under it which choices each point switches, and beside that the effect of
each switch against the default (training-log values in grey: information, not judged). Last: how to read it,
the trials, the command and the notes.

The sentences are made from each curve's stored numbers when the PDF is rendered (``lungxray.judge.sweep.
sentence``), so a sweep.json written by an earlier version reads in today's words; the numbers are never
recomputed. :func:`sweep_story` takes a heading level, so the suite PDF embeds the same pages under a study.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from reportlab.lib import colors
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether

from lungxray.judge.sweep import sentence
from lungxray.judge.verdict import LEVEL_TEXT
from lungxray.report import figures as F
from lungxray.report.layout import (
    LOG_GREY,
    banner,
    build_pdf,
    coloured,
    command_block,
    esc,
    figure,
    gap,
    interval_text,
    para,
    table,
    verdict_colour,
    verdict_short,
)
from lungxray.results.files import atomic_write_bytes
from lungxray.results.sweep import (
    BEYOND,
    FAILED,
    KEPT,
    MOVES_SOME,
    NO_PAIRS,
    NOT_SHOWN,
    RAN,
    WITHIN,
    Compatibility,
    CurvePoint,
    Effect,
    MetricCurve,
    SweepResult,
)

CHANGE_MARK = "#37474f"
GREY = colors.HexColor(LOG_GREY)
PUBLISHED_LINE = "#1565c0"
DEFAULT_SHADE = "#fff3c4"
#: what an effect's interval shows against the tolerance -> (line colour, table background, short name)
MOVES_STYLE: dict[str, tuple[str, str, str]] = {
    BEYOND: ("#c62828", "#f8d7d7", "beyond the tolerance"),
    MOVES_SOME: ("#ef6c00", "#fde5cc", "moves it, not beyond"),
    WITHIN: ("#2e7d32", "#dcefdc", "within the tolerance"),
    NOT_SHOWN: ("#8d8d8d", "#ffffff", "not shown to move it"),
    NO_PAIRS: ("#bdbdbd", "#ffffff", "not estimable"),
}


def reading(changes: dict[str, str]) -> str:
    """A point as a reader names it: its switches, or the default reading."""
    return ", ".join(f"{k} = {v}" for k, v in changes.items()) or "default (every variant at its default)"


def _switches(sweep: SweepResult) -> list[tuple[str, str]]:
    """Every (variant, choice) some point switches to, in the order of ``sweep.varied`` and of the points."""
    seen = dict.fromkeys((k, v) for p in sweep.points for k, v in p.changes.items())
    order = {name: i for i, name in enumerate(sweep.varied)}
    return sorted(seen, key=lambda kv: order.get(kv[0], len(order)))


def _bounded(curve: MetricCurve) -> bool:
    """A proportion (accuracy, precision, ...): its axis stays within [0, 1] however wide an interval is."""
    values = [curve.published] + [c.mean for c in curve.points if c.mean is not None]
    return "loss" not in curve.key and all(0 <= v <= 1 for v in values)


def _ylim(curve: MetricCurve, pts: Sequence[CurvePoint]) -> tuple[float, float]:
    vals = [curve.published - curve.tolerance, curve.published + curve.tolerance, *[c.mean for c in pts]]
    vals += [v for c in pts for v in (c.lo, c.hi) if v is not None]
    if curve.paper_band:
        vals += list(curve.paper_band)
    lo, hi = min(vals), max(vals)
    pad = 0.05 * (hi - lo or 1.0)
    lo, hi = lo - pad, hi + pad
    if _bounded(curve):
        lo, hi = max(lo, -0.02), min(hi, 1.02)
    return lo, hi


def spec_curve(curve: MetricCurve, switches: Sequence[tuple[str, str]]) -> plt.Figure:
    """One metric over the grid. Left, above: every point sorted by its mean, with the verdict rule's 90% interval
    for the difference placed on the metric's scale and coloured by its verdict; the published value, the band of
    its own test-set noise (95%) and the tolerance. Left, below: which choice each point switches (one row per
    switch; the default reading's column shaded). Right, below: the effect of each switch against the default
    (seed-paired, 90%), on the same rows, against the tolerance. A training-log value is drawn in grey."""
    info = curve.informational
    pts = [c for c in curve.points if c.mean is not None]
    n_rows = max(len(switches), 1)
    fig = F.new_figure(7.2, 2.0 + 0.2 * n_rows)
    with plt.rc_context(F.RC):
        grid = fig.add_gridspec(2, 2, width_ratios=[3.3, 1.25], height_ratios=[2.6, 0.35 + 0.24 * n_rows])
        top = fig.add_subplot(grid[0, 0])
        legend_ax = fig.add_subplot(grid[0, 1])
        matrix = fig.add_subplot(grid[1, 0], sharex=top)
        effects = fig.add_subplot(grid[1, 1], sharey=matrix)
        line = LOG_GREY if info else PUBLISHED_LINE
        xs = list(range(len(pts)))
        for x, c in zip(xs, pts, strict=True):
            if not c.changes:
                matrix.axvspan(x - 0.3, x + 0.3, color=DEFAULT_SHADE, lw=0, zorder=0)
        if curve.paper_band and not info:
            top.axhspan(*curve.paper_band, color="#90caf9", alpha=0.3, lw=0, zorder=1)
        top.axhline(curve.published, color=line, lw=1.2, zorder=2)
        for sign in (-1, 1):
            top.axhline(curve.published + sign * curve.tolerance, color=line, lw=0.8, ls="--", zorder=2)
        for x, c in zip(xs, pts, strict=True):
            colour = LOG_GREY if info else verdict_colour(c.verdict)
            if c.lo is not None and c.hi is not None:
                top.plot([x, x], [c.lo, c.hi], color=colour, lw=1.4 if info else 2.4, solid_capstyle="butt",
                         zorder=3)
            default = not c.changes
            top.plot([x], [c.mean], "D" if default else "o", color=colour, ms=5.5 if default else 5,
                     mec="black" if default else "white", mew=0.8 if default else 0.6, zorder=4)
        top.set_ylim(*_ylim(curve, pts))
        top.set_ylabel(textwrap.fill(curve.label, 22), fontsize=7)
        top.tick_params(axis="x", bottom=False, labelbottom=False)
        top.tick_params(axis="y", labelsize=6.5)
        top.grid(axis="y", lw=0.3, alpha=0.5)
        top.set_title(("training log (not judged): " if info else "") + "each reading's mean and the verdict "
                      "rule's interval, sorted", loc="left", fontsize=7, color="#444444")
        _choice_matrix(matrix, pts, switches)
        _effect_panel(effects, curve, switches)
        legend_ax.axis("off")
        legend_ax.legend(handles=_legend_handles(curve, pts), loc="upper left", fontsize=6, frameon=False,
                         borderaxespad=0, handlelength=1.8)
    return fig


def _legend_handles(curve: MetricCurve, pts: Sequence[CurvePoint]) -> list:
    info = curve.informational
    line = LOG_GREY if info else PUBLISHED_LINE
    handles: list = [Line2D([], [], color=line, lw=1.2, label=f"published {curve.published:g}"),
                     Line2D([], [], color=line, lw=0.8, ls="--", label=f"tolerance ±{curve.tolerance:g}")]
    if curve.paper_band and not info:
        handles.append(Patch(color="#90caf9", alpha=0.5, lw=0, label="paper's own test-set noise (95%)"))
    if info:
        handles.append(Line2D([], [], color=LOG_GREY, lw=1.4, marker="o", ms=4, label="mean, interval (log)"))
    else:
        for v in dict.fromkeys(c.verdict for c in pts):
            handles.append(Line2D([], [], color=verdict_colour(v), lw=2.4, marker="o", ms=4,
                                  label=verdict_short(v)))
    handles.append(Line2D([], [], color="#9e9e9e", marker="D", mec="black", ms=4.5, lw=0,
                          label="the default reading"))
    return handles


def _choice_matrix(ax: plt.Axes, pts: Sequence[CurvePoint], switches: Sequence[tuple[str, str]]) -> None:
    for i, (variant, choice) in enumerate(switches):
        for x, c in enumerate(pts):
            on = c.changes.get(variant) == choice
            ax.plot([x], [i], "s" if on else ".", color=CHANGE_MARK if on else "#cfd8dc", ms=5.5 if on else 2.5)
    ax.set_yticks(range(len(switches)), [f"{v} = {c}" for v, c in switches], fontsize=6.5)
    ax.set_ylim(max(len(switches), 1) - 0.5, -0.5)
    ax.set_xlim(-0.6, max(len(pts), 1) - 0.4)
    ax.set_xticks([x for x, c in enumerate(pts) if not c.changes], ["default" for c in pts if not c.changes],
                  fontsize=6)
    ax.tick_params(axis="x", length=0)
    ax.set_xlabel(f"{len(pts)} readings, sorted by the mean; a square: the reading makes that switch", fontsize=6.5)
    if not switches:
        ax.set_yticks([0], ["(no switch)"], fontsize=6.5)


def _effect_panel(ax: plt.Axes, curve: MetricCurve, switches: Sequence[tuple[str, str]]) -> None:
    by = {(e.variant, e.choice): e for e in curve.effects}
    t = curve.tolerance
    ax.axvspan(-t, t, color="#eeeeee", lw=0, zorder=0)
    ax.axvline(0, color="#777777", lw=0.6, zorder=1)
    reach = t
    for i, key in enumerate(switches):
        e = by.get(key)
        if e is None or e.difference is None:
            continue
        colour = LOG_GREY if curve.informational else MOVES_STYLE.get(e.moves, MOVES_STYLE[NOT_SHOWN])[0]
        ax.plot([e.lo, e.hi], [i, i], color=colour, lw=2.0, solid_capstyle="butt", zorder=2)
        ax.plot([e.difference], [i], "o", color=colour, ms=4, mec="white", mew=0.5, zorder=3)
        reach = max(reach, abs(e.lo), abs(e.hi))
    ax.set_xlim(-1.1 * reach, 1.1 * reach)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, symmetric=True))
    ax.tick_params(axis="y", left=False, labelleft=False)
    ax.tick_params(axis="x", labelsize=6)
    ax.set_xlabel(f"effect of the switch vs the default\n(seed-paired, 90%; grey: ±{t:g})", fontsize=6)
    ax.grid(axis="x", lw=0.3, alpha=0.5)


# --- page one ---------------------------------------------------------------------------------------------

def _trials_line(sweep: SweepResult) -> str:
    n = len(sweep.trials)
    kept = sum(t.status == KEPT for t in sweep.trials)
    failed = len(sweep.failed)
    ran = [t.seconds for t in sweep.trials if t.status == RAN and t.seconds]
    mean = f", {sum(ran) / len(ran):.0f} s each on average" if ran else ""
    return (f"{n} trials ({len(sweep.points)} readings x {sweep.runs_per_point} seeds): {n - kept - failed} run "
            f"now{mean}, {kept} kept from an earlier invocation, {failed} failed after a retry.")


def _citation(study: str) -> str:
    try:
        from lungxray.spec.study import get_study

        return get_study(study).citation
    except (KeyError, ImportError, ValueError):  # a sweep.json of a study this checkout does not register
        return ""


def _sub(level: str) -> tuple[str, str]:
    """The heading styles of a sweep's sections and of its metrics under a heading of ``level``."""
    return {"title": ("h1", "h2"), "h1": ("h2", "h3")}.get(level, ("h3", "h3"))


def summary_story(sweep: SweepResult, level: str = "title") -> list[Flowable]:
    """The first page: title, banners, what was run, one sentence per metric, the effects at a glance and which
    reading fits the paper."""
    section, _ = _sub(level)
    title = f"{sweep.study} / {sweep.experiment}: every reading of the paper's unstated details"
    story: list[Flowable] = [para(title, level)]
    cite = _citation(sweep.study)
    story.append(para(f"{sweep.title}" + (f". {cite}" if cite else ""), "citation"))
    if sweep.smoke:
        story.append(banner("SMOKE SWEEP: generated images and few epochs. It proves the machinery, not the paper."))
    elif sweep.faithful is False:
        story.append(banner("Some readings' runs are not faithful (a departure that is not minor): their verdicts "
                            "are 'not comparable'."))
    if sweep.failed:
        story.append(banner(f"{len(sweep.failed)} trial(s) FAILED after a retry; their readings are left out: "
                            + "; ".join(f"{t.folder}: {t.error[:120]}" for t in sweep.failed[:4])))
    complete = sum(p.complete for p in sweep.points)
    story.append(para(
        f"{len(sweep.points)} readings ({sweep.grid} over {', '.join(sweep.varied) or 'no variant'}), "
        f"{sweep.runs_per_point} seeds each, design '{sweep.design}'"
        + (f"; {complete} of them complete and analysed" if complete < len(sweep.points) else "")
        + ". Each reading is the paper with some unstated details switched from the defaults; each seed is an "
        "ordinary run. How the curves, effects and ranking are made is on the last pages.", "small"))
    judged = [c for c in sweep.curves if not c.informational]
    judged.sort(key=lambda c: not c.primary)
    story.append(para("What the unstated details do", section))
    for c in judged:
        story.append(para(("[primary] " if c.primary else "") + _bold_head(sentence(c)), "body", markup=True,
                          leftIndent=8, bulletText="•"))
    logs = [c for c in sweep.curves if c.informational]
    if logs:
        story.append(para("Training-log values (information, not judged): " + " ".join(sentence(c) for c in logs),
                          "small", textColor=GREY))
    if not sweep.curves:
        story.append(para("No reading finished all its seeds: nothing to show.", "body"))
    story += effects_overview(sweep, section)
    story += compatibility_section(sweep, section)
    return story


def _bold_head(text: str) -> str:
    """Inline markup: a sentence with its metric (the part before the first colon) in bold."""
    head, sep, rest = text.partition("): ")
    return f"<b>{esc(head + sep[0])}</b>: {esc(rest)}" if sep else esc(text)


def effects_overview(sweep: SweepResult, level: str = "h1") -> list[Flowable]:
    """A table: one row per switch, one column per judged metric; each cell the seed-paired difference from the
    default with its 90% interval, shaded by what it shows against the tolerance."""
    judged = [c for c in sweep.curves if not c.informational]
    switches = [s for s in _switches(sweep) if any((e.variant, e.choice) == s for c in judged for e in c.effects)]
    if not judged or not switches:
        return []
    rows: list[list] = [["switch (from the default)", *[f"{c.label} ({c.source})" for c in judged]]]
    backgrounds = []
    for r, (variant, choice) in enumerate(switches, 1):
        row: list = [f"{variant} = {choice}"]
        for col, c in enumerate(judged, 1):
            e = next((e for e in c.effects if (e.variant, e.choice) == (variant, choice)), None)
            row.append(_effect_cell(e))
            if e is not None:
                backgrounds.append((col, r, MOVES_STYLE.get(e.moves, MOVES_STYLE[NOT_SHOWN])[1]))
        rows.append(row)
    legend = ", ".join(f'<font backColor="{bg}">&nbsp;{esc(name)}&nbsp;</font>'
                       for _, bg, name in (MOVES_STYLE[k] for k in (BEYOND, MOVES_SOME, WITHIN, NOT_SHOWN)))
    first = 0.22
    return [para("Effect of each switch", level),
            para("Mean of the seed-paired differences from the default reading (same seeds, same splits) and its "
                 f"90% interval, against each metric's tolerance: {legend}.", "small", markup=True),
            table(rows, [first] + [(1 - first) / len(judged)] * len(judged), backgrounds=backgrounds), gap()]


def _effect_cell(e: Effect | None) -> str:
    if e is None:
        return "-"
    if e.difference is None:
        return f"not estimable ({e.pairs} seed pair(s))"
    return f"{e.difference:+.3f} [{e.lo:+.3f}, {e.hi:+.3f}]"


def _differ_text(c: Compatibility) -> str:
    """The published numbers the reading's runs show to differ."""
    return "; ".join(c.differs) if c.differs else "none" if not c.contradicted else c.detail


def compatibility_section(sweep: SweepResult, level: str = "h1") -> list[Flowable]:
    """The readings ranked by how well they fit the paper's numbers beyond the headline: evidence, not a claim."""
    if not sweep.compatibility:
        return []
    primary = next((c for c in sweep.curves if c.primary and not c.informational), None)
    heads = {p.point: p for p in primary.points} if primary else {}
    rows: list[list] = [["#", "reading", f"headline: {primary.label}" if primary else "headline",
                         "shown to differ", "sum z²", "confusion matrix: p", "which published numbers differ"]]
    for c in sweep.compatibility:
        h = heads.get(c.point)
        head = "-"
        if h is not None and h.mean is not None:
            head = para(f"{h.mean:.3f} {esc(interval_text(h.lo, h.hi))}<br/>"
                        + coloured(verdict_short(h.verdict), verdict_colour(h.verdict)), "tiny", markup=True)
        rows.append([str(c.rank), reading(c.changes), head, f"{c.contradicted} of {c.numbers}", f"{c.chi2:.1f}",
                     "-" if c.confusion_p is None else f"{c.confusion_p:.3g}",
                     para(_differ_text(c), "tiny")])
    best = sweep.compatibility[0]
    ties = [c for c in sweep.compatibility if c.contradicted == best.contradicted]
    lead = (f"Closest fit: {reading(best.changes)} ({best.contradicted} of {best.numbers} published numbers beyond "
            f"the headline shown to differ, sum z² {best.chi2:.1f})"
            + (f"; {len(ties) - 1} other reading(s) show as few differences" if len(ties) > 1 else "") + ". ")
    return [para("Which reading fits the paper's own numbers", level),
            para(lead + "Each reading against the paper's numbers other than its headline (its other table rows, "
                 "its final training-log values, its confusion matrix): how many its runs show to differ (the "
                 "difference's 90% interval excludes 0), the sum of squared standardised differences, and a "
                 "chi-square test of the paper's confusion matrix against the reading's pooled one; ranked by the "
                 "first two. This is evidence of fit, not a claim about what the authors did; the numbers share "
                 "their images, so the sum ranks and is not a calibrated test.", "small"),
            table(rows, [0.04, 0.2, 0.15, 0.08, 0.06, 0.1, 0.37], style="tiny"), gap()]


# --- the curves and the rest ----------------------------------------------------------------------------

def curve_section(c: MetricCurve, switches: Sequence[tuple[str, str]], level: str = "h2") -> list[Flowable]:
    tags = (" [primary]" if c.primary else "") + (" [training log, not judged]" if c.informational else "")
    text = para(sentence(c), "small", textColor=GREY) if c.informational else para(sentence(c), "small")
    head = [para(f"{c.label} ({c.source}){tags}", level), text]
    return [CondPageBreak(250), KeepTogether([*head, figure(spec_curve(c, switches))])]


def curves_story(sweep: SweepResult, level: str = "title") -> list[Flowable]:
    section, metric = _sub(level)
    if not sweep.curves:
        return []
    switches = _switches(sweep)
    story: list[Flowable] = [CondPageBreak(400), para("Specification curves", section),
                             para("One per published metric. Above: each reading's mean over its seeds with the "
                                  "verdict rule's own 90% interval for its design (placed on the metric's scale), "
                                  "sorted, coloured by its verdict, against the published value, the band of its "
                                  "own test-set noise and the tolerance. Below: which switch each reading makes, "
                                  "and to its right the effect of that switch alone against the default.", "small")]
    for c in (c for c in sweep.curves if not c.informational):
        story += curve_section(c, switches, metric)
    logs = [c for c in sweep.curves if c.informational]
    if logs:
        story += [CondPageBreak(300), para("Training-log values (information, not judged)", section)]
        for c in logs:
            story += curve_section(c, switches, metric)
    return story


def method_story(sweep: SweepResult, level: str = "title", trials: bool = True) -> list[Flowable]:
    section, _ = _sub(level)
    story: list[Flowable] = [CondPageBreak(150), para("How to read this sweep", section), para(
        f"Grid: {sweep.grid} over {', '.join(sweep.varied)}; {sweep.runs_per_point} seeds per reading, design "
        f"'{sweep.design}'. {_trials_line(sweep)} Backend: {sweep.backend}. Each trial is an ordinary run folder "
        "(results.json, predictions.csv, report.pdf) and each reading a --runs set (aggregate.json, aggregate.pdf). "
        f"Verdicts: {LEVEL_TEXT}. The effect of a switch is the mean of the seed-paired differences between the "
        "reading that makes only that switch and the default reading, with its 90% Student interval (the same "
        "seeds, hence the same splits), against the tolerance by the same two one-sided tests: beyond the "
        "tolerance (the interval lies wholly beyond ±t), within it (wholly inside), moves it (excludes 0 only), "
        "not shown to move it.", "small")]
    if trials:
        story += [para("Trials", section), trials_table(sweep), gap()]
    story += [para("Command", section), command_block(sweep.command)]
    if sweep.notes:
        story += [para("Notes", section), *[para("• " + n, "small") for n in sweep.notes]]
    return story


def sweep_story(sweep: SweepResult, level: str = "title", trials: bool = True) -> list[Flowable]:
    """Every section of sweep.pdf under a heading of ``level`` (the suite passes "h1", and ``trials=False``: the
    trial folders are listed in sweep.pdf itself)."""
    return summary_story(sweep, level) + curves_story(sweep, level) + method_story(sweep, level, trials)


def trials_table(sweep: SweepResult) -> Flowable:
    rows = [["trial (run folder)", "split seed", "status", "attempts", "seconds", "error"]]
    for t in sweep.trials:
        status = coloured("FAILED", "#c62828") if t.status == FAILED else esc(t.status)
        rows.append([t.folder, str(t.split_seed), para(status, "tiny", markup=True), str(t.attempts),
                     "-" if t.seconds is None else f"{t.seconds:.0f}", t.error[:200]])
    return table(rows, [0.34, 0.08, 0.08, 0.09, 0.08, 0.33], style="tiny")


def render_sweep(sweep: SweepResult) -> bytes:
    return build_pdf(sweep_story(sweep), f"{sweep.study} / {sweep.experiment}: sweep")


def write_sweep_report(sweep: SweepResult, out: Path) -> Path:
    atomic_write_bytes(Path(out), render_sweep(sweep))
    return Path(out)

