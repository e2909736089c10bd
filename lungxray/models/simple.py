"""Small models trained from scratch: a plain CNN and the same CNN feeding LSTMs."""

from __future__ import annotations

import keras

from lungxray.models.contract import MODELS, output_activation

L = keras.layers


def conv_features(x, filters=(32, 64, 128), batchnorm: bool = False):
    """Blocks of 3x3 convolution (ReLU, 'same') and 2x2 max pooling."""
    for i, f in enumerate(filters, start=1):
        x = L.Conv2D(f, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        if batchnorm:
            x = L.BatchNormalization(name=f"bn{i}")(x)
        x = L.MaxPooling2D(2, name=f"pool{i}")(x)
    return x


@MODELS.register("simple_cnn")
def simple_cnn(n_outputs: int, input_shape=(224, 224, 1), filters=(32, 64, 128), dense: int = 128,
               dropout: float = 0.5, batchnorm: bool = False) -> keras.Model:
    inputs = keras.Input(input_shape, name="image")
    x = conv_features(inputs, filters, batchnorm)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(dense, activation="relu", name="fc")(x)
    x = L.Dropout(dropout, name="dropout")(x)
    act = output_activation(n_outputs)
    return keras.Model(inputs, L.Dense(n_outputs, activation=act, name="predictions")(x), name="cnn")


@MODELS.register("simple_cnn_lstm")
def simple_cnn_lstm(n_outputs: int, input_shape=(224, 224, 1), filters=(32, 64, 128), lstm_units=(64, 32),
                    dropout: float = 0.5, batchnorm: bool = False) -> keras.Model:
    """The CNN's convolutional features, each feature-map row a time step, into stacked LSTMs.

    The default stacks two LSTMs: the paper this serves (cnn_vs_lstm) speaks of several LSTM layers.
    """
    if not lstm_units:
        raise ValueError("simple_cnn_lstm needs at least one LSTM layer")
    inputs = keras.Input(input_shape, name="image")
    x = conv_features(inputs, filters, batchnorm)
    x = L.Reshape((x.shape[1], x.shape[2] * x.shape[3]), name="rows_as_steps")(x)
    for i, u in enumerate(lstm_units):
        x = L.LSTM(u, return_sequences=i < len(lstm_units) - 1, name=f"lstm{i + 1}")(x)
    x = L.Dropout(dropout, name="dropout")(x)
    act = output_activation(n_outputs)
    return keras.Model(inputs, L.Dense(n_outputs, activation=act, name="predictions")(x), name="cnn_lstm")
