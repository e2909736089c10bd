"""The forensic tools as audit records, on small hand-made evidence (each case can fail)."""

import json

from lungxray.audit.tools import (
    binary_claims,
    conditional_prevalence_claims,
    joint_batch_claims,
    ovr_claims,
    rate_claims,
    split_claims,
)
from lungxray.spec.study import (
    BinaryRates,
    OneVsRest,
    RateSeries,
    SplitCounts,
    SplitEvidence,
    Statement,
)


def _split_of(labels_order, counts, seed, test_size):
    """Per-class test counts of a one-stage non-stratified split of a class-ordered list (sklearn itself)."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    y = np.repeat(np.arange(len(counts)), [counts[c] for c in labels_order])
    _, te = train_test_split(y, test_size=test_size, random_state=seed)
    return {c: int((te == labels_order.index(c)).sum()) for c in counts}


def test_split_recovery_names_the_configuration_and_flags_different_test_sets():
    pop = {"a": 40, "b": 25, "c": 15}
    same = _split_of(["a", "b", "c"], pop, 7, 0.25)
    other = _split_of(["c", "b", "a"], pop, 7, 0.25)
    assert same != other
    ev = SplitEvidence(pop, (SplitCounts("T1", "test", same, ("m1",)), SplitCounts("T2", "test", other, ("m2",))),
                       test_sizes=(0.25,), val_sizes=(0.25,))
    claims = split_claims("toy", ev)
    crit = [c for c in claims if c.severity == "critical"]
    assert len(crit) == 1 and "different test sets" in crit[0].claim
    t1 = next(c for c in claims if c.source == "T1")
    assert "random_state=" in t1.claim and t1.evidence["n_tried"] > 0
    assert any(7 in m["seeds"] for m in t1.evidence["matches"])
    json.dumps([c.to_dict() for c in claims])


def test_split_recovery_says_no_solution():
    pop = {"a": 40, "b": 25}
    ev = SplitEvidence(pop, (SplitCounts("T", "test", {"a": 0, "b": 20}),), test_sizes=(0.25,), val_sizes=(0.25,))
    (c,) = split_claims("toy", ev)
    assert c.kind == "finding" and "no common split" in c.claim and not c.evidence["matches"]


def test_denominator_flags_rates_impossible_on_the_stated_set_and_names_n_div_batch():
    n, b = 1881, 32
    kept = n // b * b  # 1856: a generator with n // b steps
    rates = tuple(round(k / kept, 4) for k in (1747, 1822, 1835, 1840, 1842))
    (den, _bs) = rate_claims("toy", RateSeries("val acc", "T2", rates, 4, n, None))
    assert den.tool == "denominator" and not den.consistent
    assert f"{kept} (= {n} // 32 x 32" in den.explanation
    assert den.severity == "minor" and den.rule == "recovered-detail"  # a generator's steps, not an error
    odd = tuple(round(k / 1000, 4) for k in (947, 981, 989))  # counts over 1,000: no n // b * b near 1881 fits
    (bad, _) = rate_claims("toy", RateSeries("val acc", "T2", odd, 4, n, None))
    assert not bad.consistent and bad.severity == "major" and bad.rule == "contradiction"
    (ok, _) = rate_claims("toy", RateSeries("val acc", "T2", rates, 4, kept, None))
    assert ok.consistent


def test_batch_size_joint_inference_recovers_the_batch_size():
    def log(n, b, corrects):  # mean over batches of per-batch accuracy, short last batch kept
        sizes = [b] * (n // b) + ([n % b] if n % b else [])
        return round(sum(c / s for c, s in zip(corrects, sizes, strict=True)) / len(sizes), 4)

    a = [log(50, 16, (9, 10, 11, 1)), log(50, 16, (12, 13, 15, 2)), log(50, 16, (16, 15, 14, 1))]
    b = [log(37, 16, (3, 4, 4)), log(37, 16, (10, 12, 5)), log(37, 16, (14, 15, 5))]
    ss = [RateSeries("train", "log", tuple(a), 4, 50, True, "e"), RateSeries("test", "log", tuple(b), 4, 37, True, "e")]
    (joint,) = joint_batch_claims("toy", ss)
    assert 16 in joint.evidence["consistent_with_all"]
    assert len(joint.evidence["consistent_with_all"]) < 100  # the logs exclude most sizes


def test_confusion_reconstruction_checks_the_texts_statements():
    cm = ((5, 1, 0), (2, 6, 0), (0, 0, 7))
    k = len(cm)
    tp = tuple(cm[i][i] for i in range(k))
    fn = tuple(sum(cm[i]) - cm[i][i] for i in range(k))
    fp = tuple(sum(cm[r][i] for r in range(k)) - cm[i][i] for i in range(k))
    n = sum(map(sum, cm))
    tn = tuple(n - tp[i] - fn[i] - fp[i] for i in range(k))
    st = (Statement("class c is never confused", lambda m: sum(m[2]) == m[2][2] and sum(r[2] for r in m) == m[2][2]),
          Statement("three errors in all", lambda m: sum(map(sum, m)) - sum(m[i][i] for i in range(3)) == 3),
          Statement("b is mistaken for a twice", lambda m: m[1][0] == 2),
          Statement("four errors in all", lambda m: sum(map(sum, m)) - sum(m[i][i] for i in range(3)) == 4))
    claims = ovr_claims("toy", OneVsRest("T3", "T3", ("a", "b", "c"), tp, fp, fn, tn, st))
    by = {c.claim: c for c in claims}
    assert by["class c is never confused"].consistent
    assert by["three errors in all"].consistent
    assert by["b is mistaken for a twice"].consistent
    assert not by["four errors in all"].consistent
    bad = OneVsRest("T4", "T4", ("a", "b"), (5, 6), (1, 1), (1, 1), (6, 9))  # totals 13 vs 17
    (c,) = ovr_claims("toy", bad)
    assert not c.consistent and c.tool == "confusion-reconstruction"


def test_implied_prevalence_flags_a_share_the_numbers_cannot_have():
    # 40 positives of 100: TP 36, FN 4, FP 6, TN 54 -> A 0.90, P 0.857, R 0.90
    (ok,) = binary_claims("toy", BinaryRates("m", "T", 0.90, 0.86, 0.90, 2, 0.40, 100))
    assert ok.consistent and "binary" in json.dumps(ok.to_dict())
    (bad,) = binary_claims("toy", BinaryRates("m", "T", 0.90, 0.86, 0.90, 2, 0.70))
    assert not bad.consistent and bad.severity == "major"


def test_conditional_prevalence_is_one_finding_with_the_overlap():
    # both triples from one test set of 38 positives in 100: A 0.90 P 0.86 R 0.89 / A 0.92 P 0.89 R 0.89 (approx)
    a = BinaryRates("m1", "R", 0.90, 0.86, 0.89, 2, 0.60, described_if="if all data was used")
    b = BinaryRates("m2", "R", 0.92, 0.89, 0.89, 2, 0.60, described_if="if all data was used")
    (rec,) = conditional_prevalence_claims("toy", [a, b])
    assert rec.kind == "finding" and rec.severity == "minor" and rec.inference
    lo, hi = rec.evidence["overlap"]
    assert lo <= 0.40 <= hi
    assert rec.evidence["ruled_out"] == {"0.6000 (the described data)": True, "0.5 (a balanced test set)": True}
    far = BinaryRates("m3", "R", 0.90, 0.50, 0.90, 2, 0.60, described_if="if all data was used")  # share ~0.1
    (rec2,) = conditional_prevalence_claims("toy", [a, far])
    assert rec2.evidence["overlap"] is None and "do not overlap" in rec2.claim
    assert conditional_prevalence_claims("toy", []) == []
