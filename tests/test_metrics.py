import numpy as np
import pytest

from lungxray.judge import metrics as M

CLASSES = ("Normal", "Pneumonia", "Cardiomegaly", "Pneumothorax")


def test_hand_computed_binary():
    # 4 TP, 1 FN, 2 FP, 3 TN with positive class 1
    y_true = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    y_pred = [1, 1, 1, 1, 0, 1, 1, 0, 0, 0]
    m = M.compute(y_true, y_pred, ("neg", "pos"), positive=1)
    assert m["accuracy"] == pytest.approx(7 / 10)
    assert m["precision"] == pytest.approx(4 / 6)
    assert m["recall"] == pytest.approx(4 / 5)
    assert m["f1"] == pytest.approx(2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5))
    assert m["specificity"] == pytest.approx(3 / 5)


def test_mean_one_vs_rest_accuracy_differs_from_accuracy():
    cm = [[8, 2, 0], [1, 9, 0], [0, 5, 5]]
    m = M.from_confusion(cm, ("a", "b", "c"))
    assert m["accuracy"] == pytest.approx(22 / 30)
    # per class (TP+TN)/N computed by hand
    assert m["ovr_accuracy[a]"] == pytest.approx((8 + (9 + 0 + 5 + 5)) / 30)
    assert m["ovr_accuracy[b]"] == pytest.approx((9 + (8 + 0 + 0 + 5)) / 30)
    assert m["ovr_accuracy[c]"] == pytest.approx((5 + (8 + 2 + 1 + 9)) / 30)
    assert m["mean_ovr_accuracy"] > m["accuracy"]


def test_ovr_counts_and_label_expansion():
    cm = np.array([[3, 1], [2, 4]])
    c = M.ovr_counts(cm)
    assert c["TP"].tolist() == [3, 4] and c["FP"].tolist() == [2, 1] and c["FN"].tolist() == [1, 2]
    t, p = M.labels_from_confusion(cm)
    assert M.confusion(t, p, 2).tolist() == cm.tolist()


def test_syakuroh_table4_follows_from_table3_counts():
    # Table 3 TP/FP/FN: per-class precision and recall of Table 4 and the paper's 99.42% "accuracy"
    from reproductions import syakuroh2025 as S

    tp, fp, fn, _tn = (np.array([S.TABLE3_OVR[c][i] for c in S.CLASSES]) for i in range(4))
    n = S.TEST_IMAGES
    prec, rec = tp / (tp + fp), tp / (tp + fn)
    assert np.round(prec, 4).tolist() == [S.TABLE4[c][0] for c in S.CLASSES]
    assert np.round(rec, 4).tolist() == [S.TABLE4[c][1] for c in S.CLASSES]
    ovr = (n - fp - fn) / n
    assert round(ovr.mean(), 4) == S.ABSTRACT["accuracy"]  # the abstract's "accuracy" is this mean
    assert round(tp.sum() / n, 4) == 0.9883  # the standard accuracy: not what the abstract prints


def test_describe_labels_every_key():
    m = M.compute([0, 1, 2, 3], [0, 1, 2, 2], CLASSES)
    for k in m:
        assert M.describe(k)
    assert "one-vs-rest" in M.describe("mean_ovr_accuracy")
