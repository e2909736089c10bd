"""The verdict rule and faithfulness by component, on hand-made cases (lungxray.judge.verdict, lungxray.judge.faithful)."""

import math

import numpy as np
import pytest

from lungxray.judge import verdict as V
from lungxray.judge.faithful import degenerate, departures, is_faithful
from lungxray.spec.study import load_studies


def est(value, lo, hi, n=100):
    return V.Estimate(value, lo, hi, (hi - lo) / (2 * V.Z95), "wilson", n)


def test_consistent_when_every_allowed_difference_is_within_the_tolerance():
    d = V.decide(0.90, 0.02, est(0.901, 0.895, 0.907, n=10_000))
    assert d.verdict == V.CONSISTENT and -0.02 < d.gap[0] < d.gap[1] < 0.02
    # apart from the published interval, but by less than the tolerance: still consistent
    assert V.decide(0.91, 0.02, est(0.900, 0.898, 0.902, n=100_000)).verdict == V.CONSISTENT


def test_inconclusive_names_the_test_set_that_would_decide():
    d = V.decide(0.84, 0.05, est(0.88, 0.80, 0.93, n=100))  # the 100-image example
    assert d.verdict == V.INCONCLUSIVE and d.gap[0] <= 0 <= d.gap[1]
    assert d.n_to_decide and d.n_to_decide > 100 and f"{d.n_to_decide:,} images" in d.detail
    wide_seeds = V.decide(0.84, 0.05, est(0.88, 0.70, 1.0), seed_spread=0.05)
    assert wide_seeds.verdict == V.INCONCLUSIVE and wide_seeds.n_to_decide is None and "seeds" in wide_seeds.detail


def test_not_reproduced_only_when_every_allowed_difference_reaches_the_tolerance():
    d = V.decide(0.95, 0.05, est(0.85, 0.80, 0.88))  # G = [-0.155, -0.065]
    assert d.verdict == V.NOT_REPRODUCED and d.gap[1] <= -0.05 and "below" in d.detail
    # apart from the published value, but the gap may still be below the tolerance: inconclusive
    near = V.decide(0.95, 0.05, est(0.88, 0.80, 0.93))  # G = [-0.155, -0.015]
    assert near.verdict == V.INCONCLUSIVE and near.gap[1] < 0


def test_inconsistent_unfaithful_and_not_run_come_first():
    e = est(0.9, 0.85, 0.95)
    assert V.decide(0.9, 0.05, e, inconsistent=True).verdict == V.INCONSISTENT
    assert V.decide(0.9, 0.05, e, faithful=False).verdict == V.NOT_FAITHFUL
    assert V.decide(0.9, 0.05, None).verdict == V.NOT_RUN


def test_published_interval_is_the_printed_rounding():
    assert V.published_interval(0.93) == pytest.approx((0.925, 0.935))
    assert V.published_interval(0.9942) == pytest.approx((0.99415, 0.99425))


def test_intervals_wilson_for_proportions_bootstrap_otherwise_and_seeded():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.where(rng.random(200) < 0.8, y, 1 - y)
    a = V.intervals(["accuracy", "recall", "f1", "macro_f1"], y, p, ["n", "p"], positive=1)
    b = V.intervals(["accuracy", "recall", "f1", "macro_f1"], y, p, ["n", "p"], positive=1)
    assert a == b  # same predictions, same intervals
    assert a["accuracy"].method == "wilson" and a["recall"].method == "wilson"
    assert a["f1"].method == "bootstrap" and a["macro_f1"].method == "bootstrap"
    k = int((y == p).sum())
    from scipy.stats import binomtest

    ci = binomtest(k, 200).proportion_ci(0.95, method="wilson")
    assert a["accuracy"].lo == pytest.approx(ci.low) and a["accuracy"].hi == pytest.approx(ci.high)
    for e in a.values():
        assert e.lo <= e.value <= e.hi


def test_over_seeds_is_a_prediction_interval_for_one_more_run():
    from scipy.stats import t

    runs = [V.Estimate(v, v - 0.02, v + 0.02, 0.01, "wilson", 100) for v in (0.50, 0.54, 0.58)]
    e = V.over_seeds(runs)
    assert e.value == pytest.approx(0.54)
    want = t.ppf(0.975, 2) * math.sqrt(0.01 ** 2 + 0.04 ** 2 * (1 + 1 / 3))
    assert e.hi - e.value == pytest.approx(want) and e.value - e.lo == pytest.approx(want)
    high = V.over_seeds([V.Estimate(v, v, v, 0.01, "wilson", 100) for v in (0.97, 0.99)])
    assert high.hi == 1.0  # clipped: a proportion
    assert V.over_seeds([V.Estimate(v, v, v, 0.01, "bootstrap", 100) for v in (0.97, 0.99)], bounded=False).hi > 1


def _res(experiment="lstm", variant=None, per_class_limit=500, **prov):
    """What ``departures`` reads of a run: its provenance (typed) and a few config fields."""
    from types import SimpleNamespace as NS

    from lungxray.results.types import CountMismatch, Provenance

    base = {"seed": 0, "split_seed": 0, "weights": "not applicable", "weights_description": "",
            "dataset": "covid19-radiography", "data_root": "", "epochs_requested": 15}
    prov = {**base, **prov}
    prov["count_mismatches"] = [CountMismatch(**{"scope": "all", **m}) for m in prov.get("count_mismatches", [])]
    return NS(experiment=experiment, smoke=False, variant=variant or {}, provenance=Provenance(**prov),
              config=NS(per_class_limit=per_class_limit, image=NS(size=224)))


def test_departures_by_component_decide_faithfulness():
    st = load_studies()["uly2023"]
    mism = [{"label": "COVID", "found": 600, "expected": 3616}, {"label": "Normal", "found": 600, "expected": 10192}]
    deps = departures(_res(count_mismatches=mism, image_sizes=[[224, 224]]), st)
    assert {d.severity for d in deps} == {"minor"} and is_faithful(deps)  # the LSTM: no pretrained part
    assert any("299x299" in d.text for d in deps)
    small = departures(_res(count_mismatches=mism, image_sizes=[[64, 64]]), st)
    assert not is_faithful(small) and any(d.severity == "major" and "downscaled" in d.text for d in small)
    few = departures(_res(count_mismatches=[{"label": "COVID", "found": 300, "expected": 3616}]), st)
    assert not is_faithful(few)
    w = departures(_res(weights="none", experiment="resnet50_lstm"), st)
    assert w[0].severity == "critical" and w[0].kind == "weights"
    assert not is_faithful(departures(_res(epochs_requested=2), st))


def test_degenerate_models_are_flagged():
    assert degenerate([[50, 0], [50, 0]], None).classes_predicted == 1
    assert "ln(2)" in degenerate([[30, 20], [20, 30]], {"loss": [0.6931, 0.6932]}).banner
    assert degenerate([[40, 10], [5, 45]], {"loss": [0.6, 0.4]}) is None


def _agg(tmp, name, verdict, lo, hi):
    import json

    d = tmp / name
    d.mkdir()
    row = {"key": "accuracy", "label": "Accuracy", "definition": "", "source": "T", "published": 0.84,
           "published_interval": [0.835, 0.845], "tolerance": 0.05, "expectation": "reproduces", "reason": "",
           "mean": (lo + hi) / 2, "std": 0.0, "gap_interval": None, "n_to_decide": None, "informational": False,
           "verdict": verdict, "detail": "",
           "interval": {"value": (lo + hi) / 2, "lo": lo, "hi": hi, "se": 0.0, "method": "seeds", "n": 100}}
    (d / "aggregate.json").write_text(json.dumps({
        "schema": "lungxray.aggregate/3", "study": "s", "experiment": "e", "n_runs": 3, "seeds": [1, 2, 3],
        "split_seed": 1, "split_seeds": [1, 1, 1], "faithful": True, "departures": [], "runs": [], "metrics": {},
        "comparison": [row]}))
    return d


def test_a_shorter_rerun_may_widen_but_not_contradict_the_committed_verdict(tmp_path):
    from lungxray.cli.check import compare_verdicts

    ref = _agg(tmp_path, "ref", V.CONSISTENT, 0.83, 0.87)
    assert not compare_verdicts(_agg(tmp_path, "a", V.INCONCLUSIVE, 0.75, 0.95), ref).failures
    assert not compare_verdicts(_agg(tmp_path, "b", V.CONSISTENT, 0.82, 0.86), ref).failures
    bad = compare_verdicts(_agg(tmp_path, "c", V.NOT_REPRODUCED, 0.60, 0.70), ref)
    assert bad.failures and "not reproduced" in bad.failures[0]


def test_a_metric_with_no_test_images_is_not_run_not_zero():
    y, p = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    e = V.intervals(["recall[c]", "precision[c]"], y, p, ["a", "b", "c"])
    assert math.isnan(e["recall[c]"].value) and V.decide(0.9, 0.05, e["recall[c]"]).verdict == V.NOT_RUN


def test_stale_variants_are_a_departure_not_a_crash():
    st = load_studies()["uly2023"]
    deps = departures(_res(variant={"no_such_variant": "x", "subset": "first"}), st)
    assert any(d.severity == "major" and "no_such_variant=x" in d.text for d in deps)


def test_a_release_whose_images_vary_in_size_is_not_a_departure():
    st = load_studies()["hanif2025"]
    res = _res(experiment="resnet18", per_class_limit=None, dataset="chest-ctscan",
               image_sizes=[[100, 80], [800, 577]], image_min_side=80)
    assert not any(d.kind == "data" for d in departures(res, st))
