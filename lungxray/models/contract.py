"""The model builder contract and the registry every builder registers in (see ``lungxray.models``)."""


from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lungxray.spec.config import ModelConfig
from lungxray.spec.registry import Registry

#: Every model builder, by name; the modules named here register theirs (with ``@MODELS.register``).
MODELS: Registry[Callable[..., Any]] = Registry("model", modules=(
    "lungxray.models.backbones", "lungxray.models.mobilenetv2", "lungxray.models.resnet18", "lungxray.models.simple"))


def n_outputs(n_classes: int, binary: bool) -> int:
    """One sigmoid unit for a binary study (its positive class), else one unit per class."""
    return 1 if binary else n_classes


def output_activation(n_outputs: int) -> str:
    return "sigmoid" if n_outputs == 1 else "softmax"


def build_model(cfg: ModelConfig, n_outputs: int, input_shape: tuple[int, int, int], weights: str | None):
    kw = dict(cfg.params)
    if cfg.uses_pretrained:
        kw["weights"] = weights
    return MODELS[cfg.name](n_outputs, input_shape=input_shape, **kw)
