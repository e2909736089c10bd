"""Run folders and the results.json / predictions.csv schema.

A run folder holds ``results.json`` (schema ``SCHEMA``), ``predictions.csv``,
``manifest.csv``, ``history.csv`` and ``report.pdf``.  Files are written atomically
(temporary file + rename), and a finished run folder is never overwritten silently.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lungxray._util.version import source_revision  # noqa: F401  (re-exported: provenance)
from lungxray.errors import ResultsError
from lungxray.results.types import (  # noqa: F401  (re-exported: the schema lives with its types)
    AGGREGATE_SCHEMA,
    READABLE_AGGREGATE_SCHEMAS,
    READABLE_SCHEMAS,
    SCHEMA,
    AggregateResult,
    AggregateRow,
    RunResult,
    dumps,
)

log = logging.getLogger(__name__)

RESULTS, PREDICTIONS, REPORT, MANIFEST = "results.json", "predictions.csv", "report.pdf", "manifest.csv"
MODEL = "model.keras"  # the trained model (not committed: tens of MB)
GRADCAM = "gradcam.png"  # Grad-CAM on a few test images, for models with a convolutional feature map
RUN_FILES = (RESULTS, PREDICTIONS, REPORT, MANIFEST, MODEL, "history.csv", "best.weights.h5", "backup",
             "callback_state.json", "tensorboard", "gradcam.png")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))




def prepare_run_dir(path: Path, overwrite: bool = False) -> Path:
    """The folder this run writes to.

    - new folder: created;
    - folder of an unfinished run (no results.json): reused, so training resumes from its backup;
    - folder of a finished run: with ``overwrite`` its run files are removed, otherwise the run
      goes to ``<path>-2``, ``<path>-3``, ... and the log says so.
    """
    path = Path(path)
    if not (path / RESULTS).exists():
        path.mkdir(parents=True, exist_ok=True)
        return path
    if overwrite:
        for name in RUN_FILES:
            p = path / name
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink(missing_ok=True)
        return path
    i = 2
    while (path.parent / f"{path.name}-{i}").exists():
        i += 1
    new = path.parent / f"{path.name}-{i}"
    log.warning("%s already holds a finished run; writing this one to %s (use --overwrite to replace it)",
                path, new)
    new.mkdir(parents=True)
    return new


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": sys.version.split()[0], "lungxray_revision": source_revision()}
    for pkg in ("lungxray", "tensorflow", "keras", "numpy", "scikit-learn", "imbalanced-learn", "matplotlib"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def device() -> dict[str, Any]:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    names = []
    for g in gpus:
        try:
            names.append(tf.config.experimental.get_device_details(g).get("device_name", g.name))
        except Exception:
            names.append(g.name)
    return {"platform": platform.platform(), "machine": platform.machine(), "cpu_count": os.cpu_count(),
            "gpus": names, "kind": "GPU" if gpus else "CPU"}


def write_predictions(path: Path, files: Sequence[str], y_true: Sequence[int], y_pred: Sequence[int],
                      proba: np.ndarray, classes: Sequence[str]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["file", "true", "predicted", *[f"p_{c}" for c in classes]])
    for f, t, p, pr in zip(files, y_true, y_pred, proba, strict=True):
        w.writerow([f, classes[t], classes[p], *[f"{v:.6f}" for v in pr]])
    atomic_write_text(path, buf.getvalue())


def read_predictions(path: Path, classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    idx = {c: i for i, c in enumerate(classes)}
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        return (np.array([idx[r["true"]] for r in rows], dtype=int),
                np.array([idx[r["predicted"]] for r in rows], dtype=int))
    except (OSError, KeyError, csv.Error) as exc:
        raise ResultsError(f"{path} is not a lungxray predictions file ({type(exc).__name__}: {exc}). "
                           "Re-run the study to regenerate it.") from None


def read_probabilities(path: Path, classes: Sequence[str]) -> np.ndarray:
    """The class probabilities of predictions.csv (rows = images, as written: 6 decimals)."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        return np.array([[float(r[f"p_{c}"]) for c in classes] for r in rows], dtype=float)
    except (OSError, KeyError, ValueError, csv.Error) as exc:
        raise ResultsError(f"{path} has no class probabilities ({type(exc).__name__}: {exc}). "
                           "Re-run the study to regenerate it.") from None


def load_raw(path: Path) -> tuple[Path, dict[str, Any]]:
    """A results.json as JSON, with its schema and required fields checked (``lungxray rescore`` reads
    schema /1 files this way); a clear ResultsError for anything else."""
    from lungxray.results.types import _read_json

    path = Path(path)
    if path.is_dir():
        path = path / RESULTS
    data = _read_json(path)
    if not isinstance(data, dict) or data.get("schema") not in READABLE_SCHEMAS:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ResultsError(f"{path} is not a lungxray results file (schema {found!r}, expected {SCHEMA!r}).")
    missing = [k for k in ("study", "experiment", "config", "provenance", "evaluation", "comparison")
               if k not in data]
    if missing:
        raise ResultsError(f"{path} lacks required field(s) {missing}; it is damaged or from another tool.")
    return path, data


def load_results(path: Path, current: bool = False) -> RunResult:
    """Read and validate a results.json. Schema /2 is migrated in memory, unless ``current`` (``check`` and
    ``table`` hold committed files to the current schema); /1 always needs `lungxray rescore`."""
    path, data = load_raw(path)
    if data["schema"] == "lungxray.results/1" or (current and data["schema"] != SCHEMA):
        raise ResultsError(f"{path} has schema {data['schema']}, not {SCHEMA}: bring it up to date with "
                           f"`python -m lungxray rescore {path.parent}`")
    return RunResult.from_dict(data, str(path))


def find_results(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob(RESULTS) if "backup" not in p.parts)


AGGREGATE = "aggregate.json"
