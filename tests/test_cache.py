"""The persistent decode cache: bit-identical to a fresh decode, shared, one pass with screening, bounded memory."""

import os
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from lungxray.data.cache import DIGEST, DecodeCache, DecodedStore, screen_decode
from lungxray.data.layouts import Record
from lungxray.data.pipeline import (
    AugmentConfig,
    ImageConfig,
    ImagePipeline,
    decode_resize,
    segmented,
)
from tests.helpers import SHARED, write_jpeg, write_png

CT = SHARED / "chest-ctscan-images" / "Data"


def fresh_decode(root: Path, recs, image: ImageConfig) -> np.ndarray:
    """What the pipeline decoded before the cache existed: decode_resize in a tf.data map."""
    ds = tf.data.Dataset.from_tensor_slices([str(root / r.path) for r in recs])
    ds = ds.map(lambda p: segmented(decode_resize(tf.io.read_file(p), image), image))
    return np.stack(list(ds.as_numpy_iterator()))


def _folder(tmp_path, n=6):
    recs = []
    for i in range(n):
        write_png(tmp_path / f"{i}.png", ("L", "RGB", "RGBA", "I;16")[i % 4], size=(40 + i, 33), seed=i)
        recs.append(Record(f"{i}.png", "ab"[i % 2], ("train", "val", "test")[i % 3]))
    write_jpeg(tmp_path / "j.jpg", value=90)
    recs.append(Record("j.jpg", "a", "train"))
    return recs


def _ct_records(n=40):
    if not CT.is_dir():
        pytest.skip("../shared/datasets/chest-ctscan-images is absent")
    files = sorted(p for p in CT.rglob("*") if p.is_file() and p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    step = max(1, len(files) // n)
    return [Record(str(p.relative_to(CT)), "a", "test") for p in files[::step][:n]]


@pytest.mark.parametrize("image", [ImageConfig(24, "rgb", "bilinear"), ImageConfig(24, "grayscale", "nearest"),
                                   ImageConfig(20, "rgb", "area"),
                                   ImageConfig(24, "rgb", "bilinear", segmentation="otsu")])
def test_cached_images_are_bit_identical_to_a_fresh_decode(tmp_path, image):
    recs = _folder(tmp_path / "d")
    cache = DecodeCache(tmp_path / "cache")
    good, bad, hashes = screen_decode(tmp_path / "d", recs, image, cache)
    assert not bad and len(good) == len(recs)
    want = fresh_decode(tmp_path / "d", recs, image)
    got = np.stack([cache.get(hashes[r.path], image) for r in recs])
    np.testing.assert_array_equal(got, want)
    pipe = ImagePipeline(tmp_path / "d", recs, ["a", "b"], image, AugmentConfig(), 4, 0, cache=cache)
    for split in ("train", "val", "test"):
        idx = [i for i, r in enumerate(recs) if r.split == split]
        x, _ = pipe.arrays(split)
        np.testing.assert_array_equal(x, want[idx].astype(np.float32) / 255.0)


def test_real_files_cached_equal_fresh(tmp_path):
    """Mixed RGBA/RGB/grey PNGs and JPEGs of many sizes, some with trailing bytes (the Chest CT release)."""
    recs = _ct_records()
    image = ImageConfig(64, "rgb", "bilinear")
    cache = DecodeCache(tmp_path / "cache")
    _, bad, hashes = screen_decode(CT, recs, image, cache)
    assert not bad
    np.testing.assert_array_equal(np.stack([cache.get(hashes[r.path], image) for r in recs]),
                                  fresh_decode(CT, recs, image))


def test_second_pipeline_decodes_nothing_and_is_identical(tmp_path):
    recs = _folder(tmp_path / "d")
    image = ImageConfig(16, "rgb")
    cache = DecodeCache(tmp_path / "cache")
    first = ImagePipeline(tmp_path / "d", recs, ["a", "b"], image, AugmentConfig(), 4, 0, cache=cache)
    x1 = first.arrays("train")[0]
    hashes = first.hashes
    for r in recs:  # any decode now would fail
        (tmp_path / "d" / r.path).write_bytes(b"")
    second = ImagePipeline(tmp_path / "d", recs, ["a", "b"], image, AugmentConfig(), 4, 7, cache=cache, hashes=hashes)
    np.testing.assert_array_equal(second.arrays("train")[0], x1)
    n, size = cache.usage()
    assert n == len(recs) and size == n * (16 * 16 + DIGEST)  # grey images (R = G = B): one channel on disk, and a checksum
    assert cache.clear() == (n, size) and cache.usage() == (0, 0)


def test_one_pass_reports_unreadable_files_as_screen_does(tmp_path):
    from lungxray.data.verify import screen

    recs = _folder(tmp_path)
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "trunc.png").write_bytes((tmp_path / "0.png").read_bytes()[:60])
    (tmp_path / "text.png").write_bytes(b"<html>not an image</html>")
    recs += [Record(n, "a", "train") for n in ("empty.png", "trunc.png", "text.png", "missing.png")]
    one = screen_decode(tmp_path, recs, ImageConfig(16), DecodeCache(tmp_path / "cache"))
    old = screen(tmp_path, recs)
    assert one[1] == old[1] and one[2] == old[2] and one[0] == old[0]
    assert len(one[1]) == 4


@pytest.mark.parametrize("budget", [None, 0])
def test_oversampling_repeats_rows_and_streaming_gives_the_same_batches(tmp_path, budget):
    recs = _folder(tmp_path / "d")
    train = [r for r in recs if r.split == "train"]
    over = recs + train * 3  # oversampled: the same files again
    image = ImageConfig(16, "rgb")
    cache = DecodeCache(tmp_path / "cache")
    aug = AugmentConfig(rotation_deg=10, hflip=True, zoom=0.1)
    ref = ImagePipeline(tmp_path / "d", over, ["a", "b"], image, aug, 4, 3, cache=cache)
    pipe = ImagePipeline(tmp_path / "d", over, ["a", "b"], image, aug, 4, 3, cache=cache, ram_budget=budget)
    store = pipe.store()
    assert len(store.shas) == len(recs)  # distinct images once
    assert store.in_memory == (budget is None)
    if store.in_memory:
        assert store.array.shape[0] == len(recs)
    for a, b in zip(ref.dataset("train", training=True), pipe.dataset("train", training=True), strict=True):
        np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())


def test_grey_rgb_images_held_as_one_channel_give_the_same_values(tmp_path):
    recs = []
    for i in range(6):
        write_png(tmp_path / f"{i}.png", "L", size=(30, 30), seed=i)
        recs.append(Record(f"{i}.png", "ab"[i % 2], "train"))
    image = ImageConfig(16, "rgb", "bilinear", "torch_imagenet")
    cache = DecodeCache(tmp_path / "cache")
    aug = AugmentConfig(rotation_deg=10, hflip=True, contrast=0.2)
    grey = ImagePipeline(tmp_path, recs, ["a", "b"], image, aug, 3, 1, cache=cache)
    assert grey.store().grey and grey.store().array.shape[-1] == 1
    full = ImagePipeline(tmp_path, recs, ["a", "b"], image, aug, 3, 1, cache=cache)
    full._store = DecodedStore([full.hashes.get(r.path) or grey.hashes[r.path] for r in recs], image, cache)
    full.hashes = grey.hashes
    full._store.grey, full._store.array = False, np.repeat(full._store.array, 3, axis=-1)
    for a, b in zip(grey.dataset("train", training=True), full.dataset("train", training=True), strict=True):
        np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())


def test_cache_folder_from_the_environment_and_cli(tmp_path, monkeypatch, capsys):
    from lungxray.cli.main import main
    from lungxray.data.cache import CACHE_ENV, cache_root

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c"
    recs = _folder(tmp_path / "d", 2)
    screen_decode(tmp_path / "d", recs, ImageConfig(8), DecodeCache())
    assert main(["cache"]) == 0
    assert f"{len(recs)} images" in capsys.readouterr().out
    assert main(["cache", "--clear"]) == 0
    assert "removed" in capsys.readouterr().out and DecodeCache().usage() == (0, 0)
    assert os.path.isdir(tmp_path / "c")


def test_an_unchanged_file_is_neither_read_nor_hashed_again_and_a_changed_one_is(tmp_path, monkeypatch):
    import hashlib

    recs = _folder(tmp_path / "d")
    image = ImageConfig(16, "rgb")
    cache = DecodeCache(tmp_path / "cache")
    good, _, hashes = screen_decode(tmp_path / "d", recs, image, cache)
    reads: list[str] = []
    real = Path.read_bytes

    def counting(self):
        reads.append(self.name)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", counting)
    again, _, hashes2 = screen_decode(tmp_path / "d", recs, image, cache)
    assert reads == [] and hashes2 == hashes and [r.path for r in again] == [r.path for r in good]
    write_png(tmp_path / "d" / "1.png", "RGB", size=(41, 33), seed=99)  # new content: new size or mtime
    _, _, hashes3 = screen_decode(tmp_path / "d", recs, image, cache)
    assert reads == ["1.png"]
    assert hashes3["1.png"] == hashlib.sha256(real(tmp_path / "d" / "1.png")).hexdigest() != hashes["1.png"]
    assert {k: v for k, v in hashes3.items() if k != "1.png"} == {k: v for k, v in hashes.items() if k != "1.png"}


def test_a_segmented_entry_is_keyed_by_the_segmentation_code_too(monkeypatch):
    from lungxray.data import cache as C

    otsu = ImageConfig(24, "rgb", "bilinear", segmentation="otsu")
    plain, before = C.settings_digest(ImageConfig(24, "rgb", "bilinear")), C.settings_digest(otsu)
    monkeypatch.setattr(C, "_segment_fingerprint", lambda: "cv2 0|another segment.py")
    assert C.settings_digest(otsu) != before  # new entries when segment.py or OpenCV changes
    assert C.settings_digest(ImageConfig(24, "rgb", "bilinear")) == plain  # unsegmented entries are unaffected
