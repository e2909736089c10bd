"""One run's PDF (report.pdf): the paper's citation and whether the run is faithful first, then each
published number against its reproduction (forest plot and table), confusion matrices, ROC curves,
Grad-CAM (when the run folder has ``gradcam.png``), training curves, and the provenance last.

Rendered from results.json, with the run folder's predictions.csv (ROC) and gradcam.png when present,
through reportlab's flowing layout (``lungxray.report.layout``): the same inputs give the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether

from lungxray.judge.variance import DESIGNS
from lungxray.judge.verdict import LEVEL_TEXT
from lungxray.report import figures as F
from lungxray.report.layout import (
    STATED,
    WARN,
    banner,
    build_pdf,
    command_block,
    figure,
    fmt,
    gap,
    interval_text,
    para,
    png_file,
    published_text,
    table,
    verdict_cell,
)
from lungxray.report.wording import METRIC_NAMES, extra_title
from lungxray.results.files import GRADCAM, PREDICTIONS, atomic_write_bytes
from lungxray.results.types import AggregateRow, ComparisonRow, Departure, RunResult, VariantUse
from lungxray.spec.study import load_studies


def citation(study_id: str) -> str:
    """The paper's citation as its study module records it ('' for a study not registered here)."""
    study = load_studies().get(study_id)
    return study.citation if study is not None else ""


def val_name(res: RunResult) -> str:
    """What the run's per-epoch 'val_*' log measured: the validation split, or the test folder where the paper
    logged the test set every epoch (``RunConfig.val_split``)."""
    return "test folder" if res.config.val_split == "test" else "validation"


def departure_banners(departures: list[Departure]) -> list[tuple[str, str]]:
    """(text, colour): not faithful (a departure that is not minor), or faithful with its stated departures."""
    serious = [d for d in departures if d.severity != "minor"]
    if serious:
        return [("NOT A FAITHFUL REPRODUCTION: these numbers can neither confirm nor refute the paper. "
                 + " ".join(f"[{d.severity} {d.kind}] {d.text}." for d in serious), WARN)]
    if departures:
        return [("FAITHFUL WITH STATED DEPARTURES (all minor), so the verdicts are real: "
                 + " ".join(f"[{d.kind}] {d.text}." for d in departures), STATED)]
    return []


def banners(res: RunResult) -> list[tuple[str, str]]:
    """(text, colour) of the warnings at the top of a run's report: degenerate model, departures."""
    out = []
    if res.degenerate is not None:
        text = res.degenerate.banner
        out.append((text[:1].upper() + text[1:] + ".", WARN))
    return out + departure_banners(res.departures)


def head(title: str, study_id: str, level: str = "title") -> list[Flowable]:
    """A report's title and the paper's citation under it."""
    out: list[Flowable] = [para(title, level)]
    cite = citation(study_id)
    if cite:
        out.append(para(f"Paper: {cite}", "citation"))
    return out


def comparison_section(res: RunResult) -> list[Flowable]:
    rows = res.comparison
    out: list[Flowable] = [para("Published vs reproduced (test set)", "h1")]
    if not rows:
        return out + [para("This experiment has no published metrics.")]
    out = [KeepTogether([*out, figure(F.forest(F.forest_rows(rows)))])]
    cells = [["metric (source)", "published [rounding]", "reproduced [95% interval]", "± tol.", "verdict"]]
    for r in rows:
        iv = r.interval
        cells.append([f"{r.label} ({r.source})" + (" [primary]" if r.primary else "")
                      + (" [training log, not held]" if r.informational else ""),
                      published_text(r.published, r.published_interval),
                      "-" if r.reproduced is None else
                      f"{fmt(r.reproduced)} " + (interval_text(iv.lo, iv.hi) if iv else "(no interval)"),
                      f"±{r.tolerance:g}", verdict_cell(r.verdict, r.detail, r.informational)])
    out += [gap(), table(cells, [0.27, 0.17, 0.2, 0.08, 0.28]), gap()]
    return out + definitions(rows)


def design_text(rows) -> str:
    """The variance model of judged rows, named and explained (lungxray.judge.variance.DESIGNS)."""
    design = next((r.design for r in rows if r.design), "")
    if not design:
        return "not recorded (rescore the run)"
    seeds = len(rows) and isinstance(rows[0], AggregateRow)
    return f"{design}" + (f" ({DESIGNS[design]})" if seeds and design in DESIGNS else
                          " (one run: its own test-set interval, the paper's own test-set noise added where its "
                          "size is known)")


def definitions(rows: list[ComparisonRow]) -> list[Flowable]:
    """How each compared number is defined and how a verdict is reached, each said once."""
    defs = dict.fromkeys(f"{r.label}: {r.definition}" for r in rows if "[" not in r.key)
    lines = [*defs, "Per-class rows: one-vs-rest precision, recall, F1 and accuracy of that class.",
             "Reproduced interval: Wilson's for proportions, a seeded bootstrap over the test images otherwise; "
             "published interval: the printed value ± half a unit of its last digit.",
             f"Variance model: {design_text(rows)}. Level: {LEVEL_TEXT}.",
             "consistent: the difference's 90% interval lies within the tolerance; not reproduced: it lies wholly "
             "beyond it (each a one-sided test at 5%); inconclusive: both fit; not shown to differ: both fit and "
             "equivalence is untestable (the tolerance is below the smallest one the paper's own test-set size and "
             "rounding allow), so only a gap could ever be shown; a non-consistent verdict names its direction; "
             "preliminary: one run measures no training variance (run --runs K); primary: the experiment's "
             "registered headline row, the others are descriptive; "
             "published inconsistent: the paper's own numbers disagree (python -m lungxray audit); not comparable: "
             "the run has a departure from the paper that is not minor (the banner at the top says which); not run: the "
             "metric is undefined on this test set (no images of the class, or none predicted as it), so no value is "
             "shown; training log: a logged "
             "value of the evaluated epoch, shown for information and never held (lungxray/judge/verdict.py)."]
    for r in rows:
        if r.readings:
            vals = ", ".join(f"{k}{' (compared)' if k == r.compared_with else ''} {fmt(v)}"
                             for k, v in r.readings.items())
            lines.append(f"{r.label} readings: {vals}")
    return [para(line, "small") for line in lines]


def confusion_section(res: RunResult) -> list[Flowable]:
    ev = res.evaluation
    classes = ev.classes
    rep = np.array(ev.confusion_matrix)
    title = para("Confusion matrices", "h1")
    if res.published.confusion_matrix is None:
        fig = figure(F.confusion(None, rep, classes, rep_title=f"reproduced ({ev.n} test images)"), 0.7)
        return [KeepTogether([title, fig, para("The paper printed no confusion matrix for this experiment: the "
                                               "reproduced one alone.")])]
    pub = np.array(res.published.confusion_matrix)
    out: list[Flowable] = [KeepTogether([title, figure(F.confusion(
        pub, rep, classes, f"published ({res.published.confusion_source})",
        f"reproduced ({ev.n} test images)"))])]
    out.append(para(f"Cells: count and share of the true class. Published test set: {int(pub.sum())} images; "
                    f"reproduced: {int(rep.sum())}. Compare the shares when the totals differ."))
    if pub.shape == rep.shape and pub.sum() and rep.sum():
        out.append(figure(F.difference(pub, rep, classes), 0.6))
    return out


def roc_section(res: RunResult, run_dir: Path | None) -> list[Flowable]:
    """ROC curves and AUC from the run folder's predictions.csv (none without it)."""
    from lungxray.results.files import read_predictions, read_probabilities

    if run_dir is None or not (Path(run_dir) / PREDICTIONS).is_file():
        return []
    classes = res.evaluation.classes
    y_true, _ = read_predictions(Path(run_dir) / PREDICTIONS, classes)
    proba = read_probabilities(Path(run_dir) / PREDICTIONS, classes)
    if len(y_true) == 0:
        return []
    fig, aucs = F.roc(y_true, proba, classes, res.config.binary_positive)
    if not aucs:  # every test image of one class: no curve is defined
        import matplotlib.pyplot as plt

        plt.close(fig)
        return [para("ROC curves", "h1"), para("No ROC curve: the test set holds one class only.")]
    what = ("the positive class" if res.config.binary_positive else
            f"{classes[1]} against {classes[0]} (the other curve would be its mirror image)" if len(classes) == 2
            else "each class against the rest")
    text = f"From predictions.csv: {what}; AUC " + ", ".join(f"{c} {a:.3f}" for c, a in aucs.items()) + "."
    return [KeepTogether([para("ROC curves", "h1"), figure(fig, 0.62), para(text)])]


def gradcam_section(run_dir: Path | None) -> list[Flowable]:
    if run_dir is None or not (Path(run_dir) / GRADCAM).is_file():
        return []
    return [KeepTogether([para("Grad-CAM: where the model looks", "h1"), png_file(Path(run_dir) / GRADCAM)]),
            para("Gradient of the predicted class's score with respect to the last convolutional feature map "
                 "(lungxray/report/gradcam.py), on test images classified correctly and wrongly.")]


def extra_section(res: RunResult) -> list[Flowable]:
    out: list[Flowable] = []
    main_m = res.evaluation.metrics
    for name, ev in res.extra_evaluations.items():
        m = ev.metrics
        title = extra_title(name)
        rows = [["metric", title.lower(), "full test set"]]
        rows += [[label, fmt(m[k]), fmt(main_m.get(k))] for k, label in METRIC_NAMES.items() if k in m]
        per = ", ".join(f"{c} {n}" for c, n in ev.n_per_class.items())
        out += [CondPageBreak(200), para(f"{title}: the same predictions, rescored", "h1"),
                para(ev.description[:1].upper() + ev.description[1:] + "."),
                para(f"{ev.n} of {res.evaluation.n} test images ({len(ev.excluded)} excluded)"
                     + (f"; per class: {per}" if per else "") + "."),
                table(rows, [0.3, 0.2, 0.2]), gap(),
                figure(F.confusion(None, np.array(ev.confusion_matrix), ev.classes, rep_title=title.lower()), 0.6)]
    return out


def evaluated_epoch(res: RunResult) -> int:
    """The evaluated epoch, 1-based (results.json keeps Keras' 0-based index; None: the last epoch)."""
    best = res.best_epoch
    return res.provenance.epochs_run if best is None else best + 1


def curves_section(res: RunResult) -> list[Flowable]:
    h, ph = res.history, res.published.history
    if not h and not ph:
        return []
    out: list[Flowable] = [KeepTogether([para("Training curves", "h1"),
                                         figure(F.curves(h, ph, evaluated_epoch(res) if h else None,
                                                         val_name(res)))])]
    if ph:
        out.append(para(f"Markers: the paper's per-epoch values ({res.published.history_source}); "
                        "lines: this run."))
    return out


def provenance_rows(res: RunResult) -> list[list[Any]]:
    p = res.provenance
    d = p.device
    counts = "; ".join(f"{s}: " + ", ".join(f"{c} {n}" for c, n in per.items()) for s, per in p.counts.items())
    skipped = p.skipped_files
    select = res.config.train.select_best
    return [
        ["study / experiment", f"{res.study} / {res.experiment}"],
        ["faithful", ("yes" if not res.departures else "yes, with minor departures (the banner above)")
         if res.faithful else "no: " + "; ".join(res.unfaithful_reasons)],
        ["weights", p.weights_description],
        ["seed / split seed", f"{p.seed} / {p.split_seed}"],
        ["dataset", f"{p.dataset} at {p.data_root}"],
        ["data subset", p.data_subset],
        ["split (manifest)", f"sha256 {p.manifest_sha256}; {counts}"],
        ["skipped files", f"{len(skipped)}" + "".join(f"; {s.file} ({s.reason})" for s in skipped)],
        ["epochs", f"{p.epochs_run} run of {p.epochs_requested} requested; evaluated epoch "
                   f"{evaluated_epoch(res)} (1 = first; " + (f"best {select})" if select and res.best_epoch
                                                              is not None else "the last)")],
        ["op determinism / precision / XLA / strategy",
         f"{'on' if p.op_determinism else 'off'} / {p.mixed_precision} / "
         f"{'on' if p.jit_compile else 'off'} / {p.strategy}"],
        ["device", f"{d.get('kind')} {', '.join(d.get('gpus', []))} {d.get('platform', '')}, "
                   f"{d.get('cpu_count')} CPUs" + ("; GPU results repeat bit for bit only on the same hardware"
                                                   if d.get("gpus") and p.op_determinism else "")],
        ["versions", ", ".join(f"{k} {v}" for k, v in p.versions.items())],
        ["command (copyable as wrapped)", command_block(p.command, 92)],
        ["duration", f"{p.duration_s} s"],
    ]


def applicable(res: RunResult) -> list[VariantUse]:
    """The run's variants that apply to its experiment (``Study.applicable_variants``); all of them when the study
    is not registered here or no longer takes the run's choices."""
    study = load_studies().get(res.study)
    try:
        names = {v.name for v in study.applicable_variants(res.experiment, res.variant)} if study else None
    except (KeyError, ValueError):  # an experiment or a choice the study module no longer has
        names = None
    return [v for v in res.variants if names is None or v.name in names]


def provenance_section(res: RunResult, notes: bool = True) -> list[Flowable]:
    out: list[Flowable] = [CondPageBreak(200), para("Provenance", "h1"),
                           table(provenance_rows(res), [0.22, 0.78], header=False)]
    variants = applicable(res)
    if variants:
        rows = [["variant", "choice", "meaning; what the paper leaves open"]]
        for v in variants:
            tag = "" if v.choice == v.default else f" (not the default {v.default})"
            rows.append([v.name, v.choice + tag, f"{v.meaning}. Open question: {v.question}"])
        out += [CondPageBreak(120), para("Variants (details the paper leaves open)", "h2"),
                table(rows, [0.14, 0.18, 0.68])]
    if notes and res.study_notes:
        out += [para("Study notes", "h2"), *[para(f"• {n}", "small") for n in dict.fromkeys(res.study_notes)]]
    return out


def run_story(res: RunResult, run_dir: Path | None, level: str = "title", notes: bool = True) -> list[Flowable]:
    """Every section of one run's report, in reading order (``notes``: the study's notes, which the suite
    prints once per study instead)."""
    story = head(res.title, res.study, level)
    story += [banner(text, colour) for text, colour in banners(res)]
    p = res.provenance
    story.append(para(f"Run: seed {p.seed}, weights {p.weights}, {res.evaluation.n} test images, "
                      f"dataset {p.dataset}" + (", generated images (smoke run)" if res.smoke else "") + "."))
    story += comparison_section(res)
    story += confusion_section(res) + roc_section(res, run_dir) + gradcam_section(run_dir)
    story += extra_section(res) + curves_section(res) + provenance_section(res, notes)
    return story


def render(res: RunResult, run_dir: Path | None = None) -> bytes:
    """The PDF bytes of one run's report; ``run_dir`` supplies predictions.csv and gradcam.png."""
    return build_pdf(run_story(res, run_dir), f"{res.study} / {res.experiment}", res.title)


def write_report(res: RunResult, path: Path, run_dir: Path | None = None) -> Path:
    """Write report.pdf; the run folder (predictions.csv, gradcam.png) defaults to the PDF's folder."""
    path = Path(path)
    atomic_write_bytes(path, render(res, run_dir if run_dir is not None else path.parent))
    return path
