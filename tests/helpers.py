"""Shared test helpers: tiny images in every format the real datasets contain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def shared(name: str) -> Path:
    import pytest

    p = SHARED / name
    if not p.is_dir():
        pytest.skip(f"real data {p} is absent")
    return p


def grey(size=(12, 10), value: int | None = None, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if value is not None:
        return np.full(size[::-1], value, np.uint8)
    return rng.integers(0, 256, size[::-1], dtype=np.uint8)


def write_png(path: Path, mode: str = "L", size=(12, 10), value: int | None = None, seed: int = 0) -> Path:
    """mode: L, RGB, RGBA, LA, P (palette), I;16 (16-bit grey)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    g = grey(size, value, seed)
    if mode == "L":
        im = Image.fromarray(g, "L")
    elif mode == "RGB":
        im = Image.fromarray(np.stack([g] * 3, -1), "RGB")
    elif mode == "RGBA":
        im = Image.fromarray(np.stack([g, g, g, np.full_like(g, 255)], -1), "RGBA")
    elif mode == "LA":
        im = Image.fromarray(np.stack([g, np.full_like(g, 255)], -1), "LA")
    elif mode == "P":
        im = Image.fromarray(np.stack([g] * 3, -1), "RGB").convert("P", palette=Image.Palette.ADAPTIVE)
    elif mode == "I;16":
        im = Image.fromarray(g.astype(np.uint16) * 257)
    else:
        raise ValueError(mode)
    im.save(path)
    return path


def write_jpeg(path: Path, size=(12, 10), value: int | None = None, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grey(size, value, seed), "L").convert("RGB").save(path, quality=95)
    return path
