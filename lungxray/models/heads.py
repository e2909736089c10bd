"""Classification heads, named by a small grammar so study variants can spell them out.

``gap-dense256-bn-dropout``: GlobalAveragePooling2D, Dense(256, relu), BatchNormalization,
Dropout(rate), then the output Dense. First token ``gap`` or ``flatten``; then any of
``denseN``, ``bn``, ``dropout`` in order.
"""

from __future__ import annotations

import re

import keras


def parse_head(spec: str) -> list[tuple[str, int | None]]:
    tokens = spec.split("-")
    if not tokens or tokens[0] not in ("gap", "flatten", "none"):
        raise ValueError(f"head {spec!r} must start with gap, flatten or none")
    out: list[tuple[str, int | None]] = [(tokens[0], None)]
    for t in tokens[1:]:
        m = re.fullmatch(r"dense(\d+)", t)
        if m:
            out.append(("dense", int(m.group(1))))
        elif t in ("bn", "dropout"):
            out.append((t, None))
        else:
            raise ValueError(f"head {spec!r}: unknown part {t!r} (denseN, bn, dropout)")
    return out


def classification_head(x, n_outputs: int, head: str, dropout: float, activation: str):
    L = keras.layers
    for i, (kind, n) in enumerate(parse_head(head)):
        if kind == "gap":
            x = L.GlobalAveragePooling2D(name="head_gap")(x)
        elif kind == "flatten":
            x = L.Flatten(name="head_flatten")(x)
        elif kind == "dense":
            x = L.Dense(n, activation="relu", name=f"head_dense{n}_{i}" if i > 1 else "head_dense")(x)
        elif kind == "bn":
            x = L.BatchNormalization(name="head_bn")(x)
        elif kind == "dropout" and dropout:
            x = L.Dropout(dropout, name="head_dropout")(x)
    return L.Dense(n_outputs, activation=activation, name="predictions")(x)
