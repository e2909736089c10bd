"""Cached frozen-backbone features give the same predictions as the full model."""

import keras
import numpy as np

from lungxray.data.layouts import Record
from lungxray.data.pipeline import AugmentConfig, ImageConfig, ImagePipeline
from lungxray.models.backbones import cnn_classifier, cnn_lstm_classifier
from lungxray.run.features import FeaturePipeline, frozen_parts, weights_digest
from lungxray.run.training import set_determinism
from tests.helpers import write_png


def _pipe(tmp_path):
    recs = []
    for i in range(12):
        write_png(tmp_path / f"{i}.png", "L", size=(40, 40), seed=i)
        recs.append(Record(f"{i}.png", "ab"[i % 2], ("train", "val", "test")[i % 3]))
    return ImagePipeline(tmp_path, recs, ["a", "b"], ImageConfig(32, "rgb"), AugmentConfig(), 4, 0, binary=True)


def test_cached_and_uncached_paths_predict_the_same(tmp_path):
    set_determinism(0)  # as the runner does (also exercises seed 0)
    pipe = _pipe(tmp_path)
    model = cnn_lstm_classifier(1, (32, 32, 3), None, sequence="positions", frozen=True)
    bb, head = frozen_parts(model)
    feats = FeaturePipeline(pipe, bb)
    for split in ("train", "test"):
        full = model.predict(pipe.dataset(split), verbose=0)
        cached = head.predict(feats.dataset(split), verbose=0)
        np.testing.assert_allclose(cached, full, rtol=0, atol=1e-6)
        assert ((cached > 0.5) == (full > 0.5)).all()
    # after training the head on cached features, the full model still agrees (shared layers)
    head.compile("adam", "binary_crossentropy")
    head.fit(feats.dataset("train", training=True), epochs=1, verbose=0)
    np.testing.assert_allclose(head.predict(feats.dataset("test"), verbose=0),
                               model.predict(pipe.dataset("test"), verbose=0), atol=1e-6)


def test_trainable_backbone_is_not_cached():
    assert frozen_parts(cnn_classifier(2, (32, 32, 3), None, frozen=False)) is None
    keras.backend.clear_session()  # as the runner does before each experiment
    keras.utils.set_random_seed(1)
    a = cnn_classifier(2, (32, 32, 3), None, frozen=True)
    assert frozen_parts(a) is not None
    keras.backend.clear_session()
    keras.utils.set_random_seed(1)
    b = cnn_classifier(2, (32, 32, 3), None, frozen=True)
    assert weights_digest(a.get_layer("backbone")) == weights_digest(b.get_layer("backbone"))


def test_feature_caching_advances_a_progress_bar(tmp_path, monkeypatch):
    """One bar per split, one step per predicted batch; the features are those of the backbone."""
    import lungxray.run.features

    bars = []

    class Bar:
        def __init__(self, desc, total):
            self.desc, self.total, self.n, self.closed = desc, total, 0, False
            bars.append(self)

        def update(self, n=1):
            self.n += n

        def close(self):
            self.closed = True

    monkeypatch.setattr(lungxray.run.features, "progress", lambda it, desc, total=None, unit="it": Bar(desc, total))
    pipe = _pipe(tmp_path)
    bb, _ = frozen_parts(cnn_lstm_classifier(1, (32, 32, 3), None, sequence="positions", frozen=True))
    feats = FeaturePipeline(pipe, bb)
    assert [(b.desc, b.total, b.n, b.closed) for b in bars] == [
        ("train features", 1, 1, True), ("val features", 1, 1, True), ("test features", 1, 1, True)]
    np.testing.assert_array_equal(feats.features["test"], bb.predict(pipe.dataset("test"), verbose=0))
