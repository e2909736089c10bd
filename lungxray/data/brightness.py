"""ImageDataGenerator's ``brightness_range`` as a seeded Keras layer (on [0, 1] images, with uint8 truncation)."""

from __future__ import annotations

import keras


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
