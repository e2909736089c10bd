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
layer owns a Keras seed generator, so ``lungxray.run.training.EpochSeeds`` sets its state from
(seed, epoch) exactly as it does for the default augmenter, and a resumed run repeats an
uninterrupted one.
"""

from __future__ import annotations

import keras

from lungxray.data.affine import ComposedAugmentation
from lungxray.data.brightness import RandomBrightnessFactor
from lungxray.spec.config import AugmentConfig


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


def build_augmenter(cfg: AugmentConfig, seed: int, composed: bool = True):
    """The training augmentation of ``cfg``: by default one affine resampling and one multiply-add per
    image (``lungxray.data.affine.ComposedAugmentation``); ``composed=False`` gives the same seeded
    layers as a ``keras.Sequential`` that applies them one after another (the reference it is tested
    against). Either way the random draws come from the same layers' seed generators."""
    layers = augmentation_layers(cfg, seed)
    if not layers:
        return None
    name = "augmentation_generator" if cfg.semantics == "generator" else "augmentation"
    if composed:
        return ComposedAugmentation(layers, name=name)
    return keras.Sequential(layers, name=name)


def augmentation_layers(cfg: AugmentConfig, seed: int) -> list:
    """The seeded Keras layers of ``cfg``, in the order they apply (and their seed generators are numbered)."""
    if cfg.semantics == "generator":
        return generator_layers(cfg, seed)
    if cfg.semantics != "layers":
        raise ValueError(f"unknown augmentation semantics {cfg.semantics!r}: layers or generator")
    L = keras.layers
    layers = []
    if cfg.hflip or cfg.vflip:
        mode = "horizontal_and_vertical" if cfg.hflip and cfg.vflip else ("horizontal" if cfg.hflip else "vertical")
        layers.append(L.RandomFlip(mode, seed=seed))
    if cfg.rotation_deg:
        layers.append(L.RandomRotation(cfg.rotation_deg / 360.0, fill_mode="constant", seed=seed + 1))
    if cfg.zoom or cfg.crop:
        lo, hi = -max(cfg.zoom, cfg.crop), cfg.zoom  # negative = zoom in (crop)
        layers.append(L.RandomZoom((lo, hi), fill_mode="constant", seed=seed + 2))
    if cfg.shift:
        layers.append(L.RandomTranslation(cfg.shift, cfg.shift, fill_mode="constant", seed=seed + 3))
    if cfg.brightness:
        layers.append(L.RandomBrightness(cfg.brightness, value_range=(0.0, 1.0), seed=seed + 4))
    layers += contrast_layers(cfg, seed)
    return layers


def contrast_layers(cfg: AugmentConfig, seed: int) -> list:
    """RandomContrast, seeded like the other layers (its seed state is reset per (seed, epoch) by
    lungxray.run.training.EpochSeeds, so a resumed run draws what an uninterrupted one draws)."""
    if not cfg.contrast:
        return []
    return [keras.layers.RandomContrast(cfg.contrast, value_range=(0.0, 1.0), seed=seed + 5)]
