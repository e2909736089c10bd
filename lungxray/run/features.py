"""Frozen-backbone feature caching: decode once, run the frozen backbone once, train the head.

When a model has a frozen ``backbone`` sub-model and the study does not augment, the
backbone's output for an image is the same in every epoch. ``FeaturePipeline`` computes it
once per split and serves it with the same interface as ``ImagePipeline``, so the head
trains and evaluates on it; the full model (backbone + head) gives the same predictions
(``tests/test_features.py``).
"""

from __future__ import annotations

import hashlib

import keras
import numpy as np
import tensorflow as tf

from lungxray._util.progress import progress
from lungxray.data.pipeline import ImagePipeline, epoch_shuffled


def frozen_parts(model: keras.Model) -> tuple[keras.Model, keras.Model] | None:
    """(backbone, head) when ``model`` is built that way and its backbone is frozen."""
    names = {la.name for la in model.layers}
    if not {"backbone", "head"} <= names:
        return None
    bb, head = model.get_layer("backbone"), model.get_layer("head")
    if bb.trainable_weights:
        return None
    return bb, head


class _BarCallback(keras.callbacks.Callback):
    """Advances a progress bar per predicted batch (the prediction itself is untouched)."""

    def __init__(self, bar):
        super().__init__()
        self.bar = bar

    def on_predict_batch_end(self, batch, logs=None):
        self.bar.update(1)


def weights_digest(model: keras.Model) -> str:
    h = hashlib.sha256()
    for w in model.weights:
        h.update(np.ascontiguousarray(keras.ops.convert_to_numpy(w)).tobytes())
    return h.hexdigest()


class FeaturePipeline:
    """Backbone features of every split, computed once, with ImagePipeline's interface."""

    def __init__(self, pipe: ImagePipeline, backbone: keras.Model):
        self.pipe, self.batch_size, self.seed, self.binary = pipe, pipe.batch_size, pipe.seed, pipe.binary
        self.epoch, self.augmenter = pipe.epoch, None
        self.features: dict[str, np.ndarray] = {}
        for split in ("train", "val", "test"):
            n = len(pipe.split_records(split))
            if n:
                bar = progress(None, f"{split} features", total=-(-n // pipe.batch_size), unit="batch")
                try:
                    self.features[split] = np.asarray(backbone.predict(
                        pipe.dataset(split, training=False), verbose=0, callbacks=[_BarCallback(bar)]))
                finally:
                    bar.close()

    def split_records(self, split: str):
        return self.pipe.split_records(split)

    def labels(self, split: str) -> np.ndarray:
        return self.pipe.labels(split)

    def dataset(self, split: str, training: bool = False, batch_size: int | None = None) -> tf.data.Dataset:
        y = self.labels(split)
        y = y.astype(np.float32) if self.binary else y
        ds = tf.data.Dataset.from_tensor_slices((self.features[split], y))
        if training:
            ds = epoch_shuffled(ds, len(y), self.seed, self.epoch)
        return ds.batch(batch_size or self.batch_size).prefetch(tf.data.AUTOTUNE)
