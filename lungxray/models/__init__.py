"""Model builders, looked up by name from a study's typed ModelConfig.

The builder contract: ``builder(n_outputs, input_shape=(h, w, c), **params)`` returns a Keras model
whose last layer has ``n_outputs`` units and the activation of :func:`output_activation` (sigmoid
for one output, softmax otherwise); a builder with a pretrained part also takes ``weights``
(``ModelConfig.uses_pretrained``). Builders register with ``@MODELS.register("name")``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lungxray.config import ModelConfig  # noqa: F401  (re-exported)
from lungxray.registry import Registry


def _import_builders() -> None:
    from lungxray.models import backbones, mobilenetv2, resnet18, simple  # noqa: F401  (they register)


MODELS: Registry[Callable[..., Any]] = Registry("model", load=_import_builders)


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
