"""Unit tests for lungxray.audit.forensics on small hand-made cases (no TensorFlow)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from lungxray.audit import forensics as fx

COVID = {"COVID": 3616, "Lung_Opacity": 6012, "Normal": 10192, "Viral Pneumonia": 1345}
PAPER_TRAIN = {"COVID": 2379, "Lung_Opacity": 3825, "Normal": 6509, "Viral Pneumonia": 832}
PAPER_TEST = {"COVID": 694, "Lung_Opacity": 1188, "Normal": 2075, "Viral Pneumonia": 276}
MODEL_A_ROWS = {"COVID": 694, "Lung_Opacity": 1225, "Normal": 2041, "Viral Pneumonia": 273}


def _labels(counts: dict[str, int], order) -> np.ndarray:
    names = list(counts)
    return np.concatenate([np.full(counts[c], names.index(c)) for c in order])


def _bc(a, k):
    return np.bincount(a, minlength=k)


# ----------------------------------------------------------------------------- splits


@pytest.fixture(scope="module")
def covid_recovery():
    seeds = tuple(range(110, 130)) + (2020,)
    return fx.recover_split(COVID, {
        "train": ("train", PAPER_TRAIN),
        "test": ("test", PAPER_TEST),
        "model A rows": ("test", MODEL_A_ROWS),
    }, seeds=seeds)


def test_known_covid_split_is_recovered(covid_recovery):
    train = covid_recovery["train"]
    assert len(train.matches) == 1
    m = train.matches[0]
    assert m.seeds == (123,)
    assert m.scheme == fx.Scheme("val_from_train", 0.2, 0.2, False)
    assert m.class_order == tuple(COVID)
    assert m.parts["test"] == PAPER_TEST
    # the validation counts the paper does not print, checked against sklearn itself
    y = _labels(COVID, COVID)
    trv, _ = train_test_split(y, test_size=0.2, random_state=123)
    tr, val = train_test_split(trv, test_size=0.2, random_state=123)
    assert list(m.parts["val"].values()) == list(_bc(val, 4))
    assert list(m.parts["train"].values()) == list(_bc(tr, 4))
    assert train.n_tried == 24 * 21 * 80
    assert train.expected_chance_matches is not None and train.expected_chance_matches < 0.01
    json.dumps(covid_recovery.to_dict())
    assert "random_state=123" in train.summary()


def test_model_a_rows_are_reported(covid_recovery):
    rec = covid_recovery["model A rows"]
    assert rec.n_tried > 0
    # whatever is found must really reproduce the rows
    for m in rec.matches:
        assert m.parts["test"] == MODEL_A_ROWS
    assert any(m.seeds == (123,) and m.scheme.test_size == 0.2 for m in rec.matches)


def test_no_solution_is_empty():
    counts = {"a": 30, "b": 50, "c": 20}
    rec = fx.recover_split(counts, {"x": ("test", {"a": 20, "b": 0, "c": 0})}, seeds=range(20))
    assert rec["x"].matches == ()
    assert rec["x"].n_matching_configs == 0
    assert "no solution" in rec["x"].summary()
    with pytest.raises(ValueError):
        fx.recover_split(counts, {"x": ("nope", {"a": 1})}, seeds=[0])


@pytest.mark.parametrize("scheme", [
    fx.Scheme("one_stage", 0.25),
    fx.Scheme("val_from_train", 0.2, 0.15),
    fx.Scheme("holdout_halves", 0.3, 0.5, False, True),
    fx.Scheme("holdout_halves", 0.3, 0.5, False, False),
    fx.Scheme("one_stage", 0.2, None, True),
    fx.Scheme("val_from_train", 0.2, 0.25, True),
    fx.Scheme("holdout_halves", 0.3, 0.5, True, True),
])
def test_shortcuts_equal_train_test_split(scheme):
    """The permutation/segment shortcut and the stratified path equal sklearn itself."""
    counts = {"a": 37, "b": 61, "c": 37, "d": 15}  # a == c: ties for stratified rounding
    names = list(counts)
    for order in [("a", "b", "c", "d"), ("d", "c", "a", "b")]:
        y = _labels(counts, order)
        for seed in (0, 1, 7, 42):
            strat = (lambda v: v) if scheme.stratified else (lambda v: None)
            a, b = train_test_split(y, test_size=scheme.test_size, random_state=seed,
                                    stratify=strat(y))
            if scheme.kind == "one_stage":
                want = {"train": a, "val": a[:0], "test": b}
            elif scheme.kind == "val_from_train":
                tr, val = train_test_split(a, test_size=scheme.val_size, random_state=seed,
                                           stratify=strat(a))
                want = {"train": tr, "val": val, "test": b}
            else:
                h1, h2 = train_test_split(b, test_size=scheme.val_size, random_state=seed,
                                          stratify=strat(b))
                v, t = (h1, h2) if scheme.val_first else (h2, h1)
                want = {"train": a, "val": v, "test": t}
            target = {c: int(_bc(want["train"], 4)[names.index(c)]) for c in names}
            rec = fx.recover_split(counts, {"t": ("train", target)}, class_orders=[order],
                                   seeds=[seed], schemes=[scheme])
            # stratified counts ignore positions: label values are sorted like the order
            # only when labels are int-encoded in that order, as _labels does for `names`
            if scheme.stratified and order != tuple(names):
                continue
            assert len(rec["t"].matches) == 1, (order, seed)
            parts = rec["t"].matches[0].parts
            for p in ("train", "val", "test"):
                assert list(parts[p].values()) == list(_bc(want[p], 4)), (order, seed, p)


def test_stratified_depends_on_label_order_only():
    counts = {"a": 7, "b": 7, "c": 7}
    scheme = fx.Scheme("one_stage", 0.2, None, True)
    seen = set()
    for seed in range(30):
        y = np.repeat(np.arange(3), 7)
        _, te = train_test_split(y, test_size=0.2, random_state=seed, stratify=y)
        seen.add(tuple(_bc(te, 3)))
        target = dict(zip(counts, map(int, _bc(te, 3)), strict=True))
        rec = fx.recover_split(counts, {"t": ("test", target)}, class_orders=[("a", "b", "c")],
                               seeds=[seed], schemes=[scheme])
        assert rec["t"].matches, seed
    assert len(seen) > 1  # the tie really is broken by the seed


def test_default_schemes_are_explicit():
    kinds = {s.kind for s in fx.DEFAULT_SCHEMES}
    assert kinds == {"one_stage", "val_from_train", "holdout_halves"}
    assert len(fx.DEFAULT_SCHEMES) == 80
    assert {0.1, 0.15, 0.2, 0.25, 0.3} <= {s.test_size for s in fx.DEFAULT_SCHEMES}
    assert 42 in fx.DEFAULT_SEEDS and 12345 in fx.DEFAULT_SEEDS
    assert len(fx.make_schemes([0.2], [0.2], stratified=[False])) == 1 + 1 + 2


# ------------------------------------------------------------------------ denominators


def test_denominators_percent_and_fraction():
    assert fx.denominators(95.58, 2, range(1, 200), scale=100) == [113, 181]
    assert pytest.approx(95.575, abs=0.001) == 108 / 113 * 100
    assert fx.denominators("0.9558", 4, range(1, 200)) == [113, 181]
    # 0.125 prints as 0.12 only half-even, as 0.13 only half-up
    assert 8 in fx.denominators(0.12, 2, [8], rounding="half_even")
    assert fx.denominators(0.12, 2, [8], rounding="half_up") == []
    assert fx.denominators(0.13, 2, [8], rounding="half_up") == [8]
    assert fx.denominators(0.5, 1, range(1, 6)) == [2, 4]  # 2/5 -> 0.4, 3/5 -> 0.6
    assert fx.denominators(1.5, 1, range(1, 50)) == []  # above 1: no solution


def test_common_denominators_and_impossible_on():
    rates = [0.25, 0.75, 0.5]
    assert fx.common_denominators(rates, 2, range(1, 9)) == [4, 8]
    chk = fx.impossible_on(["0.3333", "0.5", "0.1"], 4, 12)
    assert chk.impossible == ("0.1",)
    assert chk.witnesses[0] == (4,)
    assert "0.1" in chk.summary()
    json.dumps(chk.to_dict())
    assert fx.impossible_on([0.5], 2, 4).impossible == ()


# ------------------------------------------------------------------------ batch sizes


def _batch_log(n, b, epochs, seed):
    rng = np.random.default_rng(seed)
    sizes = [b] * (n // b) + ([n % b] if n % b else [])
    return [f"{np.mean([rng.integers(s // 2, s + 1) / s for s in sizes]):.4f}"
            for _ in range(epochs)]


def test_batch_size_is_recovered():
    vals = _batch_log(72, 16, 8, seed=0)
    inf = fx.batch_sizes(vals, 4, 72)
    assert 16 in inf.consistent
    assert 7 not in inf.consistent and 17 not in inf.consistent
    assert len(inf.consistent) < 10
    assert not inf.image_level_all
    assert all(16 not in f for f in inf.failing)
    json.dumps(inf.to_dict())
    assert "16" in inf.summary()


def test_batch_size_no_solution():
    assert fx.batch_sizes(["1.0001"], 4, 72).consistent == ()
    # each value is attainable for some batch size, but no size explains both
    a, b = _batch_log(72, 16, 1, seed=3)[0], _batch_log(72, 5, 1, seed=4)[0]
    one, two = fx.batch_sizes([a], 4, 72), fx.batch_sizes([b], 4, 72)
    both = fx.batch_sizes([a, b], 4, 72, candidates=[5, 16])
    assert 16 in one.consistent and 5 in two.consistent
    assert both.consistent == ()


def test_batch_size_image_level_reading():
    inf = fx.batch_sizes(["0.7500", "0.5000"], 4, 72, candidates=[72])
    assert inf.image_level_all and inf.consistent == (72,)


# ------------------------------------------------------------------------ confusion


def _ovr(cm, names):
    cm = np.asarray(cm)
    n = int(cm.sum())
    out = {}
    for i, c in enumerate(names):
        tp = int(cm[i, i])
        fn, fp = int(cm[i].sum()) - tp, int(cm[:, i].sum()) - tp
        out[c] = {"TP": tp, "FP": fp, "FN": fn, "TN": n - tp - fp - fn}
    return out


CM3 = ((50, 3, 2), (4, 40, 6), (1, 5, 30))


def test_confusion_reconstruction_contains_original():
    rec = fx.confusion_from_ovr(_ovr(CM3, "abc"))
    assert CM3 in rec.solutions
    assert rec.complete and rec.n_solutions == len(rec.solutions) == 4
    for s in rec.solutions:
        assert _ovr(s, "abc") == _ovr(CM3, "abc")
    json.dumps(rec.to_dict())
    chk = fx.check_statements(rec, [
        ("b never predicted as a", lambda m: m[1][0] == 0),
        ("diagonal is 50/40/30", lambda m: (m[0][0], m[1][1], m[2][2]) == (50, 40, 30)),
        fx.Statement("a->b at least 3", lambda m: m[0][1] >= 3),
    ])
    assert [chk.verdict(i) for i in range(3)][1] == "all"
    assert chk.verdict(0) in ("some", "none")
    assert chk.verdict(2) == "some"


def test_confusion_missing_entries_and_cap():
    t = _ovr(CM3, "abc")
    t["b"]["TN"] = None
    t["c"]["TP"] = None
    rec = fx.confusion_from_ovr(t, max_solutions=2)
    assert rec.n_solutions == 4 and len(rec.solutions) == 2 and rec.capped
    assert all(s in fx.confusion_from_ovr(_ovr(CM3, "abc")).solutions for s in rec.solutions)


def test_confusion_contradiction_has_no_solution():
    t = _ovr(CM3, "abc")
    t["a"]["TN"] += 1
    rec = fx.confusion_from_ovr(t)
    assert rec.solutions == () and rec.inconsistencies
    t = _ovr(CM3, "abc")
    t["a"]["FP"] += 1
    t["a"]["TN"] -= 1  # totals agree, but sum FP != sum FN
    assert fx.confusion_from_ovr(t).solutions == ()
    assert "no confusion matrix" in fx.confusion_from_ovr(t).summary()


# ------------------------------------------------------------------------ prevalence


def test_implied_prevalence_contains_truth_and_flags_far_share():
    tp, fn, fp, tn = 80, 20, 30, 270
    n = tp + fn + fp + tn
    a, p, r = (tp + tn) / n, tp / (tp + fp), tp / (tp + fn)
    iv = fx.implied_prevalence(round(a, 3), round(p, 3), round(r, 3), 3)
    assert iv.contains(0.25) and iv.hi - iv.lo < 0.01
    assert fx.compare_prevalence(iv, 0.25).inside
    far = fx.compare_prevalence(iv, 0.5)
    assert not far.inside and far.distance > 0.2
    assert "INCONSISTENT" in far.summary()
    pct = fx.implied_prevalence(round(a * 100, 1), round(p * 100, 1), round(r * 100, 1), 1,
                                scale=100)
    assert pct.contains(0.25)
    json.dumps(iv.to_dict())


def test_prevalence_search_macro_and_binary():
    tp, fn, fp, tn = 80, 20, 30, 270
    n = 400
    a = (tp + tn) / n
    pm = (tp / (tp + fp) + tn / (tn + fn)) / 2
    rm = (tp / (tp + fn) + tn / (tn + fp)) / 2
    s = fx.prevalence_search(round(a, 3), round(pm, 3), round(rm, 3), 3, n)
    assert any(e == (100, 80, 270) for e in s.examples)
    assert s.share.contains(0.25)
    b = fx.prevalence_search(round(a, 3), round(tp / 110, 3), round(0.8, 3), 3, n,
                             average="binary")
    assert b.p_range == (100, 100)
    none = fx.prevalence_search(0.99, 0.5, 0.5, 2, 50)
    assert none.p_range is None and "no integer solution" in none.summary()


def test_batch_sizes_with_a_known_total_pin_the_split_over_batches():
    # n=10, b=4: batches 4, 4, 2; 5 correct with c in the last batch: c=0 -> 0.417, c=1 -> 0.5, c=2 -> 0.583
    for v in ("0.42", "0.50", "0.58"):
        assert fx.batch_sizes([v], 2, 10, candidates=[4], totals=[5]).consistent == (4,)
    assert fx.batch_sizes(["0.33"], 2, 10, candidates=[4], totals=[5]).consistent == ()
    assert fx.batch_sizes(["0.33"], 2, 10, candidates=[4]).consistent == (4,)  # without the total it can
    # drop_last: 8 images scored, 5 correct of 10 -> 3, 4 or 5 of 8
    assert fx.batch_sizes(["0.50"], 2, 10, candidates=[4], totals=[5], drop_last=True).consistent == (4,)
    assert fx.batch_sizes(["0.90"], 2, 10, candidates=[4], totals=[5], drop_last=True).consistent == ()


def test_any_rounding_accepts_both_exact_ties_as_float_formatting_does():
    assert f"{151 / 160:.4f}" == "0.9437"  # 0.94375 exactly; the float lies just below the tie
    assert fx.impossible_on(["0.9437"], 4, 160).impossible == ()
    assert fx.impossible_on(["0.9437"], 4, 160, rounding="half_even").impossible == ("0.9437",)
    assert fx.impossible_on(["0.9438"], 4, 160).impossible == ()


def test_scores_on_testset_always_contains_the_matrix_that_made_the_scores():
    """Simulation: random binary confusion matrices, their scores rounded to 2-4 decimals; the enumeration must
    find the true matrix every time (no false 'inconsistent'), and report few matrices when 4 scores are given."""
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    rng = np.random.default_rng(0)
    for _ in range(60):
        p, n = (int(x) for x in rng.integers(5, 120, size=2))
        tp, tn = int(rng.integers(1, p + 1)), int(rng.integers(1, n + 1))
        y = np.r_[np.ones(p), np.zeros(n)]
        yhat = np.r_[np.ones(tp), np.zeros(p - tp), np.zeros(tn), np.ones(n - tn)]
        d = int(rng.integers(2, 5))
        scores = {"accuracy": accuracy_score(y, yhat), "precision": precision_score(y, yhat),
                  "recall": recall_score(y, yhat), "f1": f1_score(y, yhat)}
        printed = {k: round(v, d) for k, v in scores.items()}
        res = fx.scores_on_testset(printed, d, p, n, max_examples=10_000)
        assert (tp, p - tp, n - tn, tn) in res.examples, (p, n, tp, tn, printed)


def test_scores_on_testset_flags_scores_no_matrix_gives():
    # 50 + 50 images: accuracy 0.95 needs 95 correct; precision 0.60 and recall 0.98 cannot go with it
    assert fx.scores_on_testset({"accuracy": 0.95, "precision": 0.60, "recall": 0.98}, 2, 50, 50).n_solutions == 0
    assert fx.scores_on_testset({"accuracy": 0.95, "precision": 0.96, "recall": 0.94}, 2, 50, 50).n_solutions == 1
    with pytest.raises(ValueError, match="unknown scores"):
        fx.scores_on_testset({"auc": 0.9}, 2, 10, 10)
