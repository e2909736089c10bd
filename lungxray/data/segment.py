"""Lung segmentation by thresholding (OpenCV), for studies that name it as a pre-processing step.

A chest CT slice shows dark lungs (air) inside a bright body on a dark background. The
``"otsu"`` method:

1. Otsu's threshold (``cv2.threshold`` with ``THRESH_OTSU``) on the grey image splits dark from
   bright; the dark part is lungs plus the air around the body;
2. dark regions that touch the image border (the air around the body) are dropped
   (``cv2.connectedComponentsWithStats``);
3. a morphological closing (``cv2.morphologyEx``, elliptical kernel) and hole filling put the
   bright vessels and nodules inside the lungs back into the mask, so a tumour is not cut out;
4. regions smaller than ``MIN_AREA`` of the image are dropped (noise, the trachea's edge).

The image is then multiplied by the mask (black outside the lungs). Where no lung region is
found (a slice cropped so tightly that the lungs touch the border, or no dark region at all),
the image is returned unchanged rather than blanked: the step must never erase an input.

Every step is deterministic. In the tf.data pipeline it runs once per image, on the decoded,
resized uint8 image before the cache (``lungxray.data.pipeline``), through ``tf.numpy_function``.
"""

from __future__ import annotations

import cv2
import numpy as np
import tensorflow as tf

SEGMENTATIONS = ("none", "otsu")
MIN_AREA = 0.005  # regions below this fraction of the image are noise, not a lung
CLOSE_FRACTION = 0.03  # closing kernel diameter as a fraction of the shorter image side


def _grey(img: np.ndarray) -> np.ndarray:
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[-1] == 3:
        return cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(img.reshape(img.shape[:2]))


def lung_mask(img: np.ndarray) -> np.ndarray:
    """Boolean lung mask of an (H, W), (H, W, 1) or (H, W, 3) uint8 image (all False if none found)."""
    grey = _grey(img).astype(np.uint8)
    h, w = grey.shape
    _, dark = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    x, y, bw, bh = (stats[:, i] for i in range(4))
    touches = (x == 0) | (y == 0) | (x + bw == w) | (y + bh == h)
    keep = ~touches
    keep[0] = False  # label 0: the bright part
    mask = keep[labels].astype(np.uint8)
    k = max(3, int(round(CLOSE_FRACTION * min(h, w))) | 1)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    # fill holes: background reachable from the border stays background, the rest is lung
    flood = np.pad(mask, 1)
    cv2.floodFill(flood, None, (0, 0), 1)
    mask = mask | (1 - flood[1:-1, 1:-1])
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    big = stats[:, cv2.CC_STAT_AREA] >= MIN_AREA * h * w
    big[0] = False
    return big[labels]


def segment_lungs(img: np.ndarray) -> np.ndarray:
    """``img`` (uint8, any channel count) black outside the lung mask; unchanged where no lung is found."""
    mask = lung_mask(img)
    if not mask.any():
        return np.asarray(img)
    return np.where(mask.reshape(*mask.shape, *([1] * (np.ndim(img) - 2))), img, 0).astype(img.dtype)


def tf_segment(img: tf.Tensor, method: str) -> tf.Tensor:
    """Apply a segmentation (one of ``SEGMENTATIONS``) to one uint8 image tensor inside tf.data."""
    if method == "none":
        return img
    if method != "otsu":
        raise ValueError(f"unknown segmentation {method!r}; one of {SEGMENTATIONS}")
    out = tf.numpy_function(segment_lungs, [img], tf.uint8, stateful=False)
    out.set_shape(img.shape)
    return out
