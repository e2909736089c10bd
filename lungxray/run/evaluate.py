"""Stage 3 of a run: the fitted model on the test split, and the corrected re-scorings.

``evaluate`` predicts the test split once (from the pipeline's cache) and scores it into a typed
``Evaluation`` with the ``Predictions`` behind it (written to predictions.csv, from which every
interval is recomputed). ``extra_evaluation`` re-scores those predictions on a corrected subset
(the deduplicated test set) without new inference or new reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lungxray.results.types import Evaluation, ExtraEvaluation
from lungxray.spec.config import RunConfig


@dataclass
class Predictions:
    files: list[str]
    y_true: np.ndarray
    y_pred: np.ndarray
    proba: np.ndarray  # one column per class (a sigmoid's p is expanded to [1 - p, p])


def evaluate(model: Any, inputs: Any, cfg: RunConfig, split: str = "test") -> tuple[Evaluation, Predictions]:
    """Predict a split and score it."""
    from lungxray.judge import metrics as M
    from lungxray.run.training import predict_proba

    ds, y_true, files = inputs.dataset(split), inputs.labels(split), [r.path for r in inputs.split_records(split)]
    if cfg.train.test_steps == "floor":  # the generator idiom steps = n // batch: the last partial batch unseen
        from lungxray.data.pipeline import full_batches

        ds = full_batches(ds, len(y_true), cfg.train.batch_size)
        keep = min(len(y_true), max(1, len(y_true) // cfg.train.batch_size) * cfg.train.batch_size)
        y_true, files = y_true[:keep], files[:keep]
    proba = predict_proba(model, ds)
    binary = cfg.binary_positive is not None
    if binary:
        p1 = proba.reshape(-1)
        proba = np.stack([1 - p1, p1], axis=1)
        y_pred = (p1 > 0.5).astype(int)
    else:
        y_pred = proba.argmax(axis=1)
    bs = cfg.train.batch_size if cfg.train.batch_mean_accuracy else None
    ev = Evaluation(split, int(len(y_true)), list(cfg.classes),
                    M.confusion(y_true, y_pred, len(cfg.classes)).tolist(),
                    M.compute(y_true, y_pred, cfg.classes, 1 if binary else None, bs),
                    # from the probabilities, so kept beside the metrics that predictions.csv recomputes
                    M.cross_entropy(y_true, proba) if len(y_true) else float("nan"))
    return ev, Predictions(files, y_true, y_pred, proba)


def deduplicated_test_mask(inputs: Any, hashes: dict[str, str]) -> np.ndarray:
    """Test records to keep: the first copy of each distinct image (by digest) not seen in training."""
    seen = {hashes[r.path] for r in inputs.split_records("train")}
    keep = []
    for r in inputs.split_records("test"):
        h = hashes[r.path]
        keep.append(h not in seen)
        seen.add(h)
    return np.array(keep, dtype=bool)


# name -> (description, the mask of test records it keeps)
EXTRA_EVALUATIONS: dict[str, tuple[str, Callable[[Any, dict[str, str]], np.ndarray]]] = {
    "test_deduplicated": ("one copy of each distinct test image (sha256) that is not byte-identical to any "
                          "training image", deduplicated_test_mask),
}


def extra_evaluation(name: str, preds: Predictions, inputs: Any, hashes: dict[str, str],
                     cfg: RunConfig) -> ExtraEvaluation:
    """Re-score the test predictions on a corrected subset (no new inference, no new reads:
    ``hashes`` are the file digests taken when the images were screened)."""
    from lungxray.judge import metrics as M

    if name not in EXTRA_EVALUATIONS:
        raise ValueError(f"unknown extra evaluation {name!r}; known: {', '.join(EXTRA_EVALUATIONS)}")
    description, mask = EXTRA_EVALUATIONS[name]
    n = len(preds.y_pred)  # test_steps="floor" scores only the full batches
    test = inputs.split_records("test")[:n]
    keep = mask(inputs, hashes)[:n]
    y_true, y_pred = inputs.labels("test")[:n][keep], preds.y_pred[keep]
    return ExtraEvaluation(
        description, int(keep.sum()), {c: int((y_true == i).sum()) for i, c in enumerate(cfg.classes)},
        [r.path for r, k in zip(test, keep, strict=True) if not k], list(cfg.classes),
        M.confusion(y_true, y_pred, len(cfg.classes)).tolist(),
        M.compute(y_true, y_pred, cfg.classes, None, cfg.train.batch_size if cfg.train.batch_mean_accuracy else None))
