"""docs/adding-a-study.md, followed end to end: a sixth study (tests/fixtures/tiny_study/tinyct.py) registers through
the ``lungxray.studies`` entry point, lists its variants, runs under ``--smoke`` and passes ``lungxray check``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "tiny_study"


def _registered(tmp_path: Path) -> dict[str, str]:
    """The environment of a Python that sees tinyct registered as a distribution would after ``pip install -e .``:
    a ``*.dist-info/entry_points.txt`` on the path (step 2 of the guide)."""
    site = tmp_path / "site"
    dist = site / "tinyct-0.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tinyct\nVersion: 0.0\n")
    (dist / "entry_points.txt").write_text("[lungxray.studies]\ntinyct = tinyct:STUDY\n")
    path = os.pathsep.join([str(site), str(FIXTURE), str(ROOT), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "CI": "1"}


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=900)


def test_the_guide_names_every_step_the_test_takes():
    guide = (ROOT / "docs" / "adding-a-study.md").read_text()
    for step in ("lungxray.studies", "lungxray register", "--list-variants", "--smoke", "lungxray check",
                 "lungxray audit", "STUDY"):
        assert step in guide, step


def test_a_registered_study_is_listed_and_explains_its_variants(tmp_path):
    env = _registered(tmp_path)
    studies = _run(["-m", "lungxray", "studies", "--json"], env, tmp_path)
    assert studies.returncode == 0, studies.stderr
    assert "tinyct" in {s["id"] for s in json.loads(studies.stdout)}
    variants = _run(["-m", "tinyct", "--list-variants"], env, tmp_path)
    assert variants.returncode == 0, variants.stderr
    assert "learning_rate" in variants.stdout and "no rate is named" in variants.stdout


@pytest.mark.slow
def test_a_study_written_by_the_guide_runs_under_smoke_and_passes_check(tmp_path):
    env = _registered(tmp_path)
    out = tmp_path / "runs"
    run = _run(["-m", "tinyct", "--smoke", "-q", "--out", str(out)], env, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((out / "cnn" / "results.json").read_text())
    assert results["study"] == "tinyct" and results["faithful"] is False  # a smoke run never is
    assert (out / "cnn" / "report.pdf").stat().st_size > 0
    check = _run(["-m", "lungxray", "check", str(out)], env, tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    # the run, and the study module against its committed registration.json (step 4)
    assert "tinyct: tolerances, primary rows and test-set sizes as registered" in check.stdout
    assert "check: 2 passed, 0 failed" in check.stdout
