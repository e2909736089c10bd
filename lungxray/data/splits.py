"""Seeded splits, written as a manifest CSV (relative path, class, split) that a run records.

Give a manifest back with ``--manifest`` to reuse exactly the same split.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from lungxray.data.layouts import Record
from lungxray.errors import DataError

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class SplitConfig:
    """How train/val/test are formed.

    method "stratified": ``holdout`` of the data is held out (sklearn ``train_test_split``,
    stratified); validation is ``val_fraction`` of the holdout (``val_from="holdout"``: the
    rest is test) or of the training part (``val_from="train"``).
    method "grouped": the same fractions, but whole groups (patients) go to one split.
    method "official": the dataset's own folders, renamed by ``official_names``.
    """

    method: str = "stratified"
    holdout: float = 0.3
    val_fraction: float = 0.5
    val_from: str = "holdout"
    official_names: tuple[tuple[str, str], ...] = (("train", "train"), ("valid", "val"), ("test", "test"))


def _two_way(idx, labels, test_size, seed, groups=None):
    if groups is None:
        return train_test_split(idx, test_size=test_size, random_state=seed, stratify=labels[idx], shuffle=True)
    gss = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    a, b = next(gss.split(idx, labels[idx], groups[idx]))
    return idx[a], idx[b]


def make_split(records: Sequence[Record], cfg: SplitConfig, seed: int) -> list[Record]:
    """Records with ``split`` set to train/val/test (input order kept)."""
    if cfg.method == "official":
        names = dict(cfg.official_names)
        missing = {r.split for r in records} - set(names)
        if missing:
            raise DataError(f"records carry official splits {sorted(missing)} with no mapping in {names}")
        return [replace(r, split=names[r.split]) for r in records]
    if cfg.method not in ("stratified", "grouped"):
        raise ValueError(f"unknown split method {cfg.method!r}")
    labels = np.array([r.label for r in records])
    groups = np.array([r.group or r.path for r in records]) if cfg.method == "grouped" else None
    idx = np.arange(len(records))
    if cfg.val_from not in ("holdout", "train"):
        raise ValueError(f"val_from must be 'holdout' or 'train', not {cfg.val_from!r}")
    try:
        train, hold = _two_way(idx, labels, cfg.holdout, seed, groups)
        if cfg.val_from == "holdout":
            val, test = _two_way(hold, labels, 1 - cfg.val_fraction, seed, groups)
        else:
            test = hold
            train, val = _two_way(train, labels, cfg.val_fraction, seed, groups)
    except ValueError as exc:
        counts = dict(Counter(labels.tolist()))
        raise DataError(f"cannot make a {cfg.method} train/val/test split of {len(records)} images {counts}: "
                        f"{exc}. Each class needs enough images for every split.") from None
    split = np.empty(len(records), dtype=object)
    split[train], split[val], split[test] = "train", "val", "test"
    return [replace(r, split=str(s)) for r, s in zip(records, split, strict=True)]


def split_counts(records: Sequence[Record]) -> dict[str, dict[str, int]]:
    c = Counter((r.split, r.label) for r in records)
    labels = sorted({r.label for r in records})
    return {s: {lab: c[(s, lab)] for lab in labels} for s in SPLITS if any(k[0] == s for k in c)}


FIELDS = ("path", "label", "split", "group")


def manifest_text(records: Sequence[Record]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FIELDS)
    for r in records:
        w.writerow((r.path, r.label, r.split or "", r.group or ""))
    return buf.getvalue()


def manifest_hash(records: Sequence[Record]) -> str:
    return hashlib.sha256(manifest_text(records).encode()).hexdigest()


def read_manifest(path: str | Path, root: Path | None = None, classes: Sequence[str] | None = None) -> list[Record]:
    """Read a manifest; every file must exist under ``root`` and every class be known."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise DataError(f"cannot read manifest {path}: {exc.strerror}") from None
    if not rows or not {"path", "label", "split"} <= set(rows[0]):
        raise DataError(f"{path} is not a lungxray manifest (needs columns path,label,split)")
    recs = [Record(r["path"], r["label"], r["split"] or None, r.get("group") or None) for r in rows]
    bad = [r.split for r in recs if r.split not in SPLITS]
    if bad:
        raise DataError(f"{path}: split must be one of {SPLITS}, found {bad[0]!r}")
    if classes is not None:
        unknown = sorted({r.label for r in recs} - set(classes))
        if unknown:
            raise DataError(f"{path}: classes {unknown} are not in this study ({', '.join(classes)})")
    if root is not None:
        missing = [r.path for r in recs if not (root / r.path).is_file()]
        if missing:
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise DataError(f"manifest {path} names {len(missing)} file(s) not under {root}: "
                            f"{', '.join(missing[:5])}{more}. Pass the --data-dir the manifest was made "
                            "for, or drop --manifest to make a new split.")
    return recs
