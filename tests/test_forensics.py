"""Unit tests for lungxray.forensics on small hand-made cases (no TensorFlow)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from lungxray import forensics as fx

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
