"""How a dataset's files are laid out on disk and how labels are read from them.

A layout answers two questions: "is this folder the dataset root?" (``matches``) and
"which labelled images are under it?" (``scan``).  Files that are not images
(``.DS_Store``, ``Thumbs.db``, ``*.xlsx``, mask folders) are returned as skips with a
reason, never silently dropped. So are files that resolve (through a symbolic link) outside the dataset
root: a run reads only what is under it. Class folders whose names differ only in case (``Normal/`` and
``normal/``, left by unzipping on a case-insensitive file system and merging) are a conflict the caller
refuses, naming both, rather than one of them being dropped.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lungxray.data.sniff import junk_reason

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


@dataclass(frozen=True)
class Record:
    """One labelled image, with its path relative to the dataset root."""

    path: str
    label: str
    split: str | None = None  # official split, when the dataset ships one
    group: str | None = None  # patient id, when known


@dataclass
class ScanResult:
    records: list[Record] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (relative path, reason)
    missing_classes: list[str] = field(default_factory=list)
    empty_classes: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # class folders that differ only in case, as a sentence


def leaves_root(real_root: Path, path: Path) -> str | None:
    """Why ``path`` is not read when it resolves outside the dataset root (``real_root``, resolved), else None."""
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # a symbolic link loop: reading it reports it
        return None
    if target == real_root or real_root in target.parents:
        return None
    return f"symbolic link to {target}, outside the dataset folder: not read"


def case_twins(parent: Path, names: Iterable[str]) -> list[Path]:
    """The folders in ``parent`` whose names equal one of ``names`` ignoring case (exact matches included)."""
    folded = {n.split("/")[0].casefold() for n in names}
    try:
        return [d for d in sorted(parent.iterdir()) if d.name.casefold() in folded and d.is_dir()]
    except OSError:
        return []


def conflict_text(root: Path, folders: Sequence[Path], label: str) -> str:
    names = " and ".join(f"{d.relative_to(root).as_posix()}/" for d in folders)
    return (f"class {label}: folders {names} differ only in case (left by unzipping on a case-insensitive file "
            "system and merging?); merge them into one folder or remove the copy you do not want")


def is_image_name(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES) and not name.startswith("._")


def in_junk_folder(rel: str) -> str | None:
    """The reason a path under a folder left by a tool (``__MACOSX/``, ``.ipynb_checkpoints/``) is ignored."""
    for part in rel.split("/")[:-1]:
        why = junk_reason(part, True)
        if why:
            return why
    return None


def _files(folder: Path, root: Path, result: ScanResult, ignore_dirs: Iterable[str] = ()) -> list[Path]:
    """Image files directly in ``folder`` (sorted); everything else becomes a logged skip."""
    out = []
    real_root = root.resolve()
    for p in sorted(folder.iterdir(), key=lambda q: q.name):
        rel = p.relative_to(root).as_posix()
        outside = leaves_root(real_root, p)
        if outside:
            result.skipped.append((rel, outside))
            continue
        junk = junk_reason(p.name, p.is_dir())
        if p.is_dir():
            if p.name not in ignore_dirs:
                result.skipped.append((rel + "/", junk or "sub-folder inside a class folder: its files are not used"))
            continue
        if junk:
            result.skipped.append((rel, junk))
        elif is_image_name(p.name):
            out.append(p)
        else:
            result.skipped.append((rel, "not an image file (by extension)"))
    return out


def natural_key(name: str) -> list[object]:
    """Sort key that orders ``COVID-2`` before ``COVID-10``."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


@dataclass(frozen=True)
class ClassFolders:
    """``<root>/<class folder>/[<subdir>/]<image>``; the label is the folder name.

    ``folders`` maps each canonical class name to the accepted folder names, tried in order
    (e.g. ``images/`` for the current COVID-19 release, none for older releases).
    """

    name: str
    folders: Mapping[str, tuple[str, ...]]
    subdirs: tuple[str, ...] = ("",)
    ignore_dirs: tuple[str, ...] = ()

    def matches(self, root: Path) -> bool:
        found = sum(any((root / f).is_dir() for f in fs) for fs in self.folders.values())
        return found >= max(1, len(self.folders) // 2)

    def scan(self, root: Path, classes: Iterable[str] | None = None) -> ScanResult:
        res = ScanResult()
        for label in classes or self.folders:
            folder = next((root / f for f in self.folders[label] if (root / f).is_dir()), None)
            if folder is None:
                res.missing_classes.append(label)
                continue
            twins = case_twins(root, self.folders[label])
            if len(twins) > 1:
                res.conflicts.append(conflict_text(root, twins, label))
            sub = next((folder / s for s in self.subdirs if (folder / s).is_dir()), folder)
            ignore = set(self.ignore_dirs) | {s for s in self.subdirs if s}
            files = _files(sub, root, res, ignore)
            if sub != folder:  # files beside images/ (e.g. metadata) are reported too
                _files(folder, root, res, ignore)
            files.sort(key=lambda p: natural_key(p.name))
            if not files:
                res.empty_classes.append(label)
            res.records += [Record(p.relative_to(root).as_posix(), label) for p in files]
        return res


@dataclass(frozen=True)
class SplitClassFolders:
    """``<root>/<base>/<split>/<class folder>/<image>`` with an official split.

    Class folders are mapped to canonical names by ``canonical`` (e.g. the Chest CT set's
    ``adenocarcinoma_left.lower.lobe_T2_N0_M0_Ib`` and ``adenocarcinoma`` are one class).
    """

    name: str
    base: str
    splits: tuple[str, ...]
    canonical: Callable[[str], str]
    classes: tuple[str, ...]

    def matches(self, root: Path) -> bool:
        return all((root / self.base / s).is_dir() for s in self.splits)

    def scan(self, root: Path, classes: Iterable[str] | None = None) -> ScanResult:
        res = ScanResult()
        wanted = tuple(classes or self.classes)
        for split in self.splits:
            seen = set()
            by_case: dict[str, list[Path]] = {}
            for folder in sorted((root / self.base / split).iterdir()):
                if folder.is_dir():
                    by_case.setdefault(folder.name.casefold(), []).append(folder)
            for folder in sorted((root / self.base / split).iterdir()):
                rel = folder.relative_to(root).as_posix()
                if not folder.is_dir():
                    res.skipped.append((rel, "file outside any class folder"))
                    continue
                label = self.canonical(folder.name)
                junk = junk_reason(folder.name, True)
                if junk:
                    res.skipped.append((rel + "/", junk))
                    continue
                twins = by_case[folder.name.casefold()]
                if len(twins) > 1:
                    if folder == twins[0]:
                        known = [lab for lab in map(self.canonical, (t.name for t in twins)) if lab in self.classes]
                        res.conflicts.append(conflict_text(root, twins, (known or [label])[0]))
                    continue
                if label not in self.classes:
                    res.skipped.append((rel + "/", f"folder does not map to a known class ({', '.join(self.classes)})"))
                    continue
                if label not in wanted:
                    continue
                seen.add(label)
                files = _files(folder, root, res)
                if not files:
                    res.empty_classes.append(f"{split}/{label}")
                res.records += [Record(p.relative_to(root).as_posix(), label, split) for p in files]
            res.missing_classes += [f"{split}/{c}" for c in wanted if c not in seen]
        return res


@dataclass(frozen=True)
class CsvLabels:
    """Images anywhere under ``image_globs``; labels (and patient groups) from a CSV."""

    name: str
    csv_name: str
    image_globs: tuple[str, ...]
    file_column: str
    label: Callable[[dict[str, str]], str]
    group_column: str | None = None

    def matches(self, root: Path) -> bool:
        return (root / self.csv_name).is_file()

    def scan(self, root: Path, classes: Iterable[str] | None = None) -> ScanResult:
        res = ScanResult()
        with open(root / self.csv_name, newline="", encoding="utf-8") as fh:
            rows = {r[self.file_column]: r for r in csv.DictReader(fh)}
        wanted = set(classes) if classes else None
        paths = sorted({p for g in self.image_globs for p in root.glob(g)})
        real_root = root.resolve()
        for p in paths:
            rel = p.relative_to(root).as_posix()
            junk = leaves_root(real_root, p) or in_junk_folder(rel) or junk_reason(p.name, False)
            if junk or not is_image_name(p.name):
                res.skipped.append((rel, junk or "not an image file (by extension)"))
                continue
            row = rows.get(p.name)
            if row is None:
                res.skipped.append((rel, f"no row in {self.csv_name}"))
                continue
            label = self.label(row)
            if wanted is None or label in wanted:
                group = row[self.group_column] if self.group_column else None
                res.records.append(Record(rel, label, None, group))
        return res


@dataclass(frozen=True)
class SuffixLabels:
    """Images matched by ``image_globs`` whose label is a file-name suffix (``_0``/``_1``)."""

    name: str
    image_globs: tuple[str, ...]
    suffix_labels: Mapping[str, str]
    source: str = ""

    def matches(self, root: Path) -> bool:
        return any(next(root.glob(g), None) is not None for g in self.image_globs)

    def scan(self, root: Path, classes: Iterable[str] | None = None) -> ScanResult:
        res = ScanResult()
        wanted = set(classes) if classes else None
        real_root = root.resolve()
        for p in sorted({p for g in self.image_globs for p in root.glob(g)}):
            rel = p.relative_to(root).as_posix()
            junk = leaves_root(real_root, p) or in_junk_folder(rel) or junk_reason(p.name, False)
            if junk:
                res.skipped.append((rel, junk))
                continue
            m = re.search(r"_(\d)\.[A-Za-z]+$", p.name)
            if not is_image_name(p.name) or m is None or m.group(1) not in self.suffix_labels:
                res.skipped.append((rel, "name does not end in a known _<label> suffix"))
                continue
            label = self.suffix_labels[m.group(1)]
            if wanted is None or label in wanted:
                res.records.append(Record(rel, label, None, self.source))
        return res


@dataclass(frozen=True)
class Combined:
    """Several datasets side by side under one root: ``<root>/<part folder>/...``.

    ``parts`` maps a folder name to that dataset's layout; records get the folder as a path
    prefix, and groups are prefixed with it too (patients of different sources never merge).
    """

    name: str
    parts: Mapping[str, object]  # folder -> layout

    def matches(self, root: Path) -> bool:
        return any((root / f).is_dir() and lay.matches(root / f) for f, lay in self.parts.items())

    def scan(self, root: Path, classes: Iterable[str] | None = None) -> ScanResult:
        res = ScanResult()
        for folder, lay in self.parts.items():
            sub = root / folder
            if not (sub.is_dir() and lay.matches(sub)):
                res.missing_classes.append(f"{folder}/ (source)")
                continue
            part = lay.scan(sub, classes)
            res.records += [Record(f"{folder}/{r.path}", r.label, r.split, f"{folder}:{r.group or r.path}")
                            for r in part.records]
            res.skipped += [(f"{folder}/{p}", w) for p, w in part.skipped]
            res.missing_classes += [f"{folder}/{c}" for c in part.missing_classes]
            res.empty_classes += [f"{folder}/{c}" for c in part.empty_classes]
            res.conflicts += [f"{folder}/: {c}" for c in part.conflicts]
        return res


Layout = ClassFolders | SplitClassFolders | CsvLabels | SuffixLabels | Combined
