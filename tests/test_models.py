import keras
import pytest

from lungxray.errors import WeightsError
from lungxray.models import ModelConfig, build_model
from lungxray.models.mobilenetv2 import mobilenetv2_classifier, set_trainable_tail
from lungxray.models.pretrained import load_application, parse_weights


def test_last_12_layers_readings():
    base = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(32, 32, 3))
    set_trainable_tail(base, 12, "layers")
    assert [la.trainable for la in base.layers[-12:]] == [True] * 12
    assert not any(la.trainable for la in base.layers[:-12])
    set_trainable_tail(base, 12, "weighted")
    trainable = [la for la in base.layers if la.trainable]
    assert len([la for la in trainable if la.weights]) == 12


def test_classifier_shapes_and_head():
    m = mobilenetv2_classifier(4, (32, 32, 3), None, head="gap-dense128-bn-dropout")
    assert m.output_shape == (None, 4)
    assert {"head_dense", "head_bn", "head_dropout"} <= {la.name for la in m.layers}
    m2 = build_model(ModelConfig("mobilenetv2_classifier", {"head": "gap-dropout"}), 2, (32, 32, 3), None)
    assert "head_bn" not in {la.name for la in m2.layers}


def test_imagenet_offline_is_a_clear_error(monkeypatch):
    def offline(**kw):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -2] "
                        "Name or service not known")

    with pytest.raises(WeightsError) as e:
        load_application(offline, "imagenet", "MobileNetV2")
    msg = str(e.value)
    assert "--weights none" in msg and "--weights PATH" in msg and ".keras" in msg


def test_weights_argument(tmp_path):
    assert parse_weights("none") is None and parse_weights("imagenet") == "imagenet"
    with pytest.raises(WeightsError, match="no such file"):
        parse_weights(str(tmp_path / "missing.h5"))
    f = tmp_path / "w.h5"
    f.write_bytes(b"x")
    assert parse_weights(str(f)) == str(f)
