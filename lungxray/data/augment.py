"""Keras ``ImageDataGenerator`` semantics, rebuilt from seeded Keras layers for tf.data.

Papers that augment "through a generator" ran ``ImageDataGenerator(...).flow_from_directory``.
Its semantics differ from the Keras preprocessing layers' defaults in ways that change the
images a model sees:

- ``fill_mode="nearest"``: pixels rotated or zoomed in from outside repeat the edge (the
  layers default to ``"reflect"``; ``lungxray.data.pipeline.build_augmenter`` fills with 0);
- ``zoom_range=z`` draws the row and column scales independently from [1-z, 1+z]
  (``RandomZoom`` with ``width_factor=None`` keeps the aspect ratio);
- ``brightness_range=(a, b)`` multiplies each image by a factor drawn from [a, b] through
  PIL's ``ImageEnhance.Brightness`` on uint8 values, which truncates (``RandomBrightness``
  adds a delta);
- ``flow_from_directory`` resizes with ``interpolation="nearest"`` (``ImageConfig.resize_method``).

The layers draw with the generator's distributions; ``lungxray.data.affine.ComposedAugmentation``
applies rotation, zoom, shift and flip as one affine matrix (one bilinear resampling, nearest fill),
as the generator does. Every
layer owns a Keras seed generator, so ``lungxray.train.EpochSeeds`` sets its state from
(seed, epoch) exactly as it does for the default augmenter, and a resumed run repeats an
uninterrupted one.
"""

from __future__ import annotations

import keras

from lungxray.data.pipeline import AugmentConfig


class RandomBrightnessFactor(keras.layers.RandomBrightness):
    """``ImageDataGenerator(brightness_range=(1 - f, 1 + f))`` on images in ``value_range``.

    The factor is drawn per image from [1 - f, 1 + f] (RandomBrightness' own seeded draw,
    read as a factor instead of a delta). Like PIL on uint8, values are truncated to the 256
    levels of ``value_range`` before and after the multiplication and clipped at its top.
    """

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        ops = self.backend.numpy
        lo, hi = self.value_range
        span = hi - lo
        factor = 1.0 + self.backend.cast(transformation["rgb_delta"], images.dtype) / span
        levels = (images - lo) / span * 255.0
        levels = ops.floor(levels + 1e-3)  # uint8 conversion truncates (1e-3 absorbs float error on k/255)
        levels = ops.floor(ops.clip(levels * factor, 0.0, 255.0))
        return levels / 255.0 * span + lo


def generator_augmenter(cfg: AugmentConfig, seed: int) -> keras.Sequential | None:
    """The ImageDataGenerator reading of ``cfg`` as a sequence of layers, one resampling each (the
    reference that ``lungxray.data.affine.ComposedAugmentation`` composes into one)."""
    layers = generator_layers(cfg, seed)
    return keras.Sequential(layers, name="augmentation_generator") if layers else None


def generator_layers(cfg: AugmentConfig, seed: int) -> list:
    """The ImageDataGenerator reading of ``cfg``, as seeded Keras layers in the generator's order
    (affine part, then flips, then brightness); seeds follow ``pipeline.augmentation_layers``'s."""
    L = keras.layers
    layers = []
    if cfg.rotation_deg:
        layers.append(L.RandomRotation(cfg.rotation_deg / 360.0, fill_mode="nearest", seed=seed + 1))
    if cfg.zoom or cfg.crop:
        lo, hi = -max(cfg.zoom, cfg.crop), cfg.zoom
        layers.append(L.RandomZoom((lo, hi), width_factor=(lo, hi), fill_mode="nearest", seed=seed + 2))
    if cfg.shift:
        layers.append(L.RandomTranslation(cfg.shift, cfg.shift, fill_mode="nearest", seed=seed + 3))
    if cfg.hflip or cfg.vflip:
        mode = "horizontal_and_vertical" if cfg.hflip and cfg.vflip else ("horizontal" if cfg.hflip else "vertical")
        layers.append(L.RandomFlip(mode, seed=seed))
    if cfg.brightness:
        layers.append(RandomBrightnessFactor(cfg.brightness, value_range=(0.0, 1.0), seed=seed + 4))
    return layers
