"""Generated datasets in each registered dataset's exact layout (for --smoke and tests).

Classes differ in a learnable way (overall brightness and the position of a bright
blob), so a short run on them must score well above chance.  Images are written in the
real dataset's file naming, size and colour mode.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from lungxray.data.datasets import get_dataset
from lungxray.spec.registry import Registry


def class_image(k: int, n_classes: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """A grey uint8 image whose brightness and blob position encode class ``k``."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    level = 40 + 150 * k / max(n_classes - 1, 1)
    angle = 2 * np.pi * k / n_classes
    cy, cx = 0.5 + 0.25 * np.sin(angle), 0.5 + 0.25 * np.cos(angle)
    blob = 80 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 0.01)
    img = level + blob + rng.normal(0, 12, (size, size))
    return np.clip(img, 0, 255).astype(np.uint8)


def _save(path: Path, grey: np.ndarray, mode: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == "L":
        im = Image.fromarray(grey, "L")
    elif mode == "RGB":
        im = Image.fromarray(np.repeat(grey[..., None], 3, -1), "RGB")
    elif mode == "RGBA":
        a = np.full_like(grey, 255)
        im = Image.fromarray(np.stack([grey, grey, grey, a], -1), "RGBA")
    else:
        raise ValueError(mode)
    im.save(path)


Draw = Callable[[str, int], np.ndarray]  # (label, size) -> a grey uint8 image of that class
SYNTHETIC: Registry[Callable[..., None]] = Registry("synthetic dataset layout")


def make_dataset(key: str, out: Path, per_class: int, seed: int = 0, classes: Sequence[str] | None = None,
                 size: int | None = None) -> Path:
    """Write a small ``key`` dataset under ``out``; returns the folder to pass as --data-dir."""
    spec = get_dataset(key)
    rng = np.random.default_rng(seed)
    all_classes = list(spec.classes)

    def img(label: str, sz: int) -> np.ndarray:
        return class_image(all_classes.index(label), len(all_classes), sz, rng)

    SYNTHETIC[key](Path(out), list(classes or all_classes), per_class, img, rng, size, seed)
    return Path(out)


@SYNTHETIC.register("syakuroh-4class")
def _four_class(out: Path, use: list[str], per_class: int, img: Draw, rng, size: int | None, seed: int) -> None:
    for c in use:
        for i in range(per_class):
            _save(out / c / f"{c.lower()}_{i:05d}.png", img(c, size or 256), "L")


@SYNTHETIC.register("covid19-radiography")
def _covid(out: Path, use: list[str], per_class: int, img: Draw, rng, size: int | None, seed: int) -> None:
    root = out / "COVID-19_Radiography_Dataset"
    for c in use:
        for i in range(1, per_class + 1):
            _save(root / c / "images" / f"{c}-{i}.png", img(c, size or 299), "L")
        (root / c / "masks").mkdir(parents=True, exist_ok=True)
        (root / f"{c}.metadata.xlsx").write_bytes(b"PK\x03\x04 not a real workbook")


@SYNTHETIC.register("chest-ctscan")
def _chest_ct(out: Path, use: list[str], per_class: int, img: Draw, rng, size: int | None, seed: int) -> None:
    long = {"adenocarcinoma": "adenocarcinoma_left.lower.lobe_T2_N0_M0_Ib",
            "large.cell.carcinoma": "large.cell.carcinoma_left.hilum_T2_N2_M0_IIIa",
            "normal": "normal", "squamous.cell.carcinoma": "squamous.cell.carcinoma_left.hilum_T1_N2_M0_IIIa"}
    shares = {"train": 0.6, "valid": 0.15, "test": 0.25}
    for split, share in shares.items():
        for c in use:
            folder = c if split == "test" else long[c]
            for i in range(max(2, round(per_class * share))):
                sz = int(size or rng.integers(240, 420))
                mode = "RGBA" if i % 3 else "RGB"
                _save(out / "Data" / split / folder / f"{i:06d}.png", img(c, sz), mode)


@SYNTHETIC.register("nih-chestxray14")
def _nih(out: Path, use: list[str], per_class: int, img: Draw, rng, size: int | None, seed: int) -> None:
    rows: list[list[object]] = []
    for c in use:
        for _ in range(per_class):
            pid = 1 + (len(rows) // 3)
            name = f"{pid:08d}_{len(rows) % 3:03d}.png"
            _save(out / "images" / name, img(c, size or 64), "RGB")
            rows.append([name, "No Finding" if c == "normal" else "Effusion", 0, pid])
    with open(out / "Data_Entry_2017.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Image Index", "Finding Labels", "Follow-up #", "Patient ID"])
        w.writerows(rows)


def _suffix_named(prefix: str) -> Callable[..., None]:
    def write(out: Path, use: list[str], per_class: int, img: Draw, rng, size: int | None, seed: int) -> None:
        for c in use:
            for i in range(per_class):
                suffix = 0 if c == "normal" else 1
                _save(out / "CXR_png" / f"{prefix}_{len(use) * i + suffix:04d}_{suffix}.png", img(c, size or 256), "L")
    return write


SYNTHETIC.add("montgomery", _suffix_named("MCUCXR"))
SYNTHETIC.add("shenzhen", _suffix_named("CHNCXR"))


@SYNTHETIC.register("cxr-combined")
def _combined(out: Path, use: list[str], per_class: int, img: Draw, rng, size: int | None, seed: int) -> None:
    for part in ("nih-chestxray14", "montgomery", "shenzhen"):
        make_dataset(part, out / part, max(2, per_class // 3), seed + len(part), use, size)


def make_full_size(key: str, out: Path, n: int, size: int, seed: int = 0) -> Path:
    """About ``n`` files (``ceil(n / classes)`` per class) of ``size`` px in ``key``'s layout: a dataset at its
    real count and image size, for ``lungxray bench --data-stage``."""
    per_class = -(-n // len(get_dataset(key).classes))
    return make_dataset(key, out, per_class, seed, size=size)
