"""``python -m lungxray sweep``: the grid, the statistics of a switch, the backends, resume and failures."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from lungxray.errors import LungxrayError
from lungxray.judge import variance as VM
from lungxray.judge.sweep import paired_effect, sentence
from lungxray.results.sweep import (
    BEYOND,
    FAILED,
    KEPT,
    MOVES_SOME,
    NOT_SHOWN,
    RAN,
    WITHIN,
    CurvePoint,
    Effect,
    MetricCurve,
    SweepResult,
)
from lungxray.spec.study import get_study
from lungxray.sweep.plan import FULL_GRID, plan_sweep

# --- the grid ----------------------------------------------------------------------------------------


def test_one_at_a_time_grid_of_uly2023_lstm():
    plan = plan_sweep(get_study("uly2023"), "lstm", runs=3)
    assert [p.name for p in plan.points] == ["default", "subset=first-lexicographic", "subset=random",
                                             "dropout=0.2", "lstm_input=rows-grey", "selection=val_loss",
                                             "selection=last"]
    assert plan.varied == ("subset", "dropout", "lstm_input", "selection")  # ResNet50's variants do not apply
    assert plan.seeds == (42, 43, 44) and plan.resplit and plan.design == VM.RESPLIT
    trials = plan.trials
    assert len(trials) == 21 and {t.split_seed for t in trials} == {42, 43, 44}
    assert all(t.split_seed == t.seed for t in trials)  # resplit: seed N has split N at every point
    assert trials[0].path == "lstm/default/seed-42"


def test_full_grid_is_the_product_and_names_its_switches():
    plan = plan_sweep(get_study("uly2023"), "lstm", ["dropout", "selection"], full_grid=True, runs=2)
    assert plan.grid == FULL_GRID
    assert len(plan.points) == 2 * 3
    assert "dropout=0.2,selection=last" in [p.name for p in plan.points]
    assert plan.points[0].name == "default" and plan.points[0].changes == {}


def test_the_paper_s_own_test_images_stay_fixed():
    plan = plan_sweep(get_study("hanif2025"), "resnet18", runs=2)
    assert not plan.resplit and plan.design == VM.PAPER_IMAGES
    assert {t.split_seed for t in plan.trials} == {42}


@pytest.mark.parametrize(("vary", "runs", "says"), [
    (["nosuch"], 3, "has no such variant"),
    (["sequence"], 3, "does not change the configuration"),  # a ResNet50 detail: not the LSTM's
    ([], 1, "at least 2 seeds"),
])
def test_a_grid_that_cannot_be_run_is_refused_with_the_way_out(vary, runs, says):
    with pytest.raises(LungxrayError, match=says):
        plan_sweep(get_study("uly2023"), "lstm", vary, runs=runs)


# --- the effect of a switch: its promised error rates, by simulation -----------------------------------

@pytest.mark.parametrize("k", [3, 10])
def test_paired_effect_interval_covers_at_its_level_and_its_tests_hold_alpha(k):
    """The effect of a switch is a 90% Student interval over K seed-paired differences: it covers the true effect
    about 90% of the time, and each of its one-sided claims is wrong at most 5% of the time at the boundary."""
    rng = np.random.default_rng(0)
    tol, sd, n = 0.05, 0.03, 4000
    covered = beyond_at_zero = 0
    for _ in range(n):
        _, lo, hi, moves = paired_effect(rng.normal(0.0, sd, k), tol)
        covered += lo <= 0.0 <= hi
        beyond_at_zero += moves == BEYOND
    assert abs(covered / n - 0.90) < 0.02
    assert beyond_at_zero == 0 or beyond_at_zero / n < 0.001
    # at the boundary (the true effect is exactly the tolerance) neither claim may be made more than 5% of the time
    beyond = within = 0
    for _ in range(n):
        _, _, _, moves = paired_effect(rng.normal(tol, sd, k), tol)
        beyond += moves == BEYOND
        within += moves == WITHIN
    assert beyond / n <= 0.05 + 0.01 and within / n <= 0.05 + 0.01


def test_paired_effect_says_what_it_shows():
    assert paired_effect(np.array([0.20, 0.21, 0.19]), 0.05)[3] == BEYOND
    assert paired_effect(np.array([0.001, -0.001, 0.0]), 0.05)[3] == WITHIN
    assert paired_effect(np.array([0.04, 0.05, 0.045]), 0.05)[3] == MOVES_SOME
    assert paired_effect(np.array([0.1, -0.1, 0.02]), 0.05)[3] == NOT_SHOWN


def _curve(effects, verdicts):
    pts = [CurvePoint(name, {}, 0.9, 0.85, 0.95, v, 3) for name, v in verdicts.items()]
    return MetricCurve("accuracy", "Accuracy", "Table 6", 0.84, 0.05, True, False, (0.77, 0.91), pts, effects, "")


def test_the_sentence_names_what_moves_the_number_and_what_reaches_it():
    moving = Effect("selection", "last", "selection=last", -0.07, -0.10, -0.06, 3, BEYOND)
    still = Effect("dropout", "0.2", "dropout=0.2", 0.0, -0.01, 0.01, 3, WITHIN)
    text = sentence(_curve([moving, still], {"default": "not reproduced", "selection=last": "consistent"}))
    assert "selection=last (-0.070" in text and "dropout" not in text
    assert "consistent with the published value at selection=last" in text
    text = sentence(_curve([still], {"default": "not reproduced", "dropout=0.2": "not reproduced"}))
    assert "no switch is shown to move it" in text and "no reading reaches the published value" in text
    text = sentence(_curve([], {"default": "not comparable (run not faithful)"}))
    assert "no point has a verdict on the paper" in text


# --- backends, failures, resume ---------------------------------------------------------------------------

def test_without_ray_the_sweep_says_how_to_install_it_or_run_serially(monkeypatch):
    from lungxray.sweep.execute import start_ray

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(LungxrayError, match=r'pip install -e "\.\[sweep\]".*--serial'):
        start_ray(None, None, {})


def test_a_failed_trial_is_retried_once_then_reported_and_the_others_run(monkeypatch):
    from lungxray.sweep import execute as X

    plan = plan_sweep(get_study("uly2023"), "lstm", ["dropout"], runs=2)
    calls: list[str] = []

    def fake_trial(settings, trial):
        calls.append(trial.path)
        if trial.point == "dropout=0.2" and trial.seed == 43:
            raise RuntimeError("out of memory")
        return trial.path

    monkeypatch.setattr(X, "run_trial", fake_trial)
    seen = []
    out = X.run_serial(None, plan.trials, lambda t, o: seen.append(t.path))
    bad = [t for t in plan.trials if t.point == "dropout=0.2" and t.seed == 43][0]
    assert out[bad].status == FAILED and out[bad].attempts == 2 and "out of memory" in out[bad].error
    assert calls.count(bad.path) == 2  # retried once, not more
    assert all(o.status == RAN for t, o in out.items() if t != bad)
    assert seen == [t.path for t in plan.trials]  # every trial reported, the failed one too


SMOKE = ["-q", "sweep", "uly2023", "--experiment", "lstm", "--vary", "dropout", "--runs", "2", "--smoke", "--epochs", "1"]


@pytest.fixture(scope="module")
def smoke_sweep(tmp_path_factory):
    """A smoke sweep on Ray in local mode: uly2023's LSTM, the default and dropout=0.2, two seeds each."""
    pytest.importorskip("ray")
    from lungxray.cli.main import main

    out = tmp_path_factory.mktemp("sweep")
    cache = tmp_path_factory.mktemp("cache-node-a")
    code = main([*SMOKE, "--out", str(out), "--cache", str(cache)])
    return out, cache, code


def test_smoke_sweep_on_ray_writes_ordinary_run_folders_that_pass_check(smoke_sweep):
    from lungxray.cli.check import check_all

    out, _, code = smoke_sweep
    assert code == 0
    sweep = SweepResult.load(out / "lstm")
    assert sweep.backend.startswith("Ray ") and sweep.smoke
    assert [p.name for p in sweep.points] == ["default", "dropout=0.2"] and all(p.complete for p in sweep.points)
    assert [t.status for t in sweep.trials] == [RAN] * 4
    for p in sweep.points:
        assert (out / "lstm" / p.name / "aggregate.json").is_file()
    assert (out / "lstm" / "sweep.pdf").stat().st_size > 10_000
    outcomes = check_all(out)
    assert len(outcomes) >= 4 and not [o for o in outcomes if o.failures]
    acc = next(c for c in sweep.curves if c.key == "accuracy")
    assert len(acc.points) == 2 and [e.point for e in acc.effects] == ["dropout=0.2"]
    assert acc.sentence.startswith("Accuracy (Table 6")


def test_the_same_sweep_again_keeps_every_finished_trial(smoke_sweep):
    from lungxray.cli.main import main

    out, cache, _ = smoke_sweep
    before = {p: p.stat().st_mtime_ns for p in out.rglob("results.json")}
    first = SweepResult.load(out / "lstm").trials
    code = main([*SMOKE, "--out", str(out), "--cache", str(cache), "--serial"])
    assert code == 0
    sweep = SweepResult.load(out / "lstm")
    assert sweep.trials == first  # each kept trial keeps the record of the invocation that ran it
    assert sweep.backend.startswith("Ray ")  # ... and so does the sweep: nothing ran serially
    assert {p: p.stat().st_mtime_ns for p in out.rglob("results.json")} == before  # nothing retrained
    (out / "lstm" / "sweep.json").unlink()  # without the earlier record: kept, with each run's own duration
    assert main([*SMOKE, "--out", str(out), "--cache", str(cache), "--serial"]) == 0
    again = SweepResult.load(out / "lstm").trials
    assert [t.status for t in again] == [KEPT] * 4 and all(t.seconds and t.seconds > 0 for t in again)


VOLATILE = ("command", "duration_s")  # how and how long: the only fields two backends may differ in


def _comparable(folder: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in sorted(folder.rglob("*")):
        rel = str(f.relative_to(folder))
        if f.name == "results.json":
            data = json.loads(f.read_text())
            data["provenance"] = {k: v for k, v in data["provenance"].items() if k not in VOLATILE}
            out[rel] = data
        elif f.suffix == ".csv":
            out[rel] = f.read_bytes()
    return out


@pytest.mark.slow
def test_serial_gives_the_same_trial_folders_as_ray_with_a_cache_of_its_own(smoke_sweep, tmp_path):
    """--serial in this process and Ray workers write the same folders for the same seeds; and a second cache
    folder (a second node with a cache of its own) decodes the images once more into itself and changes nothing."""
    from lungxray.cli.main import main
    from lungxray.data.cache import DecodeCache

    out, cache_a, _ = smoke_sweep
    cache_b = tmp_path / "cache-node-b"
    code = main([*SMOKE, "--out", str(tmp_path / "serial"), "--cache", str(cache_b), "--serial"])
    assert code == 0
    ray_files, serial_files = _comparable(out / "lstm"), _comparable(tmp_path / "serial" / "lstm")
    runs = [k for k in ray_files if k.endswith("results.json") and "/seed-" in k]
    assert len(runs) == 4 and ray_files.keys() == serial_files.keys()
    for k in ray_files:
        assert ray_files[k] == serial_files[k], k
    assert DecodeCache(cache_b).usage()[0] == DecodeCache(cache_a).usage()[0] > 0


def test_a_sweep_analysed_again_from_its_folders_is_the_same(smoke_sweep):
    """``lungxray rescore`` analyses committed sweeps again (lungxray.sweep.runner.refresh_sweep): from unchanged
    points the same sweep.json comes back, notes not doubled."""
    from lungxray.sweep.runner import refresh_sweep

    out, _, _ = smoke_sweep
    before = json.loads((out / "lstm" / "sweep.json").read_text())
    refresh_sweep(out / "lstm")
    assert json.loads((out / "lstm" / "sweep.json").read_text()) == before


def test_a_log_value_the_same_at_every_seed_still_counts_as_differing():
    """Three seeds that all end at validation accuracy 0.92 against the paper's 0.74: no spread to standardise
    by, but the number differs (beyond its rounding) and must not drop out of the compatibility count."""
    from types import SimpleNamespace

    from lungxray.judge.sweep import _no_spread, _standardised

    key = ("history:val_accuracy", "Table 2")
    point = SimpleNamespace(values=lambda k: {42: 0.92, 43: 0.92, 44: 0.92}, runs={})
    row = SimpleNamespace(published=0.74, informational=True, design=VM.RESPLIT)
    assert _standardised(point, key, row) == (None, True) and _no_spread(point, key)
    near = SimpleNamespace(values=lambda k: {42: 0.742, 43: 0.742}, runs={})
    assert _standardised(near, key, row) == (None, False)  # within the printed rounding of 0.74


def test_a_kept_point_is_aggregated_again_unless_its_members_are_this_sweep_s_seeds(tmp_path):
    """A rerun with another --runs keeps every finished trial, but the point's aggregate.json of the earlier
    seeds must not stand for this sweep's seeds: only an aggregate of exactly these members is kept."""
    from lungxray.sweep.runner import aggregate_of

    point = tmp_path / "default"
    point.mkdir()
    assert aggregate_of(point) is None
    (point / "aggregate.json").write_text(json.dumps({"runs": ["seed-42", "seed-43", "seed-44"]}))
    assert aggregate_of(point) is None  # no aggregate.pdf: written again
    (point / "aggregate.pdf").write_bytes(b"%PDF")
    assert aggregate_of(point) == ["seed-42", "seed-43", "seed-44"] != ["seed-42", "seed-43"]
    (point / "aggregate.json").write_text("{damaged")
    assert aggregate_of(point) is None
