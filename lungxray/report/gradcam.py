"""Grad-CAM (Selvaraju et al. 2017, as in the keras.io example "Grad-CAM class activation visualization"):
where in an image the model's score for a class comes from.

The heatmap of an image for class ``c``: the gradient of the class score with respect to the last
convolutional feature map ``A`` (h x w x k), averaged over the map's positions, weights the k channels;
``relu(sum_k weight_k A_k)``, scaled to [0, 1] and resized to the image, is the map.

The last feature map is found automatically: the output of the last layer (not an input layer) whose
output is 4-D (batch, height, width, channels), looking inside nested models too:

- a functional model whose last feature map is a plain layer of its own graph: one model returning the map
  and the prediction together (any topology, residual blocks included);
- a model whose layers form a chain at the top level (``keras.Sequential``; lungxray's backbone + head
  compositions, ``lungxray.models.backbones``; a keras.applications model inside a Sequential or functional
  model): the layers are applied in order, and a nested model holding the map is entered recursively.

The feature-cache split (``lungxray.run.features``: a frozen ``backbone`` computed once, the ``head`` trained on its
features) shares its layers with the full model, so Grad-CAM is computed on the full model that the runner
built: backbone (image -> map) then head (map -> score).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

Forward = Callable[[tf.Tensor], tuple[tf.Tensor, tf.Tensor]]  # images -> (feature map, prediction)


def _rank4(layer: keras.layers.Layer) -> bool:
    try:
        return len(layer.output.shape) == 4
    except (AttributeError, ValueError):
        return False


def _is_input(layer: keras.layers.Layer) -> bool:
    return isinstance(layer, keras.layers.InputLayer)


def _has_map(layer: keras.layers.Layer) -> bool:
    """Whether a layer gives, or (a nested model) holds, a 4-D feature map."""
    if _is_input(layer):
        return False
    if isinstance(layer, keras.Model):
        return any(_has_map(sub) for sub in layer.layers)
    return _rank4(layer)


def _chain(model: keras.Model) -> Forward:
    """Apply the top-level layers in order; the last one holding a feature map gives it."""
    layers = [la for la in model.layers if not _is_input(la)]
    idx = max(i for i, la in enumerate(layers) if _has_map(la))
    target = layers[idx]
    inner = find_forward(target) if isinstance(target, keras.Model) and not _rank4(target) else None

    def forward(x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        h = x
        for la in layers[:idx]:
            h = la(h, training=False)
        fmap, h = inner(h) if inner is not None else (target(h, training=False),) * 2
        for la in layers[idx + 1:]:
            h = la(h, training=False)
        return fmap, h

    return forward


def find_forward(model: keras.Model) -> Forward:
    """images -> (last 4-D feature map, model output), for the models described in the module docstring."""
    layers = [la for la in model.layers if not _is_input(la)]
    if not any(_has_map(la) for la in layers):
        raise ValueError(f"model {model.name!r} has no 4-D (convolutional) feature map: Grad-CAM needs one")
    last = max(i for i, la in enumerate(layers) if _has_map(la))
    plain = not isinstance(layers[last], keras.Model)
    if plain and not isinstance(model, keras.Sequential):
        both = keras.Model(model.inputs, [layers[last].output, model.outputs[0]])
        return lambda x: tuple(both(x, training=False))
    return _chain(model)


def heatmaps(model: keras.Model, images: np.ndarray, classes: Sequence[int]) -> np.ndarray:
    """Grad-CAM maps (n, height, width) in [0, 1] of ``images`` (as the model takes them) for ``classes``
    (one class index per image; a one-output sigmoid model: 1 the positive class, 0 the other)."""
    forward = find_forward(model)
    x = tf.convert_to_tensor(np.asarray(images, dtype=np.float32))
    idx = tf.constant(np.asarray(classes, dtype=np.int32))
    with tf.GradientTape() as tape:
        fmap, pred = forward(x)
        pred = tf.cast(pred, tf.float32)
        if pred.shape[-1] == 1:  # sigmoid: the score of class 1 is p, of class 0 is 1 - p
            p = pred[:, 0]
            score = tf.where(idx == 1, p, 1.0 - p)
        else:
            score = tf.gather(pred, idx, axis=1, batch_dims=1)
    grads = tape.gradient(score, fmap)
    weights = tf.reduce_mean(tf.cast(grads, tf.float32), axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * tf.cast(fmap, tf.float32), axis=-1))
    cam = cam / (tf.reduce_max(cam, axis=(1, 2), keepdims=True) + 1e-12)
    cam = tf.image.resize(cam[..., None], x.shape[1:3], method="bilinear")[..., 0]
    return cam.numpy()


def pick(labels: Sequence[int], preds: Sequence[int], per_kind: int = 4) -> tuple[list[int], list[int]]:
    """The first ``per_kind`` correctly and wrongly classified test images (indices, in test-set order)."""
    labels, preds = np.asarray(labels), np.asarray(preds)
    right = [int(i) for i in np.flatnonzero(labels == preds)[:per_kind]]
    wrong = [int(i) for i in np.flatnonzero(labels != preds)[:per_kind]]
    return right, wrong


def _display(img: np.ndarray) -> np.ndarray:
    """An image as the model takes it, scaled to [0, 1] for display (one channel: grey)."""
    img = np.asarray(img, dtype=np.float32)
    img = (img - img.min()) / (np.ptp(img) or 1.0)
    return img[..., 0] if img.shape[-1] == 1 else img


def gradcam_figure(model: keras.Model, images: np.ndarray, labels: Sequence[int], preds: Sequence[int],
                   classes: Sequence[str], path: Path, per_kind: int = 4) -> Path:
    """Save a PNG grid (``path``) of up to ``per_kind`` correctly and ``per_kind`` wrongly classified images,
    each under its Grad-CAM map for the predicted class. ``images``: test images as the model takes them
    (n, h, w, c); ``labels``, ``preds``: class indices; ``classes``: class names by index."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    right, wrong = pick(labels, preds, per_kind)
    rows = [(name, idx) for name, idx in (("correct", right), ("wrong", wrong)) if idx]
    if not rows:
        raise ValueError("no test images to draw")
    chosen = [i for _, idx in rows for i in idx]
    maps = dict(zip(chosen, heatmaps(model, np.asarray(images)[chosen], [int(preds[i]) for i in chosen]),
                    strict=True))
    ncol = max(len(idx) for _, idx in rows)
    fig, axes = plt.subplots(len(rows), ncol, figsize=(2.0 * ncol, 2.3 * len(rows)), squeeze=False,
                             layout="constrained")
    for r, (name, idx) in enumerate(rows):
        for c in range(ncol):
            ax = axes[r][c]
            ax.axis("off")
            if c >= len(idx):
                continue
            i = idx[c]
            img = _display(images[i])
            ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
            ax.imshow(maps[i], cmap="jet", alpha=0.4, vmin=0, vmax=1)
            ax.set_title(f"{name}: true {classes[int(labels[i])]}\npredicted {classes[int(preds[i])]}", fontsize=7,
                         color="#2e7d32" if name == "correct" else "#c62828")
    fig.suptitle("Grad-CAM for the predicted class (red: the regions its score depends on most)", fontsize=8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return path
