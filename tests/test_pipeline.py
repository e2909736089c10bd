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


@pytest.mark.parametrize("semantics", ["layers", "generator"])
def test_augmentation_on_training_only_and_seeded(tmp_path, semantics):
    recs = _noise_folder(tmp_path)
    aug = AugmentConfig(rotation_deg=10, hflip=True, zoom=0.1, brightness=0.1, semantics=semantics)
    img = ImageConfig(16, "grayscale", "bilinear", "rescale")

    def pipe(seed):
        return ImagePipeline(tmp_path, recs, ["a", "b"], img, aug, 8, seed)

    plain = ImagePipeline(tmp_path, recs, ["a", "b"], img, AugmentConfig(), 8, 0)
    np.testing.assert_array_equal(_first_batch(pipe(0), False), _first_batch(plain, False))  # eval: untouched
    a1, a2, b = _first_batch(pipe(0), True), _first_batch(pipe(0), True), _first_batch(pipe(1), True)
    np.testing.assert_array_equal(a1, a2)  # same seed, same augmented batch
    assert not np.array_equal(a1, b)
    assert not np.array_equal(np.sort(a1.ravel()), np.sort(_first_batch(plain, False).ravel()))


def test_a_training_pipeline_has_no_parallel_map_for_op_determinism_to_rewrite(tmp_path):
    """Under op determinism tf.data makes every parallel map of a pipeline with stateful ops (the training
    shuffle, the augmenter) sequential, and its conversion logs a 600-character E0000 line: the training
    pipeline is built sequential, so nothing is converted; evaluation pipelines stay parallel."""
    from tensorflow.core.framework import graph_pb2

    recs = _noise_folder(tmp_path)
    aug = AugmentConfig(rotation_deg=10, hflip=True)
    pipe = ImagePipeline(tmp_path, recs, ["a", "b"], ImageConfig(16, "grayscale", "bilinear", "rescale"), aug, 8, 0)

    def ops(ds):
        graph = graph_pb2.GraphDef.FromString(ds._as_serialized_graph().numpy())
        return {n.op for n in graph.node} | {n.op for f in graph.library.function for n in f.node_def}

    assert not any(op.startswith("ParallelMap") for op in ops(pipe.dataset("train", training=True)))
    assert any(op.startswith("ParallelMap") for op in ops(pipe.dataset("test")))


def test_decoding_happens_once(tmp_path):
    recs = _noise_folder(tmp_path, 4)
    pipe = ImagePipeline(tmp_path, recs, ["a", "b"], ImageConfig(16, "grayscale"), AugmentConfig(), 4, 0)
    first = pipe.arrays("train")[0]
    for r in recs:
        (tmp_path / r.path).unlink()  # a second decode would fail now
    np.testing.assert_array_equal(pipe.arrays("train")[0], first)


def test_seed_zero_training_order_works(tmp_path):
    from lungxray.run.training import set_determinism

    set_determinism(0)
    recs = _noise_folder(tmp_path, 4)
    pipe = ImagePipeline(tmp_path, recs, ["a", "b"], ImageConfig(16, "grayscale"), AugmentConfig(hflip=True), 4, 0)
    assert _first_batch(pipe, True).shape == (4, 16, 16, 1)


def test_contrast_augmentation_is_seeded_per_epoch_like_the_other_layers(tmp_path):
    """RandomContrast changes training batches only, and EpochSeeds resets its state from (seed, epoch):
    a fresh pipeline started at epoch 2 draws what one that ran epochs 0 and 1 first draws."""
    import keras

    from lungxray.run.training import EpochSeeds

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


# --- ImageDataGenerator semantics (lungxray.data.augment) ------------------------------------------


def _augment(cfg: AugmentConfig, x: np.ndarray, seed: int = 0) -> np.ndarray:
    from lungxray.data.augment import build_augmenter

    return np.asarray(build_augmenter(cfg, seed)(x, training=True))


@pytest.mark.parametrize("factor", [0.83, 0.9, 1.0, 1.07, 1.2])
def test_generator_brightness_is_image_data_generators(factor):
    legacy = pytest.importorskip("keras.src.legacy.preprocessing.image")
    from lungxray.data.brightness import RandomBrightnessFactor

    x = np.random.default_rng(0).integers(0, 256, (16, 16, 3)).astype(np.float32)
    want = legacy.apply_brightness_shift(x, factor, False)  # what ImageDataGenerator.apply_transform calls
    layer = RandomBrightnessFactor(0.2, value_range=(0.0, 1.0))
    got = np.asarray(layer.transform_images(x[None] / 255.0, {"rgb_delta": np.full((1, 1, 1, 1), factor - 1.0,
                                                                                    np.float32)}))[0]
    np.testing.assert_allclose(got * 255.0, want, atol=1e-3)


def test_generator_brightness_multiplies_where_layers_add():
    x = np.zeros((8, 4, 4, 1), np.float32)
    x[:, :2] = 0.5  # half black, half grey
    gen = _augment(AugmentConfig(brightness=0.2, semantics="generator"), x)
    lay = _augment(AugmentConfig(brightness=0.2), x)
    assert np.all(gen[:, 2:] == 0)  # black stays black under a factor
    ratio = gen[:, :2] / 0.5
    assert ratio.min() >= 0.8 - 1 / 255 and ratio.max() <= 1.2 + 1 / 255 and ratio.std() > 0
    assert np.any(lay[:, 2:] > 0)  # the additive layer lifts black


def test_generator_fill_is_nearest():
    x = np.full((16, 24, 24, 1), 0.6, np.float32)
    gen = _augment(AugmentConfig(rotation_deg=10, zoom=0.1, semantics="generator"), x)
    lay = _augment(AugmentConfig(rotation_deg=10, zoom=0.1), x)
    np.testing.assert_allclose(gen, 0.6, atol=1e-5)  # edges repeat: a flat image stays flat
    assert lay.min() == 0  # the default layers fill with zeros


def _box_sides(img: np.ndarray) -> tuple[int, int]:
    rows, cols = np.nonzero(img[..., 0] > 0.5)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def test_generator_zoom_draws_height_and_width_independently():
    x = np.zeros((32, 64, 64, 1), np.float32)
    x[:, 16:48, 16:48] = 1.0  # a 32 x 32 square
    gen = _augment(AugmentConfig(zoom=0.1, semantics="generator"), x)
    lay = _augment(AugmentConfig(zoom=0.1), x)
    gen_gap = [abs(h - w) for h, w in map(_box_sides, gen)]
    lay_gap = [abs(h - w) for h, w in map(_box_sides, lay)]
    assert max(lay_gap) <= 1  # one factor for both sides: the square stays square
    assert max(gen_gap) >= 2  # zx and zy drawn separately, as ImageDataGenerator(zoom_range=0.1) does


def test_generator_augmenter_resumes_exactly(tmp_path):
    """Every random op owns a seed generator that EpochSeeds sets from (seed, epoch): epoch 1 of a
    fresh pipeline equals epoch 1 after epoch 0 ran (what a resumed run relies on)."""
    from lungxray.run.training import EpochSeeds

    recs = _noise_folder(tmp_path)
    aug = AugmentConfig(rotation_deg=10, hflip=True, zoom=0.1, brightness=0.1, semantics="generator")
    img = ImageConfig(16, "grayscale", "nearest", "rescale")

    def pipe():
        return ImagePipeline(tmp_path, recs, ["a", "b"], img, aug, 8, 3)

    a = pipe()
    states = [v for v in a.augmenter.variables if "seed_generator_state" in v.path]
    assert len(states) == 4  # rotation, zoom, flip, brightness
    seeds = EpochSeeds(3, a.epoch, a.augmenter)
    seeds.on_epoch_begin(0)
    _first_batch(a, True)
    seeds.on_epoch_begin(1)
    after = _first_batch(a, True)
    b = pipe()
    EpochSeeds(3, b.epoch, b.augmenter).on_epoch_begin(1)
    np.testing.assert_array_equal(_first_batch(b, True), after)


def test_full_batches_drop_the_last_partial_batch(tmp_path):
    from lungxray.data.pipeline import full_batches

    recs = _noise_folder(tmp_path, 10)
    pipe = ImagePipeline(tmp_path, recs, ["a", "b"], ImageConfig(16, "grayscale"), AugmentConfig(), 4, 0)
    n = sum(int(x.shape[0]) for x, _ in full_batches(pipe.dataset("train"), 10, 4))
    assert n == 8  # 10 // 4 batches of 4, as validation_steps = samples // batch_size sees
    assert sum(int(x.shape[0]) for x, _ in full_batches(pipe.dataset("train", batch_size=16), 10, 16)) == 10  # at least one


def test_unknown_augmentation_semantics_is_refused():
    from lungxray.data.augment import build_augmenter

    with pytest.raises(ValueError, match="semantics"):
        build_augmenter(AugmentConfig(hflip=True, semantics="albumentations"), 0)
