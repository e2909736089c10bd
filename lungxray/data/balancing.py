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
