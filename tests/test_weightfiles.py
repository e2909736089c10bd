"""Weights you can prove, offline: test-made weight files under the official names, run through
the loaders, the `weights` command and tiny study runs; results.json must say what was loaded."""

import hashlib
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest
from keras.src.legacy.saving import legacy_h5_format

from lungxray.cli.main import main as cli_main
from lungxray.errors import WeightsError
from lungxray.models.mobilenetv2 import mobilenetv2_classifier
from lungxray.models.weight_files import (
    file_record,
    is_published_file,
    keras_file,
    note_loaded,
    recording,
    torchvision_resnet18,
    weights_departures,
)
from lungxray.run.training import set_determinism

MNV2_224 = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"


def fake_keras_weights(path: Path, arch: str = "mobilenetv2", size: int = 224, seed: int = 0) -> Path:
    """A legacy-format Keras weights file (as Keras publishes them) of the right architecture: its seeded
    random initialisation, so a different file from ImageNet's but a working network."""
    builder = {"mobilenetv2": keras.applications.MobileNetV2, "resnet50": keras.applications.ResNet50}[arch]
    set_determinism(seed)  # as a run seeds (keras.utils.set_random_seed(0) would leave TF's global seed at 0)
    m = builder(weights=None, include_top=False, input_shape=(size, size, 3))
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, m)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def mnv2_file(tmp_path_factory) -> Path:
    return fake_keras_weights(tmp_path_factory.mktemp("w") / MNV2_224)




# --- the file table --------------------------------------------------------------------------------
def test_file_names_urls_and_hashes_are_keras_and_torchvision_own():
    from keras.src.applications.mobilenet_v2 import BASE_WEIGHT_PATH
    from keras.src.applications.resnet import BASE_WEIGHTS_PATH, WEIGHTS_HASHES

    r50 = keras_file("resnet50", (224, 224, 3))
    assert r50.name == "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    assert r50.url == BASE_WEIGHTS_PATH + r50.name  # the copies weight_files keeps to stay Keras-free
    assert (r50.hash_algorithm, r50.known_hash) == ("md5", WEIGHTS_HASHES["resnet50"][1])
    assert keras_file("mobilenetv2", (224, 224, 3)).url == BASE_WEIGHT_PATH + MNV2_224
    assert keras_file("mobilenetv2", (224, 224, 3)).name == MNV2_224
    assert keras_file("mobilenetv2", (96, 96, 3)).name.endswith("_1.0_96_no_top.h5")
    assert keras_file("mobilenetv2", (100, 100, 3)).name == MNV2_224  # Keras falls back to the 224 file
    assert keras_file("mobilenetv2").known_hash is None
    r18 = torchvision_resnet18()
    assert (r18.name, r18.hash_algorithm, r18.known_hash) == ("resnet18-f37072fd.pth", "sha256-prefix", "f37072fd")
    assert r18.matches({"sha256": "f37072fd" + "0" * 56}) is True
    assert r18.matches({"sha256": "0" * 64}) is False
    assert r50.matches({"md5": WEIGHTS_HASHES["resnet50"][1]}) is True


def test_departures_from_records(tmp_path):
    f = tmp_path / "x.h5"
    f.write_bytes(b"not the published file")
    wrong = file_record(f, keras_file("resnet50"), "--weights PATH")
    assert wrong["matches_known_hash"] is False and wrong["sha256"] == sha256(f)
    unknown = file_record(f, keras_file("mobilenetv2"), "imagenet (Keras cache)")
    assert unknown["matches_known_hash"] is None and unknown["known_hash"] is None
    deps = weights_departures("imagenet", [wrong, unknown])
    assert len(deps) == 2 and "md5 differs from 4d473c1d" in deps[0] and "no published hash" in deps[1]
    assert not is_published_file([wrong, unknown])
    right = {**wrong, "matches_known_hash": True}
    assert weights_departures("imagenet", [right]) == []
    assert is_published_file([right])
    assert weights_departures("imagenet", []) == ["weights imagenet: no record of the file loaded or its hash"]
    assert weights_departures("none", []) == []
    assert weights_departures("not applicable", []) == []


# --- the loaders ---------------------------------------------------------------------------------
def test_imagenet_from_keras_cache_is_recorded_and_is_that_file(keras_home, mnv2_file):
    target = keras_home / "models" / MNV2_224
    target.write_bytes(mnv2_file.read_bytes())
    with recording() as loaded:
        model = mobilenetv2_classifier(2, weights="imagenet")
    assert len(loaded) == 1
    rec = loaded[0]
    assert rec["file"] == str(target) and rec["sha256"] == sha256(mnv2_file) and rec["how"].startswith("imagenet")
    assert rec["matches_known_hash"] is None and rec["official_name"] == MNV2_224
    base = model.get_layer("mobilenetv2_1.00_224")
    with h5py.File(mnv2_file) as h:
        want = np.asarray(h["Conv1"]["Conv1"]["kernel"])
    np.testing.assert_array_equal(base.get_layer("Conv1").kernel.numpy(), want)
    with recording() as none_loaded:
        mobilenetv2_classifier(2, weights=None)
    assert none_loaded == []


def test_wrong_resnet50_in_cache_offline_names_the_file(keras_home, monkeypatch):
    from lungxray.models.pretrained import load_application

    (keras_home / "models" / keras_file("resnet50").name).write_bytes(b"damaged")

    def offline(*a, **kw):
        raise Exception("URL fetch failure on https://storage.googleapis.com/x.h5: None -- [Errno -2] "
                        "Name or service not known")

    with pytest.raises(WeightsError, match="differs from the published 4d473c1d"):
        load_application(offline, "imagenet", "ResNet50", include_top=False, input_shape=(224, 224, 3))


def test_note_loaded_outside_a_run_records_nothing(tmp_path):
    note_loaded(str(tmp_path / "absent.h5"), keras_file("resnet50"))  # no recording active: no hashing, no error


# --- the weights command ------------------------------------------------------------------------
def test_weights_command_lists_and_checks(keras_home, mnv2_file, tmp_path, capsys):
    assert cli_main(["weights", "syakuroh2025", "hanif2025"]) == 0
    out = capsys.readouterr().out
    assert MNV2_224 in out and "resnet18-f37072fd.pth" in out and "curl -fL -o" in out
    assert "https://download.pytorch.org/models/resnet18-f37072fd.pth" in out and str(keras_home / "models") in out

    assert cli_main(["weights", "syakuroh2025", "--check"]) == 1
    assert "MISSING" in capsys.readouterr().out

    (keras_home / "models" / MNV2_224).write_bytes(mnv2_file.read_bytes())
    assert cli_main(["weights", "syakuroh2025", "--check"]) == 0
    out = capsys.readouterr().out
    assert sha256(mnv2_file) in out and "no published hash" in out and "loads into mobilenetv2" in out

    (keras_home / "models" / MNV2_224).write_bytes(mnv2_file.read_bytes()[:100_000])  # truncated copy
    assert cli_main(["weights", "syakuroh2025", "--check"]) == 1
    assert "does not load into mobilenetv2" in capsys.readouterr().out

    (keras_home / "models" / keras_file("resnet50").name).write_bytes(b"damaged")
    assert cli_main(["weights", "uly2023", "--check"]) == 1
    out = capsys.readouterr().out
    assert "WRONG: its md5 is not the published 4d473c1d" in out

    fake_pth = tmp_path / "resnet18-f37072fd.pth"
    fake_pth.write_bytes(b"not torchvision's")
    assert cli_main(["weights", "hanif2025", "--check", "--weights", str(fake_pth)]) == 1
    assert "WRONG: its sha256-prefix is not the published f37072fd" in capsys.readouterr().out
