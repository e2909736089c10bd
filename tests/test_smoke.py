"""The whole pipeline end to end on generated data, and its determinism."""

import json
import subprocess
import sys

import pytest

from lungxray.cli.check import check_run
from lungxray.report.pdf import render
from lungxray.results import files as R

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("smoke")
    for name in ("a", "b"):
        subprocess.run([sys.executable, "-m", "reproductions.syakuroh2025", "--smoke", "-q", "--out",
                        str(out / name)], check=True)
    return out / "a" / "mobilenetv2", out / "b" / "mobilenetv2"


def test_smoke_writes_all_files_and_learns(smoke_runs):
    run = smoke_runs[0]
    for f in (R.RESULTS, R.PREDICTIONS, R.REPORT, R.MANIFEST, R.MODEL):
        assert (run / f).is_file()
    res = R.load_results(run)
    assert res.smoke and not res.faithful and res.provenance.random_init
    assert res.evaluation.metrics["accuracy"] >= 0.5  # 4 classes: chance is 0.25
    assert (run / R.REPORT).read_bytes().startswith(b"%PDF")
    assert check_run(run / R.RESULTS).failures == []


def test_two_smoke_runs_with_one_seed_are_identical(smoke_runs):
    a, b = (json.loads((r / R.RESULTS).read_text()) for r in smoke_runs)
    assert a["evaluation"] == b["evaluation"]
    assert a["history"] == b["history"]
    assert (smoke_runs[0] / R.PREDICTIONS).read_text() == (smoke_runs[1] / R.PREDICTIONS).read_text()


def test_report_bytes_are_reproducible(smoke_runs):
    res = R.load_results(smoke_runs[0])
    assert render(res) == render(res)


def test_check_catches_tampered_results(smoke_runs, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(smoke_runs[0], run)
    res = json.loads((run / R.RESULTS).read_text())
    res["evaluation"]["metrics"]["accuracy"] = 0.99
    (run / R.RESULTS).write_text(json.dumps(res))
    assert any("recomputed" in f for f in check_run(run / R.RESULTS).failures)


@pytest.mark.parametrize("study", ["covid_balancing", "uly2023", "hanif2025", "cnn_vs_lstm"])
def test_every_study_smoke_runs_and_checks(study, tmp_path):
    subprocess.run([sys.executable, "-m", f"reproductions.{study}", "--smoke", "-q", "--out", str(tmp_path)],
                   check=True, timeout=600)
    runs = R.find_results(tmp_path)
    assert runs
    for p in runs:
        assert (p.parent / R.PREDICTIONS).is_file() and (p.parent / R.REPORT).is_file()
        assert check_run(p).failures == []
    from lungxray.spec.study import get_study

    if len(get_study(study).experiments) > 1:  # a study with several experiments gets a side-by-side PDF
        assert (tmp_path / "summary.pdf").is_file()


def test_suite_pdf_is_byte_reproducible(smoke_runs, tmp_path):
    import shutil

    from lungxray.report.suite import render_suite

    shutil.copytree(smoke_runs[0], tmp_path / "syakuroh2025" / "smoke" / "mobilenetv2")
    a, b = render_suite(tmp_path), render_suite(tmp_path)
    assert a == b and a.startswith(b"%PDF")
