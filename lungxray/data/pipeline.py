"""The tf.data input pipeline.

read -> decode (PNG/JPEG, any channel count and bit depth) -> colour mode -> resize
(explicit method) -> uint8 -> [segment, lungxray.data.segment] -> persistent cache (lungxray.data.cache)
-> row indices [shuffle] -> batch -> images -> [augment, training only: lungxray.data.affine]
-> scale (rescale or a model's ``preprocess_input``) -> prefetch.

Decoded, resized images are cached once ever as uint8, keyed by file content and image settings,
so no run, evaluation or prediction decodes a file twice; augmentation and scaling run after
the cache.  Every random op is seeded, so a given seed gives the same batches on the same machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from lungxray.data.augment import build_augmenter
from lungxray.data.cache import DecodeCache, DecodedStore, screen_decode
from lungxray.data.images import decode_resize, resize_uint8, segmented  # noqa: F401  (the map of the pipeline)
from lungxray.data.layouts import Record
from lungxray.errors import DataError
from lungxray.spec.config import AugmentConfig, ImageConfig  # noqa: F401  (re-exported)

AUTOTUNE = tf.data.AUTOTUNE


def _torch_imagenet(x):
    mean = tf.constant([0.485, 0.456, 0.406])
    std = tf.constant([0.229, 0.224, 0.225])
    return (x - mean) / std


def _scaler(name: str):
    """Map a [0, 1] image batch to what the model expects: "rescale" keeps [0, 1] (divided by 255),
    "torch_imagenet" is torchvision's Normalize(ImageNet mean, std), and any other name is a
    ``keras.applications`` module whose ``preprocess_input`` takes 0-255 images ("resnet50": caffe BGR,
    mean-subtracted; "mobilenet_v2": [-1, 1]); a pretrained backbone names its own in
    ``lungxray.models.weight_files.BACKBONES``."""
    if name == "rescale":
        return lambda x: x
    if name == "torch_imagenet":
        return _torch_imagenet
    import keras

    module = getattr(keras.applications, name, None)
    if module is None or not hasattr(module, "preprocess_input"):
        raise ValueError(f"unknown scaling {name!r}: rescale, torch_imagenet or a keras.applications module name")
    return lambda x: module.preprocess_input(x * 255.0)


def epoch_shuffled(ds: tf.data.Dataset, n: int, seed: int, epoch: tf.Variable) -> tf.data.Dataset:
    """``ds`` shuffled in an order that depends on (seed, the epoch variable's value) only.

    TensorFlow cannot take this tensor seed while its global seed is 0 (it compares the seed pair
    with (0, 0)); ``lungxray.run.training.set_determinism`` avoids that global seed.
    """
    from tensorflow.python.eager import context

    global_seed = context.global_seed() if context.executing_eagerly() else tf.compat.v1.get_default_graph().seed
    if global_seed is not None and global_seed % (2**31 - 1) == 0:
        raise ValueError("TensorFlow's global seed is 0, which epoch-seeded shuffling cannot use: seed through "
                         "lungxray.run.training.set_determinism (or tf.random.set_seed with another value)")
    shuffled = tf.data.Dataset.from_tensors(0).flat_map(
        lambda _: ds.shuffle(max(n, 1), seed=seed * 1_000_003 + epoch, reshuffle_each_iteration=False))
    return shuffled.apply(tf.data.experimental.assert_cardinality(n))  # flat_map hides the length from Keras


def map_options(training: bool) -> dict[str, Any]:
    """``Dataset.map`` options of a pipeline's maps: sequential (none) for a training pipeline, else parallel
    (AUTOTUNE) in a deterministic order.

    A training pipeline holds stateful ops (the epoch-seeded shuffle reads a variable; the augmenter's seed
    generator), so under op determinism (``lungxray.run.training.set_determinism``, always on) tf.data's
    ``make_deterministic`` rewrite turns every parallel map of it into a sequential one anyway. Built
    sequential here, the rewrite has nothing to convert: the pipeline runs exactly as before, and TensorFlow no
    longer logs the 600-character "E0000 ... NodeDef mentions attribute use_unbounded_threadpool" line its
    conversion causes (it keeps an attribute the sequential op does not have).
    """
    return {} if training else {"num_parallel_calls": AUTOTUNE, "deterministic": True}


def full_batches(ds: tf.data.Dataset, n: int, batch_size: int) -> tf.data.Dataset:
    """A batched ``ds`` of ``n`` items cut to ``n // batch_size`` batches, the steps a generator loop
    computes (``validation_steps = gen.samples // batch_size``): the last partial batch (in the
    dataset's order) is never seen. At least one batch, so a split smaller than a batch is scored."""
    return ds.take(max(1, n // batch_size))


class ImagePipeline:
    """tf.data datasets for the train/val/test records of one run, decoded once ever.

    The images come from the persistent decode cache (``lungxray.data.cache``): files that are not in
    it yet (or whose sha256 is not given in ``hashes``) are screened, decoded and cached on first use.
    The distinct images are held once (``DecodedStore``: in memory, or streamed from the cache when
    they exceed the RAM budget); every record, repeated ones included, is a row index into them.
    """

    def __init__(self, root: Path, records: Sequence[Record], classes: Sequence[str], image: ImageConfig,
                 augment: AugmentConfig, batch_size: int, seed: int, binary: bool = False,
                 label_map: dict[str, int] | None = None, hashes: dict[str, str] | None = None,
                 cache=None, quiet: bool = True, ram_budget: int | None = None):
        self.root, self.records, self.classes = Path(root), list(records), list(classes)
        self.image, self.augment, self.batch_size, self.seed, self.binary = image, augment, batch_size, seed, binary
        self.label_map = label_map or {c: i for i, c in enumerate(self.classes)}
        self.hashes = dict(hashes or {})
        self.cache, self.quiet, self.ram_budget = cache, quiet, ram_budget
        self._store = None
        # Training order and augmentation depend on (seed, epoch) only, so a resumed run repeats an
        # uninterrupted one; lungxray.run.training.EpochSeeds sets this at the start of every epoch.
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="data_epoch")
        self._augmenter = build_augmenter(augment, seed) if augment.active else None
        self._scale = _scaler(image.scaling)

    def split_records(self, split: str) -> list[Record]:
        return [r for r in self.records if r.split == split]

    def labels(self, split: str) -> np.ndarray:
        return np.array([self.label_map[r.label] for r in self.split_records(split)], dtype=np.int64)

    def store(self):
        """The decoded images of every record (``lungxray.data.cache.DecodedStore``), built on first use."""
        if self._store is None:
            cache = self.cache or DecodeCache()
            todo = list({r.path: r for r in self.records
                         if r.path not in self.hashes or not cache.has(self.hashes[r.path], self.image)}.values())
            if todo:
                _, bad, hashes = screen_decode(self.root, todo, self.image, cache, quiet=self.quiet,
                                               desc="decoding")
                if bad:
                    raise DataError(f"cannot decode {len(bad)} file(s): " +
                                    "; ".join(f"{b['file']}: {b['reason']}" for b in bad[:5]))
                self.hashes.update(hashes)
            self._store = DecodedStore([self.hashes[r.path] for r in self.records], self.image, cache,
                                       self.ram_budget, quiet=self.quiet,
                                       sources={self.hashes[r.path]: self.root / r.path for r in self.records})
        return self._store

    def _indexed(self, split: str, training: bool, batch_size: int) -> tf.data.Dataset:
        """Batches of (uint8 images, labels) in manifest order, or shuffled by (seed, epoch) for training."""
        store = self.store()
        recs = self.split_records(split)
        rows = store.rows([self.hashes[r.path] for r in recs])
        ds = tf.data.Dataset.from_tensor_slices((rows, self.labels(split)))
        if training:
            ds = epoch_shuffled(ds, len(recs), self.seed, self.epoch)
        parallel = map_options(training)
        if store.in_memory:
            return ds.batch(batch_size).map(lambda i, y: (store.batch_images(i), y), **parallel)
        return ds.map(lambda i, y: (store.read_image(i), y), **parallel).batch(batch_size)

    def decoded(self, split: str) -> tf.data.Dataset:
        """(uint8 image, int label) pairs in manifest order."""
        return self._indexed(split, False, max(1, len(self.split_records(split)))).unbatch()

    def dataset(self, split: str, training: bool = False, batch_size: int | None = None) -> tf.data.Dataset:
        ds = self._indexed(split, training, batch_size or self.batch_size)
        dtype = tf.float32
        to_float = (lambda x, y: (tf.cast(x, dtype) / 255.0, tf.cast(y, dtype))) if self.binary else (
            lambda x, y: (tf.cast(x, dtype) / 255.0, y))
        parallel = map_options(training)
        ds = ds.map(to_float, **parallel)
        if training and self._augmenter is not None:
            aug = self._augmenter
            ds = ds.map(lambda x, y: (aug(x, training=True), y))
        scale, channels = self._scale, self.image.channels
        if self.store().channels != channels:  # grey images held as one channel: widen (same values)
            ds = ds.map(lambda x, y: (scale(tf.tile(x, [1, 1, 1, channels])), y), **parallel)
        else:
            ds = ds.map(lambda x, y: (scale(x), y), **parallel)
        return ds.prefetch(AUTOTUNE)

    @property
    def augmenter(self):
        return self._augmenter

    def arrays(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Scaled images and labels of a split as NumPy (small splits, tests, caching)."""
        xs, ys = [], []
        for x, y in self.dataset(split, training=False):
            xs.append(x.numpy())
            ys.append(y.numpy())
        return np.concatenate(xs), np.concatenate(ys)
