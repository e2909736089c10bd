"""mlscorecheck (Fazekas & Kovács) as an independent oracle of the audit's consistency calls.

Where mlscorecheck's assumptions hold (scores of one test set whose composition the paper prints), it answers
the question the audit's ``score-set`` records answer: are these printed scores attainable together? The two
must agree on every score set of the five papers: syakuroh2025's Table 4 rows (one-vs-rest on Table 1's test
set), covid_balancing's Tables XIII-XV (each class one-vs-rest on its model's confusion-matrix rows),
uly2023's Table 6 (50 COVID + 50 Normal) and hanif2025's 82.22% (259/315 on the test folder, impossible on
the 72 valid images). cnn_vs_lstm prints no test-set composition, so mlscorecheck has nothing to check there.
One documented disagreement (syakuroh2025's accuracy definition) is tested as such: the audit is right.
"""

import pytest

from lungxray.audit import forensics as F
from lungxray.audit.runner import audit_study
from lungxray.spec.study import load_studies

mls_binary = pytest.importorskip("mlscorecheck.check.binary", reason="mlscorecheck is a test extra: "
                                 "pip install -e '.[test]'")
mls_multiclass = pytest.importorskip("mlscorecheck.check.multiclass")

MLS_NAMES = {"accuracy": "acc", "recall": "sens", "specificity": "spec", "precision": "ppv", "npv": "npv", "f1": "f1"}
STUDIES = load_studies()


def _eps(decimals: int) -> float:
    return 0.5 * 10 ** -decimals


def _score_sets():
    return [(sid, s) for sid, st in sorted(STUDIES.items()) for s in st.evidence.scores]


def test_every_published_score_set_is_checked():
    per_study = {sid: sum(1 for s, _ in _score_sets() if s == sid) for sid in STUDIES}
    assert per_study == {"syakuroh2025": 4, "covid_balancing": 12, "uly2023": 3, "hanif2025": 0, "cnn_vs_lstm": 0}


@pytest.mark.parametrize(("sid", "ev"), _score_sets(), ids=lambda x: getattr(x, "name", x))
def test_audit_and_mlscorecheck_agree_on_every_score_set(sid, ev):
    (rec,) = [c for c in audit_study(STUDIES[sid]) if c.tool == "score-set" and c.claim.startswith(ev.name + ":")]
    oracle = mls_binary.check_1_testset_no_kfold(
        testset={"p": ev.positives, "n": ev.negatives},
        scores={MLS_NAMES[k]: v for k, v in ev.scores.items()}, eps=_eps(ev.decimals))
    assert rec.consistent is (not oracle["inconsistency"]), (ev.name, rec.evidence, oracle["inconsistency"])


def test_hanif_82_22_is_259_of_the_315_test_images_and_no_count_of_the_72_valid_ones():
    """Standard accuracy is mlscorecheck's micro-averaged sensitivity (pooled TP over all images)."""
    recs = audit_study(STUDIES["hanif2025"])
    test = next(c for c in recs if c.claim.startswith("82.22% is a whole number of the 315 test images"))
    valid = next(c for c in recs if c.tool == "denominator" and "72 images" in c.claim)
    from reproductions import hanif2025 as H

    per_class = {split: list(H.get_dataset("chest-ctscan").expected_split_counts[split].values())
                 for split in ("test", "valid")}
    for rec, split in ((test, "test"), (valid, "valid")):
        oracle = mls_multiclass.check_1_testset_no_kfold_micro(
            testset=dict(enumerate(per_class[split])), scores={"sens": H.FINAL_ACCURACY}, eps=_eps(4))
        assert rec.consistent is (not oracle["inconsistency"]), split


def test_syakuroh_average_row_macro_scores_agree():
    """Table 4's 'Rata-rata' recall (macro) and accuracy (mean one-vs-rest) on Table 1's test set."""
    from reproductions import syakuroh2025 as S

    recs = audit_study(STUDIES["syakuroh2025"])
    audit_ok = all(c.consistent for c in recs if c.claim in (
        "mobilenetv2: macro recall = mean of per-class rows", "accuracy 99.42% = mean one-vs-rest accuracy"))
    oracle = mls_multiclass.check_1_testset_no_kfold_macro(
        testset={i: S.TABLE1_SPLIT[c][2] for i, c in enumerate(S.CLASSES)},
        scores={"acc": S.TABLE4["average"][3], "sens": S.TABLE4["average"][1]}, eps=_eps(4), verbosity=0)
    assert audit_ok and not oracle["inconsistency"]


def test_known_disagreement_the_accuracy_definition_where_the_audit_is_right():
    """0.9942 as both the mean one-vs-rest accuracy and the standard accuracy of one single-label model.

    mlscorecheck's micro-average check pools the one-vs-rest tables into one binary problem (p = N, n = 3N) and
    finds TP 1870, TN 5610: consistent. But single-label predictions make every error exactly one FP and one FN,
    so pooled TN = 3N - errors; with that constraint no error count gives both (the audit's record: 0.9942 is the
    mean one-vs-rest accuracy, the standard accuracy is 1859/1881 = 0.9883)."""
    from reproductions import syakuroh2025 as S

    n = S.TABLE1_SPLIT["total"][2]
    oracle = mls_multiclass.check_1_testset_no_kfold_micro(
        testset={i: S.TABLE1_SPLIT[c][2] for i, c in enumerate(S.CLASSES)},
        scores={"acc": 0.9942, "sens": 0.9942}, eps=_eps(4))
    assert not oracle["inconsistency"]  # mlscorecheck: consistent
    k = len(S.CLASSES)
    single_label = [e for e in range(n + 1)  # pooled accuracy 1 - 2e/(kN) and standard accuracy 1 - e/N
                    if F.impossible_on([0.9942], 4, k * n).witnesses[0].count(k * n - 2 * e)
                    and F.impossible_on([0.9942], 4, n).witnesses[0].count(n - e)]
    assert single_label == []  # no single-label model has both
    (rec,) = [c for c in audit_study(STUDIES["syakuroh2025"]) if c.claim.startswith("accuracy 99.42% as standard")]
    assert not rec.consistent
