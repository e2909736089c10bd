from collections import Counter

from lungxray.data.balancing import class_weights, replicate_ceil_counts, resample
from lungxray.data.layouts import Record
from reproductions.covid_balancing import TABLE_IV_BEFORE_SAMPLING, TABLE_V_AFTER_SAMPLING

TRAIN = TABLE_IV_BEFORE_SAMPLING["oversampling"]  # covid_balancing Table IV: the training set before sampling


def recs(counts):
    return [Record(f"{c}/{i}.png", c, "train") for c, n in counts.items() for i in range(n)]


def test_replicate_ceil_reproduces_table_v():
    assert replicate_ceil_counts(TRAIN) == TABLE_V_AFTER_SAMPLING["oversampling"][1]
    assert Counter(r.label for r in resample(recs(TRAIN), "replicate-ceil", 0)) == replicate_ceil_counts(TRAIN)


def test_imblearn_samplers_equalise():
    small = {"a": 30, "b": 10, "c": 20}
    under = Counter(r.label for r in resample(recs(small), "undersample", 0))
    over = Counter(r.label for r in resample(recs(small), "oversample", 0))
    assert set(under.values()) == {10} and set(over.values()) == {30}
    assert resample(recs(small), "undersample", 0) == resample(recs(small), "undersample", 0)


def test_balanced_class_weights():
    w = class_weights([0] * 30 + [1] * 10, 2)
    assert w[0] * 30 == w[1] * 10 and abs(w[0] - 40 / 60) < 1e-12
