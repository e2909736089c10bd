"""The PDF of a ``--runs K`` set (aggregate.pdf beside aggregate.json and its seed-N/ run folders): every
published number against the interval where one more run of the pipeline lands, with each seed's value
drawn, the verdicts over seeds, one row per seed; then, from the seed runs' own files, the confusion
matrix summed over seeds, each seed's ROC and training curves, and the provenance (command, versions, data).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
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
    published_text,
    table,
    verdict_cell,
)
from lungxray.report.pdf import departure_banners, design_text, evaluated_epoch, head, val_name
from lungxray.results.files import (
    PREDICTIONS,
    RESULTS,
    atomic_write_bytes,
    load_results,
    read_predictions,
    read_probabilities,
)
from lungxray.results.types import AggregateResult, RunResult

AGGREGATE_REPORT = "aggregate.pdf"


def seed_points(agg: AggregateResult, members: list[RunResult] = ()) -> dict[str, list[float]]:
    """Metric key -> the value of each seed; a training-log row's (``history:<key>``) from the seed runs' logs at
    their evaluated epochs."""
    out = {k: list(m.values) for k, m in agg.metrics.items()}
    for r in agg.comparison:
        log_key = r.key.split(":", 1)[1] if r.key.startswith("history:") else None
        if log_key and members and all(log_key in m.history for m in members):
            out[r.key] = [m.history[log_key][evaluated_epoch(m) - 1] for m in members]
    return out


def verdict_table(agg: AggregateResult) -> list[Flowable]:
    cells = [["metric (source)", "published [rounding]", "mean ± std over seeds (min to max)",
              "one more run lands (95%)", "verdict"]]
    for r in agg.comparison:
        vals = agg.metrics[r.key].values if r.key in agg.metrics else []
        spread = f" ({min(vals):.3f} to {max(vals):.3f})" if vals else ""
        iv = r.interval
        cells.append([f"{r.label} ({r.source})" + (" [primary]" if r.primary else "")
                      + (" [training log, not held]" if r.informational else ""),
                      published_text(r.published, r.published_interval),
                      "-" if r.mean is None else f"{r.mean:.3f} ± {r.std:.3f}{spread}",
                      interval_text(iv.lo, iv.hi) if iv else "-",
                      verdict_cell(r.verdict, r.detail, r.informational)])
    return [table(cells, [0.25, 0.16, 0.2, 0.13, 0.26])]


def seed_table(agg: AggregateResult) -> list[Flowable]:
    """One row per seed: its split seed and the values of the compared metrics (at most six)."""
    rows_of = {r.key: r for r in agg.comparison}
    keys = [k for k in rows_of if k in agg.metrics][:6]
    rows = [["run", "seed", "split seed", *[rows_of[k].label for k in keys]]]
    for i, seed in enumerate(agg.seeds):
        run = agg.runs[i] if i < len(agg.runs) else ""
        rows.append([run, seed, agg.split_seeds[i], *[f"{agg.metrics[k].values[i]:.4f}" for k in keys]])
    n = 3 + len(keys)
    return [table(rows, [0.12, 0.07, 0.09] + [(1 - 0.28) / max(n - 3, 1)] * (n - 3))]


def confusion_section(members: list[RunResult]) -> list[Flowable]:
    """The seeds' confusion matrices summed (every test prediction of the set), beside the published one."""
    if not members:
        return []
    first = members[0]
    summed = np.sum([np.asarray(m.evaluation.confusion_matrix) for m in members], axis=0)
    rep_title = f"reproduced, summed over {len(members)} seeds ({int(summed.sum())} test predictions)"
    pub = first.published.confusion_matrix
    fig = F.confusion(None if pub is None else np.asarray(pub), summed, first.evaluation.classes,
                      f"published ({first.published.confusion_source})", rep_title)
    text = ("Cells: count and share of the true class; each seed is tested on its own test set, so the counts are "
            "the seeds' predictions together." + ("" if pub is not None else
                                                  " The paper printed no confusion matrix."))
    return [KeepTogether([para("Confusion matrix over seeds", "h1"), figure(fig, 1.0 if pub is not None else 0.7),
                          para(text)])]


def roc_section(members: list[RunResult], folders: list[Path]) -> list[Flowable]:
    """Each seed's ROC curve from its predictions.csv, and the AUC over seeds."""
    runs = []
    for m, d in zip(members, folders, strict=True):
        if (d / PREDICTIONS).is_file():
            classes = m.evaluation.classes
            y_true, _ = read_predictions(d / PREDICTIONS, classes)
            runs.append((y_true, read_probabilities(d / PREDICTIONS, classes)))
    if not runs:
        return []
    first = members[0]
    fig, aucs = F.roc_over_seeds(runs, first.evaluation.classes, first.config.binary_positive)
    if not aucs:
        return []
    text = "From each seed's predictions.csv, one line per seed; AUC mean ± std over seeds: " + ", ".join(
        f"{c} {np.mean(a):.3f} ± {np.std(a, ddof=1) if len(a) > 1 else 0:.3f}" for c, a in aucs.items()) + "."
    return [KeepTogether([para("ROC curves", "h1"), figure(fig, 0.62), para(text)])]


def curves_section(members: list[RunResult]) -> list[Flowable]:
    """Each seed's training curves (one thin line per seed) under the paper's per-epoch values."""
    if not members or not any(m.history for m in members):
        return []
    first = members[0]
    fig = F.curves_over_seeds([m.history for m in members], first.published.history, val_name(first))
    out: list[Flowable] = [KeepTogether([para("Training curves, each seed", "h1"), figure(fig)])]
    if first.published.history:
        out.append(para(f"Markers: the paper's per-epoch values ({first.published.history_source}); lines: the "
                        "seeds, one each."))
    return out


def _same(values: list[str]) -> str:
    distinct = list(dict.fromkeys(values))
    return distinct[0] if len(distinct) == 1 else "; ".join(f"{v} (seed runs differ)" for v in distinct)


def provenance_section(agg: AggregateResult, members: list[RunResult]) -> list[Flowable]:
    """What the seed runs share: weights, data, split, epochs, versions, device and the command that made the set."""
    if not members:
        return [CondPageBreak(80), para("Provenance", "h1"),
                para("The seed runs' folders are not beside aggregate.json: no provenance to show.")]
    ps = [m.provenance for m in members]
    first = ps[0]
    rows = [
        ["study / experiment", f"{agg.study} / {agg.experiment}, {agg.n_runs} runs"],
        ["seeds / split seeds", f"{', '.join(map(str, agg.seeds))} / {', '.join(map(str, agg.split_seeds))}"],
        ["weights", _same([p.weights_description for p in ps])],
        ["dataset", _same([f"{p.dataset} at {p.data_root}" for p in ps])],
        ["data subset", _same([p.data_subset for p in ps])],
        ["epochs", _same([f"{p.epochs_run} run of {p.epochs_requested} requested" for p in ps])],
        ["op determinism / precision / XLA / strategy",
         _same([f"{'on' if p.op_determinism else 'off'} / {p.mixed_precision} / {'on' if p.jit_compile else 'off'}"
                f" / {p.strategy}" for p in ps])],
        ["device", _same([f"{p.device.get('kind')} {p.device.get('platform', '')}, {p.device.get('cpu_count')} CPUs"
                          for p in ps])],
        ["versions", _same([", ".join(f"{k} {v}" for k, v in p.versions.items()) for p in ps])],
        ["command (copyable as wrapped)" if len({p.command for p in ps}) == 1 else
         "command of the first seed run (the others differ: each run's report.pdf has its own)",
         command_block(first.command, 92)],
        ["duration", f"{sum(p.duration_s or 0 for p in ps):.0f} s over {len(ps)} runs"],
    ]
    return [CondPageBreak(200), para("Provenance", "h1"), table(rows, [0.22, 0.78], header=False)]


def aggregate_story(agg: AggregateResult, members: list[RunResult] = (), folders: list[Path] = (),
                    level: str = "title") -> list[Flowable]:
    """Every section of a --runs set's report; ``members`` (the seed runs, in ``agg.runs`` order) and their
    ``folders`` give the confusion matrix, curves and provenance."""
    members, folders = list(members), list(folders)
    title = f"{agg.study} / {agg.experiment}: {agg.n_runs} runs that differ in seed"
    story = head(title, agg.study, level)
    story += [banner(text, colour) for text, colour in departure_banners(agg.departures)]
    story.append(para(
        f"Seeds {', '.join(map(str, agg.seeds))}; split seeds {', '.join(map(str, agg.split_seeds))}. "
        f"Variance model: {design_text(agg.comparison)}. The interval is where one more run of the same pipeline "
        "lands (95%, Student's t with Welch-Satterthwaite degrees of freedom; lungxray/judge/variance.py); the "
        "dots under each interval are the seeds, one each. The verdict compares the mean with the published figure, "
        "whose own test-set noise is counted where the paper states its test-set size. Training-log rows are drawn "
        f"in grey: information, never held. Level: {LEVEL_TEXT}."))
    story += [KeepTogether([para("Published vs reproduced over seeds", "h1"),
                            figure(F.forest(F.forest_rows(agg.comparison, seed_points(agg, members))))]), gap()]
    story += verdict_table(agg)
    story += [CondPageBreak(150), para("Each seed", "h2"), *seed_table(agg)]
    story += confusion_section(members) + roc_section(members, folders) + curves_section(members)
    return story + provenance_section(agg, members)


def members_of(folder: Path, agg: AggregateResult) -> tuple[list[RunResult], list[Path]]:
    """The seed runs of the set in ``folder`` that are there (in ``agg.runs`` order), and their folders."""
    folders = [Path(folder) / d for d in agg.runs if (Path(folder) / d / RESULTS).is_file()]
    return [load_results(d) for d in folders], folders


def render_aggregate(agg: AggregateResult, folder: Path | None = None) -> bytes:
    members, folders = members_of(folder, agg) if folder is not None else ([], [])
    return build_pdf(aggregate_story(agg, members, folders),
                     f"{agg.study} / {agg.experiment} over {agg.n_runs} seeds")


def write_aggregate_report(folder: Path, out: Path | None = None) -> Path:
    """aggregate.pdf beside ``folder``/aggregate.json (a ``--runs`` set's experiment folder), or at ``out``."""
    out = Path(out) if out is not None else Path(folder) / AGGREGATE_REPORT
    atomic_write_bytes(out, render_aggregate(AggregateResult.load(Path(folder)), Path(folder)))
    return out
