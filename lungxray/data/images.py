"""One image's decoding ops, shared by the pipeline and the decode cache so both give the same bytes:
encoded bytes -> [0, 1] RGB -> colour mode -> resize (explicit method) -> uint8 -> [lung segmentation]."""

from __future__ import annotations

import tensorflow as tf

from lungxray.data.segment import tf_segment
from lungxray.spec.config import ImageConfig


def decode_resize(data: tf.Tensor, cfg: ImageConfig) -> tf.Tensor:
    """Encoded PNG/JPEG bytes -> (size, size, channels) uint8."""
    img = tf.io.decode_image(data, channels=3, dtype=tf.float32, expand_animations=False)  # [0,1]
    return resize_uint8(img, cfg)


def resize_uint8(img: tf.Tensor, cfg: ImageConfig) -> tf.Tensor:
    """A decoded [0, 1] RGB image -> (size, size, channels) uint8 (colour mode, resize, round)."""
    if cfg.color == "grayscale":
        img = tf.image.rgb_to_grayscale(img)
    img = tf.image.resize(img, (cfg.size, cfg.size), method=cfg.resize_method)
    img = tf.round(tf.clip_by_value(img, 0.0, 1.0) * 255.0)
    img = tf.cast(img, tf.uint8)
    img.set_shape((cfg.size, cfg.size, cfg.channels))
    return img


def segmented(img: tf.Tensor, cfg: ImageConfig) -> tf.Tensor:
    """The decoded uint8 image after ``cfg.segmentation`` (lungxray.data.segment), unchanged for "none"."""
    if cfg.segmentation == "none":
        return img
    return tf_segment(img, cfg.segmentation)
