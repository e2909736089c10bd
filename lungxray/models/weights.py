"""Pretrained weights: ``imagenet`` the normal Keras way, a local file, or none."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from lungxray.errors import WeightsError


def parse_weights(arg: str | None) -> str | None:
    """CLI value -> what Keras applications take: "imagenet", a file path, or None."""
    if arg is None or arg.lower() == "none":
        return None
    if arg.lower() == "imagenet":
        return "imagenet"
    p = Path(arg).expanduser()
    if not p.is_file():
        raise WeightsError(f"--weights {arg}: no such file. Use --weights imagenet, --weights none, "
                           "or the path of a weights file.")
    return str(p)


def describe(weights: str | None) -> str:
    if weights is None:
        return "none (random initialisation: NOT the paper's ImageNet weights)"
    if weights == "imagenet":
        return "imagenet (Keras applications)"
    return f"file {weights}"


def keras_cache_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"


def load_application(builder: Callable, weights: str | None, arch: str, **kwargs):
    """Call a ``keras.applications`` builder; explain clearly when ImageNet weights can't be fetched."""
    try:
        return builder(weights=weights, **kwargs)
    except Exception as exc:
        msg = str(exc)
        if weights == "imagenet" and ("URL fetch failure" in msg or "Name or service" in msg or "urlopen" in msg
                                      or isinstance(exc, OSError | ConnectionError)):
            raise WeightsError(
                f"ImageNet weights for {arch} could not be downloaded (no network?).\n"
                f"  - put the Keras weight file in {keras_cache_dir()} (Keras looks there first), or\n"
                f"  - pass --weights PATH to a weights file you have, or\n"
                f"  - pass --weights none to train from random initialisation (runs are then marked "
                f"as not faithful to the paper)."
            ) from None
        if weights not in (None, "imagenet"):
            raise WeightsError(f"cannot load weights file {weights} into {arch}: {msg.splitlines()[0]}") from None
        raise
