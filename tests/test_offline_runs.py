"""The faithful path end to end without network: tiny study runs that load test-made weight files,
one from a temporary KERAS_HOME under the official name, one given with --weights PATH, and a
torchvision-layout state dict for hanif2025; results.json must record what was loaded."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lungxray.cli.main import main as cli_main
from lungxray.data.synthetic import make_dataset
from lungxray.models.weight_files import weights_departures
from lungxray.results import files as R
from lungxray.run.runner import main as run_main
from lungxray.spec.study import get_study
from tests.test_weightfiles import MNV2_224, fake_keras_weights, sha256

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
OFFLINE = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}




@pytest.fixture(scope="module")
def mnv2_file(tmp_path_factory) -> Path:
    return fake_keras_weights(tmp_path_factory.mktemp("w") / MNV2_224)


@pytest.fixture(scope="module")
def xray4(tmp_path_factory) -> Path:
    return make_dataset("syakuroh-4class", tmp_path_factory.mktemp("sy") / "sy", 6, size=32)


TINY = ["--allow-count-mismatch", "--epochs", "1", "-q"]


def test_run_with_weights_in_a_temporary_keras_home(xray4, mnv2_file, tmp_path):
    """The real mechanism, in a fresh process: KERAS_HOME set, the file under its official name, no network."""
    home = tmp_path / "kh"
    (home / "models").mkdir(parents=True)
    (home / "models" / MNV2_224).write_bytes(mnv2_file.read_bytes())
    env = {**os.environ, **OFFLINE, "KERAS_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = tmp_path / "o"
    p = subprocess.run([sys.executable, "-m", "reproductions.syakuroh2025", "--data-dir", str(xray4),
                        "--weights", "imagenet", "--out", str(out), *TINY], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    res = R.load_results(out / "mobilenetv2")
    prov = res.provenance
    assert prov.weights == "imagenet"
    [rec] = prov.weights_files
    assert rec["file"] == str(home / "models" / MNV2_224) and rec["sha256"] == sha256(mnv2_file)
    assert rec["matches_known_hash"] is None and rec["official_name"] == MNV2_224
    deps = weights_departures(res.provenance.weights, res.provenance.weights_files)
    assert len(deps) == 1 and "no published hash" in deps[0] and rec["sha256"][:16] in deps[0]
    # the run's manifest carries each file's sha256, and this copy of the data matches it
    assert cli_main(["verify-data", "syakuroh-4class", "--data-dir", str(xray4),
                     "--manifest", str(out / "mobilenetv2" / R.MANIFEST)]) == 0


def test_run_with_weights_path(xray4, mnv2_file, tmp_path, keras_home, capsys):
    given = tmp_path / "elsewhere" / "my-mobilenet.h5"
    given.parent.mkdir()
    given.write_bytes(mnv2_file.read_bytes())
    code = run_main(get_study("syakuroh2025"), ["--data-dir", str(xray4), "--weights", str(given),
                                                "--out", str(tmp_path / "o"), *TINY])
    assert code == 0, capsys.readouterr().err
    res = R.load_results(tmp_path / "o" / "mobilenetv2")
    [rec] = res.provenance.weights_files
    assert rec["how"] == "--weights PATH" and rec["file"] == str(given) and rec["sha256"] == sha256(given)
    assert rec["official_name"] == MNV2_224 and rec["matches_known_hash"] is None
    assert weights_departures(res.provenance.weights, res.provenance.weights_files) and not list((keras_home / "models").iterdir())


def test_hanif2025_state_dict_is_recorded(tmp_path, capsys):
    """torchvision's checkpoint as .npz (torch not needed); a .pth when torch is installed."""
    from tests.test_resnet18 import random_state_dict

    sd = random_state_dict(n_classes=1000)
    npz = tmp_path / "resnet18.npz"
    np.savez(npz, **sd)
    paths = [npz]
    try:
        import torch

        pth = tmp_path / "resnet18-f37072fd.pth"
        torch.save({k: torch.from_numpy(np.asarray(v)) for k, v in sd.items()}, pth)
        paths.append(pth)
    except ImportError:
        pass
    ct = make_dataset("chest-ctscan", tmp_path / "ct", per_class=3, size=32)
    for i, w in enumerate(paths):
        out = tmp_path / f"o{i}"
        code = run_main(get_study("hanif2025"), ["--data-dir", str(ct), "--weights", str(w), "--out", str(out),
                                                 *TINY])
        assert code == 0, capsys.readouterr().err
        res = R.load_results(out / "resnet18")
        [rec] = res.provenance.weights_files
        assert rec["sha256"] == sha256(w) and rec["official_name"] == "resnet18-f37072fd.pth"
        assert rec["matches_known_hash"] is False  # not the published file, whatever its name
        assert "not the published resnet18-f37072fd.pth" in weights_departures(res.provenance.weights, res.provenance.weights_files)[0]
