"""The PDFs: byte-reproducible, and free of the layout defects of issue #13 (each checked here on the story
the PDF is built from, or on the matplotlib figure before it is embedded)."""

import copy
import re
from pathlib import Path

import numpy as np
import pytest

from lungxray.report import figures as F
from lungxray.report.layout import build_pdf, story_text, wrap_command
from lungxray.results.files import load_results
from lungxray.results.types import Departure

REPORTS = Path(__file__).resolve().parent.parent / "reports"
BINARY = REPORTS / "uly2023" / "offline" / "lstm"  # published confusion matrix, positive class COVID
FOUR = REPORTS / "syakuroh2025" / "smoke" / "mobilenetv2"  # no published matrix, published per-epoch history
SEEDS = REPORTS / "uly2023" / "lstm-10-seeds" / "lstm"


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page[^s]", pdf))


@pytest.fixture(scope="module")
def binary():
    return load_results(BINARY)


@pytest.fixture(scope="module")
def four():
    return load_results(FOUR)


def test_run_report_bytes_are_reproducible(binary):
    from lungxray.report.pdf import render

    a, b = render(binary, BINARY), render(binary, BINARY)
    assert a == b and a.startswith(b"%PDF")


def test_aggregate_report_bytes_are_reproducible_and_written(tmp_path):
    import shutil

    from lungxray.report.aggregate import render_aggregate, write_aggregate_report
    from lungxray.results.types import AggregateResult

    agg = AggregateResult.load(SEEDS)
    assert render_aggregate(agg, SEEDS) == render_aggregate(agg, SEEDS)
    shutil.copy(SEEDS / "aggregate.json", tmp_path / "aggregate.json")
    assert write_aggregate_report(tmp_path).read_bytes().startswith(b"%PDF")  # no seed runs beside it: still a PDF
    assert write_aggregate_report(SEEDS, tmp_path / "out.pdf") == tmp_path / "out.pdf"


def test_aggregate_report_has_provenance_curves_and_every_seed_visible():
    from lungxray.report.aggregate import aggregate_story, members_of, seed_points
    from lungxray.results.types import AggregateResult

    agg = AggregateResult.load(SEEDS)
    members, folders = members_of(SEEDS, agg)
    assert len(members) == agg.n_runs
    text = story_text(aggregate_story(agg, members, folders))
    for heading in ("Confusion matrix over seeds", "ROC curves", "Training curves, each seed", "Provenance"):
        assert heading in text
    first = members[0].provenance
    assert first.data_root in text and first.versions["tensorflow"] in text and "--runs 10" in text
    points = seed_points(agg, members)
    assert all(len(points[r.key]) == agg.n_runs for r in agg.comparison)  # training-log rows too
    fig = F.forest(F.forest_rows(agg.comparison, points))
    ax = fig.axes[0]
    seeds = [ln for ln in ax.lines if len(ln.get_xdata()) == agg.n_runs and ln.get_linestyle() == "None"]
    bars = [ln for ln in ax.lines if ln not in seeds]
    assert len(seeds) == len(agg.comparison) and all(s.get_zorder() > b.get_zorder() for s in seeds for b in bars)
    log_rows = [r for r in F.forest_rows(agg.comparison, points) if r.informational]
    assert log_rows and all(F.row_colour(r) == F.LOG_GREY for r in log_rows)


def test_recorded_command_wraps_into_the_same_command():
    cmd = ("python -m reproductions.uly2023 --data-dir ../shared/datasets/covid19-radiography --weights none "
           "--allow-count-mismatch --experiment lstm --runs 10 --resplit --variant subset=random --out reports/x")
    wrapped = wrap_command(cmd, 60)
    assert all(len(line) <= 60 for line in wrapped.splitlines())
    assert len(wrapped.splitlines()) > 1
    assert wrapped.replace(" \\\n    ", " ") == cmd  # what a shell reads from the pasted lines


def test_run_report_says_each_thing_once_with_its_citation(four):
    from lungxray.report.pdf import run_story
    from lungxray.spec.study import get_study

    res = copy.deepcopy(four)
    res.study_notes = [*res.study_notes, res.study_notes[0]]  # a note recorded twice
    text = story_text(run_story(res, FOUR))
    assert get_study("syakuroh2025").citation in text
    assert text.count(res.study_notes[0]) == 1
    assert "see page" not in text and "[...]" not in text
    for row in res.comparison:
        assert row.label in text  # names whole
    assert "The paper printed no confusion matrix for this experiment" in text and "published above" not in text
    assert "0-based" not in text and f"evaluated epoch {res.best_epoch + 1} (1 = first" in text


def test_roc_section_from_predictions(binary, four):
    from sklearn.metrics import roc_auc_score

    from lungxray.report.pdf import roc_section
    from lungxray.results.files import read_predictions, read_probabilities

    text = story_text(roc_section(binary, BINARY))
    classes = binary.evaluation.classes
    y, _ = read_predictions(BINARY / "predictions.csv", classes)
    p = read_probabilities(BINARY / "predictions.csv", classes)
    assert f"COVID {roc_auc_score(y == 1, p[:, 1]):.3f}" in text and "Normal" not in text.split("AUC")[1]
    text4 = story_text(roc_section(four, FOUR))
    assert all(c in text4 for c in four.evaluation.classes)
    assert roc_section(four, None) == []


def _boxes(fig):
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    return r


def test_confusion_matrices_share_scale_size_and_do_not_collide():
    classes = ["COVID", "Lung_Opacity", "Normal", "Viral Pneumonia"]
    pub = np.array([[600, 20, 10, 5], [30, 900, 80, 2], [10, 60, 1900, 4], [3, 1, 6, 264]])
    fig = F.confusion(pub, pub[::-1], classes)
    r = _boxes(fig)
    heat = [ax for ax in fig.axes if ax.images and ax.get_xlabel() == "predicted"]
    assert len(heat) == 2
    a, b = (ax.get_window_extent(r) for ax in heat)
    assert abs(a.width - b.width) < 1 and abs(a.height - b.height) < 1
    assert {ax.images[0].get_clim() for ax in heat} == {(0, 1)}  # row shares, one scale
    assert len(fig.axes) == 3  # one colour bar
    right_labels = heat[1].get_yaxis().get_tightbbox(r)
    assert right_labels.x0 > a.x1  # "264Viral Pneumonia": the right matrix's row labels clear of the left one
    assert heat[0].get_ylabel() == "true"
    alone = F.confusion(None, pub, classes)
    assert len([ax for ax in alone.axes if ax.images]) == 1


def test_curves_integer_epochs_legend_clear_and_no_hidden_line():
    h = {"accuracy": [0.5, 0.6, 0.7], "batch_mean_accuracy": [0.5, 0.6, 0.7], "val_accuracy": [0.4, 0.5, 0.6],
         "loss": [1.0, 0.8, 0.7], "val_loss": [1.1, 0.9, 0.8]}
    ph = {"accuracy": [0.55, 0.65, 0.75], "loss": [0.9, 0.7, 0.6]}
    fig = F.curves(h, ph, best_epoch=2)
    r = _boxes(fig)
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert all(float(t).is_integer() for t in ticks)
        leg = ax.get_legend()
        assert not leg.get_window_extent(r).overlaps(ax.get_window_extent(r))
        published = [ln for ln in ax.lines if ln.get_label().startswith("published")]
        reproduced = [ln for ln in ax.lines if ln.get_label().startswith("reproduced")]
        assert all(p.get_zorder() < q.get_zorder() for p in published for q in reproduced)
    labels = [ln.get_label() for ln in fig.axes[0].lines]
    # identical series drawn once, both named, in words
    assert "reproduced training accuracy = training accuracy (mean over batches)" in labels
    assert any(ln.get_xdata()[0] == 2 for ln in fig.axes[0].lines if "evaluated epoch 2" in ln.get_label())
    # a run that evaluates the test folder every epoch (hanif2025) says so, not 'val_'
    test_labels = [ln.get_label() for ax in F.curves(h, ph, 2, val_name="test folder").axes for ln in ax.lines]
    assert "reproduced test folder accuracy" in test_labels and not any("val_" in t for t in test_labels)


def test_forest_has_one_row_per_published_number(binary):
    rows = F.forest_rows(binary.comparison)
    fig = F.forest(rows)
    ax = fig.axes[0]
    assert len(ax.get_yticks()) == len(binary.comparison)
    assert rows[0].pub_lo < rows[0].published < rows[0].pub_hi and rows[0].lo < rows[0].value < rows[0].hi
    assert fig.legends and not fig.legends[0].get_window_extent(_boxes(fig)).overlaps(ax.get_window_extent())


def test_suite_collects_a_runs_set_as_one_entry_and_its_cover_fits_one_page():
    from lungxray.report.suite import collect, cover
    from lungxray.spec.study import load_studies

    collected = collect(REPORTS)
    sets = collected["uly2023"]
    first_name, first = next(iter(sets.items()))
    assert first_name == "uly2023/lstm-10-seeds"  # the faithful set leads
    assert len(first) == 1 and first[0].aggregate is not None and len(first[0].members) == 10
    assert first[0].aggregate.n_runs == 10 and first[0].result is None
    single = next(e for e in sets["uly2023/offline"] if e.experiment == "lstm")
    assert single.folder == "uly2023/offline/lstm" and single.result.evaluation.n == 100  # its run folder beside it
    studies = load_studies()
    story = cover(studies, collected)
    text = story_text(story)
    for st in studies.values():
        assert st.citation in text
    assert "mohamedhanyyy/chest-ctscan-images" in text and "ImageNet weights" in text
    assert "seed-4" not in text
    assert pages(build_pdf(story, "cover")) == 1


def test_summary_and_suite_say_no_page_numbers(binary):
    from lungxray.report.summary import summary_story

    other = copy.deepcopy(binary)
    other.experiment = "other"
    other.published.confusion_matrix = None
    text = story_text(summary_story([binary, other]))
    assert "published above" not in text and "see page" not in text
    assert "other: the paper printed no confusion matrix" in text


def test_terminal_summary(binary):
    from lungxray.report.terminal import terminal_summary

    text = terminal_summary(binary, "runs/x/report.pdf")
    assert text.endswith("report: runs/x/report.pdf")
    for row in binary.comparison:
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(row.label + " "))
        assert row.verdict in line and f"{row.published:g}" in line
    assert "[0.802, 0.930]" in text  # accuracy's interval
    assert "15 epochs" in text.splitlines()[0] and "faithful with stated minor departures" in text
    bad = copy.deepcopy(binary)
    bad.faithful = False
    bad.provenance.epochs_run = 1
    bad.departures = [*bad.departures, Departure("data", "critical", "a subset of the data (an aside): why")]
    lines = terminal_summary(bad, "x").splitlines()
    assert "1 epoch," in lines[0]
    assert lines[1].startswith("NOT faithful") and "  - critical data: a subset of the data" in lines
    assert any(ln.startswith("Real verdicts need: the full dataset") for ln in lines)
    assert all(len(ln) <= 160 for ln in lines)  # labelled lines, not a paragraph


def test_terminal_summary_scores_the_extra_test_sets():
    from lungxray.report.terminal import terminal_summary

    res = load_results(REPORTS / "hanif2025" / "offline" / "resnet18")
    ev = res.extra_evaluations["test_deduplicated"]
    line = next(ln for ln in terminal_summary(res, "x").splitlines() if "Deduplicated test set" in ln)
    assert f"({ev.n} of {res.evaluation.n} test images)" in line and f"Accuracy {ev.metrics['accuracy']:.4f} [" in line


def test_two_class_roc_is_one_curve_and_variants_are_the_experiments_own():
    from lungxray.report.pdf import applicable, provenance_section
    from lungxray.spec.study import get_study

    y = np.array([0, 0, 1, 1, 1, 0])
    proba = np.array([[0.8, 0.2], [0.6, 0.4], [0.3, 0.7], [0.4, 0.6], [0.1, 0.9], [0.45, 0.55]])
    fig, aucs = F.roc(y, proba, ["normal", "abnormal"], None)
    assert list(aucs) == ["abnormal"]  # the other curve would be its mirror image
    assert len([ln for ln in fig.axes[0].lines if "AUC" in ln.get_label()]) == 1
    uly = get_study("uly2023")
    lstm = {v.name for v in uly.applicable_variants("lstm")}
    assert {"sequence", "backbone", "scaling"}.isdisjoint(lstm) and {"subset", "dropout", "lstm_input"} <= lstm
    assert {"sequence", "backbone", "scaling"} <= {v.name for v in uly.applicable_variants("resnet50_lstm")}
    res = load_results(BINARY)
    assert {v.name for v in applicable(res)} == lstm & {v.name for v in res.variants}
    assert "ResNet50" not in story_text(provenance_section(res, notes=False))


def test_class_labels_break_only_between_parts_and_keep_every_character():
    for name in ("adenocarcinoma", "large.cell.carcinoma", "squamous.cell.carcinoma", "Viral Pneumonia",
                 "Lung_Opacity"):
        label = F.class_label(name)
        assert label.replace("\n", "") in (name, name.replace(" ", ""))
        assert all(len(line) <= 14 for line in label.splitlines()) or "\n" not in label


def test_headings_stay_with_their_figures(four):
    from reportlab.platypus import KeepTogether, Paragraph

    from lungxray.report.pdf import run_story

    story = run_story(four, FOUR)
    for i, f in enumerate(story):
        if isinstance(f, Paragraph) and f.style.name == "h1":
            assert not any(type(g).__name__ == "Drawing" for g in story[i + 1:i + 2]), f.getPlainText()
    assert any(isinstance(f, KeepTogether) for f in story)


def test_suite_shows_real_runs_and_lists_smoke_and_ci_runs_in_the_appendix():
    from lungxray.report.suite import appendix, collect, cover, shown_runs
    from lungxray.spec.study import load_studies

    collected = collect(REPORTS)
    shown = {sid: [e.folder for e in shown_runs(sets)] for sid, sets in collected.items()}
    assert shown["covid_balancing"] == [] and shown["syakuroh2025"] == []  # smoke only: nothing shown
    assert shown["hanif2025"] == ["hanif2025/offline/resnet18"]  # 15 epochs beats the 1-epoch CI reference
    assert "uly2023/lstm-10-seeds/lstm" in shown["uly2023"] and "uly2023/offline/resnet50" in shown["uly2023"]
    assert all(not e.smoke for sets in collected.values() for e in shown_runs(sets))
    text = story_text(cover(load_studies(), collected))
    smoke_model_a = load_results(REPORTS / "covid_balancing" / "smoke" / "model_a")
    assert f"{smoke_model_a.comparison[1].reproduced:.3f}" not in text  # no smoke number on the cover
    assert "No real-data run committed (only 3 smoke runs" in text
    listed = story_text(appendix(collected))
    for folder in ("ci-reference/hanif2025-1epoch/resnet18", "covid_balancing/smoke/model_a",
                   "syakuroh2025/smoke/mobilenetv2", "cnn_vs_lstm/nih64-patient-split/cnn"):
        assert f"{folder}/report.pdf" in listed
    assert "hanif2025/offline" not in listed


def test_audit_records_read_as_sentences_with_labelled_evidence():
    from lungxray.audit.claims import Claim
    from lungxray.report.audit_text import claim_sentence, evidence_rows, number

    legend = Claim("x", "Section 3.2", "ResNet50 has a lower training loss than LSTM", 1, 0, 0,
                   "1 = Table 2 agrees, 0 = Table 2 says the opposite", tool="prose")
    assert claim_sentence(legend) == "ResNet50 has a lower training loss than LSTM: not so, Table 2 says the opposite."
    assert evidence_rows(legend) == []  # no 'published 1, recomputed 0 (tolerance 0)'
    share = Claim("x", "Results", "the implied positive share matches the data", 0.461858, 0.38685, 0.0046,
                  "they imply a share in [0.3823, 0.3914], not 0.4619", tool="prevalence",
                  evidence={"positive_class_reading": {"interval": {"lo": 0.3823, "hi": 0.3914,
                                                                    "inputs": {"accuracy": 0.925, "recall": 0.897}},
                                                       "inside": False, "distance": 0.0704,
                                                       "counts": list(range(10))}})
    assert claim_sentence(share) == ("the implied positive share matches the data (paper's value 0.4619): they imply "
                                     "a share in [0.3823, 0.3914], not 0.4619.")
    rows = evidence_rows(share)
    assert rows[:3] == [("paper's value", "0.4619"), ("recomputed", "0.3869"), ("allowed difference", "±0.0046")]
    assert ("interval › lo", "0.3823") in rows and len(rows) == 6 and rows[-1][0] == "+4 more rows"
    assert all("_" not in label and "." not in label for label, _ in rows)  # words, not a dotted key path
    assert dict(evidence_rows(share, limit=20))["inside"] == "no"
    assert [number(x) for x in (5e-05, 1881.0, 0.38685)] == ["0.00005", "1,881", "0.3869"]
    assert dict(evidence_rows(share, limit=20))["counts"] == "0, 1, 2, 3, 4, 5, … (10 in all)"


def test_study_notes_name_no_code_constant():
    from lungxray.spec.study import load_studies

    for study in load_studies().values():
        for note in study.notes:
            assert not re.search(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", note), (study.id, note)


def test_hanif2025_pages_name_the_test_folder_and_the_deduplicated_test_set_in_words():
    from lungxray.report.pdf import run_story, val_name

    run = REPORTS / "hanif2025" / "offline" / "resnet18"
    res = load_results(run)
    text = story_text(run_story(res, run, notes=False))  # the notes are the study's, as committed
    assert val_name(res) == "test folder"  # its per-epoch log evaluates the test folder
    assert "Deduplicated test set: the same predictions, rescored" in text
    assert "Additional evaluation" not in text and "test_deduplicated" not in text
    assert "Precision (macro)" in text and "macro_precision" not in text


def test_a_runs_set_gets_one_summary_in_place_of_its_seed_runs():
    from lungxray.report.terminal import run_summaries
    from lungxray.results.types import AggregateResult

    agg = AggregateResult.load(SEEDS)
    text = run_summaries([*sorted(SEEDS.glob("seed-*")), BINARY])
    assert text.count("uly2023 / lstm: seed ") == 1  # the single run only, not the ten seed runs
    assert f"uly2023 / lstm: {agg.n_runs} runs" in text and str(SEEDS / "aggregate.pdf") in text
    acc = next(r for r in agg.comparison if r.key == "accuracy")
    assert f"mean {acc.mean:.4f} [{acc.interval.lo:.3f}, {acc.interval.hi:.3f}]" in text
