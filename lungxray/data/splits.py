"""Seeded splits, written as a manifest CSV (relative path, class, split) that a run records.

Give a manifest back with ``--manifest`` to reuse exactly the same split.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from lungxray.data.layouts import Record, natural_key
from lungxray.errors import DataError
from lungxray.spec.config import SplitConfig  # noqa: F401  (re-exported)

SPLITS = ("train", "val", "test")


FILE_ORDERS = ("input", "lexicographic", "natural")


def paper_order(records: Sequence[Record], cfg: SplitConfig) -> list[int]:
    """Indices of ``records`` in the order the paper's file list is assumed to have had."""
    if cfg.file_order not in FILE_ORDERS:
        raise ValueError(f"file_order must be one of {FILE_ORDERS}, not {cfg.file_order!r}")
    idx = list(range(len(records)))
    if cfg.file_order == "lexicographic":
        idx.sort(key=lambda i: records[i].path)
    elif cfg.file_order == "natural":
        idx.sort(key=lambda i: natural_key(records[i].path))
    if cfg.class_order is not None:
        rank = {c: k for k, c in enumerate(cfg.class_order)}
        unknown = sorted({records[i].label for i in idx} - set(rank))
        if unknown:
            raise DataError(f"split class_order {cfg.class_order} lacks classes {unknown}")
        idx.sort(key=lambda i: rank[records[i].label])  # stable: file order kept within a class
    return idx


def _two_way(idx, labels, test_size, seed, groups=None, stratify=True):
    if groups is None:
        return train_test_split(idx, test_size=test_size, random_state=seed,
                                stratify=labels[idx] if stratify else None, shuffle=True)
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
    order = np.array(paper_order(records, cfg), dtype=int)
    ordered = [records[i] for i in order]
    labels = np.array([r.label for r in ordered])
    groups = np.array([r.group or r.path for r in ordered]) if cfg.method == "grouped" else None
    idx = np.arange(len(ordered))
    if cfg.val_from not in ("holdout", "train"):
        raise ValueError(f"val_from must be 'holdout' or 'train', not {cfg.val_from!r}")
    seed = seed if cfg.random_state is None else cfg.random_state
    strat = cfg.stratify
    try:
        train, hold = _two_way(idx, labels, cfg.holdout, seed, groups, strat)
        if cfg.val_from == "holdout":
            val, test = _two_way(hold, labels, 1 - cfg.val_fraction, seed, groups, strat)
        else:
            test = hold
            train, val = _two_way(train, labels, cfg.val_fraction, seed, groups, strat)
    except ValueError as exc:
        counts = dict(Counter(labels.tolist()))
        raise DataError(f"cannot make a {cfg.method} train/val/test split of {len(records)} images {counts}: "
                        f"{exc}. Each class needs enough images for every split.") from None
    split = np.empty(len(records), dtype=object)
    split[order[train]], split[order[val]], split[order[test]] = "train", "val", "test"
    return [replace(r, split=str(s)) for r, s in zip(records, split, strict=True)]


def split_counts(records: Sequence[Record]) -> dict[str, dict[str, int]]:
    c = Counter((r.split, r.label) for r in records)
    labels = sorted({r.label for r in records})
    return {s: {lab: c[(s, lab)] for lab in labels} for s in SPLITS if any(k[0] == s for k in c)}


FIELDS = ("path", "label", "split", "group")
HASH_FIELD = "sha256"  # optional column: each file's sha256 (older manifests lack it)


def manifest_text(records: Sequence[Record], hashes: Mapping[str, str] | None = None) -> str:
    """The manifest CSV; with ``hashes`` (path -> sha256) a sha256 column too, which
    ``verify-data --manifest`` checks another copy of the dataset against."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FIELDS + ((HASH_FIELD,) if hashes is not None else ()))
    for r in records:
        row = (r.path, r.label, r.split or "", r.group or "")
        w.writerow(row + ((hashes[r.path],) if hashes is not None else ()))
    return buf.getvalue()


def manifest_hash(records: Sequence[Record]) -> str:
    """sha256 of the split itself (the manifest without file hashes), so equal splits hash equal."""
    return hashlib.sha256(manifest_text(records).encode()).hexdigest()


def outside_rows(recs: Sequence[Record]) -> list[tuple[int, str]]:
    """(index, path) of records whose path is absolute or climbs out of the dataset root with '..'."""
    from pathlib import PurePosixPath, PureWindowsPath

    out = []
    for i, r in enumerate(recs):
        p = r.path.replace("\\", "/")
        if (PurePosixPath(p).is_absolute() or PureWindowsPath(r.path).drive or ".." in PurePosixPath(p).parts
                or not p.strip()):
            out.append((i, r.path))
    return out


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
    outside = outside_rows(recs)
    if outside:
        rows_txt = "; ".join(f"row {i + 2}: {p}" for i, p in outside[:5])
        more = f" and {len(outside) - 5} more" if len(outside) > 5 else ""
        raise DataError(f"manifest {path} names {len(outside)} file(s) outside the dataset folder ({rows_txt}{more}). "
                        "Manifest paths must be relative to the dataset root, without '..'; nothing was read.")
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
