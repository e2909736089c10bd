"""Backups that a kill, a full disk or a bad sector cannot turn into a wrong model.

Keras' ``BackupAndRestore`` writes ``latest.weights.h5`` in place and the epoch number after it, so
a kill or a full disk mid-write leaves a truncated file, or new weights beside the old epoch count.
``SafeBackupAndRestore`` writes each backup to temporary files first, records the weights' sha256
in the metadata, then moves the previous backup aside (``*.bkp``) and the new one in. On resume a
backup whose weights are missing, truncated or do not match their digest is reported and the
previous one is used; with no good backup the run starts over, cleanly.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import keras

from lungxray.errors import LungxrayError
from lungxray.results.files import atomic_write_text
from lungxray.run.guard import disk_full_error, is_disk_full

log = logging.getLogger(__name__)

RUN_STATE_FILES = ("history.csv", "callback_state.json", "best.weights.h5")  # restarted with a clean start


def _sha256(path: Path) -> str:
    from lungxray.data.verify import sha256_file

    return sha256_file(path)


def backup_problem(weights: Path, meta: Path) -> str | None:
    """Why this backup pair cannot be trusted, or None."""
    if not meta.exists():
        return f"{meta.name} is missing"
    try:
        data = json.loads(meta.read_text())
        epoch = int(data["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"{meta.name} is not readable"
    if epoch < 0:
        return f"{meta.name} names epoch {epoch}"
    if not weights.exists():
        return f"{weights.name} is missing"
    digest = data.get("weights_sha256")
    if digest is not None:
        return None if _sha256(weights) == digest else f"{weights.name} is truncated or damaged (sha256 differs)"
    import h5py  # a backup written by plain Keras: at least it must open

    try:
        with h5py.File(weights, "r"):
            return None
    except OSError:
        return f"{weights.name} is truncated or damaged (not a readable HDF5 file)"


METADATA = "training_metadata.json"  # Keras' name for the backup's epoch record


def epochs_done(backup_dir: Path) -> int | None:
    """Epochs a backup holds (None: no readable backup)."""
    try:
        return int(json.loads((Path(backup_dir) / METADATA).read_text())["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def refuse_backup_beyond(backup_dir: Path, epochs: int) -> None:
    """A resume whose backup has trained more epochs than this run asks for would train nothing and report the
    backup's epochs as this run's: refused."""
    done = epochs_done(backup_dir)
    if done is not None and done > epochs:
        raise LungxrayError(f"{backup_dir} holds a backup after epoch {done}, beyond the {epochs} epoch(s) this run "
                            "asks for: it cannot resume it. Pass --overwrite to start over, the epoch count of the "
                            "interrupted run, or another --out.")


class SafeBackupAndRestore(keras.callbacks.BackupAndRestore):
    def __init__(self, backup_dir: str | Path):
        super().__init__(str(backup_dir), delete_checkpoint=True)

    @property
    def _paths(self) -> tuple[Path, Path, Path, Path]:
        return (Path(self._weights_path), Path(self._training_metadata_path),
                Path(self._prev_weights_path), Path(self._prev_training_metadata_path))

    def on_train_begin(self, logs=None):
        w, m, pw, pm = self._paths
        if not (w.exists() or m.exists() or pw.exists() or pm.exists()):
            return  # a new run
        why = backup_problem(w, m)
        if why is None:
            self._load_model()
            return
        prev = backup_problem(pw, pm)
        if prev is None:
            epoch = json.loads(pm.read_text())["epoch"]
            log.warning("backup %s: %s; resuming from the previous backup (after epoch %d)", w.parent, why, epoch)
            shutil.copyfile(pw, w)
            shutil.copyfile(pm, m)
            self._load_model()
            return
        log.warning("backup %s: %s, and no earlier good backup (%s); starting this run over", w.parent, why, prev)
        shutil.rmtree(w.parent, ignore_errors=True)
        for name in RUN_STATE_FILES:
            (w.parent.parent / name).unlink(missing_ok=True)

    def _save_model(self):
        w, m, pw, pm = self._paths
        w.parent.mkdir(parents=True, exist_ok=True)
        tw, tm = w.parent / ".writing.weights.h5", w.parent / ".writing.json"
        try:
            self.model.save_weights(str(tw), overwrite=True)
            meta = {"epoch": self._current_epoch, "batch": self._last_batch_seen, "weights_sha256": _sha256(tw)}
            atomic_write_text(tm, json.dumps(meta))  # fsynced; moved in beside the weights below
        except BaseException as exc:
            tw.unlink(missing_ok=True)
            tm.unlink(missing_ok=True)
            if is_disk_full(exc):
                raise disk_full_error(exc, w) from None
            raise
        if w.exists() and m.exists() and backup_problem(w, m) is None:  # keep the last good one as previous
            os.replace(w, pw)
            os.replace(m, pm)
        os.replace(tw, w)
        os.replace(tm, m)
