"""Finding a dataset on disk: ``--data-dir``, else ``$LUNGXRAY_DATA``, else ``--download``."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from lungxray._util import env
from lungxray.data.datasets import DatasetSpec
from lungxray.data.layouts import Layout, Record, ScanResult
from lungxray.data.sniff import junk_reason
from lungxray.errors import DataError, DataNotFoundError

log = logging.getLogger(__name__)
ENV_VAR = env.DATA


def _ways_out(spec: DatasetSpec) -> str:
    dl = (f"  3. --download (fetches Kaggle '{spec.kaggle_handle}' with kagglehub; needs network and "
          "Kaggle credentials in ~/.kaggle/kaggle.json or KAGGLE_USERNAME/KAGGLE_KEY)")
    if not spec.kaggle_handle:
        dl = f"  3. --download is not possible: {spec.handle_note}"
    return (f"Give the dataset '{spec.key}' ({spec.title}) one of three ways:\n"
            f"  1. --data-dir DIR (the folder you downloaded)\n"
            f"  2. export {ENV_VAR}=DIR (the dataset, or a folder of downloads that holds it)\n{dl}")


def download(spec: DatasetSpec) -> Path:
    if not spec.kaggle_handle:
        raise DataNotFoundError(f"Cannot download '{spec.key}': {spec.handle_note}\n{_ways_out(spec)}")
    try:
        import kagglehub

        return Path(kagglehub.dataset_download(spec.kaggle_handle))
    except Exception as exc:  # kagglehub raises many types: network, auth, not found
        raise DataNotFoundError(
            f"Download of Kaggle dataset '{spec.kaggle_handle}' failed ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}). No network or no Kaggle "
            f"credentials?\n{_ways_out(spec)}"
        ) from None


def locate_source(spec: DatasetSpec, data_dir: str | os.PathLike | None, download_ok: bool = False) -> Path:
    """The folder the user pointed us at (not yet the layout root)."""
    if data_dir is not None:
        p = Path(data_dir).expanduser()
        if not p.is_dir():
            raise DataNotFoundError(f"--data-dir {p} does not exist or is not a folder.\n{_ways_out(spec)}")
        return p
    p = env.folder(ENV_VAR)
    if p is not None:
        named = next((p / n for n in folder_names(spec) if (p / n).is_dir()), None)
        if named is not None:  # a folder of datasets: the one named after this one (else find_root searches)
            return named
        if p.is_dir():
            return p
        raise DataNotFoundError(f"${ENV_VAR}={p} is not a folder.\n{_ways_out(spec)}")
    if download_ok:
        return download(spec)
    raise DataNotFoundError(f"No data given for '{spec.key}'.\n{_ways_out(spec)}")


@dataclass
class Located:
    root: Path
    layout: Layout
    note: str  # how the root was found, e.g. "nested twice"


MAX_DEPTH = 3  # how far below the given folder the dataset root is looked for


def folder_names(spec: DatasetSpec) -> tuple[str, ...]:
    """Names a folder holding this dataset may bear: its registry key, the Kaggle download's name (the handle's
    last part, e.g. ``chest-ctscan-images``) and the names a download wraps the root in."""
    slug = (spec.kaggle_handle or "").rsplit("/", 1)[-1]
    return tuple(dict.fromkeys(n for n in (spec.key, slug, *spec.root_names) if n))


def _subfolders(d: Path) -> list[Path]:
    """Sub-folders worth searching (not hidden, not left by tools such as ``__MACOSX/``), by name."""
    try:
        with os.scandir(d) as it:  # no stat per entry: a class folder may hold thousands of files
            names = sorted(e.name for e in it if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []
    return [d / n for n in names if junk_reason(n, True) is None]


def _matching(spec: DatasetSpec, folder: Path) -> Layout | None:
    return next((layout for layout in spec.layouts if layout.matches(folder)), None)


def find_root(spec: DatasetSpec, start: Path) -> Located:
    """The dataset root: ``start`` itself, the nearest folder below it (up to three levels, every branch, so a
    folder holding several datasets works) that has the layout, or its parent."""
    level = [start]
    for depth in range(MAX_DEPTH + 1):
        found = [(d, lay) for d in level if (lay := _matching(spec, d)) is not None]
        if found:
            root, layout = _one_root(spec, start, found)
            note = f"root found {depth} level(s) below the given folder ({root.relative_to(start)})" if depth else ""
            if note:
                log.info("%s: %s", spec.key, note)
            return Located(root, layout, note)
        level = [s for d in level for s in _subfolders(d)]
    layout = _matching(spec, start.parent)
    if layout is not None:
        log.info("%s: root found one level above the given folder", spec.key)
        return Located(start.parent, layout, "root found one level above the given folder")
    expected = "; ".join(layout.name for layout in spec.layouts)
    raise DataError(
        f"{start} does not look like the '{spec.key}' dataset: expected the layout {expected} "
        f"(classes: {', '.join(spec.classes)}) in it, in a folder one to {MAX_DEPTH} levels below it, or one "
        f"level above.\nCheck the folder you passed, or run `python -m lungxray verify-data {spec.key} --data-dir DIR`."
    )


def _one_root(spec: DatasetSpec, start: Path, found: list[tuple[Path, Layout]]) -> tuple[Path, Layout]:
    """The one root among several found at the same depth: the one under a folder named after the dataset."""
    if len(found) > 1:
        names = set(folder_names(spec))
        named = [(d, lay) for d, lay in found if names & set(d.relative_to(start).parts)]
        if len(named) != 1:
            listed = ", ".join(str(d) for d, _ in found)
            raise DataError(f"{start} holds {len(found)} folders that look like the '{spec.key}' dataset ({listed}): "
                            "pass the one you mean with --data-dir.")
        found = named
    return found[0]


@dataclass
class Discovered:
    spec: DatasetSpec
    located: Located
    scan: ScanResult

    @property
    def root(self) -> Path:
        return self.located.root

    @property
    def records(self) -> list[Record]:
        return self.scan.records


def discover(spec: DatasetSpec, data_dir=None, download_ok: bool = False,
             classes: tuple[str, ...] | None = None) -> Discovered:
    located = find_root(spec, locate_source(spec, data_dir, download_ok))
    scan = located.layout.scan(located.root, classes)
    for rel, why in scan.skipped:
        log.warning("skipped %s: %s", rel, why)
    return Discovered(spec, located, scan)
