"""The reporting side of a sweep (issue 25): sweep.pdf, the suite's sweep section (its trials are not headline
runs), ``lungxray table --sweeps`` and ``lungxray report`` on a sweep folder. No training: sweeps are built by
hand (:func:`make_sweep`), and folders on disk from the committed runs."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from lungxray.judge import variance as VM
from lungxray.judge.sweep import sentence
from lungxray.report.layout import LOG_GREY, build_pdf, story_text
from lungxray.results.sweep import (
    BEYOND,
    DEFAULT_POINT,
    MOVES_SOME,
    NOT_SHOWN,
    SWEEP,
    SWEEP_REPORT,
    SWEEP_SCHEMA,
    WITHIN,
    Compatibility,
    CurvePoint,
    Effect,
    MetricCurve,
    PointRecord,
    SweepResult,
    TrialRecord,
    point_name,
)

REPORTS = Path(__file__).resolve().parent.parent / "reports"
SEEDS = REPORTS / "uly2023" / "lstm-10-seeds" / "lstm"  # a faithful --runs set: a sweep's point on disk
SINGLE = REPORTS / "uly2023" / "offline" / "lstm"

#: uly2023's LSTM variants (the first choice is the default), as the real sweep varies them
VARIANTS = {"subset": ["first", "first-lexicographic", "random"], "dropout": ["0.5", "0.2"],
            "lstm_input": ["rows", "rows-grey"], "selection": ["val_accuracy", "val_loss", "last"]}
METRICS = [("accuracy", "Accuracy", True, False, 0.84, 0.05), ("precision", "Precision (COVID)", False, False, 0.84,
                                                                0.05),
           ("recall", "Recall (COVID)", False, False, 0.84, 0.05), ("f1", "F1 (COVID)", False, False, 0.84, 0.05),
           ("history:loss", "Training loss (evaluated epoch)", False, True, 0.509, 0.1),
           ("history:val_accuracy", "Validation accuracy (evaluated epoch)", False, True, 0.74, 0.05)]


def _verdict(lo: float, hi: float, published: float, tol: float) -> str:
    within, beyond = VM.classify(lo - published, hi - published, tol)
    return "consistent" if within else "not reproduced" if beyond else "not shown to differ"


def make_sweep(variants: dict[str, list[str]] = VARIANTS, full_grid: bool = False, k: int = 3, seed: int = 0,
               smoke: bool = False, shift: dict[str, float] | None = None) -> SweepResult:
    """A sweep as ``lungxray.judge.sweep.analyse`` would write it, with made-up numbers: each switch moves every
    metric by ``shift[variant=choice]`` (default: small random moves)."""
    rng = np.random.default_rng(seed)
    names = list(variants)
    if full_grid:
        combos = [dict(zip(names, c, strict=True)) for c in itertools.product(*variants.values())]
        changes = [{k_: v for k_, v in c.items() if v != variants[k_][0]} for c in combos]
    else:
        changes = [{}] + [{n: c} for n in names for c in variants[n][1:]]
    seeds = list(range(42, 42 + k))
    points = [PointRecord(point_name(c), c, point_name(c), seeds, True) for c in changes]
    trials = [TrialRecord(p.name, s, s, f"{p.name}/seed-{s}", "ran", 1, 60.0 + s) for p in points for s in seeds]
    shift = shift or {f"{n}={c}": float(rng.normal(0, 0.04)) for n in names for c in variants[n][1:]}
    curves = []
    for key, label, primary, info, pub, tol in METRICS:
        base = 0.80 if not info else pub + 0.02
        cps, by_point = [], {}
        for p in points:
            mean = base + sum(shift.get(f"{n}={c}", 0.0) for n, c in p.changes.items()) + float(rng.normal(0, .005))
            half = 0.045 + float(rng.uniform(0, 0.02))
            verdict = "not comparable (run not faithful)" if smoke else (
                "consistent" if info else _verdict(mean - half, mean + half, pub, tol))
            cps.append(CurvePoint(p.name, p.changes, mean, mean - half, mean + half, verdict, k))
            by_point[p.name] = mean
        cps.sort(key=lambda c: c.mean)
        effects = []
        for p in points:
            if len(p.changes) != 1:
                continue
            (n, c), = p.changes.items()
            d = by_point[p.name] - by_point[DEFAULT_POINT]
            half = 0.03
            within, beyond = VM.classify(d - half, d + half, tol)
            moves = (BEYOND if beyond else WITHIN if within else MOVES_SOME if d - half > 0 or d + half < 0
                     else NOT_SHOWN)
            effects.append(Effect(n, c, p.name, d, d - half, d + half, k, moves))
        band = None if info else (pub - 0.07, pub + 0.07)
        curve = MetricCurve(key, label, "Table 6" if not info else "Table 2", pub, tol, primary, info, band, cps,
                            effects, "")
        curves.append(MetricCurve(**{**curve.__dict__, "sentence": sentence(curve)}))
    compat = []
    for p in points:
        chi = float(sum(v * v for v in rng.normal(0, 1.5, 5)))
        shown = int(rng.integers(0, 4))
        differs = [f"{m[1]} (Table 6) 0.84 vs {0.8 + 0.01 * i:.3f}" for i, m in enumerate(METRICS[1:1 + shown])]
        parts = "; ".join(differs)
        detail = (f"{shown} of 5 published numbers beyond the headline shown to differ" + (f" ({parts})" if parts
                  else "") + f"; sum z^2 = {chi:.1f}; confusion matrix p = 0.0312; headline Accuracy: consistent")
        compat.append(Compatibility(p.name, p.changes, 5, shown, chi, 0.0312, 0, detail, differs))
    compat.sort(key=lambda c: (c.contradicted, c.chi2, c.point))
    compat = [Compatibility(**{**c.__dict__, "rank": i + 1}) for i, c in enumerate(compat)]
    command = (f"python -m lungxray sweep uly2023 --experiment lstm {' '.join('--vary ' + n for n in names)} "
               f"--runs {k}" + (" --full-grid" if full_grid else "") + (" --smoke" if smoke else ""))
    return SweepResult(SWEEP_SCHEMA, "uly2023", "lstm", "LSTM alone on image rows", command, "serial (in one process)",
                       "full grid" if full_grid else "one-at-a-time", names, k, "resplit", smoke, not smoke, points,
                       trials, curves, compat, ["a note"], 1234.5)


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page[^s]", pdf))


GRID = {"dropout": ["0.5", "0.2"], "selection": ["val_accuracy", "val_loss", "last"], "lstm_input": ["rows", "rows-grey"]}


# --- sweep.pdf ------------------------------------------------------------------------------------------------

def test_sweep_pdf_says_each_metric_in_a_sentence_and_its_first_page_is_a_summary():
    from lungxray.report.sweep import render_sweep, summary_story, sweep_story

    sw = make_sweep()  # the real sweep's shape: 7 readings, 4 varied variants, 3 seeds
    text = story_text(sweep_story(sw))
    for c in sw.curves:
        assert sentence(c) in text, c.label
    for p in sw.points:  # every reading is ranked by fit, and named as a reader would
        assert p.changes == {} or ", ".join(f"{k} = {v}" for k, v in p.changes.items()) in text
    assert "not a claim about what the authors did" in text
    assert "Effect of each switch" in text and "Specification curves" in text
    assert all(t.folder in text for t in sw.trials)  # sweep.pdf lists its trials
    summary = summary_story(sw)
    assert pages(build_pdf(summary, "summary")) == 1  # sentences, effects and the ranking read on one page
    small = make_sweep({"dropout": ["0.5", "0.2"]}, k=2)
    pdf = render_sweep(small)
    assert pdf.startswith(b"%PDF") and pdf == render_sweep(small)  # the same sweep.json, the same bytes


def test_a_sentence_names_the_switch_beyond_the_tolerance_and_counts_long_lists():
    sw = make_sweep(shift={"selection=val_loss": -0.12}, seed=1)
    acc = next(c for c in sw.curves if c.key == "accuracy")
    val_loss = next(e for e in acc.effects if e.point == "selection=val_loss")
    assert val_loss.moves == BEYOND and all(e.moves == WITHIN for e in acc.effects if e is not val_loss)
    text = sentence(acc)
    assert text.startswith("Accuracy (Table 6, published 0.84, tolerance ±0.05): moved beyond the tolerance by "
                           "selection=val_loss (-0.1")
    assert "dropout=0.2 (" not in text  # a switch within the tolerance is not listed as moving it
    assert "the means run from" in text and "(selection=val_loss)" in text
    shown = [c for c in acc.points if c.verdict == "not shown to differ"]
    assert len(shown) > 3  # counted, not listed
    assert (f"not shown to differ at {len(shown)} of the 7 readings" if len(shown) < 7
            else "not shown to differ at every one of the 7 readings") in text


def test_a_smoke_sweeps_sentence_says_not_comparable_not_inconclusive():
    sw = make_sweep({"dropout": ["0.5", "0.2"]}, k=2, smoke=True)
    for c in sw.curves:
        if not c.informational:
            assert "not comparable" in sentence(c) and "inconclusive" not in sentence(c)


def test_spec_curve_draws_every_reading_every_switch_and_each_effect():
    from lungxray.report.sweep import _switches, spec_curve

    sw = make_sweep(GRID, full_grid=True, seed=3)  # 12 readings
    assert len(sw.points) == 12
    switches = _switches(sw)
    assert switches == [("dropout", "0.2"), ("selection", "val_loss"), ("selection", "last"),
                        ("lstm_input", "rows-grey")]
    acc = next(c for c in sw.curves if c.key == "accuracy")
    fig = spec_curve(acc, switches)
    top, legend, matrix, effects = fig.axes
    means = [ln for ln in top.get_lines() if ln.get_marker() in ("o", "D") and len(ln.get_xdata()) == 1]
    assert sorted(ln.get_ydata()[0] for ln in means) == sorted(c.mean for c in acc.points)
    assert [ln.get_marker() for ln in means].count("D") == 1  # the default reading is marked
    assert [t.get_text() for t in matrix.get_yticklabels()] == [f"{v} = {c}" for v, c in switches]
    squares = [ln for ln in matrix.get_lines() if ln.get_marker() == "s"]
    assert len(squares) == sum(len(p.changes) for p in sw.points)  # each switch of each reading
    dots = [ln for ln in effects.get_lines() if ln.get_marker() == "o"]
    assert len(dots) == len(acc.effects) == 4  # the single switches of a full grid
    assert legend.get_legend() is not None and not legend.axison  # the legend is beside the data, not on it
    log = next(c for c in sw.curves if c.informational)
    grey = spec_curve(log, switches).axes[0]
    from matplotlib.colors import to_hex

    assert {to_hex(ln.get_color()) for ln in grey.get_lines()} == {LOG_GREY}  # training log: grey, quieter


# --- folders on disk: a reports root with a run, a sweep on real data and a smoke sweep ------------------------

def write_sweep(folder: Path, sweep: SweepResult) -> Path:
    """A sweep's folder as `lungxray sweep` leaves it: sweep.json, and each reading a --runs set (the committed
    10-seed set of uly2023's LSTM, without its PDFs)."""
    folder.mkdir(parents=True)
    (folder / SWEEP).write_text(sweep.to_json())
    for p in sweep.points:
        shutil.copytree(SEEDS, folder / p.folder, ignore=shutil.ignore_patterns("*.pdf", "*.png"))
    return folder


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    shutil.copytree(SINGLE, root / "uly2023" / "offline" / "lstm", ignore=shutil.ignore_patterns("*.pdf", "*.png"))
    write_sweep(root / "uly2023" / "sweep" / "lstm", make_sweep({"dropout": ["0.5", "0.2"]}, k=2))
    write_sweep(root / "uly2023" / "sweep-smoke" / "lstm", make_sweep({"dropout": ["0.5", "0.2"]}, k=2, smoke=True))
    return root


def test_suite_shows_a_sweep_in_its_study_and_none_of_its_trials_as_headline_runs(root):
    from lungxray.report.suite import (
        _sweeps_story,
        appendix,
        collect,
        collect_sweeps,
        cover,
        shown_runs,
    )
    from lungxray.spec.study import get_study

    collected = collect(root)
    folders = [e.folder for sets in collected.values() for es in sets.values() for e in es]
    assert folders == ["uly2023/offline/lstm"]  # the sweeps' 2 x 2 readings (faithful --runs sets) are not runs
    assert [e.folder for e in shown_runs(collected["uly2023"])] == ["uly2023/offline/lstm"]
    sweeps = collect_sweeps(root)
    assert [(e.folder, e.shown) for e in sweeps["uly2023"]] == [("uly2023/sweep/lstm", True),
                                                                 ("uly2023/sweep-smoke/lstm", False)]
    text = story_text(_sweeps_story(sweeps["uly2023"]))
    real = sweeps["uly2023"][0].sweep
    for c in real.curves:
        assert sentence(c) in text
    assert "Which reading fits the paper's own numbers" in text and "Specification curves" in text
    assert "seed-42" not in text  # the trial table stays in sweep.pdf
    assert "uly2023/sweep-smoke" not in text  # a smoke sweep is not shown in the study
    story = cover({"uly2023": get_study("uly2023")}, collected, sweeps)
    front = story_text(story)
    assert "sweep of lstm (uly2023/sweep/lstm): 2 readings" in front and "Accuracy 0.84:" in front
    assert "uly2023/sweep/lstm/default" not in front and pages(build_pdf(story, "cover")) == 1
    listed = story_text(appendix(collected, sweeps))
    assert f"uly2023/sweep/lstm/{SWEEP_REPORT}" in listed and f"uly2023/sweep-smoke/lstm/{SWEEP_REPORT}" in listed
    assert "uly2023/sweep/lstm/default" not in listed and "seed-" not in listed  # nor their trials one by one
    assert "smoke sweep on generated images" in listed


def test_table_leaves_sweeps_out_and_sweeps_lists_one_row_per_reading_and_metric(root, capsys):
    from lungxray.cli.main import main
    from lungxray.cli.table import collect, sweep_rows
    from lungxray.results.types import AggregateResult

    rows = collect(root)
    assert {r.run for r in rows} == {"uly2023/offline/lstm"} and not any(r.sweep or r.point for r in rows)
    assert {r.run for r in collect(root, each_seed=True)} == {"uly2023/offline/lstm"}
    swept = sweep_rows(root)
    agg = AggregateResult.load(SEEDS)
    assert len(swept) == 2 * 2 * len(agg.comparison)
    real = [r for r in swept if r.sweep == "uly2023/sweep/lstm"]
    assert [r.point for r in real[::len(agg.comparison)]] == ["default", "dropout=0.2"]  # the sweep's order
    assert [r.run for r in real[::len(agg.comparison)]] == ["uly2023/sweep/lstm/default",
                                                            "uly2023/sweep/lstm/dropout=0.2"]
    assert [r.reproduced for r in real[:len(agg.comparison)]] == [c.mean for c in agg.comparison]
    assert [r.verdict for r in real[:len(agg.comparison)]] == [c.verdict for c in agg.comparison]
    assert all(r.n_runs == 10 for r in swept)
    each = sweep_rows(root, each_seed=True)
    assert len(each) == len(swept) + 4 * 10 * len(agg.comparison) and all(r.point for r in each)

    assert main(["table", str(root), "--format", "csv"]) == 0
    plain = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["run"] for r in plain} == {"uly2023/offline/lstm"} and {r["point"] for r in plain} == {""}
    assert main(["table", str(root), "--sweeps", "--format", "csv"]) == 0
    both = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(both) == len(plain) + len(swept)
    assert {r["point"] for r in both if r["sweep"] == "uly2023/sweep/lstm"} == {"default", "dropout=0.2"}
    assert main(["table", str(root), "--sweeps"]) == 0
    md = capsys.readouterr().out.splitlines()
    assert md[0].startswith("| study | experiment | run | point | metric |")
    assert any("| uly2023/sweep/lstm/dropout=0.2 | dropout=0.2 | accuracy |" in line for line in md)
    assert main(["table", str(root), "--sweeps", "--json"]) == 0
    assert {d["point"] for d in json.loads(capsys.readouterr().out)} == {"", "default", "dropout=0.2"}
    with pytest.raises(SystemExit):
        main(["table", "--help"])
    assert "--sweeps" in capsys.readouterr().out


def test_table_of_a_folder_holding_only_a_sweep_points_to_sweeps(root, capsys):
    from lungxray.cli.main import main

    assert main(["table", str(root / "uly2023" / "sweep")]) == 2
    assert "--sweeps" in capsys.readouterr().err
    assert main(["table", str(root / "uly2023" / "sweep"), "--sweeps", "--format", "csv"]) == 0
    assert "dropout=0.2" in capsys.readouterr().out


def test_report_rerenders_a_sweep_folder_from_sweep_json(tmp_path, capsys):
    from lungxray.cli.main import main

    folder = tmp_path / "lstm"
    folder.mkdir()
    (folder / SWEEP).write_text(make_sweep({"dropout": ["0.5", "0.2"]}, k=2).to_json())
    assert main(["report", str(folder)]) == 0
    assert capsys.readouterr().out == f"wrote {folder / SWEEP_REPORT}\n"
    pdf = (folder / SWEEP_REPORT).read_bytes()
    assert pdf.startswith(b"%PDF") and pages(pdf) >= 3
    assert main(["report", str(folder / SWEEP), "--out", str(tmp_path / "x.pdf"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"wrote": str(tmp_path / "x.pdf")}
    assert (tmp_path / "x.pdf").read_bytes() == pdf
    (folder / SWEEP).write_text('{"schema": "lungxray.sweep/0"}')
    assert main(["report", str(folder)]) == 2
    assert "not a lungxray sweep file" in capsys.readouterr().err
