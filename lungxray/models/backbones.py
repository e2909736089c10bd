"""Pretrained Keras-applications backbones as 'backbone' + 'head' models.

Models built here have two named sub-models, ``backbone`` (image -> feature map) and
``head`` (feature map -> output). When the backbone is frozen and the study does not
augment, the runner computes the backbone's features once and trains the head on them
(``lungxray.run.features``); the full model gives the same predictions.
"""

from __future__ import annotations

import keras

from lungxray.models.contract import MODELS, output_activation
from lungxray.models.heads import classification_head
from lungxray.models.mobilenetv2 import set_bn_momentum, set_trainable_tail
from lungxray.models.pretrained import load_application
from lungxray.models.weight_files import BACKBONES

L = keras.layers


def backbone(arch: str, input_shape, weights: str | None, trainable_last: int | None = None,
             frozen: bool = False) -> keras.Model:
    app = BACKBONES[arch].application
    base = load_application(getattr(keras.applications, app), weights, app, include_top=False, input_shape=input_shape)
    if frozen:
        base.trainable = False
    else:
        set_trainable_tail(base, trainable_last)
    return keras.Model(base.inputs, base.outputs, name="backbone")


def _compose(bb: keras.Model, head: keras.Model, name: str) -> keras.Model:
    inputs = keras.Input(bb.input_shape[1:], name="image")
    return keras.Model(inputs, head(bb(inputs)), name=name)


@MODELS.register("cnn_classifier")
def cnn_classifier(n_outputs: int, input_shape=(224, 224, 3), weights: str | None = None, arch: str = "resnet50",
                   head: str = "gap-dense256-dropout", dropout: float = 0.5, frozen: bool = False,
                   trainable_last: int | None = None, bn_momentum: float | None = None) -> keras.Model:
    """A keras.applications backbone with a fully connected head (softmax, or sigmoid for 1 output)."""
    bb = backbone(arch, input_shape, weights, trainable_last, frozen)
    feat = keras.Input(bb.output_shape[1:], name="features")
    act = output_activation(n_outputs)
    h = keras.Model(feat, classification_head(feat, n_outputs, head, dropout, act), name="head")
    model = _compose(bb, h, f"{arch}_classifier")
    if bn_momentum is not None:
        set_bn_momentum(model, bn_momentum)
    return model


@MODELS.register("cnn_lstm_classifier")
def cnn_lstm_classifier(n_outputs: int, input_shape=(224, 224, 3), weights: str | None = None,
                        arch: str = "resnet50", sequence: str = "positions", units=(32, 16, 8),
                        dropout: float = 0.5, frozen: bool = True) -> keras.Model:
    """Backbone feature map -> sequence -> stacked LSTMs -> dropout -> output.

    sequence="positions": each spatial position of the HxWxC map is a time step (7x7x2048 -> 49x2048).
    sequence="pool2x2": the map is average-pooled to 2x2 first (-> 4x2048), the paper's "2x2 with 2048".
    """
    bb = backbone(arch, input_shape, weights, None, frozen)
    feat = keras.Input(bb.output_shape[1:], name="features")
    x = feat
    if sequence == "pool2x2":
        h, w = feat.shape[1], feat.shape[2]
        x = L.AveragePooling2D((h // 2, w // 2), name="pool2x2")(x)
    elif sequence != "positions":
        raise ValueError(f"unknown sequence {sequence!r}")
    x = L.Reshape((x.shape[1] * x.shape[2], x.shape[3]), name="to_sequence")(x)
    x = lstm_stack(x, units, dropout)
    act = output_activation(n_outputs)
    out = L.Dense(n_outputs, activation=act, name="predictions")(x)
    return _compose(bb, keras.Model(feat, out, name="head"), f"{arch}_lstm")


def lstm_stack(x, units, dropout: float):
    for i, u in enumerate(units):
        x = L.LSTM(u, return_sequences=i < len(units) - 1, name=f"lstm{i + 1}_{u}")(x)
    return L.Dropout(dropout, name="dropout")(x) if dropout else x


@MODELS.register("lstm_classifier")
def lstm_classifier(n_outputs: int, input_shape=(224, 224, 3), sequence: str = "rows",
                    units=(32, 16, 8), dropout: float = 0.5) -> keras.Model:
    """LSTM alone on the image: each row is a time step (features = width x channels)."""
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    if sequence == "rows-grey" and input_shape[-1] == 3:
        x = L.Lambda(lambda t: keras.ops.mean(t, axis=-1, keepdims=True), name="to_grey")(x)
    elif sequence not in ("rows", "rows-grey"):
        raise ValueError(f"unknown sequence {sequence!r}")
    x = L.Reshape((input_shape[0], -1), name="rows_as_steps")(x)
    x = lstm_stack(x, units, dropout)
    act = output_activation(n_outputs)
    return keras.Model(inputs, L.Dense(n_outputs, activation=act, name="predictions")(x), name="lstm")
