"""ResNet-18 in Keras, layer for layer as torchvision's ``resnet18``.

Same topology (basic blocks 2-2-2-2, 1x1 stride-2 downsample shortcuts), same padding
(explicit symmetric ZeroPadding + 'valid' convolutions, as PyTorch pads), same batch-norm
epsilon (1e-5) and momentum (PyTorch 0.1 = Keras 0.9), convolutions without bias. Layers are
named after the torchvision ``state_dict`` keys with '.' replaced by '_', so a torchvision
checkpoint converts key by key (``load_torchvision_state_dict``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import keras
import numpy as np

from lungxray.errors import WeightsError
from lungxray.models.contract import MODELS, output_activation

L = keras.layers
BN_EPS, BN_MOMENTUM = 1e-5, 0.9
STAGES = ((64, 1), (128, 2), (256, 2), (512, 2))


def _conv(x, filters, k, stride, pad, name):
    if pad:
        x = L.ZeroPadding2D(pad, name=f"{name}_pad")(x)
    return L.Conv2D(filters, k, strides=stride, padding="valid", use_bias=False, name=name)(x)


def _bn(x, name):
    return L.BatchNormalization(epsilon=BN_EPS, momentum=BN_MOMENTUM, name=name)(x)


def _basic_block(x, filters, stride, name):
    shortcut = x
    y = _conv(x, filters, 3, stride, 1, f"{name}_conv1")
    y = L.ReLU(name=f"{name}_relu1")(_bn(y, f"{name}_bn1"))
    y = _bn(_conv(y, filters, 3, 1, 1, f"{name}_conv2"), f"{name}_bn2")
    if stride != 1 or x.shape[-1] != filters:
        shortcut = _bn(_conv(x, filters, 1, stride, 0, f"{name}_downsample_0"), f"{name}_downsample_1")
    return L.ReLU(name=f"{name}_out")(L.Add(name=f"{name}_add")([y, shortcut]))


def resnet18_features(input_shape=(224, 224, 3)) -> keras.Model:
    inputs = keras.Input(input_shape, name="image")
    x = _conv(inputs, 64, 7, 2, 3, "conv1")
    x = L.ReLU(name="relu")(_bn(x, "bn1"))
    x = L.ZeroPadding2D(1, name="maxpool_pad")(x)  # inputs are >= 0 after ReLU: zero pad == -inf pad
    x = L.MaxPooling2D(3, 2, name="maxpool")(x)
    for i, (filters, stride) in enumerate(STAGES, start=1):
        x = _basic_block(x, filters, stride, f"layer{i}_0")
        x = _basic_block(x, filters, 1, f"layer{i}_1")
    x = L.GlobalAveragePooling2D(name="avgpool")(x)
    return keras.Model(inputs, x, name="resnet18_features")


@MODELS.register("resnet18_classifier")
def resnet18_classifier(n_outputs: int, input_shape=(224, 224, 3), weights: str | None = None) -> keras.Model:
    """torchvision resnet18 with ``fc`` replaced by ``n_outputs`` outputs.

    weights: None, "imagenet" (torchvision's checkpoint must be given as a file: Keras has no
    ResNet-18), or the path of a torchvision ``.pth`` / NumPy ``.npz`` state dict.
    """
    feats = resnet18_features(input_shape)
    out = L.Dense(n_outputs, activation=output_activation(n_outputs), name="fc")(feats.output)
    model = keras.Model(feats.input, out, name="resnet18")
    if weights == "imagenet":
        raise WeightsError("Keras ships no ImageNet ResNet-18. Download torchvision's resnet18-f37072fd.pth "
                           "(ResNet18_Weights.IMAGENET1K_V1, https://download.pytorch.org/models/resnet18-f37072fd.pth) "
                           "and pass --weights PATH/resnet18-f37072fd.pth, "
                           "or pass --weights none (not faithful).")
    if weights:
        from lungxray.models.weight_files import note_loaded, torchvision_resnet18

        load_torchvision_state_dict(model, read_state_dict(weights), skip_mismatched_fc=True)
        note_loaded(weights, torchvision_resnet18())
    return model


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    path = Path(path)
    if path.suffix == ".npz":
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    try:
        import torch
    except ImportError:
        raise WeightsError(f"reading {path} needs PyTorch: pip install -e '.[torch]' "
                           "(or convert it to .npz with numpy elsewhere)") from None
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsError(f"cannot read {path} as a PyTorch state dict: {exc}") from None
    sd = sd.get("state_dict", sd) if isinstance(sd, dict) else sd
    return {k: v.detach().cpu().numpy() for k, v in sd.items()}


def load_torchvision_state_dict(model: keras.Model, sd: Mapping[str, np.ndarray],
                                skip_mismatched_fc: bool = False) -> list[str]:
    """Copy a torchvision resnet18 state dict into ``model``. Returns the keys not used."""
    used = set()
    for layer in model.layers:
        key = layer.name.replace("_", ".")
        if isinstance(layer, L.Conv2D):
            w = sd[f"{key}.weight"]
            layer.set_weights([np.transpose(w, (2, 3, 1, 0))])
            used.add(f"{key}.weight")
        elif isinstance(layer, L.BatchNormalization):
            names = ("weight", "bias", "running_mean", "running_var")
            layer.set_weights([sd[f"{key}.{n}"] for n in names])
            used.update(f"{key}.{n}" for n in names)
        elif isinstance(layer, L.Dense) and layer.name == "fc":
            w, b = sd["fc.weight"], sd["fc.bias"]
            if w.shape[0] != layer.units:
                if not skip_mismatched_fc:
                    raise WeightsError(f"fc has {w.shape[0]} outputs in the checkpoint, {layer.units} here")
                continue  # ImageNet head: the paper replaces fc, so it starts fresh
            layer.set_weights([w.T, b])
            used.update(("fc.weight", "fc.bias"))
    return sorted(set(sd) - used)
