"""Run folders and the results.json / predictions.csv schema.

A run folder holds ``results.json`` (schema ``SCHEMA``), ``predictions.csv``,
``manifest.csv``, ``history.csv`` and ``report.pdf``.  Files are written atomically
(temporary file + rename), and a finished run folder is never overwritten silently.
"""

from __future__ import annotations

import csv
import functools
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

from lungxray.errors import ResultsError
from lungxray.result_types import (  # noqa: F401  (re-exported: the schema lives with its types)
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


@functools.cache
def source_revision() -> str:
    """The git commit of the lungxray checkout that ran ('+dirty': uncommitted changes to its code).

    Read once per process, at the start of a study run, so it names the code that was loaded."""
    import subprocess

    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        if rev.returncode:
            return "unknown (not a git checkout)"
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=here, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        # only the code counts: committed results and reports may change while runs go on
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "lungxray",
                                "reproductions", "setup.cfg", "pyproject.toml"], cwd=top or here,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown (git not available)"


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
    from lungxray.result_types import _read_json

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


def aggregate(results: Sequence[RunResult], names: Sequence[str] = ()) -> AggregateResult:
    """Runs that differ only in seed (``names``: their folders): every metric's values, mean and std, and each
    published number's verdict by ``lungxray.verdict``'s rule on the interval where one more run lands."""
    from lungxray.result_types import MetricSpread

    if not results:
        raise ResultsError("nothing to aggregate")
    first = results[0]
    keys = [k for k in first.evaluation.metrics if all(k in r.evaluation.metrics for r in results)]
    stats = {}
    for k in keys:
        vals = np.array([r.evaluation.metrics[k] for r in results], dtype=float)
        stats[k] = MetricSpread(float(vals.mean()), float(vals.std(ddof=1)) if len(vals) > 1 else 0.0, vals.tolist())
    faithful = all(bool(r.faithful) for r in results)
    # a published number is its key and its source: a paper may print one metric twice (a table and its abstract)
    key_sets = [[(row.key, row.source) for row in r.comparison] for r in results]
    if any(set(ks) != set(key_sets[0]) or len(ks) != len(set(ks)) for ks in key_sets):
        raise ResultsError("the runs compare different published numbers (results from different study versions?): "
                           "rescore them with `python -m lungxray rescore` first")
    by_key = [{(row.key, row.source): row for row in r.comparison} for r in results]
    rows = [_aggregate_row([b[key] for b in by_key], faithful) for key in key_sets[0]]
    return AggregateResult(AGGREGATE_SCHEMA, first.study, first.experiment, len(results),
                           [r.provenance.seed for r in results], first.provenance.split_seed,
                           [r.provenance.split_seed for r in results], faithful, first.departures, list(names),
                           stats, rows)


def _aggregate_row(per_run: Sequence[Any], faithful: bool) -> AggregateRow:
    """One published number over the runs (each a ``ComparisonRow``)."""
    from lungxray.result_types import Interval
    from lungxray.verdict import Estimate, decide, over_seeds

    row = per_run[0]
    same = {k: getattr(row, k) for k in ("key", "label", "definition", "source", "published", "published_interval",
                                         "tolerance", "expectation", "reason")}
    if any(x.reproduced is None for x in per_run):
        return AggregateRow(**same, mean=None, std=None, interval=None, verdict=row.verdict, gap_interval=None,
                            detail="", n_to_decide=None, informational=row.informational)
    # a log value has no test-set interval: over seeds, its spread is its uncertainty
    ests = [Estimate(**vars(x.interval)) if x.interval else
            Estimate(x.reproduced, float("nan"), float("nan"), float("nan"), "none", 0) for x in per_run]
    est = over_seeds(ests, bounded=not (row.key.endswith("loss") or row.key == "loss"))
    s = float(np.std([e.value for e in ests], ddof=1)) if len(ests) > 1 else 0.0
    dec = decide(row.published, row.tolerance, est, faithful=faithful,
                 inconsistent=row.verdict == "published number inconsistent", seed_spread=s)
    return AggregateRow(**same, mean=est.value, std=s, interval=Interval(**est.to_dict()), verdict=dec.verdict,
                        gap_interval=dec.gap, detail=dec.detail, n_to_decide=dec.n_to_decide,
                        informational=row.informational)


def write_aggregate(folder: Path, run_dirs: Sequence[Path]) -> Path:
    results = [load_results(d) for d in run_dirs]
    path = Path(folder) / AGGREGATE
    atomic_write_text(path, aggregate(results, [Path(d).name for d in run_dirs]).to_json())
    return path
