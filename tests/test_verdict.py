"""The verdict rule and faithfulness by component, on hand-made cases (lungxray.judge.verdict, lungxray.judge.faithful)."""

import math

import numpy as np
import pytest
from scipy.stats import t as student

from lungxray.judge import variance as VM
from lungxray.judge import verdict as V
from lungxray.judge.faithful import degenerate, departures, is_faithful
from lungxray.results.types import Interval
from lungxray.spec.study import load_studies


def _reach(published, tolerance, images, design=VM.RESPLIT):
    return V.reach_of(published, tolerance, "accuracy", images, design)


def test_consistent_when_the_90_percent_interval_lies_within_the_tolerance():
    d = V.decide(0.90, 0.02, V.Basis(VM.RESPLIT, 10, 0.905, 0.004, 0.00009, 10_000), _reach(0.90, 0.02, 10_000))
    assert d.verdict == V.CONSISTENT and -0.02 < d.gap[0] < d.gap[1] < 0.02 and not d.direction
    # by hand: V = s^2/K + max(s^2 - v, 0) + v_pub, q = t(0.95, Satterthwaite df), D = d -+ (q sqrt(V) + r)
    v_pub = VM.paper_variance(0.90, 10_000)
    total = 0.004 ** 2 / 10 + 0 + v_pub  # s^2 = 0.000016 is below v: no training variance beyond the test noise
    df = total ** 2 * 9 / (0.004 ** 2 / 10) ** 2  # Welch-Satterthwaite: only s^2/K is estimated (9 df)
    q = student.ppf(0.95, df)
    assert d.gap[1] - d.gap[0] == pytest.approx(2 * (q * math.sqrt(total) + 0.005), rel=1e-9)


def test_not_reproduced_names_the_direction():
    d = V.decide(0.95, 0.02, V.Basis(VM.RESPLIT, 10, 0.85, 0.01, 0.0001, 10_000), _reach(0.95, 0.02, 10_000))
    assert d.verdict == V.NOT_REPRODUCED and d.gap[1] <= -0.02
    assert "lower" in d.direction and "zero excluded" in d.direction and d.difference == pytest.approx(-0.10)


def test_inconclusive_names_the_direction_and_the_test_set_that_would_decide():
    d = V.decide(0.90, 0.03, V.Basis(VM.RESPLIT, 3, 0.91, 0.0202, 0.00041, 200), _reach(0.90, 0.03, None))
    assert d.verdict == V.INCONCLUSIVE and d.gap[0] < 0 < d.gap[1] and "higher" in d.direction
    assert d.n_to_decide and d.n_to_decide > 200 and f"{d.n_to_decide:,} test images" in d.detail


def test_equivalence_untestable_below_the_papers_own_noise():
    """uly2023's 0.84 on 100 test images: 1.645 sd of the paper's own figure (0.037) plus its rounding exceed
    the tolerance 0.05, so no reproduction can be consistent; the verdict says so and names the direction."""
    reach = _reach(0.84, 0.05, 100)
    assert not reach.testable and reach.smallest_tolerance == pytest.approx(0.0672, abs=1e-3)
    d = V.decide(0.84, 0.05, V.Basis(VM.RESPLIT, 10, 0.901, 0.0223, 0.0009, 100), reach)
    assert d.verdict == V.NOT_SHOWN and "untestable" in d.detail and "higher" in d.direction
    assert d.n_to_decide is None and "no test-set size of ours decides" in d.detail
    far = V.decide(0.84, 0.05, V.Basis(VM.RESPLIT, 10, 0.99, 0.005, 0.0001, 100), reach)
    assert far.verdict == V.NOT_REPRODUCED  # a gap that matters can still be shown


def test_the_papers_own_test_images_cancel_its_noise():
    reach = _reach(0.84, 0.05, 100, VM.PAPER_IMAGES)
    assert reach.testable and reach.paper_variance == 0 and reach.smallest_tolerance == pytest.approx(0.005)


def test_an_unstated_test_set_size_is_said_not_counted():
    reach = _reach(0.925, 0.02, None)
    assert reach.paper_variance == 0 and "does not state its test-set size" in reach.note


def test_one_run_is_preliminary_and_a_log_value_of_one_run_is_not_judged():
    reach = _reach(0.84, 0.05, 100)
    one = V.decide(0.84, 0.05, V.Basis.of_run(VM.OWN_SPLIT, Interval(0.86, 0.78, 0.92, 0.035, "wilson", 100)), reach)
    assert one.preliminary and "preliminary" in one.detail
    log = V.decide(0.74, 0.05, V.Basis.of_run(VM.OWN_SPLIT, Interval(0.9, math.nan, math.nan, math.nan, "none", 0)),
                   reach)
    assert log.verdict == V.INCONCLUSIVE and "not judged" in log.detail


def test_inconsistent_unfaithful_and_not_run_come_first():
    b, reach = V.Basis(VM.RESPLIT, 10, 0.9, 0.01, 0.0009, 100), _reach(0.9, 0.05, 100)
    assert V.decide(0.9, 0.05, b, reach, inconsistent=True).verdict == V.INCONSISTENT
    unfaithful = V.decide(0.8, 0.05, b, reach, faithful=False)
    assert unfaithful.verdict == V.NOT_FAITHFUL and "higher" in unfaithful.direction  # the difference still shown
    assert V.decide(0.9, 0.05, None, reach).verdict == V.NOT_RUN


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


def test_bootstrap_drops_resamples_where_a_precision_is_undefined():
    """A rare class predicted once: resamples without that prediction have no precision; scoring them 0 (sklearn's
    zero_division=0) would pull the interval down, so they are dropped."""
    y = np.r_[np.zeros(95, int), np.ones(5, int)]
    p = np.r_[np.zeros(95, int), np.array([1, 0, 0, 0, 0])]
    e = V.intervals(["macro_precision"], y, p, ["a", "b"])
    assert e["macro_precision"].lo > 0.5  # with zeros kept, about 1/3 of resamples would sit near 0.5


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


def _agg(tmp, name, verdict, lo, hi, gap=None, design="resplit"):
    import json

    d = tmp / name
    d.mkdir()
    row = {"key": "accuracy", "label": "Accuracy", "definition": "", "source": "T", "published": 0.84,
           "published_interval": [0.835, 0.845], "tolerance": 0.05, "expectation": "reproduces", "reason": "",
           "mean": (lo + hi) / 2, "std": 0.0, "gap_interval": gap, "n_to_decide": None, "informational": False,
           "verdict": verdict, "detail": "",
           "interval": {"value": (lo + hi) / 2, "lo": lo, "hi": hi, "se": 0.0, "method": "seeds", "n": 100}}
    (d / "aggregate.json").write_text(json.dumps({
        "schema": "lungxray.aggregate/4", "study": "s", "experiment": "e", "n_runs": 3, "seeds": [1, 2, 3],
        "split_seed": 1, "split_seeds": [1, 1, 1], "faithful": True, "departures": [], "runs": [], "metrics": {},
        "comparison": [row], "design": design}))
    return d


def test_a_shorter_rerun_may_widen_but_not_contradict_the_committed_verdict(tmp_path):
    from lungxray.cli.check import compare_verdicts

    ref = _agg(tmp_path, "ref", V.CONSISTENT, 0.83, 0.87)
    assert not compare_verdicts(_agg(tmp_path, "a", V.INCONCLUSIVE, 0.75, 0.95), ref).failures
    assert not compare_verdicts(_agg(tmp_path, "b", V.CONSISTENT, 0.82, 0.86), ref).failures
    bad = compare_verdicts(_agg(tmp_path, "c", V.NOT_REPRODUCED, 0.60, 0.70), ref)
    assert bad.failures and "not reproduced" in bad.failures[0]
    # the uly2023 case: the committed set leans higher (not shown to differ); a 3-seed rerun is wider
    leaning = _agg(tmp_path, "lean", V.NOT_SHOWN, 0.85, 0.95, gap=(-0.007, 0.129))
    assert not compare_verdicts(_agg(tmp_path, "d", V.NOT_SHOWN, 0.75, 1.0, gap=(-0.05, 0.20)), leaning).failures
    above = _agg(tmp_path, "above", V.INCONCLUSIVE, 0.85, 0.95, gap=(0.01, 0.12))
    flipped = compare_verdicts(_agg(tmp_path, "e", V.INCONCLUSIVE, 0.70, 0.80, gap=(-0.12, -0.01)), above)
    assert flipped.failures and "other side of zero" in flipped.failures[0]
    other = compare_verdicts(_agg(tmp_path, "f", V.NOT_SHOWN, 0.75, 1.0, design="own fixed split"), leaning)
    assert other.failures and "design" in other.failures[0]


def test_a_metric_with_no_test_images_is_not_run_not_zero():
    y, p = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    e = V.intervals(["recall[c]", "precision[c]"], y, p, ["a", "b", "c"])
    basis = V.Basis.of_run(VM.OWN_SPLIT, e["recall[c]"])
    assert math.isnan(e["recall[c]"].value) and V.decide(0.9, 0.05, basis, _reach(0.9, 0.05, 100)).verdict == V.NOT_RUN


def test_stale_variants_are_a_departure_not_a_crash():
    st = load_studies()["uly2023"]
    deps = departures(_res(variant={"no_such_variant": "x", "subset": "first"}), st)
    assert any(d.severity == "major" and "no_such_variant=x" in d.text for d in deps)


def test_a_release_whose_images_vary_in_size_is_not_a_departure():
    st = load_studies()["hanif2025"]
    res = _res(experiment="resnet18", per_class_limit=None, dataset="chest-ctscan",
               image_sizes=[[100, 80], [800, 577]], image_min_side=80)
    assert not any(d.kind == "data" for d in departures(res, st))


def test_confusion_is_sklearn_s_confusion_matrix():
    """lungxray.judge.metrics.confusion counts pairs itself (the bootstrap calls it a thousand times); it must be
    sklearn's matrix, dtype included, for every class count and size."""
    from sklearn.metrics import confusion_matrix

    from lungxray.judge.metrics import confusion

    rng = np.random.default_rng(0)
    for n in (2, 3, 4, 15):
        for size in (1, 7, 100):
            y, p = rng.integers(0, n, size), rng.integers(0, n, size)
            ours, theirs = confusion(y, p, n), confusion_matrix(y, p, labels=list(range(n)))
            assert ours.dtype == theirs.dtype and (ours == theirs).all()
