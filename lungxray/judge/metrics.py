"""Confusion matrix -> metrics, with the standard definitions and each paper's own.

Everything is computed by scikit-learn from label arrays; a published confusion matrix is
expanded back into label arrays so the very same code scores published and reproduced
results.  Every metric key has a one-line definition in ``DEFINITIONS`` that reports show.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    log_loss,
    precision_recall_fscore_support,
)

DEFINITIONS: dict[str, str] = {
    "accuracy": "standard accuracy: correct predictions / all test images",
    "macro_precision": "unweighted mean over classes of per-class precision",
    "macro_recall": "unweighted mean over classes of per-class recall",
    "macro_f1": "unweighted mean over classes of per-class F1",
    "weighted_precision": "per-class precision weighted by class support",
    "weighted_recall": "per-class recall weighted by class support (= accuracy)",
    "weighted_f1": "per-class F1 weighted by class support",
    "mean_ovr_accuracy": "mean over classes of one-vs-rest accuracy (TP+TN)/N: NOT standard accuracy; "
    "inflated by the many true negatives of each one-vs-rest table",
    "precision": "precision of the positive class (binary)",
    "recall": "recall (sensitivity) of the positive class (binary)",
    "f1": "F1 of the positive class (binary)",
    "specificity": "recall of the negative class (binary)",
    "batch_mean_accuracy": "accuracy averaged over evaluation batches (unweighted), as a PyTorch loop that "
    "averages per-batch accuracies logs it; differs from accuracy when the last batch is smaller",
    "loss": "cross-entropy of the predicted probabilities on the test images (mean over images), the loss "
    "that Keras' model.evaluate reports for a softmax or sigmoid classifier",
}


# metric keys computed from predicted probabilities (by the runner's evaluation), not by ``compute``
FROM_PROBABILITIES = ("loss",)


def per_class_key(metric: str, cls: str) -> str:
    return f"{metric}[{cls}]"


def confusion(y_true: Sequence[int], y_pred: Sequence[int], n_classes: int) -> np.ndarray:
    """Rows = true class, columns = predicted class, in class-index order (counts of the pairs; the same matrix
    as sklearn's ``confusion_matrix(labels=range(n_classes))``, tested, without its input checks, which the
    bootstrap would pay a thousand times)."""
    t, p = np.asarray(y_true, dtype=np.int64).ravel(), np.asarray(y_pred, dtype=np.int64).ravel()
    if len(t) != len(p):
        raise ValueError(f"{len(t)} true labels but {len(p)} predictions")
    inside = (t >= 0) & (t < n_classes) & (p >= 0) & (p < n_classes)  # as sklearn: pairs outside the labels drop
    return np.bincount(t[inside] * n_classes + p[inside], minlength=n_classes * n_classes).reshape(n_classes,
                                                                                                 n_classes)


def labels_from_confusion(cm: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Expand a confusion matrix (rows true, cols predicted) into label arrays."""
    cm = np.asarray(cm, dtype=int)
    t, p = np.nonzero(cm >= 0)
    counts = cm[t, p]
    return np.repeat(t, counts), np.repeat(p, counts)


def ovr_counts(cm: Sequence[Sequence[int]]) -> dict[str, np.ndarray]:
    """Per-class one-vs-rest TP, FP, FN, TN."""
    cm = np.asarray(cm, dtype=int)
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    tn = cm.sum() - tp - fp - fn
    return {"TP": tp, "FP": fp, "FN": fn, "TN": tn}


def compute(y_true: Sequence[int], y_pred: Sequence[int], classes: Sequence[str],
            positive: int | None = None, batch_size: int | None = None,
            only: Collection[str] | None = None) -> dict[str, float]:
    """All metrics we report, keyed as in ``DEFINITIONS`` plus ``metric[class]`` per class.

    ``batch_size``: also report ``batch_mean_accuracy`` over batches of that size, in order. ``only``: the keys
    wanted (the rest may be left out): the bootstrap asks a thousand times for a few keys, and each value is
    computed by the same calls as in the full set, so it is the same number.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    n = len(classes)
    labels = list(range(n))

    def wanted(*prefixes: str) -> bool:
        return only is None or any(k.startswith(prefixes) for k in only)

    out: dict[str, float] = {}
    if wanted("accuracy"):
        out["accuracy"] = float(accuracy_score(y_true, y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    for avg in ("macro", "weighted"):
        if not wanted(f"{avg}_"):
            continue
        ap, ar, af, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=avg,
                                                        zero_division=0)
        out.update({f"{avg}_precision": float(ap), f"{avg}_recall": float(ar), f"{avg}_f1": float(af)})
    cm = confusion(y_true, y_pred, n)
    c = ovr_counts(cm)
    total = max(int(cm.sum()), 1)
    ovr_acc = (c["TP"] + c["TN"]) / total
    out["mean_ovr_accuracy"] = float(ovr_acc.mean())
    for i, cls in enumerate(classes):
        out[per_class_key("precision", cls)] = float(p[i])
        out[per_class_key("recall", cls)] = float(r[i])
        out[per_class_key("f1", cls)] = float(f[i])
        out[per_class_key("ovr_accuracy", cls)] = float(ovr_acc[i])
        out[per_class_key("support", cls)] = float(s[i])
    if positive is not None and n == 2:
        out["precision"], out["recall"], out["f1"] = float(p[positive]), float(r[positive]), float(f[positive])
        out["specificity"] = float(r[1 - positive])
    if batch_size and wanted("batch_mean_accuracy"):
        out["batch_mean_accuracy"] = batch_mean_accuracy(y_true, y_pred, batch_size)
    return out


def batch_mean_accuracy(y_true: Sequence[int], y_pred: Sequence[int], batch_size: int) -> float:
    """Mean over consecutive batches of each batch's accuracy (unweighted by batch size)."""
    correct = np.asarray(y_true) == np.asarray(y_pred)
    batches = [correct[i:i + batch_size].mean() for i in range(0, len(correct), batch_size)]
    return float(np.mean(batches)) if batches else float("nan")


def cross_entropy(y_true: Sequence[int], proba: np.ndarray) -> float:
    """Mean cross-entropy of class probabilities (rows = images); the ``loss`` metric."""
    proba = np.asarray(proba, dtype=float)
    proba = proba / proba.sum(axis=1, keepdims=True)  # float32 softmax rows; Keras normalises the same way
    return float(log_loss(np.asarray(y_true), proba, labels=list(range(proba.shape[1]))))


def from_confusion(cm: Sequence[Sequence[int]], classes: Sequence[str], positive: int | None = None) -> dict[str, float]:
    t, p = labels_from_confusion(cm)
    return compute(t, p, classes, positive)


PER_CLASS = {"precision": "precision", "recall": "recall", "f1": "F1", "ovr_accuracy": "one-vs-rest accuracy (TP+TN)/N",
             "support": "number of test images"}


def describe(key: str) -> str:
    if "[" in key:
        base, cls = key[:-1].split("[", 1)
        return f"{PER_CLASS.get(base, base)} of class {cls} (one-vs-rest)"
    return DEFINITIONS.get(key, key)
