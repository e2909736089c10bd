"""Model builders, looked up by name from a study's typed ModelConfig."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

BUILDERS: dict[str, Callable[..., Any]] = {}


def register(name: str):
    def deco(fn):
        BUILDERS[name] = fn
        return fn
    return deco


@dataclass(frozen=True)
class ModelConfig:
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    uses_pretrained: bool = True  # whether --weights applies to this model


def build_model(cfg: ModelConfig, n_outputs: int, input_shape: tuple[int, int, int], weights: str | None):
    _load_builders()
    if cfg.name not in BUILDERS:
        raise KeyError(f"unknown model {cfg.name!r}; known: {', '.join(sorted(BUILDERS))}")
    kw = dict(cfg.params)
    if cfg.uses_pretrained:
        kw["weights"] = weights
    return BUILDERS[cfg.name](n_outputs, input_shape=input_shape, **kw)


def _load_builders() -> None:
    if BUILDERS:
        return
    from lungxray.models import backbones, mobilenetv2, resnet18, simple

    register("mobilenetv2_classifier")(mobilenetv2.mobilenetv2_classifier)
    register("resnet18_classifier")(resnet18.resnet18_classifier)
    register("cnn_classifier")(backbones.cnn_classifier)
    register("cnn_lstm_classifier")(backbones.cnn_lstm_classifier)
    register("lstm_classifier")(backbones.lstm_classifier)
    register("simple_cnn")(simple.simple_cnn)
    register("simple_cnn_lstm")(simple.simple_cnn_lstm)
