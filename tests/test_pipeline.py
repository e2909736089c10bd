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


def test_contrast_augmentation_is_seeded_per_epoch_like_the_other_layers(tmp_path):
    """RandomContrast changes training batches only, and EpochSeeds resets its state from (seed, epoch):
    a fresh pipeline started at epoch 2 draws what one that ran epochs 0 and 1 first draws."""
    import keras

    from lungxray.train import EpochSeeds

    recs = _noise_folder(tmp_path)
    img = ImageConfig(16, "grayscale", "bilinear", "rescale")
    aug = AugmentConfig(contrast=0.5)
    assert aug.active

    def at_epoch(pipe, epochs):
        cb = EpochSeeds(7, pipe.epoch, pipe.augmenter)
        cb.set_model(keras.Sequential([keras.Input((16, 16, 1))]))
        for e in epochs:
            cb.on_epoch_begin(e)
            batch = _first_batch(pipe, True)
        return batch

    assert any("seed_generator_state" in v.path for v in
               ImagePipeline(tmp_path, recs, ["a", "b"], img, aug, 8, 7).augmenter.variables)
    uninterrupted = at_epoch(ImagePipeline(tmp_path, recs, ["a", "b"], img, aug, 8, 7), [0, 1, 2])
    resumed = at_epoch(ImagePipeline(tmp_path, recs, ["a", "b"], img, aug, 8, 7), [2])
    np.testing.assert_array_equal(uninterrupted, resumed)
    plain = ImagePipeline(tmp_path, recs, ["a", "b"], img, AugmentConfig(), 8, 7)
    assert not np.allclose(resumed, at_epoch(plain, [2]))  # same order, contrast changed
    np.testing.assert_array_equal(_first_batch(ImagePipeline(tmp_path, recs, ["a", "b"], img, aug, 8, 7), False),
                                  _first_batch(plain, False))  # evaluation untouched


def test_segmentation_runs_once_per_image_inside_the_pipeline(tmp_path):
    from lungxray.data.segment import segment_lungs
    from tests.test_hanif2025 import phantom

    Image = pytest.importorskip("PIL.Image")
    Image.fromarray(phantom(64)).save(tmp_path / "p.png")
    recs = [Record("p.png", "a", "test")]
    seg = ImagePipeline(tmp_path, recs, ["a"], ImageConfig(64, "grayscale", "bilinear", "rescale", "otsu"),
                        AugmentConfig(), 1, 0)
    plain = ImagePipeline(tmp_path, recs, ["a"], ImageConfig(64, "grayscale", "bilinear", "rescale"),
                          AugmentConfig(), 1, 0)
    x, x0 = seg.arrays("test")[0], plain.arrays("test")[0]
    np.testing.assert_array_equal(np.round(x * 255), segment_lungs(np.round(x0[0] * 255).astype(np.uint8))[None])
    assert 0 < (x > 0).mean() < (x0 > 0).mean()  # the body and the background are black now
    (tmp_path / "p.png").unlink()  # decoded and segmented once: cached
    np.testing.assert_array_equal(seg.arrays("test")[0], x)
