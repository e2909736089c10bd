"""Class weights and resampling of the training split (never of val/test)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.utils.class_weight import compute_class_weight


def class_weights(labels: Sequence[int], n_classes: int) -> dict[int, float]:
    """sklearn's 'balanced' weights: n_samples / (n_classes * count(class))."""
    y = np.asarray(labels)
    classes = np.arange(n_classes)
    present = np.isin(classes, y)
    w = np.ones(n_classes)
    w[present] = compute_class_weight("balanced", classes=classes[present], y=y)
    return {int(c): float(v) for c, v in zip(classes, w, strict=True)}


SAMPLERS = {
    "none": "no resampling",
    "undersample": "imbalanced-learn RandomUnderSampler: every class cut to the smallest class's count",
    "oversample": "imbalanced-learn RandomOverSampler: every class drawn up to the largest class's count",
    "replicate-ceil": "whole-copy replication: each image repeated ceil(n_max / n_class) times "
    "(classes are not equalised)",
}


def replicate_ceil_counts(counts: dict[str, int]) -> dict[str, int]:
    """Class sizes after repeating each image ceil(n_max / n) times."""
    n_max = max(counts.values())
    return {c: n * -(-n_max // n) for c, n in counts.items()}


def resample(records: list, method: str, seed: int) -> list:
    """Resample training records (each with ``.label``); returns a new list, duplicates allowed."""
    if method == "none":
        return list(records)
    labels = np.array([r.label for r in records])
    idx = np.arange(len(records)).reshape(-1, 1)
    if method == "replicate-ceil":
        n_max = max(np.unique(labels, return_counts=True)[1])
        out = []
        for c in dict.fromkeys(labels):  # class order of first appearance
            members = [r for r in records if r.label == c]
            out += members * int(-(-n_max // len(members)))
        return out
    from imblearn.over_sampling import RandomOverSampler
    from imblearn.under_sampling import RandomUnderSampler

    if method == "undersample":
        sampler = RandomUnderSampler(random_state=seed)
    elif method == "oversample":
        sampler = RandomOverSampler(random_state=seed)
    else:
        raise ValueError(f"unknown balancing {method!r}; one of {', '.join(SAMPLERS)}")
    chosen, _ = sampler.fit_resample(idx, labels)
    return [records[i] for i in chosen.ravel()]
