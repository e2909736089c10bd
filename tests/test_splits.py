from dataclasses import replace

import pytest

from lungxray.data.layouts import Record
from lungxray.data.splits import (
    SplitConfig,
    make_split,
    manifest_hash,
    manifest_text,
    paper_order,
    read_manifest,
    split_counts,
)
from lungxray.errors import DataError

SYAKUROH = {"Normal": 3312, "Pneumonia": 3135, "Cardiomegaly": 2776, "Pneumothorax": 3316}


def records(counts):
    return [Record(f"{c}/{i}.png", c) for c, n in counts.items() for i in range(n)]


def test_two_stage_stratified_split_gives_the_papers_totals():
    recs = make_split(records(SYAKUROH), SplitConfig("stratified", 0.3, 0.5, "holdout"), seed=1)
    counts = split_counts(recs)
    assert [sum(counts[s].values()) for s in ("train", "val", "test")] == [8777, 1881, 1881]  # Table 1
    # per class within one image of the paper's Table 1 (rounding of the stratified allocation)
    for c, (tr, _va, _te) in {"Normal": (2318, 497, 497), "Pneumonia": (2195, 470, 470)}.items():
        assert abs(counts["train"][c] - tr) <= 1


def test_val_from_train_split_matches_covid_table_ii_totals():
    from reproductions.covid_balancing import TABLE_I_DATASET, TABLE_II_SPLIT

    recs = make_split(records(TABLE_I_DATASET), SplitConfig("stratified", 0.2, 0.2, "train"), seed=0)
    c = split_counts(recs)
    assert [sum(c[s].values()) for s in ("train", "val", "test")] == [
        TABLE_II_SPLIT[k] for k in ("train", "validation", "test")]


def test_split_is_seeded():
    recs = records({"a": 50, "b": 50})
    cfg = SplitConfig()
    assert manifest_hash(make_split(recs, cfg, 3)) == manifest_hash(make_split(recs, cfg, 3))
    assert manifest_hash(make_split(recs, cfg, 3)) != manifest_hash(make_split(recs, cfg, 4))


def test_grouped_split_keeps_patients_together():
    recs = [Record(f"{i}.png", "ab"[i % 2], None, str(i // 4)) for i in range(200)]
    out = make_split(recs, SplitConfig("grouped", 0.3, 0.5), seed=0)
    by_group = {}
    for r in out:
        by_group.setdefault(r.group, set()).add(r.split)
    assert all(len(s) == 1 for s in by_group.values())


def test_manifest_round_trip_and_missing_files(tmp_path):
    recs = make_split(records({"a": 10, "b": 10}), SplitConfig(), 0)
    for r in recs:
        (tmp_path / r.path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / r.path).write_bytes(b"x")
    m = tmp_path / "manifest.csv"
    m.write_text(manifest_text(recs))
    assert read_manifest(m, tmp_path, ("a", "b")) == recs
    (tmp_path / recs[0].path).unlink()
    with pytest.raises(DataError, match=recs[0].path):
        read_manifest(m, tmp_path)
    with pytest.raises(DataError, match="not in this study"):
        read_manifest(m, None, ("a",))


def test_non_stratified_split_with_fixed_random_state_follows_sklearn_on_the_ordered_list():
    from sklearn.model_selection import train_test_split

    counts = {"a": 40, "b": 70, "c": 25}
    recs = records(counts)
    cfg = SplitConfig("stratified", 0.2, 0.2, "train", stratify=False, random_state=7, class_order=("c", "a", "b"),
                      file_order="natural")
    out = make_split(list(reversed(recs)), cfg, seed=999)  # the run seed is ignored, the input order kept
    assert [r.path for r in out] == [r.path for r in reversed(recs)]
    ordered = [r for c in ("c", "a", "b") for r in recs if r.label == c]
    tr, te = train_test_split(list(range(len(ordered))), test_size=0.2, random_state=7)
    tr, va = train_test_split(tr, test_size=0.2, random_state=7)
    want = {ordered[i].path: s for part, s in ((tr, "train"), (va, "val"), (te, "test")) for i in part}
    assert {r.path: r.split for r in out} == want


def test_file_order_changes_which_files_not_how_many():
    recs = [Record(f"a/a-{i}.png", "a") for i in range(1, 31)] + [Record(f"b/b-{i}.png", "b") for i in range(1, 31)]
    base = SplitConfig("stratified", 0.3, 0.5, stratify=False, random_state=1, class_order=("a", "b"))
    lex = make_split(recs, replace(base, file_order="lexicographic"), 0)
    nat = make_split(recs, replace(base, file_order="natural"), 0)
    assert split_counts(lex) == split_counts(nat)
    assert {r.path: r.split for r in lex} != {r.path: r.split for r in nat}
    assert paper_order(recs, replace(base, file_order="lexicographic"))[:3] == [0, 9, 10]  # a-1, a-10, a-11


def test_class_order_must_name_every_class():
    with pytest.raises(DataError, match="lacks classes"):
        make_split(records({"a": 10, "b": 10}), SplitConfig(class_order=("a",)), 0)


def test_default_config_keeps_the_stratified_behaviour():
    recs = records({"a": 50, "b": 30})
    a = make_split(recs, SplitConfig(), 5)
    b = make_split(recs, SplitConfig(stratify=True, random_state=None, class_order=None, file_order="input"), 5)
    assert a == b
    assert all(abs(n - 12 * counts / 80) <= 1 for n, counts in zip(split_counts(a)["test"].values(), (50, 30), strict=True))
