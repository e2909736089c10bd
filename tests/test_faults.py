"""Fault injection: what users' machines do to runs (issue 15), each case on generated data, CPU only.

Every case asserts the exit status, the message, and that no finished result is lost or mixed.
"""

from __future__ import annotations

import io
import json
import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lungxray.data import discover, get_dataset
from lungxray.data.synthetic import make_dataset
from lungxray.data.verify import decode_error, verify
from lungxray.results import files as R
from lungxray.run.backup import backup_problem
from lungxray.run.runner import main
from lungxray.spec.study import get_study
from tests.helpers import write_png

CNN = ["--smoke", "-q", "--experiment", "cnn", "--epochs", "4"]
REPO = Path(__file__).resolve().parents[1]


def run(argv, capsys):
    code = main(get_study("cnn_vs_lstm"), argv)
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err
    return code, cap.err


def same_result(a: Path, b: Path) -> None:
    ra, rb = (json.loads((d / R.RESULTS).read_text()) for d in (a, b))
    assert ra["history"] == rb["history"]
    assert ra["evaluation"] == rb["evaluation"]
    assert (a / R.PREDICTIONS).read_text() == (b / R.PREDICTIONS).read_text()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted 4-epoch run: what every faulted-then-resumed run must end as."""
    out = tmp_path_factory.mktemp("ref")
    assert main(get_study("cnn_vs_lstm"), [*CNN, "--out", str(out)]) == 0
    return out / "cnn"


# --- (1) one process per run folder ----------------------------------------------------------

HOLD = ("import sys, time; from pathlib import Path; from lungxray.run.guard import claim_run_dir; "
        "claim_run_dir(Path(sys.argv[1])); print('held', flush=True); time.sleep(120)")


@pytest.mark.slow
def test_second_run_into_a_busy_folder_refuses_then_takes_over_a_killed_holder(tmp_path, capsys, caplog,
                                                                                reference):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "cnn")], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code, err = run([*CNN, "--out", str(tmp_path)], capsys)
        assert code == 2
        lines = err.strip().splitlines()
        assert len(lines) == 1 and f"process {holder.pid}" in lines[0] and "--out" in lines[0]
        assert f"kill {holder.pid}" in lines[0]
        assert not (tmp_path / "cnn" / R.RESULTS).exists() and not (tmp_path / "cnn-2").exists()
    finally:
        holder.send_signal(signal.SIGKILL)  # a killed run: its lock goes with it, its owner file stays
        holder.wait()
    code, err = run([*CNN, "--out", str(tmp_path)], capsys)
    assert code == 0
    assert f"taking over from process {holder.pid}" in caplog.text
    same_result(tmp_path / "cnn", reference)
    # a finished folder is never reused: the next run goes to -2, and -2 is locked while it runs
    from lungxray.run.guard import claim_run_dir, release_run_dirs

    assert claim_run_dir(tmp_path / "cnn") == tmp_path / "cnn-2"
    try:
        from lungxray.run.guard import RunFolderBusy

        hold2 = subprocess.run([sys.executable, "-c", HOLD.replace("time.sleep(120)", "pass"),
                                str(tmp_path / "cnn")], cwd=REPO, capture_output=True, text=True, timeout=60)
        assert hold2.returncode != 0 and RunFolderBusy.__name__ in hold2.stderr and str(os.getpid()) in hold2.stderr
    finally:
        release_run_dirs()
    same_result(tmp_path / "cnn", reference)


# --- (2), (5), (6) what a file is, in plain words; pixel limit from the header ------------------


def png_claiming(w: int, h: int) -> bytes:
    """A tiny PNG whose header claims w x h pixels (a decompression bomb's header, without the bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def encoded(fmt: str, mode: str = "L", size=(40, 30), **kw) -> bytes:
    g = np.random.default_rng(0).integers(0, 256, size[::-1], dtype=np.uint8)
    im = Image.fromarray(g, "L")
    if mode != "L":
        im = im.convert(mode)
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


BAD = {  # file name -> words its skip reason must contain
    "login.png": (b"<!DOCTYPE html>\n<html><body>Please sign in</body></html>", "HTML page"),
    "empty.png": (b"", "empty file (0 bytes)"),
    "cut.png": (encoded("PNG")[:300], "truncated PNG"),
    "cut.jpg": (encoded("JPEG")[:300], "not an image: truncated JPEG"),
    "scan.png": (encoded("TIFF"), "TIFF image"),
    "web.png": (encoded("WEBP"), "WEBP image"),
    "paper.png": (b"%PDF-1.7\n%\xe2\xe3\n1 0 obj", "a PDF document"),
    "lfs.png": (b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\n", "Git LFS pointer"),
    "bomb.png": (png_claiming(20_000, 20_000), "400,000,000 pixels"),
    "big.png": (png_claiming(8_000, 8_000), "8,000 x 8,000 = 64,000,000 pixels, above the limit of 50,000,000"),
    "pixel.png": (encoded("PNG", size=(1, 1)), "only 1 x 1 pixels"),
}
GOOD = {  # decoded correctly whatever the extension says
    "bmp-as.png": encoded("BMP"),
    "gif-as.png": encoded("GIF"),
    "jpeg-as.png": encoded("JPEG"),
    "cmyk.jpg": encoded("JPEG", "CMYK"),
}


def test_each_bad_file_is_named_in_plain_words(tmp_path):
    for name, (data, words) in BAD.items():
        (tmp_path / name).write_bytes(data)
        t0 = time.time()
        why = decode_error(tmp_path / name)
        assert why is not None and words in why, (name, why)
        assert "function_node" not in why and "Op:" not in why
        if name in ("bomb.png", "big.png"):
            assert "not decoded" in why and time.time() - t0 < 1
    for name, data in GOOD.items():
        (tmp_path / name).write_bytes(data)
        assert decode_error(tmp_path / name) is None, name
    write_png(tmp_path / "deep.png", "I;16", size=(40, 30))
    assert decode_error(tmp_path / "deep.png") is None


def test_pixel_limit_is_configurable(tmp_path, monkeypatch):
    (tmp_path / "big.png").write_bytes(encoded("PNG", size=(40, 30)))
    assert decode_error(tmp_path / "big.png") is None
    monkeypatch.setenv("LUNGXRAY_MAX_PIXELS", "1000")
    assert "above the limit of 1,000" in decode_error(tmp_path / "big.png")


def test_verify_data_and_a_run_skip_and_count_the_same_files(tmp_path):
    import tensorflow as tf

    from lungxray.data.images import decode_resize
    from lungxray.data.verify import screen
    from lungxray.spec.config import ImageConfig

    root = make_dataset("syakuroh-4class", tmp_path / "sy", 3, size=32)
    for name, (data, _) in BAD.items():
        (root / "Normal" / name).write_bytes(data)
    for name, data in GOOD.items():
        (root / "Pneumonia" / name).write_bytes(data)
    write_png(root / "Pneumonia" / "deep.png", "I;16", size=(40, 30))
    found = discover(get_dataset("syakuroh-4class"), root)
    rep = verify(found)  # what `verify-data` prints
    good, skipped, _ = screen(found.root, found.records)  # what a run keeps and skips
    assert {s["file"]: s["reason"] for s in skipped} == {u["file"]: u["reason"] for u in rep.unreadable}
    assert {s["file"] for s in skipped} == {f"Normal/{n}" for n in BAD}
    assert len(good) == rep.n_files - len(BAD) == 12 + len(GOOD) + 1
    for r in good:  # every file the screen lets through decodes in the training pipeline
        img = decode_resize(tf.constant((root / r.path).read_bytes()), ImageConfig(size=16))
        assert img.shape == (16, 16, 3)


# --- (3) manifests that point outside the dataset ------------------------------------------------


def test_manifest_rows_outside_the_root_are_refused_before_anything_is_read(tmp_path, capsys, monkeypatch):
    import lungxray.data.verify as V

    root = make_dataset("syakuroh-4class", tmp_path / "sy", 4, size=32)
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,label,split,group\nNormal/normal_00000.png,Normal,train,\n"
                        "../../../etc/passwd,Normal,train,\n/etc/hostname,Pneumonia,test,\n"
                        "Normal/../../secret.png,Normal,val,\n")

    def no_reads(*a, **kw):
        raise AssertionError("an image was read before the manifest was refused")

    monkeypatch.setattr(V, "screen", no_reads)
    code = main(get_study("syakuroh2025"), ["--data-dir", str(root), "--allow-count-mismatch", "--weights", "none",
                                            "--manifest", str(manifest), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "3 file(s) outside the dataset folder" in err
    assert "row 3: ../../../etc/passwd" in err and "row 4: /etc/hostname" in err and "row 5:" in err
    assert "normal_00000" not in err
    assert not (tmp_path / "o").exists()


# --- (4) folders that downloads and tools leave behind -------------------------------------------


def test_junk_folders_are_reported_never_counted(tmp_path):
    base = tmp_path / "download"
    root = make_dataset("syakuroh-4class", base / "xray4", 3, size=16)
    mac = base / "__MACOSX" / "xray4" / "Normal"  # beside the real folder, as macOS zips unpack
    mac.mkdir(parents=True)
    (mac / "._normal_00000.png").write_bytes(b"\0\5\26\7 resource fork")
    (root / "Normal" / "._normal_00001.png").write_bytes(b"\0\5\26\7")
    write_png(root / "Normal" / ".ipynb_checkpoints" / "normal_00000-checkpoint.png")
    write_png(root / "Pneumonia" / "more" / "extra.png")
    found = discover(get_dataset("syakuroh-4class"), base)
    assert found.root == root
    assert len(found.records) == 12 and all(".ipynb" not in r.path and "._" not in r.path for r in found.records)
    skipped = dict(found.scan.skipped)
    assert "Jupyter checkpoint folder" in skipped["Normal/.ipynb_checkpoints/"]
    assert "resource-fork" in skipped["Normal/._normal_00001.png"]
    assert "not used" in skipped["Pneumonia/more/"]
    rep = verify(found)
    assert sum(rep.counts["all"].values()) == 12 and not rep.unreadable

    ct = make_dataset("chest-ctscan", tmp_path / "ct", 4, size=16)
    (ct / "Data" / "train" / "__MACOSX").mkdir()
    (ct / "Data" / "train" / ".ipynb_checkpoints").mkdir()
    found = discover(get_dataset("chest-ctscan"), ct)
    skipped = dict(found.scan.skipped)
    assert "macOS zip metadata folder" in skipped["Data/train/__MACOSX/"]
    assert not found.scan.missing_classes and not any("MACOSX" in r.path for r in found.records)


# --- (7) disk space -----------------------------------------------------------------------------


def test_too_little_free_space_is_refused_before_training(tmp_path, capsys, monkeypatch):
    import lungxray.run.guard as G

    monkeypatch.setattr(G, "free_bytes", lambda path: 3 << 20)
    code, err = run([*CNN, "--out", str(tmp_path)], capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "3 MB are free" in err and "--out" in err
    assert not (tmp_path / "cnn" / R.RESULTS).exists() and not (tmp_path / "cnn" / "backup").exists()


@pytest.mark.slow
def test_disk_full_during_a_backup_keeps_the_last_one_resumable(tmp_path, capsys, monkeypatch):
    import keras

    real, calls = keras.Model.save_weights, []

    def filling(self, filepath, *a, **kw):
        if ".writing." in str(filepath):
            calls.append(filepath)
            if len(calls) == 3:  # the third backup: half a file, then the disk is full
                Path(filepath).write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
                raise OSError(28, "No space left on device")
        return real(self, filepath, *a, **kw)

    monkeypatch.setattr(keras.Model, "save_weights", filling)
    code, err = run([*CNN, "--out", str(tmp_path)], capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "no space left on device writing" in err and "latest.weights.h5" in err and "MB free" in err
    backup = tmp_path / "cnn" / "backup"
    assert backup_problem(backup / "latest.weights.h5", backup / "training_metadata.json") is None
    assert json.loads((backup / "training_metadata.json").read_text())["epoch"] == 2
    assert not list(backup.glob(".writing*")) and not (tmp_path / "cnn" / R.RESULTS).exists()


# --- (8) Ctrl-C, and damaged backups on resume ---------------------------------------------------


@pytest.mark.slow
def test_ctrl_c_stops_within_seconds_and_prints_the_resume_command(tmp_path):
    cmd = [sys.executable, "-m", "reproductions.cnn_vs_lstm", "--smoke", "-q", "--experiment", "cnn",
           "--epochs", "200", "--out", str(tmp_path)]
    proc = subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE, text=True)
    hist = tmp_path / "cnn" / "history.csv"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if hist.exists() and len(hist.read_text().splitlines()) >= 3:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    t0 = time.time()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert time.time() - t0 < 10
    assert proc.returncode == 130 and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert "interrupted" in last and str(tmp_path / "cnn" / "backup") in last
    assert last.endswith("Resume with: python -m reproductions.cnn_vs_lstm " + " ".join(cmd[3:]))
    backup = tmp_path / "cnn" / "backup"
    assert backup_problem(backup / "latest.weights.h5", backup / "training_metadata.json") is None
    assert not (tmp_path / "cnn" / R.RESULTS).exists()


@pytest.mark.slow
def test_an_interrupt_mid_epoch_leaves_no_input_pipeline_running(tmp_path, monkeypatch):
    """Ctrl-C in the middle of an epoch: when main returns, no tf.data iterator is left alive. One left to the
    interpreter's shutdown runs its prefetch threads into Python as Python stops them: SIGABRT or a hang."""
    import gc

    import keras
    from tensorflow.python.data.ops.iterator_ops import OwnedIterator

    from lungxray.run import training

    class CtrlC(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 1 and batch == 1:
                raise KeyboardInterrupt

    real = training.callbacks
    monkeypatch.setattr(training, "callbacks", lambda *a, **k: [CtrlC(), *real(*a, **k)])
    gc.collect()
    gc.disable()  # only main's own collection may free the iterators
    try:
        code = main(get_study("cnn_vs_lstm"), [*CNN, "--out", str(tmp_path)])
        alive = [o for o in gc.get_objects() if isinstance(o, OwnedIterator)]
    finally:
        gc.enable()
    assert code == 130 and not alive


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory):
    """A run stopped by Ctrl-C after its third epoch's backup (latest: epoch 3, previous: epoch 2)."""
    from lungxray.run.backup import SafeBackupAndRestore

    out = tmp_path_factory.mktemp("cut")
    real, count = SafeBackupAndRestore._save_model, []

    def save(self):
        real(self)
        count.append(1)
        if len(count) == 3:
            raise KeyboardInterrupt

    SafeBackupAndRestore._save_model = save
    try:
        code = main(get_study("cnn_vs_lstm"), [*CNN, "--out", str(out)])
    finally:
        SafeBackupAndRestore._save_model = real
    assert code == 130
    return out


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["latest", "both"])
def test_resume_from_a_damaged_backup_never_gives_a_wrong_model(tmp_path, capsys, caplog, interrupted, reference,
                                                                 damage):
    import shutil

    shutil.copytree(interrupted / "cnn", tmp_path / "cnn")
    backup = tmp_path / "cnn" / "backup"
    latest, prev = backup / "latest.weights.h5", backup / "latest.weights.h5.bkp"
    assert json.loads((backup / "training_metadata.json").read_text())["epoch"] == 3
    latest.write_bytes(latest.read_bytes()[:1000])  # truncated, as a kill during a copy leaves it
    if damage == "both":
        prev.write_bytes(b"")
    code, _ = run([*CNN, "--out", str(tmp_path)], capsys)
    assert code == 0
    if damage == "both":
        assert "no earlier good backup" in caplog.text and "starting this run over" in caplog.text
    else:
        assert "truncated or damaged" in caplog.text
        assert "resuming from the previous backup (after epoch 2)" in caplog.text
    same_result(tmp_path / "cnn", reference)


def test_rescore_never_writes_into_a_folder_a_run_holds(tmp_path):
    import shutil

    from filelock import FileLock

    from lungxray.cli.rescore import rescore_run
    from lungxray.run.guard import LOCK_NAME, RunFolderBusy

    run = tmp_path / "lstm"
    shutil.copytree(Path(__file__).parents[1] / "reports/uly2023/offline/lstm", run)
    before = (run / "results.json").read_bytes()
    with FileLock(run / LOCK_NAME, timeout=0), pytest.raises(RunFolderBusy, match="in use"):
        rescore_run(run)
    assert (run / "results.json").read_bytes() == before
    rescore_run(run)  # free again: rescored in place
