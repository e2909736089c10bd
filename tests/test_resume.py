"""A run killed mid-training resumes from its backup and ends exactly as an uninterrupted run."""

import json
import signal
import subprocess
import sys
import time

import pytest

from lungxray.results import files as R

pytestmark = pytest.mark.slow

CMD = [sys.executable, "-m", "reproductions.cnn_vs_lstm", "--smoke", "-q", "--experiment", "cnn", "--epochs", "30",
       "--out"]


def test_sigkill_then_resume_matches_uninterrupted(tmp_path):
    subprocess.run([*CMD, str(tmp_path / "full")], check=True, timeout=600)
    proc = subprocess.Popen([*CMD, str(tmp_path / "cut")])
    hist = tmp_path / "cut" / "cnn" / "history.csv"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if hist.exists() and len(hist.read_text().splitlines()) >= 4:  # header + 3 finished epochs
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    run = tmp_path / "cut" / "cnn"
    assert not (run / R.RESULTS).exists() and (run / "backup").exists()
    subprocess.run([*CMD, str(tmp_path / "cut")], check=True, timeout=600)
    assert not (tmp_path / "cut" / "cnn-2").exists()  # resumed in place, not a new folder
    full, cut = (json.loads((d / R.RESULTS).read_text()) for d in (tmp_path / "full" / "cnn", run))
    assert cut["history"] == full["history"]
    assert cut["evaluation"] == full["evaluation"]
    assert (run / R.PREDICTIONS).read_text() == (tmp_path / "full" / "cnn" / R.PREDICTIONS).read_text()


def test_different_seeds_give_different_runs(tmp_path):
    base = [sys.executable, "-m", "reproductions.cnn_vs_lstm", "--smoke", "-q", "--experiment", "cnn"]
    for seed in ("1", "2"):
        subprocess.run([*base, "--seed", seed, "--out", str(tmp_path / seed)], check=True, timeout=600)
    a, b = ((tmp_path / s / "cnn" / R.PREDICTIONS).read_text() for s in ("1", "2"))
    assert a != b
    ha, hb = (json.loads((tmp_path / s / "cnn" / R.RESULTS).read_text())["history"] for s in ("1", "2"))
    assert ha != hb
