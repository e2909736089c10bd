"""The composed augmentation (one affine resampling, one multiply-add) equals the sequential layers."""

import numpy as np
import pytest

from lungxray.data.augment import build_augmenter
from lungxray.spec.config import AugmentConfig

SIZE = 96


def smooth_batch(n: int = 16, size: int = SIZE) -> np.ndarray:
    """Low-frequency images (bilinear error on them is tiny), a different pattern per channel and image."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    out = np.empty((n, size, size, 3), np.float32)
    for i in range(n):
        for c in range(3):
            out[i, ..., c] = 0.5 + 0.2 * np.sin(2 * np.pi * (xx * (1 + c) + 0.1 * i)) * np.cos(
                2 * np.pi * (yy * (1 + (i % 2)) + 0.05 * c)) + 0.1 * xx
    return out


def _both(cfg: AugmentConfig, x: np.ndarray, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    seq = np.asarray(build_augmenter(cfg, seed, composed=False)(x, training=True))
    comp = np.asarray(build_augmenter(cfg, seed)(x, training=True))
    return seq, comp


CASES = {
    "cnn_vs_lstm mild (layers)": AugmentConfig(rotation_deg=10, hflip=True, zoom=0.1, shift=0.1),
    "syakuroh2025 layers": AugmentConfig(rotation_deg=10, hflip=True, zoom=0.1, brightness=0.1),
    "syakuroh2025 generator": AugmentConfig(rotation_deg=10, hflip=True, zoom=0.1, brightness=0.1,
                                            semantics="generator"),
    "generator with shift and vflip": AugmentConfig(rotation_deg=10, vflip=True, zoom=0.1, shift=0.1,
                                                    semantics="generator"),
    "hanif2025 rot-flip-crop-contrast": AugmentConfig(rotation_deg=10, hflip=True, crop=0.1, contrast=0.2),
    "brightness and contrast folded": AugmentConfig(rotation_deg=5, brightness=0.05, contrast=0.2),
}


@pytest.mark.parametrize("name", list(CASES))
def test_composed_equals_sequential_layers_within_interpolation_error(name):
    cfg = CASES[name]
    x = smooth_batch()
    seq, comp = _both(cfg, x)
    inner = (slice(None), slice(SIZE // 4, 3 * SIZE // 4), slice(SIZE // 4, 3 * SIZE // 4))  # away from borders
    diff = np.abs(seq[inner] - comp[inner])
    step = 1 / 255 if cfg.semantics == "generator" and cfg.brightness else 0.0  # uint8 truncation: one level
    assert diff.max() <= 0.005 + step, name
    assert diff.mean() <= 0.002 + step / 4, name
    moved = np.abs(comp[inner] - x[inner]).mean()
    assert moved > 10 * diff.mean(), "the augmentation must actually change the images"


def test_one_resampling_per_image_and_the_same_seed_states():
    """The composed layer owns the stack's seed generators in the stack's order (EpochSeeds numbers them)."""
    cfg = CASES["syakuroh2025 generator"]
    seq, comp = build_augmenter(cfg, 3, composed=False), build_augmenter(cfg, 3)
    names = [[v.path.split("/")[0] for v in m.variables if "seed_generator_state" in v.path] for m in (seq, comp)]
    assert len(names[1]) == 4 and [n.rstrip("_0123456789") for n in names[1]] == \
        [n.rstrip("_0123456789") for n in names[0]]
    assert comp.fill_mode == "nearest" and build_augmenter(CASES["cnn_vs_lstm mild (layers)"], 3).fill_mode == "constant"


def test_flip_only_is_exact():
    x = np.random.default_rng(0).random((8, 16, 16, 3)).astype(np.float32)
    for cfg in (AugmentConfig(hflip=True), AugmentConfig(hflip=True, vflip=True)):
        seq, comp = _both(cfg, x)
        np.testing.assert_array_equal(seq, comp)


def test_composed_draws_have_the_configured_distributions():
    """Flat image, nearest fill: geometry leaves it flat, so the output shows the brightness factor alone,
    drawn from [1 - b, 1 + b] (ImageDataGenerator's brightness_range) on truncated uint8 levels."""
    x = np.full((256, 8, 8, 1), 100 / 255, np.float32)
    out = np.asarray(build_augmenter(CASES["syakuroh2025 generator"], 1)(x, training=True))
    per_image = out[:, 0, 0, 0] * 255
    assert np.all(out == out[:, :1, :1, :1])  # flat stays flat
    assert per_image.min() >= np.floor(100 * 0.9) and per_image.max() <= np.floor(100 * 1.1)
    assert per_image.std() > 3  # spread over the range
