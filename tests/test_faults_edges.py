"""Fault injection, the edges (issue 27): what a run writes is checked writable with room before work starts, the
environment is parsed by one helper that refuses what it does not accept by name, ``check`` holds the
probabilities, and commands that have nothing to do say so. No training here."""

from __future__ import annotations

import errno
import shutil
import tempfile
from collections import namedtuple
from pathlib import Path

import pytest

from lungxray._util import env
from lungxray._util.paths import UnwritableFolderError, writable_folder
from lungxray.cli.check import check_run
from lungxray.cli.main import main as lungxray_main
from lungxray.data.cache import DecodeCache
from lungxray.data.pipeline import ImageConfig
from lungxray.errors import DiskFullError
from lungxray.run.runner import main
from lungxray.spec.study import get_study

REPO = Path(__file__).resolve().parents[1]
CNN = ["--smoke", "-q", "--experiment", "cnn", "--epochs", "1"]


def run(argv, capsys) -> tuple[int, str]:
    code = main(get_study("cnn_vs_lstm"), argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


# --- output folders, checked before any work ------------------------------------------------------


def test_out_naming_a_file_is_refused_before_work(tmp_path, capsys):
    (tmp_path / "results.txt").write_text("not a folder")
    code, err = run([*CNN, "--out", str(tmp_path / "results.txt")], capsys)
    assert code == 2 and err.startswith("error: --out") and "is not a folder" in err and "results.txt" in err
    code, err = run([*CNN, "--out", str(tmp_path / "results.txt" / "deeper")], capsys)
    assert code == 2 and "results.txt is a file" in err


def test_out_with_a_name_too_long_is_refused_and_nothing_is_created(tmp_path, capsys):
    code, err = run([*CNN, "--out", str(tmp_path / ("x" * 300))], capsys)
    assert code == 2 and "longer than the file system allows" in err
    assert list(tmp_path.iterdir()) == []


def test_read_only_out_is_refused(tmp_path, capsys, monkeypatch):
    """Tests run as root, which ignores file modes: a read-only file system is simulated at the probe write."""
    real = tempfile.mkstemp

    def read_only(*a, dir=None, **kw):
        if dir is not None and Path(dir).resolve() == tmp_path.resolve():
            raise OSError(errno.EROFS, "Read-only file system")
        return real(*a, dir=dir, **kw)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    code, err = run([*CNN, "--out", str(tmp_path / "runs")], capsys)
    assert code == 2 and "is not writable (it is on a read-only file system" in err and "--out" in err


@pytest.mark.skipif(hasattr(__import__("os"), "geteuid") and __import__("os").geteuid() == 0,
                    reason="root ignores file modes (the read-only case above simulates it)")
def test_read_only_out_by_mode_is_refused(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    code, err = run([*CNN, "--out", str(ro)], capsys)
    assert code == 2 and "not writable (permission denied" in err


def test_full_disk_for_out_is_refused_with_the_numbers(tmp_path, capsys, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10 << 20, 9 << 20, 1 << 20))
    code, err = run([*CNN, "--out", str(tmp_path)], capsys)
    assert code == 1 and "not enough disk space" in err and "1 MB free" in err and "--out" in err


def test_read_only_or_full_cache_is_refused_before_decoding(tmp_path, monkeypatch):
    cache = DecodeCache(tmp_path / "cache")
    (tmp_path / "cache").write_text("a file where the cache should be")
    with pytest.raises(UnwritableFolderError, match=r"decode cache \(\$LUNGXRAY_CACHE\).*not a folder.*LUNGXRAY_CACHE"):
        cache.require_room(100)
    (tmp_path / "cache").unlink()
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10 << 20, 10 << 20, 0))
    with pytest.raises(DiskFullError, match="decode cache.*0 MB free.*LUNGXRAY_CACHE"):
        cache.require_room(1 << 20)


def test_a_cache_filling_up_mid_run_names_the_cache_not_the_working_folder(tmp_path, monkeypatch):
    import numpy as np

    import lungxray.data.cache as C

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(C, "atomic_write_bytes", full)
    cache = DecodeCache(tmp_path / "cache")
    image = ImageConfig(8, "rgb")
    with pytest.raises(DiskFullError) as err:
        cache.put("ab" * 32, image, np.zeros((8, 8, 3), np.uint8))
    assert "decode cache entry" in str(err.value) and str(tmp_path / "cache") in str(err.value)
    assert "LUNGXRAY_CACHE" in str(err.value)


def test_writable_folder_checks_only_what_exists_unless_asked_to_create(tmp_path):
    target = tmp_path / "a" / "b"
    assert writable_folder(target, "--out", "way out", create=False) == target and not target.exists()
    assert writable_folder(target, "--out", "way out") == target and target.is_dir()


# --- the environment: one parser, documented forms, everything else refused by name ------------------


@pytest.mark.parametrize(("value", "expected"), [("8G", 8 << 30), ("512M", 512 << 20), ("1.5G", int(1.5 * (1 << 30))),
                                                 ("100KiB", 100 << 10), ("1000000", 1_000_000), ("0", 0),
                                                 ("  2g ", 2 << 30)])
def test_ram_budget_forms(monkeypatch, value, expected):
    monkeypatch.setenv("LUNGXRAY_RAM_BUDGET", value)
    assert env.size_in_bytes("LUNGXRAY_RAM_BUDGET") == expected


@pytest.mark.parametrize(("name", "value"), [("LUNGXRAY_RAM_BUDGET", "8 gigs"), ("LUNGXRAY_RAM_BUDGET", "-1G"),
                                             ("LUNGXRAY_RAM_BUDGET", "G"), ("LUNGXRAY_MAX_PIXELS", "lots"),
                                             ("LUNGXRAY_MAX_PIXELS", "0"), ("LUNGXRAY_MAX_PIXELS", "1.5"),
                                             ("LUNGXRAY_DEBUG", "maybe"), ("LUNGXRAY_NO_PROGRESS", "2"),
                                             ("LUNGXRAY_TF_LOGS", "verbose")])
def test_a_value_not_of_its_form_is_refused_by_name(monkeypatch, capsys, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(env.EnvironmentValueError, match=name):
        env.check_environment()
    assert lungxray_main(["studies"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {name}={value!r} is not") and f"unset {name}" in err and "Traceback" not in err


def test_flags_read_false_as_false(monkeypatch):
    for value, on in (("1", True), ("TRUE", True), ("yes", True), ("on", True), ("0", False), ("false", False),
                      ("No", False), ("off", False), ("", False)):
        monkeypatch.setenv("LUNGXRAY_DEBUG", value)
        assert env.flag("LUNGXRAY_DEBUG") is on, value  # 'false' turned debugging on before


def test_max_pixels_and_cache_read_through_the_helper(monkeypatch, tmp_path):
    from lungxray.data.cache import cache_root
    from lungxray.data.sniff import max_pixels

    monkeypatch.setenv("LUNGXRAY_MAX_PIXELS", "5e7")
    assert max_pixels() == 50_000_000
    monkeypatch.setenv("LUNGXRAY_MAX_PIXELS", "")
    assert max_pixels() == 50_000_000
    monkeypatch.setenv("LUNGXRAY_CACHE", "")
    assert cache_root() == Path.home() / ".cache" / "lungxray"  # empty: the default, as unset
    monkeypatch.setenv("LUNGXRAY_CACHE", str(tmp_path))
    assert cache_root() == tmp_path


def test_a_run_refuses_a_bad_environment_before_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LUNGXRAY_RAM_BUDGET", "lots")
    code, err = run([*CNN, "--out", str(tmp_path)], capsys)
    assert code == 2 and "LUNGXRAY_RAM_BUDGET='lots'" in err and list(tmp_path.iterdir()) == []


# --- settings that cannot do what they say ----------------------------------------------------------------


@pytest.mark.parametrize("epochs", ["0", "-3"])
def test_an_epoch_count_that_cannot_train_is_refused(tmp_path, capsys, epochs):
    code, err = run(["--smoke", "-q", "--experiment", "cnn", "--epochs", epochs, "--out", str(tmp_path)], capsys)
    assert code == 2 and f"--epochs {epochs}" in err and "at least one epoch" in err
    assert list(tmp_path.iterdir()) == []


def test_rescore_with_nothing_to_rescore_fails(tmp_path, capsys):
    assert lungxray_main(["rescore", str(tmp_path)]) == 2
    assert "nothing to rescore" in capsys.readouterr().err
    assert lungxray_main(["rescore", str(tmp_path / "absent")]) == 2
    assert "is not a folder" in capsys.readouterr().err


# --- check holds the probabilities -------------------------------------------------------------------------


def _rewrite_probabilities(path: Path, fn) -> None:
    import csv

    rows = list(csv.reader(path.open()))
    head, body = rows[0], rows[1:]
    cols = [i for i, h in enumerate(head) if h.startswith("p_")]
    classes = [head[i][2:] for i in cols]
    for row in body:
        new = fn(classes, row[2], [float(row[i]) for i in cols])
        for i, v in zip(cols, new, strict=True):
            row[i] = f"{v:.6f}"
    with path.open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([head, *body])


@pytest.fixture(scope="module")
def _committed_run_passes() -> Path:
    """The committed run the tampering tests copy, checked once: it passes as committed."""
    source = REPO / "reports/uly2023/offline/lstm"
    assert check_run(source).failures == []
    return source


@pytest.fixture()
def committed_run(tmp_path, _committed_run_passes) -> Path:
    run_dir = tmp_path / "lstm"
    shutil.copytree(_committed_run_passes, run_dir)
    return run_dir


def test_check_fails_probabilities_rewritten_to_certainty(committed_run):
    """The issue's case: every row 0.999997 on its predicted class; classes and metrics unchanged."""
    def certain(classes, predicted, p):
        k = len(classes)
        return [0.999997 if c == predicted else 0.000003 / (k - 1) for c in classes]

    _rewrite_probabilities(committed_run / "predictions.csv", certain)
    failures = check_run(committed_run).failures
    assert any("stored loss" in f and "cross-entropy of predictions.csv's probabilities" in f for f in failures)


def test_check_fails_probabilities_that_contradict_the_predicted_class(committed_run):
    _rewrite_probabilities(committed_run / "predictions.csv", lambda classes, predicted, p: p[::-1])
    failures = check_run(committed_run).failures
    assert any("not the most probable one" in f for f in failures)


def test_check_fails_probabilities_that_are_no_distribution(committed_run):
    _rewrite_probabilities(committed_run / "predictions.csv", lambda classes, predicted, p: [2 * v for v in p])
    assert any("not distributions" in f for f in check_run(committed_run).failures)


def test_a_backup_beyond_the_requested_epochs_is_refused_not_reported_as_this_run(tmp_path):
    """--epochs 5 interrupted after epoch 4, rerun with --epochs 3 into the same folder: Keras would train nothing
    and the run would report four epochs as three."""
    from lungxray.errors import LungxrayError
    from lungxray.run.backup import METADATA, refuse_backup_beyond

    backup = tmp_path / "backup"
    refuse_backup_beyond(backup, 3)  # no backup: a new run
    backup.mkdir()
    (backup / METADATA).write_text('{"epoch": 4, "batch": -1}')
    refuse_backup_beyond(backup, 4)  # trained, not yet written: resumes to its results
    with pytest.raises(LungxrayError, match="after epoch 4, beyond the 3 epoch"):
        refuse_backup_beyond(backup, 3)
