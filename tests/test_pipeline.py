"""Decoding of every input format the datasets contain, and augmentation rules."""

import numpy as np
import pytest

from lungxray.data.layouts import Record
from lungxray.data.pipeline import AugmentConfig, ImageConfig, ImagePipeline
from tests.helpers import write_jpeg, write_png

MODES = ["L", "RGB", "RGBA", "LA", "P", "I;16"]


@pytest.fixture
def mixed_folder(tmp_path):
    recs = []
    for i, mode in enumerate(MODES):
        write_png(tmp_path / f"img {i} [{mode.replace(';', '')}] é.png", mode, value=128)
        recs.append(Record(f"img {i} [{mode.replace(';', '')}] é.png", "a", "test"))
    write_jpeg(tmp_path / "j.jpg", value=128)
    recs.append(Record("j.jpg", "a", "test"))
    return tmp_path, recs


@pytest.mark.parametrize("color,channels", [("rgb", 3), ("grayscale", 1)])
def test_every_format_decodes_to_the_same_image(mixed_folder, color, channels):
    root, recs = mixed_folder
    pipe = ImagePipeline(root, recs, ["a"], ImageConfig(8, color, "bilinear", "rescale"), AugmentConfig(), 4, 0)
    x, y = pipe.arrays("test")
    assert x.shape == (len(recs), 8, 8, channels)
    # every format, 16-bit included, decodes to mid-grey (128/255), JPEG within its loss
    np.testing.assert_allclose(x, 128 / 255, atol=3 / 255)
    assert y.tolist() == [0] * len(recs)


def test_scalings(mixed_folder):
    root, recs = mixed_folder
    x = {s: ImagePipeline(root, recs[:1], ["a"], ImageConfig(8, "rgb", "bilinear", s), AugmentConfig(), 1, 0)
         .arrays("test")[0] for s in ("rescale", "mobilenet_v2", "torch_imagenet")}
    np.testing.assert_allclose(x["mobilenet_v2"], x["rescale"] * 2 - 1, atol=1e-6)
    np.testing.assert_allclose(x["torch_imagenet"][..., 0], (x["rescale"][..., 0] - 0.485) / 0.229, atol=1e-5)


def _noise_folder(tmp_path, n=8):
    recs = []
    for i in range(n):
        write_png(tmp_path / f"{i}.png", "L", size=(16, 16), seed=i)
        recs.append(Record(f"{i}.png", "ab"[i % 2], "train"))
    return recs


def _first_batch(pipe, training):
    return next(iter(pipe.dataset("train", training=training)))[0].numpy()


def test_augmentation_on_training_only_and_seeded(tmp_path):
    recs = _noise_folder(tmp_path)
    aug = AugmentConfig(rotation_deg=10, hflip=True, zoom=0.1, brightness=0.1)
    img = ImageConfig(16, "grayscale", "bilinear", "rescale")

    def pipe(seed):
        return ImagePipeline(tmp_path, recs, ["a", "b"], img, aug, 8, seed)

    plain = ImagePipeline(tmp_path, recs, ["a", "b"], img, AugmentConfig(), 8, 0)
    np.testing.assert_array_equal(_first_batch(pipe(0), False), _first_batch(plain, False))  # eval: untouched
    a1, a2, b = _first_batch(pipe(0), True), _first_batch(pipe(0), True), _first_batch(pipe(1), True)
    np.testing.assert_array_equal(a1, a2)  # same seed, same augmented batch
    assert not np.array_equal(a1, b)
    assert not np.array_equal(np.sort(a1.ravel()), np.sort(_first_batch(plain, False).ravel()))


def test_decoding_happens_once(tmp_path):
    recs = _noise_folder(tmp_path, 4)
    pipe = ImagePipeline(tmp_path, recs, ["a", "b"], ImageConfig(16, "grayscale"), AugmentConfig(), 4, 0)
    first = pipe.arrays("train")[0]
    for r in recs:
        (tmp_path / r.path).unlink()  # a second decode would fail now
    np.testing.assert_array_equal(pipe.arrays("train")[0], first)


def test_seed_zero_training_order_works(tmp_path):
    from lungxray.train import set_determinism

    set_determinism(0)
    recs = _noise_folder(tmp_path, 4)
    pipe = ImagePipeline(tmp_path, recs, ["a", "b"], ImageConfig(16, "grayscale"), AugmentConfig(hflip=True), 4, 0)
    assert _first_batch(pipe, True).shape == (4, 16, 16, 1)
