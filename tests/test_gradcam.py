"""Grad-CAM on tiny CNNs of every shape the package builds: plain, residual (functional graph), a backbone +
head composition (the feature-cache split), and a keras.applications model nested in a Sequential."""

import keras
import numpy as np
import pytest

from lungxray.report.gradcam import gradcam_figure, heatmaps

L = keras.layers


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((6, 32, 32, 1)).astype("float32")


def sequential():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((32, 32, 1)), L.Conv2D(4, 3, activation="relu"),
                             L.Conv2D(6, 3, activation="relu"), L.GlobalAveragePooling2D(),
                             L.Dense(3, activation="softmax")])


def residual():
    keras.utils.set_random_seed(0)
    inp = keras.Input((32, 32, 1))
    h = L.Conv2D(4, 3, activation="relu")(inp)
    h = L.Add()([h, L.Conv2D(4, 3, padding="same", activation="relu", name="last_conv")(h)])
    return keras.Model(inp, L.Dense(2, activation="softmax")(L.GlobalAveragePooling2D()(h)))


def composed():
    """lungxray.models.backbones' shape: 'backbone' (image -> map) and 'head' (map -> sigmoid), nested."""
    keras.utils.set_random_seed(0)
    bi = keras.Input((32, 32, 1))
    bb = keras.Model(bi, L.Conv2D(8, 3, activation="relu")(L.Conv2D(4, 3, activation="relu")(bi)), name="backbone")
    fi = keras.Input(bb.output_shape[1:])
    head = keras.Model(fi, L.Dense(1, activation="sigmoid")(L.GlobalAveragePooling2D()(fi)), name="head")
    ci = keras.Input((32, 32, 1))
    return keras.Model(ci, head(bb(ci)))


@pytest.mark.parametrize("build", [sequential, residual, composed])
def test_heatmaps_have_the_image_shape_and_vary(build, images):
    maps = heatmaps(build(), images, [0, 1, 0, 1, 0, 1])
    assert maps.shape == (6, 32, 32)
    assert maps.min() >= 0 and maps.max() <= 1 + 1e-6
    assert any(m.std() > 1e-3 for m in maps)  # not a constant map


def test_nested_application_with_pooling_is_entered():
    keras.utils.set_random_seed(0)
    app = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(64, 64, 3), pooling="avg")
    model = keras.Sequential([keras.Input((64, 64, 3)), app, L.Dense(2, activation="softmax")])
    x = np.random.default_rng(1).random((2, 64, 64, 3)).astype("float32")
    assert heatmaps(model, x, [0, 1]).shape == (2, 64, 64)


def test_a_model_without_a_feature_map_is_refused():
    model = keras.Sequential([keras.Input((8, 8)), L.LSTM(4), L.Dense(2, activation="softmax")])
    with pytest.raises(ValueError, match="feature map"):
        heatmaps(model, np.zeros((1, 8, 8), "float32"), [0])


def test_gradcam_figure_and_the_report_embeds_it(images, tmp_path):
    from lungxray.report.layout import story_text
    from lungxray.report.pdf import gradcam_section

    path = gradcam_figure(sequential(), images, [0, 1, 2, 0, 1, 2], [0, 1, 1, 2, 1, 0], ["a", "b", "c"],
                          tmp_path / "gradcam.png")
    assert path.read_bytes().startswith(b"\x89PNG")
    again = gradcam_figure(sequential(), images, [0, 1, 2, 0, 1, 2], [0, 1, 1, 2, 1, 0], ["a", "b", "c"],
                           tmp_path / "again.png")
    assert again.read_bytes() == path.read_bytes()
    assert "Grad-CAM" in story_text(gradcam_section(tmp_path))
    assert gradcam_section(tmp_path / "none") == []
