"""Fault injection, interruptions (issue 27): a rerun finishes what an interrupted command left, and retrains
nothing that finished. Generated data, CPU, a few epochs."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lungxray.results import files as R
from lungxray.run.backup import SafeBackupAndRestore
from lungxray.run.runner import main
from lungxray.spec.study import get_study

REPO = Path(__file__).resolve().parents[1]


def run(argv, capsys) -> tuple[int, str]:
    code = main(get_study("cnn_vs_lstm"), argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.mark.slow
def test_an_interrupted_runs_set_keeps_finished_seeds_resumes_and_aggregates_exactly_its_members(
        tmp_path, capsys, caplog, monkeypatch):
    argv = ["--smoke", "-q", "--experiment", "cnn", "--epochs", "2", "--runs", "3", "--out", str(tmp_path)]
    real, saves = SafeBackupAndRestore._save_model, []

    def save(self):
        saves.append(1)
        if len(saves) == 4:  # seed-42: backups after epochs 1 and 2; seed-43: after epoch 1, Ctrl-C in epoch 2
            raise KeyboardInterrupt
        real(self)

    monkeypatch.setattr(SafeBackupAndRestore, "_save_model", save)
    code, err = run(argv, capsys)
    assert code == 130 and "Resume with:" in err
    monkeypatch.setattr(SafeBackupAndRestore, "_save_model", real)
    exp = tmp_path / "cnn"
    finished = (exp / "seed-42" / R.RESULTS).read_bytes()
    assert not (exp / "seed-43" / R.RESULTS).exists() and (exp / "seed-43" / "backup").is_dir()

    caplog.set_level(logging.INFO)
    code, _ = run(argv, capsys)
    assert code == 0
    assert (exp / "seed-42" / R.RESULTS).read_bytes() == finished  # kept, not retrained
    assert "seed-42: this run finished earlier; kept" in caplog.text
    assert sorted(p.name for p in exp.iterdir() if p.is_dir()) == ["seed-42", "seed-43", "seed-44"]
    history = json.loads((exp / "seed-43" / R.RESULTS).read_text())["history"]
    assert len(next(iter(history.values()))) == 2  # resumed to the requested epochs
    agg = json.loads((exp / R.AGGREGATE).read_text())
    assert agg["runs"] == ["seed-42", "seed-43", "seed-44"] and agg["seeds"] == [42, 43, 44]

    # the same set folder asked for another configuration: refused, nothing mixed into the aggregate
    code, err = run([*argv[:-4], "--epochs", "3", "--runs", "3", "--out", str(tmp_path)], capsys)
    assert code == 2 and "seed-42 holds a run of another configuration" in err and "--overwrite" in err
    assert json.loads((exp / R.AGGREGATE).read_text()) == agg


@pytest.mark.slow
def test_a_run_killed_between_results_and_report_gets_its_report_not_a_retrain(tmp_path, capsys, caplog):
    argv = ["--smoke", "-q", "--experiment", "cnn", "--epochs", "1", "--out", str(tmp_path)]
    assert run(argv, capsys)[0] == 0
    folder = tmp_path / "cnn"
    results = (folder / R.RESULTS).read_bytes()
    (folder / R.REPORT).unlink()  # what kill -9 after results.json leaves
    caplog.set_level(logging.INFO)
    code, _ = run(argv, capsys)
    assert code == 0 and (folder / R.REPORT).stat().st_size > 1000
    assert (folder / R.RESULTS).read_bytes() == results
    assert "writing report.pdf from its results.json (nothing is retrained)" in caplog.text
    assert not (tmp_path / "cnn-2").exists()
    # finished now: the same command makes a new run in -2, as before
    code, _ = run(argv, capsys)
    assert code == 0 and (tmp_path / "cnn-2" / R.REPORT).exists()


@pytest.mark.slow
def test_sigterm_prints_the_resume_command_and_leaves_no_temporary_folder(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cmd = [sys.executable, "-m", "reproductions.cnn_vs_lstm", "--smoke", "-q", "--experiment", "cnn",
           "--epochs", "200", "--out", str(tmp_path / "out")]
    env = {**__import__("os").environ, "TMPDIR": str(tmp)}
    proc = subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE, text=True, env=env)
    hist = tmp_path / "out" / "cnn" / "history.csv"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if hist.exists() and len(hist.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be terminated"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("terminated (SIGTERM): the last finished epoch's backup is kept in")
    assert last.endswith("Resume with: python -m reproductions.cnn_vs_lstm " + " ".join(cmd[3:]))
    assert list(tmp.iterdir()) == []  # the generated data's temporary folder is gone
    assert not (tmp_path / "out" / "cnn" / ".lungxray.owner").exists()
