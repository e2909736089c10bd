"""Pretrained weights: ``imagenet`` the normal Keras way, a local file, or none."""

from __future__ import annotations

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
    """Where Keras looks for its weight files ($KERAS_HOME as it was when Keras was imported)."""
    from lungxray.models.weight_files import keras_models_dir

    return keras_models_dir()


def load_application(builder: Callable, weights: str | None, arch: str, **kwargs):
    """Call a ``keras.applications`` builder; explain clearly when ImageNet weights can't be fetched."""
    from lungxray.models.weight_files import digests, keras_file, note_loaded

    expected = keras_file(arch.lower(), kwargs.get("input_shape"))
    try:
        model = builder(weights=weights, **kwargs)
    except Exception as exc:
        msg = str(exc)
        if weights == "imagenet" and ("URL fetch failure" in msg or "Name or service" in msg or "urlopen" in msg
                                      or isinstance(exc, OSError | ConnectionError)):
            there = keras_cache_dir() / expected.name
            if there.is_file() and expected.matches(digests(there)) is False:
                raise WeightsError(
                    f"{there} is there, but its {expected.hash_algorithm} differs from the published "
                    f"{expected.known_hash}, so Keras tried to download it again (no network?). Replace it "
                    f"with the file from {expected.url}, or pass --weights PATH or --weights none (not faithful)."
                ) from None
            raise WeightsError(
                f"ImageNet weights for {arch} could not be downloaded (no network?).\n"
                f"  - put {expected.name} (from {expected.url}) in {keras_cache_dir()} "
                f"(Keras looks there first; `python -m lungxray weights` lists every file), or\n"
                f"  - pass --weights PATH to a weights file you have, or\n"
                f"  - pass --weights none to train from random initialisation (runs are then marked "
                f"as not faithful to the paper)."
            ) from None
        if weights not in (None, "imagenet"):
            raise WeightsError(f"cannot load weights file {weights} into {arch}: {msg.splitlines()[0]}") from None
        raise
    note_loaded(weights, expected)
    return model
