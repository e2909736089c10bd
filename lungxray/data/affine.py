"""The training augmentation as one affine resampling and one multiply-add per image.

The Keras preprocessing layers of ``lungxray.data.pipeline.augmentation_layers`` (flip, rotation,
zoom, shift, brightness, contrast, with the semantics of each study: ``"layers"`` or
ImageDataGenerator's ``"generator"``) still draw the random parameters: each owns its seeded
Keras seed generator, so ``lungxray.run.training.EpochSeeds`` sets their state from (seed, epoch)
exactly as before and a resumed run draws what an uninterrupted one draws. What changes is how
the draws are applied:

- every geometric draw becomes a 3 x 3 matrix that maps output pixels to input pixels, and the
  matrices are multiplied in the order the layers ran (output -> input: ``M_1 @ M_2 @ ...``), so
  one ``keras.ops.image.affine_transform`` (TensorFlow's ``ImageProjectiveTransformV3``) call
  resamples each image once, with the stack's interpolation and fill mode (``"constant"`` 0 for
  ``"layers"``, ``"nearest"`` for ``"generator"``, as ImageDataGenerator composes one matrix and
  fills with the nearest edge pixel);
- brightness and contrast become one per-image ``x * a + b`` followed by one clip
  (``"generator"`` brightness keeps PIL's uint8 truncation around its factor).

A sequence of layers resamples once per layer (two or three bilinear passes), so the composed
result differs from it by interpolation error only, away from the borders (where a sequential
stack fills from an already-filled image); ``tests/test_affine.py`` shows both. With flips alone
nothing is resampled: the flip is applied exactly, as ``RandomFlip`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from lungxray.data.brightness import RandomBrightnessFactor

GEOMETRIC = (keras.layers.RandomFlip, keras.layers.RandomRotation, keras.layers.RandomZoom,
             keras.layers.RandomTranslation)
PHOTOMETRIC = (keras.layers.RandomBrightness, keras.layers.RandomContrast)


def _eye(n) -> tf.Tensor:
    return tf.eye(3, batch_shape=[n], dtype=tf.float32)


def _matrix(rows: Sequence[tf.Tensor]) -> tf.Tensor:
    """(B,) tensors a0, a1, a2, b0, b1, b2 -> (B, 3, 3) with last row (0, 0, 1)."""
    a0, a1, a2, b0, b1, b2 = (tf.reshape(tf.cast(r, tf.float32), [-1]) for r in rows)
    zero, one = tf.zeros_like(a0), tf.ones_like(a0)
    return tf.reshape(tf.stack([a0, a1, a2, b0, b1, b2, zero, zero, one], axis=1), [-1, 3, 3])


def flip_matrix(layer: keras.layers.RandomFlip, flips: tf.Tensor, n, height, width) -> tf.Tensor:
    """Output -> input map of ``RandomFlip``: x -> (W - 1) - x where flipped (and/or y for vertical)."""
    f = tf.cast(tf.reshape(flips, [-1]), tf.float32)
    w, h = tf.cast(width, tf.float32), tf.cast(height, tf.float32)
    horizontal = layer.mode in ("horizontal", "horizontal_and_vertical")
    vertical = layer.mode in ("vertical", "horizontal_and_vertical")
    sx = 1.0 - 2.0 * f if horizontal else tf.ones_like(f)
    sy = 1.0 - 2.0 * f if vertical else tf.ones_like(f)
    tx = f * (w - 1.0) if horizontal else tf.zeros_like(f)
    ty = f * (h - 1.0) if vertical else tf.zeros_like(f)
    zero = tf.zeros_like(f)
    return _matrix([sx, zero, tx, zero, sy, ty])


def layer_matrix(layer, t: dict, n, height, width) -> tf.Tensor:
    """The (B, 3, 3) output -> input matrix of one geometric layer's drawn transformation ``t``."""
    if isinstance(layer, keras.layers.RandomFlip):
        return flip_matrix(layer, t["flips"], n, height, width)
    if isinstance(layer, keras.layers.RandomRotation):
        m = tf.reshape(tf.cast(t["rotation_matrix"], tf.float32), [-1, 8])
        return _matrix([m[:, i] for i in range(6)])
    if isinstance(layer, keras.layers.RandomZoom):  # RandomZoom._get_zoom_matrix
        zx, zy = (tf.reshape(tf.cast(t[k], tf.float32), [-1]) for k in ("width_zoom", "height_zoom"))
        w, h = tf.cast(width, tf.float32), tf.cast(height, tf.float32)
        zero = tf.zeros_like(zx)
        return _matrix([zx, zero, (w - 1.0) / 2.0 * (1.0 - zx), zero, zy, (h - 1.0) / 2.0 * (1.0 - zy)])
    if isinstance(layer, keras.layers.RandomTranslation):  # RandomTranslation._get_translation_matrix
        tr = tf.cast(t["translations"], tf.float32)
        one, zero = tf.ones_like(tr[:, 0]), tf.zeros_like(tr[:, 0])
        return _matrix([one, zero, -tr[:, 0], zero, one, -tr[:, 1]])
    raise TypeError(f"not a geometric augmentation layer: {type(layer).__name__}")


def _fill_mode(layers: Sequence) -> tuple[str, str]:
    resampling = [lay for lay in layers if not isinstance(lay, keras.layers.RandomFlip)]
    modes = {lay.fill_mode for lay in resampling}
    interps = {lay.interpolation for lay in resampling}
    if len(modes) > 1 or len(interps) > 1:
        raise ValueError(f"cannot compose layers with different fill modes {modes} or interpolations {interps}")
    return (modes.pop() if modes else "constant"), (interps.pop() if interps else "bilinear")


class ComposedAugmentation(keras.layers.Layer):
    """Applies ``layers`` (seeded Keras augmentation layers, in order: geometric ones, then brightness
    and contrast) as one affine resampling and one multiply-add per image; see the module docstring."""

    def __init__(self, layers: Sequence[keras.layers.Layer], name: str = "augmentation", **kwargs):
        super().__init__(name=name, **kwargs)
        layers = list(layers)
        kinds = ["g" if isinstance(lay, GEOMETRIC) else "p" if isinstance(lay, PHOTOMETRIC) else "?"
                 for lay in layers]
        if "?" in kinds or "".join(kinds) != "g" * kinds.count("g") + "p" * kinds.count("p"):
            raise ValueError("ComposedAugmentation takes geometric layers followed by brightness/contrast, got "
                             + ", ".join(type(lay).__name__ for lay in layers))
        # a tracked list, in the stack's order: the seed-generator variables keep the order EpochSeeds numbers
        self.stack = layers
        self.geometric = [lay for lay, k in zip(layers, kinds, strict=True) if k == "g"]
        self.photometric = [lay for lay, k in zip(layers, kinds, strict=True) if k == "p"]
        self.fill_mode, self.interpolation = _fill_mode(self.geometric)
        self.built = True  # no weights; the layers' seed generators exist from their construction

    def call(self, images, training=True):
        if not training:
            return images
        images = tf.convert_to_tensor(images, tf.float32)
        images = self._geometric(images)
        return self._photometric(images)

    def _geometric(self, images: tf.Tensor) -> tf.Tensor:
        if not self.geometric:
            return images
        draws = [(lay, lay.get_random_transformation(images, training=True)) for lay in self.geometric]
        if all(isinstance(lay, keras.layers.RandomFlip) for lay in self.geometric):
            for lay, t in draws:  # nothing to resample: flip exactly
                images = lay.transform_images(images, t, training=True)
            return images
        shape = tf.shape(images)
        n, height, width = shape[0], shape[1], shape[2]
        m = _eye(n)
        for lay, t in draws:
            m = tf.matmul(m, layer_matrix(lay, t, n, height, width))
        transform = tf.reshape(m, [-1, 9])[:, :8]
        return keras.ops.image.affine_transform(images, transform, interpolation=self.interpolation,
                                                fill_mode=self.fill_mode, fill_value=0.0)

    def _photometric(self, x: tf.Tensor) -> tf.Tensor:
        """Brightness then contrast as one ``x * a + b`` and one clip to [0, 1].

        ``RandomBrightness`` (+d) then ``RandomContrast`` (factor f about the image mean m) is
        ((x + d) - (m + d)) * f + (m + d) = x * f + (m + d) * (1 - f) + d * f: the layers' result
        exactly unless x + d leaves [0, 1] (the layers clip in between). ImageDataGenerator
        brightness (``RandomBrightnessFactor``) multiplies uint8 levels, truncating before and after.
        """
        if not self.photometric:
            return x
        a = b = None
        for lay in self.photometric:
            t = lay.get_random_transformation(x, training=True)
            if isinstance(lay, RandomBrightnessFactor):
                if len(self.photometric) > 1:
                    raise ValueError("ImageDataGenerator brightness cannot be folded with contrast")
                factor = 1.0 + tf.cast(t["rgb_delta"], x.dtype)
                levels = tf.floor(x * 255.0 + 1e-3)  # as RandomBrightnessFactor: uint8 truncation
                return tf.floor(tf.clip_by_value(levels * factor, 0.0, 255.0)) / 255.0
            if isinstance(lay, keras.layers.RandomContrast):
                f = tf.cast(t["contrast_factor"], x.dtype)
                # per image and channel; each channel reduced as one contiguous row, so the mean of a channel
                # does not depend on how many channels there are (grey images held as one channel)
                mean = tf.reduce_mean(tf.transpose(x, [0, 3, 1, 2]), axis=[2, 3])[:, None, None, :]
                mean = mean + (b if b is not None else 0.0)
                a, b = f, mean * (1.0 - f) + (b * f if b is not None else 0.0)
            else:  # additive RandomBrightness
                d = tf.cast(t["rgb_delta"], x.dtype)
                b = d if b is None else b + d
        out = x * a + b if a is not None else x + b
        return tf.clip_by_value(out, 0.0, 1.0)
