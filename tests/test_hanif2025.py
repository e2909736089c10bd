"""hanif2025: lung segmentation, the deduplicated test set, the training log's declared data and the audit."""

from __future__ import annotations

import hashlib
from collections import Counter

import cv2
import numpy as np
import pytest

from lungxray.data.segment import lung_mask, segment_lungs
from reproductions import hanif2025 as H
from tests.helpers import shared


def phantom(size: int = 128, nodule: bool = True) -> np.ndarray:
    """A CT-like slice: black background, bright body, two dark lungs, a bright nodule in the left lung."""
    img = np.zeros((size, size), np.uint8)
    c, s = size // 2, size / 128
    cv2.ellipse(img, (c, c), (int(56 * s), int(44 * s)), 0, 0, 360, 170, -1)  # body
    for dx in (-24, 24):
        cv2.ellipse(img, (c + int(dx * s), c), (int(16 * s), int(28 * s)), 0, 0, 360, 25, -1)  # lungs
    if nodule:
        cv2.circle(img, (c - int(24 * s), c), max(1, int(4 * s)), 200, -1)
    return img


def lungs_only(size: int = 128) -> np.ndarray:
    img = np.zeros((size, size), np.uint8)
    c, s = size // 2, size / 128
    for dx in (-24, 24):
        cv2.ellipse(img, (c + int(dx * s), c), (int(16 * s), int(28 * s)), 0, 0, 360, 1, -1)
    return img.astype(bool)


@pytest.mark.parametrize("size", [64, 128, 224])
def test_lung_mask_covers_the_lungs_and_nothing_else(size):
    truth = lungs_only(size)
    mask = lung_mask(phantom(size))
    assert (mask & truth).sum() / truth.sum() > 0.97  # the lungs, the nodule inside included
    assert (mask & ~truth).sum() / truth.sum() < 0.05  # not the body, not the background
    img = phantom(size)
    assert mask[img == 200].all()  # the bright nodule stays in the lung


def test_segmentation_blackens_outside_the_lungs_and_keeps_channels():
    rgb = np.repeat(phantom()[..., None], 3, axis=-1)
    out = segment_lungs(rgb)
    assert out.shape == rgb.shape and out.dtype == np.uint8
    assert (out[~lungs_only()] == 0).mean() > 0.99
    np.testing.assert_array_equal(out, segment_lungs(rgb))  # deterministic


def test_segmentation_never_erases_an_image_without_lungs():
    flat = np.full((32, 32, 1), 120, np.uint8)
    np.testing.assert_array_equal(segment_lungs(flat), flat)


def test_log_series_are_declared_with_their_sets():
    for name, s in H.LOG_SERIES.items():
        assert len(s["values"]) == H.EPOCHS, name
        assert s["n"] == H.SET_SIZES[s["set"]]
        assert all(len(f"{v:.{s['decimals']}f}".rstrip("0").split(".")[-1]) <= s["decimals"] for v in s["values"])
    assert sum(H.SET_SIZES.values()) == 1000


def _audit():
    return {c.claim: c for c in H.audit()}


def test_timing_is_judged_against_the_elapsed_time_not_the_smoothed_rate():
    claims = _audit()
    total = next(c for t, c in claims.items() if "58:05" in t)
    assert total.consistent
    assert not any(c.kind == "consistency" and "218.96" in t and not c.consistent for t, c in claims.items())
    rate = next(c for t, c in claims.items() if "218.96" in t)
    assert rate.kind == "finding" and rate.severity == "minor"


def test_the_reported_82_percent_cannot_come_from_the_72_image_validation_folder():
    from lungxray.audit.tools import rate_claims

    (c,) = [c for r in H.EVIDENCE.rates if r.stated_n == H.SET_SIZES["valid"] for c in rate_claims(H.STUDY.id, r)]
    assert c.tool == "denominator" and not c.consistent and c.severity == "major"
    assert abs(H.FINAL_ACCURACY - H.FINAL_CORRECT / H.SET_SIZES["test"]) < 5e-5


def test_batch_sizes_recovered_from_the_log_are_the_defaults():
    """Both logs and 259/315 correct on the last epoch: 32 is the only usual size that explains them all."""
    from lungxray.audit.tools import joint_batch_claims

    (joint,) = joint_batch_claims(H.STUDY.id, H.EVIDENCE.rates)
    assert joint.evidence["usual_sizes"] == [32]
    assert joint.evidence["consistent_with_all"] == [32, 46, 106]
    assert list(joint.evidence["usual_sizes_per_log"].values()) == [[32, 64, 128], [32]]
    cfg = H.STUDY.experiments[0].configure(H.STUDY.defaults())
    assert cfg.train.batch_size == 32


def test_data_findings_are_declared_and_the_leak_is_critical():
    claims = H.audit()
    leak = [c for c in claims if c.kind == "finding" and "test" in c.claim and "train" in c.claim
            and c.severity == "critical"]
    assert leak
    assert H.DEDUP_TEST["per_class"]["normal"] == H.DATA_COUNTS["test"]["normal"]["distinct_not_in_train"]


def _digests(root):
    from lungxray.data import get_dataset
    from lungxray.data.discovery import discover

    found = discover(get_dataset("chest-ctscan"), root)
    return {r.path: (r.split, r.label, hashlib.sha256((found.root / r.path).read_bytes()).hexdigest())
            for r in found.records}


def test_declared_duplicate_counts_match_the_real_files():
    """Recomputes DATA_COUNTS from the files (skips where the data is absent)."""
    root = shared("chest-ctscan-images")
    d = _digests(root)
    assert len(d) == 1000
    assert len({h for *_, h in d.values()}) == H.BYTE_UNIQUE_FILES
    train = {h for s, _, h in d.values() if s == "train"}
    for split, per in H.DATA_COUNTS.items():
        for cls, want in per.items():
            hs = [h for s, c, h in d.values() if s == split and c == cls]
            got = {"files": len(hs), "distinct": len(set(hs))}
            if split == "test":
                got["distinct_not_in_train"] = len(set(hs) - train)
            assert got == want, (split, cls)
    test_normal = Counter(h for s, c, h in d.values() if s == "test" and c == "normal")
    assert dict(Counter(test_normal.values())) == H.TEST_NORMAL_MULTIPLICITY
    groups = Counter(h for *_, h in d.values())
    cross = {h for h in groups if len({s for s, _, g in d.values() if g == h}) > 1}
    assert len(cross) == H.CROSS_SPLIT_GROUPS
    conflict = {h for h in groups if len({c for _, c, g in d.values() if g == h}) > 1}
    assert len(conflict) == H.LABEL_CONFLICT_GROUPS
    # the runner's deduplicated test set on the real files: one copy of each unseen distinct image
    from types import SimpleNamespace

    from lungxray.data.layouts import Record
    from lungxray.run.evaluate import deduplicated_test_mask

    recs = [Record(p, c, s) for p, (s, c, _) in d.items()]
    pipe = SimpleNamespace(split_records=lambda s: [r for r in recs if r.split == s])
    keep = deduplicated_test_mask(pipe, {p: h for p, (*_, h) in d.items()})
    kept = Counter(r.label for r, k in zip(pipe.split_records("test"), keep, strict=True) if k)
    assert dict(kept) == H.DEDUP_TEST["per_class"]


def test_train_batch_mean_accuracy_is_recovered_from_keras_running_mean():
    """With a learning rate of 0 the model does not change during the epoch, so the per-batch
    accuracies of the training pass equal those of predict() over the same batches."""
    import keras

    from lungxray.judge.metrics import batch_mean_accuracy
    from lungxray.run.training import TrainBatchMeanAccuracy

    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(13, 5)).astype("float32"), rng.integers(0, 3, 13)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    cb = TrainBatchMeanAccuracy(13, 4)
    hist = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[cb]).history
    want = batch_mean_accuracy(y, model.predict(x, verbose=0).argmax(1), 4)
    assert hist["batch_mean_accuracy"] == pytest.approx([want, want], abs=1e-9)
    assert want != pytest.approx(hist["accuracy"][0], abs=1e-3)  # the last batch of 1 weighs a quarter


def test_deduplicated_test_set_keeps_one_copy_of_each_unseen_image():
    from types import SimpleNamespace

    from lungxray.data.layouts import Record
    from lungxray.run.evaluate import deduplicated_test_mask

    recs = [Record("t1", "a", "train"), Record("x1", "a", "test"), Record("x2", "a", "test"),
            Record("x3", "b", "test"), Record("x4", "b", "test"), Record("x5", "b", "test")]
    hashes = {"t1": "A", "x1": "A", "x2": "B", "x3": "C", "x4": "C", "x5": "D"}
    pipe = SimpleNamespace(split_records=lambda s: [r for r in recs if r.split == s])
    assert deduplicated_test_mask(pipe, hashes).tolist() == [False, True, True, False, True]


def test_the_declared_dedup_counts_follow_from_the_data_counts():
    assert H.DEDUP_TEST["n"] == 269
    assert sum(k * v for k, v in H.TEST_NORMAL_MULTIPLICITY.items()) == H.DATA_COUNTS["test"]["normal"]["files"]
    assert sum(H.TEST_NORMAL_MULTIPLICITY.values()) == H.DATA_COUNTS["test"]["normal"]["distinct"]


def test_help_shows_a_faithful_command_that_can_work():
    """Keras has no ImageNet ResNet-18: the faithful example passes torchvision's file, never the default imagenet."""
    from lungxray.run.runner import examples

    faithful = next(line for line in examples(H.STUDY).splitlines() if "# faithful run" in line)
    assert "--weights resnet18-f37072fd.pth" in faithful
