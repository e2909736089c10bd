"""`python -m lungxray` conventions: --version, --json (JSON and nothing else on stdout), TensorFlow's
start-up lines silenced, errors without Python reprs; `studies` with citations; `table`; progress bars."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lungxray import __version__
from lungxray._util import progress
from lungxray.cli.main import main, version_text
from lungxray.cli.table import COLUMNS, aggregate_rows, collect, render, run_rows, select
from lungxray.errors import ResultsError, message
from lungxray.results import files as R
from tests.helpers import write_png

REPO = Path(__file__).resolve().parents[1]
REPORTS = REPO / "reports"
TF_NOISE = ("absl::InitializeLog", "oneDNN", "cuda", "cpu_feature_guard", "TF_ENABLE_ONEDNN_OPTS")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "LUNGXRAY_TF_LOGS", "CI")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lungxray", *args], cwd=REPO, env=_env(**env),
                          capture_output=True, text=True, timeout=300)


def test_version():
    p = _cli("--version")
    assert p.returncode == 0 and p.stderr == ""
    assert p.stdout.strip() == version_text()
    assert p.stdout.startswith(f"lungxray {__version__} (git revision ")
    assert R.source_revision() in p.stdout


def _chest_ct(root: Path) -> Path:
    for split in ("train", "valid", "test"):
        for c in ("adenocarcinoma", "large.cell.carcinoma", "normal", "squamous.cell.carcinoma"):
            write_png(root / "Data" / split / c / "0.png", seed=hash((split, c)) % 10**6)
    return root


@pytest.fixture(scope="module")
def run_copy(tmp_path_factory) -> Path:
    """A committed run folder copied out, for commands that write (report)."""
    dst = tmp_path_factory.mktemp("runs") / "model_a"
    shutil.copytree(REPORTS / "covid_balancing" / "smoke" / "model_a", dst)
    return dst


@pytest.mark.parametrize("args, code", [
    (["studies", "--json"], 0),
    (["table", "--json"], 0),
    (["table", "reports/uly2023", "--format", "json"], 0),
    (["audit", "hanif2025", "--json"], 0),
    (["weights", "--json"], 0),
    (["weights", "hanif2025", "--check", "--json"], 1),  # torchvision's .pth is not in place here
    (["check", "reports/uly2023/lstm-10-seeds/lstm", "--verdicts-of", "reports/uly2023/lstm-10-seeds/lstm",
      "--json"], 0),
    (["verify-data", "chest-ctscan", "--data-dir", "{ct}", "--json"], 1),  # counts are not the registry's
    (["report", "{run}", "--json"], 0),
    (["cache", "--json"], 0),
])
def test_json_is_all_stdout_holds(args, code, tmp_path, run_copy):
    """Each subcommand's --json: stdout parses as one JSON document; TensorFlow's start-up lines are gone."""
    ct = _chest_ct(tmp_path / "ct")
    p = _cli(*[a.format(ct=ct, run=run_copy) for a in args])
    assert p.returncode == code, p.stderr
    json.loads(p.stdout)
    assert not any(s in p.stderr for s in TF_NOISE), p.stderr
    assert "Traceback" not in p.stderr


def test_json_redirects_stray_prints(monkeypatch, capsys):
    """What else a command prints under --json goes to stderr (in-process: check and rescore, which recompute
    every interval and are slow on real runs, are replaced by stand-ins that print)."""
    import lungxray.cli.check
    import lungxray.cli.rescore
    from lungxray.cli.check import CheckOutcome

    def fake_check_all(root):
        print("Found 256 images belonging to 4 classes.")  # what a library might print
        return [CheckOutcome(Path(root) / "a", lines=["fine"]), CheckOutcome(Path(root) / "b", failures=["off"])]

    def fake_rescore(root):
        print("rescoring ...")
        return [Path(root) / "a"]

    monkeypatch.setattr(lungxray.cli.check, "check_all", fake_check_all)
    monkeypatch.setattr(lungxray.cli.rescore, "rescore", fake_rescore)
    assert main(["check", "somewhere", "--json"]) == 1
    cap = capsys.readouterr()
    out = json.loads(cap.out)
    assert (out["passed"], out["failed"]) == (1, 1) and out["outcomes"][1]["failures"] == ["off"]
    assert "Found 256 images" in cap.err and "Found" not in cap.out
    assert main(["rescore", "x", "--json"]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out) == {"rescored": [str(Path("x") / "a")]} and "rescoring" in cap.err


def test_studies_show_citations(capsys):
    from lungxray.spec.study import load_studies

    studies = load_studies()
    assert main(["studies"]) == 0
    text = capsys.readouterr().out
    for st in studies.values():
        assert f"citation: {st.citation}" in text
        assert all(f"{e.name}: {e.title}" in text for e in st.experiments)
    assert main(["studies", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [d["id"] for d in listed] == sorted(studies)
    for d in listed:
        assert d["citation"] == studies[d["id"]].citation
        assert [e["name"] for e in d["experiments"]] == [e.name for e in studies[d["id"]].experiments]


# --- table --------------------------------------------------------------------------------------------

def test_table_rows_are_the_values_of_results_json():
    path = REPORTS / "uly2023" / "offline" / "lstm" / R.RESULTS
    res = R.load_results(path)
    rows = run_rows(res, "uly2023/offline/lstm")
    assert len(rows) == len(res.comparison)
    for row, c in zip(rows, res.comparison, strict=True):
        assert (row.study, row.experiment, row.key, row.label) == ("uly2023", "lstm", c.key, c.label)
        assert row.published == c.published and (row.published_lo, row.published_hi) == tuple(c.published_interval)
        assert row.reproduced == c.reproduced and row.verdict == c.verdict
        iv = c.interval
        assert (row.reproduced_lo, row.reproduced_hi) == ((iv.lo, iv.hi) if iv else (None, None))
        assert row.faithful is res.faithful and row.weights == res.provenance.weights
        assert row.seeds == (res.provenance.seed,) and row.n_runs == 1


def test_table_over_the_committed_reports():
    rows = collect(REPORTS)
    agg_dir = REPORTS / "uly2023" / "lstm-10-seeds" / "lstm"
    agg = R.AggregateResult.load(agg_dir)
    set_rows = [r for r in rows if r.run == "uly2023/lstm-10-seeds/lstm"]
    assert set_rows == aggregate_rows(agg, "uly2023/lstm-10-seeds/lstm", "not applicable")
    assert [r.reproduced for r in set_rows] == [c.mean for c in agg.comparison]
    assert set_rows[0].seeds == tuple(agg.seeds) and set_rows[0].n_runs == 10
    assert not any("seed-" in r.run for r in rows)  # the set's runs are in its aggregate
    assert len([r for r in collect(REPORTS, each_seed=True) if "seed-" in r.run]) == 10 * len(agg.comparison)
    n_runs = len([p for p in R.find_results(REPORTS) if "seed-" not in p.parent.name])
    assert len({r.run for r in rows}) == n_runs + 1
    assert sum(len(R.load_results(p).comparison) for p in R.find_results(REPORTS)
               if "seed-" not in p.parent.name) + len(set_rows) == len(rows)


def test_table_formats():
    rows = collect(REPORTS / "hanif2025")
    res = R.load_results(REPORTS / "hanif2025" / "offline" / "resnet18")
    parsed = list(csv.DictReader(io.StringIO(render(rows, "csv"))))
    assert tuple(parsed[0]) == COLUMNS and len(parsed) == len(res.comparison)
    for line, c in zip(parsed, res.comparison, strict=True):  # full precision: the file's floats exactly
        assert float(line["reproduced"]) == c.reproduced and line["verdict"] == c.verdict
        assert line["run"] == "offline/resnet18"
    as_json = json.loads(render(rows, "json"))
    assert [d["reproduced"] for d in as_json] == [c.reproduced for c in res.comparison]
    md = render(rows, "md").splitlines()
    assert md[0].startswith("| study | experiment | run | metric |") and len(md) == 2 + len(rows)
    assert all(line.count(" | ") == md[0].count(" | ") for line in md[2:])
    with pytest.raises(ValueError, match="unknown table format"):
        render(rows, "xlsx")


def test_table_cli_csv_and_md(capsys):
    assert main(["table", str(REPORTS / "uly2023"), "--format", "csv"]) == 0
    lines = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert tuple(lines[0]) == COLUMNS
    assert main(["table", str(REPORTS / "uly2023")]) == 0
    assert "| not shown to differ |" in capsys.readouterr().out  # uly2023: equivalence untestable at ±0.05


def test_table_filters_and_markdown_keeps_the_informational_marker(capsys):
    rows = collect(REPORTS)
    real = select(rows, real_only=True)
    smoke = {str(p.parent.relative_to(REPORTS)) for p in R.find_results(REPORTS) if R.load_results(p).smoke}
    assert smoke and not any(r.run in smoke for r in real) and len(real) < len(rows)
    assert {r.study for r in select(rows, ["hanif2025"])} == {"hanif2025"}
    assert {r.run for r in select(rows, faithful_only=True)} == {"uly2023/lstm-10-seeds/lstm", "uly2023/offline/lstm"}
    assert main(["table", str(REPORTS), "--study", "uly2023", "--faithful-only", "--format", "md"]) == 0
    md = capsys.readouterr().out.splitlines()
    head = [c.strip() for c in md[0].strip("|").split("|")]
    assert {"tolerance", "informational", "runs", "smoke"} <= set(head)
    cells = [dict(zip(head, (c.strip() for c in line.strip("|").split("|")), strict=True)) for line in md[2:]]
    logs = [c for c in cells if c["metric"].startswith("history:")]
    assert logs and all(c["informational"].startswith("yes") and "not held" in c["verdict"] for c in logs)
    assert all(c["tolerance"].startswith("±") for c in cells) and {c["runs"] for c in cells} == {"1", "10"}
    assert main(["table", str(REPORTS), "--study", "nosuch"]) == 2
    assert "no row" in capsys.readouterr().err


# --- errors -------------------------------------------------------------------------------------------

def test_error_messages_have_no_reprs():
    assert message(KeyError("x")) == "missing key x"
    assert message(KeyError("unknown study 'foo'; registered: a, b")) == "unknown study 'foo'; registered: a, b"
    assert message(FileNotFoundError(2, "No such file or directory", "/no/such")) == \
        "/no/such: No such file or directory"
    assert message(ValueError("bad value")) == "bad value"
    assert message(ResultsError("r.json is damaged")) == "r.json is damaged"


@pytest.mark.parametrize("args, expected", [
    (["audit", "nosuchstudy"], "error: unknown study 'nosuchstudy'"),
    (["table", "no/such/folder"], "error: no/such/folder: no such folder"),
    (["report", "no/such/run"], "error: no/such/run: no such file"),
])
def test_cli_errors_print_the_message_only(args, expected, capsys):
    assert main(args) == 2
    cap = capsys.readouterr()
    assert cap.err.startswith(expected) and cap.out == ""
    assert not cap.err.startswith(("error: '", 'error: "')) and "KeyError" not in cap.err
    assert "Traceback" not in cap.err


def test_key_error_from_a_command(monkeypatch, capsys):
    import lungxray.cli.table

    def broken(root, each_seed=False):
        raise KeyError("comparison")

    monkeypatch.setattr(lungxray.cli.table, "collect", broken)
    assert main(["table", str(REPORTS)]) == 2
    assert capsys.readouterr().err == "error: missing key comparison\n"


def test_subprocess_error_has_no_traceback():
    p = _cli("weights", "nosuchstudy")
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.startswith("error: unknown study 'nosuchstudy'") and "Traceback" not in p.stderr


# --- TensorFlow's start-up lines, progress bars ------------------------------------------------------------

def test_tensorflow_start_up_lines_are_silenced():
    code = "from lungxray._util.quiet import quiet_tensorflow; quiet_tensorflow(); import keras, tensorflow as tf; tf.constant(1)"
    p = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=_env(), capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0 and p.stderr == "", p.stderr


def test_captured_start_up_text_is_shown_when_the_import_fails():
    code = ("import os\nfrom lungxray._util.quiet import stderr_captured\nwith stderr_captured():\n    os.write(2, b'hidden\\n')\n"
            "try:\n    with stderr_captured():\n        os.write(2, b'why it failed\\n')\n        raise ImportError\n"
            "except ImportError:\n    pass\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=_env(), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stderr == "why it failed\n", p.stderr


def test_progress_is_quiet_when_asked(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert progress.enabled()
    monkeypatch.setenv("CI", "true")
    assert not progress.enabled()
    monkeypatch.delenv("CI")
    progress.set_quiet()
    try:
        assert not progress.enabled()
    finally:
        progress.set_quiet(False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert not progress.enabled()
    assert list(progress.progress(range(5), "x", total=5)) == [0, 1, 2, 3, 4]
    bar = progress.progress(None, "by hand", total=3)
    bar.update(3)
    bar.close()


def test_table_refuses_an_old_schema(tmp_path, capsys):
    run = tmp_path / "old"
    shutil.copytree(REPORTS / "hanif2025" / "offline" / "resnet18", run, ignore=shutil.ignore_patterns("*.pdf"))
    res = json.loads((run / R.RESULTS).read_text())
    res["schema"] = "lungxray.results/1"
    (run / R.RESULTS).write_text(json.dumps(res))
    assert main(["table", str(tmp_path)]) == 2
    assert "rescore" in capsys.readouterr().err


# --- start-up: what answers at once imports no TensorFlow ---------------------------------------------------
_START_UP = '''
import contextlib, io, json, sys
from lungxray.cli.main import main as cli
from lungxray.run.runner import main as run
from lungxray.spec.study import load_studies

def heavy():
    return sorted({m.split(".")[0] for m in sys.modules} & {"tensorflow", "keras"})

calls = [("lungxray --help", lambda: cli(["--help"])), ("lungxray run uly2024", lambda: cli(["run", "uly2024"])),
         ("lungxray run hanif2025 --help", lambda: cli(["run", "hanif2025", "--help"]))]
for sid, study in sorted(load_studies().items()):
    calls += [(f"{sid} --help", lambda s=study: run(s, ["--help"])),
              (f"{sid} --list-variants", lambda s=study: run(s, ["--list-variants"])),
              (f"{sid} --experiment nope", lambda s=study: run(s, ["--experiment", "nope", "--data-dir", "."])),
              (f"{sid} --variant nope=x", lambda s=study: run(s, ["--variant", "nope=x", "--data-dir", "."])),
              (f"{sid} --epochs x", lambda s=study: run(s, ["--epochs", "x"]))]
seen = {}
for name, call in calls:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        try:
            code = call()
        except SystemExit as exc:
            code = exc.code
    seen[name] = [code, heavy(), err.getvalue()]
print(json.dumps(seen))
'''


def test_help_list_variants_and_argument_errors_import_no_tensorflow():
    """--help, --list-variants and argument errors of every study (and `lungxray run` with a typo) answer without
    importing TensorFlow or Keras: that import alone takes seconds."""
    out = subprocess.run([sys.executable, "-c", _START_UP], cwd=REPO, env=_env(), capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert len(seen) == 3 + 5 * 5
    for name, (code, heavy, err) in seen.items():
        assert heavy == [], f"{name} imported {heavy}"
        assert code == (0 if "--help" in name or "--list-variants" in name else 2), (name, code, err)
        assert code == 0 or "error:" in err, (name, err)
    assert "did you mean uly2023?" in seen["lungxray run uly2024"][2]


def test_a_typo_in_the_study_module_lists_the_studies():
    out = subprocess.run([sys.executable, "-m", "reproductions.uly2024"], cwd=REPO, env=_env(), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2 and "No module named" not in out.stderr
    assert out.stderr.startswith("error: unknown study 'uly2024' (did you mean uly2023?); the studies are: cnn_vs_lstm")


# --- a run talks --------------------------------------------------------------------------------------------
def test_keras_shows_a_bar_per_batch_on_a_terminal_a_line_per_epoch_off_it_and_nothing_under_q(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("LUNGXRAY_NO_PROGRESS", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    assert (progress.keras_verbosity(False), progress.keras_verbosity(True)) == (1, 0)
    monkeypatch.setenv("CI", "1")
    assert progress.keras_verbosity(False) == 2
    monkeypatch.delenv("CI")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    assert progress.keras_verbosity(False) == 2


def test_a_stage_says_when_it_starts_and_how_long_it_took(caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="lungxray"), progress.stage("Grad-CAM"):
        pass
    assert [r.getMessage() for r in caplog.records][0] == "Grad-CAM ..."
    assert caplog.records[1].getMessage().startswith("Grad-CAM: done in 0.")
    assert (progress.duration(4.25), progress.duration(245), progress.duration(3720)) == (
        "4.2 s", "4 min 05 s", "1 h 02 min")
    warning = logging.LogRecord("lungxray", logging.WARNING, __file__, 1, "degenerate", None, None)
    assert progress.StageFormatter("%(message)s").format(warning) == "warning: degenerate"
