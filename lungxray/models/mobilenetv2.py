"""MobileNetV2 backbone (keras.applications) with a configurable classification head."""

from __future__ import annotations

import keras

from lungxray.models.contract import MODELS, output_activation
from lungxray.models.heads import classification_head
from lungxray.models.pretrained import load_application


def set_trainable_tail(base: keras.Model, n: int | None, count: str = "layers") -> None:
    """Freeze ``base`` except its last ``n`` layers (None: everything trainable; 0: frozen).

    count="layers": the last n entries of ``base.layers`` (the usual ``layers[:-n]`` idiom,
    so BatchNormalization, ReLU and Add layers are counted too).
    count="weighted": the last n layers that own weights (convolutions, batch norms).
    """
    base.trainable = True
    if n is None:
        return
    layers = base.layers if count == "layers" else [la for la in base.layers if la.weights]
    tail = {id(la) for la in layers[len(layers) - n:]} if n else set()
    for la in base.layers:
        la.trainable = id(la) in tail


@MODELS.register("mobilenetv2_classifier")
def mobilenetv2_classifier(n_outputs: int, input_shape=(224, 224, 3), weights: str | None = None,
                           trainable_last: int | None = 12, trainable_count: str = "layers",
                           head: str = "gap-bn-dropout", dropout: float = 0.5,
                           bn_momentum: float | None = None) -> keras.Model:
    base = load_application(keras.applications.MobileNetV2, weights, "MobileNetV2",
                            include_top=False, input_shape=input_shape)
    set_trainable_tail(base, trainable_last, trainable_count)
    inputs = keras.Input(input_shape, name="image")
    x = base(inputs)
    outputs = classification_head(x, n_outputs, head, dropout, output_activation(n_outputs))
    model = keras.Model(inputs, outputs, name="mobilenetv2_classifier")
    if bn_momentum is not None:
        set_bn_momentum(model, bn_momentum)
    return model


def set_bn_momentum(model: keras.Model, momentum: float) -> None:
    """Smoke runs only: let BatchNorm moving statistics settle within a few steps."""
    for la in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(la, keras.layers.BatchNormalization):
            la.momentum = momentum
