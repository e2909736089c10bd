"""Bad inputs end to end: each case is built here and must give a clear error or a reported skip."""

import os

import keras
import pytest

from lungxray.data.synthetic import make_dataset
from lungxray.results import files as R
from lungxray.run.runner import main
from lungxray.spec.study import get_study
from tests.helpers import write_png

pytestmark = pytest.mark.slow

FAST = ["--weights", "none", "--epochs", "1", "-q", "--variant", "augmentation=none"]


@pytest.fixture
def ct(tmp_path):
    root = make_dataset("chest-ctscan", tmp_path / "ct", per_class=8, size=48)
    return root


def run(study, argv, capsys):
    code = main(get_study(study), argv)
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err
    return code, cap


def test_unreadable_and_foreign_files_are_skipped_and_reported(ct, tmp_path, capsys):
    normal = ct / "Data" / "train" / "normal"
    good = (normal / "000000.png").read_bytes()
    (normal / "truncated.png").write_bytes(good[: len(good) // 3])
    (normal / "empty.png").write_bytes(b"")
    (normal / "notes.png").write_text("this is text")
    for junk in (".DS_Store", "Thumbs.db", "labels.xlsx"):
        (normal / junk).write_bytes(b"\0\1")
    write_png(normal / "grey 16-bit (copy) é.png", "I;16", size=(60, 50))
    (ct / "Data" / "test" / "normal" / "leaked.png").write_bytes(good)  # byte-identical across splits
    write_png(normal / "palette.png", "P", size=(60, 50))
    code, _ = run("hanif2025", ["--data-dir", str(ct), "--allow-count-mismatch", "--out", str(tmp_path / "o"), *FAST],
                  capsys)
    assert code == 0
    res = R.load_results(tmp_path / "o" / "resnet18")
    skipped = {s.file.rsplit("/", 1)[-1]: s.reason for s in res.provenance.skipped_files}
    assert {"truncated.png", "empty.png", "notes.png", ".DS_Store", "Thumbs.db", "labels.xlsx"} <= set(skipped)
    assert "0 bytes" in skipped["empty.png"]
    manifest = (tmp_path / "o" / "resnet18" / R.MANIFEST).read_text()
    assert "grey 16-bit (copy) é.png" in manifest and "truncated.png" not in manifest
    assert res.provenance.count_mismatch_allowed
    dups = res.provenance.duplicates_across_splits
    assert any("Data/test/normal/leaked.png" in g.files for g in dups)
    assert "Data/test/normal/leaked.png" in res.extra_evaluations["test_deduplicated"].excluded


def test_count_mismatch_refused_without_flag(ct, tmp_path, capsys):
    code, cap = run("hanif2025", ["--data-dir", str(ct), "--out", str(tmp_path / "o"), *FAST], capsys)
    assert code == 2 and "--allow-count-mismatch" in cap.err and "verify-data" in cap.err
    assert not (tmp_path / "o").exists()


def test_missing_class_folder_names_it(tmp_path, capsys):
    root = make_dataset("covid19-radiography", tmp_path / "cv", 4, classes=("COVID", "Normal"), size=32)
    code, cap = run("covid_balancing", ["--data-dir", str(root), "--allow-count-mismatch", "--weights", "none",
                                        "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "Lung_Opacity" in cap.err and "Viral Pneumonia" in cap.err


def test_empty_class_folder(tmp_path, capsys):
    root = make_dataset("syakuroh-4class", tmp_path / "sy", 3, size=32)
    for f in (root / "Cardiomegaly").iterdir():
        f.unlink()
    code, cap = run("syakuroh2025", ["--data-dir", str(root), "--allow-count-mismatch", "--weights", "none", "--out",
                                     str(tmp_path / "o")], capsys)
    assert code == 2 and "no images" in cap.err and "Cardiomegaly" in cap.err
    # with ImageNet weights that cannot be had here, the weights are what it says first (before any image)
    code, cap = run("syakuroh2025", ["--data-dir", str(root), "--allow-count-mismatch", "--out",
                                     str(tmp_path / "o")], capsys)
    assert code == 2 and "ImageNet weights" in cap.err and "no images" not in cap.err


def test_imagenet_offline_is_a_clear_error(tmp_path, capsys, monkeypatch):
    def offline(*a, **kw):
        raise Exception("URL fetch failure on https://storage.googleapis.com/x.h5: None -- [Errno -2] "
                        "Name or service not known")

    monkeypatch.setattr(keras.applications, "MobileNetV2", offline)
    root = make_dataset("syakuroh-4class", tmp_path / "sy", 10, size=32)
    code, cap = run("syakuroh2025", ["--data-dir", str(root), "--allow-count-mismatch", "--weights", "imagenet",
                                     "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "--weights none" in cap.err and "keras" in cap.err


def test_manifest_naming_missing_files(ct, tmp_path, capsys):
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,label,split,group\nData/train/normal/nope.png,normal,train,\n")
    code, cap = run("hanif2025", ["--data-dir", str(ct), "--allow-count-mismatch", "--manifest", str(manifest),
                                  "--out", str(tmp_path / "o"), *FAST], capsys)
    assert code == 2 and "nope.png" in cap.err and "--manifest" in cap.err


def test_permission_denied_is_reported(ct, tmp_path, capsys, monkeypatch):
    from pathlib import Path

    blocked = ct / "Data" / "train" / "normal" / "000001.png"
    real = Path.read_bytes

    def read_bytes(self):
        if self == blocked:
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    if os.geteuid() != 0:
        blocked.chmod(0)
    code, _ = run("hanif2025", ["--data-dir", str(ct), "--allow-count-mismatch", "--out", str(tmp_path / "o"),
                                *FAST], capsys)
    assert code == 0
    res = R.load_results(tmp_path / "o" / "resnet18")
    reasons = {s.file: s.reason for s in res.provenance.skipped_files}
    assert "Permission denied" in reasons["Data/train/normal/000001.png"]


def test_too_few_images_for_a_split(tmp_path, capsys):
    root = make_dataset("syakuroh-4class", tmp_path / "sy", 2, size=32)
    code, cap = run("syakuroh2025", ["--data-dir", str(root), "--allow-count-mismatch", "--weights", "none",
                                     "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "cannot make a stratified" in cap.err


def test_root_given_three_levels_up(tmp_path):
    from lungxray.data import discover, get_dataset

    make_dataset("chest-ctscan", tmp_path / "a" / "b" / "c", 2, size=16)
    found = discover(get_dataset("chest-ctscan"), tmp_path)
    assert found.root == tmp_path / "a" / "b" / "c"
