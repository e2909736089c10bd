"""Finding a dataset on disk: ``--data-dir``, else ``$LUNGXRAY_DATA``, else ``--download``."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from lungxray.data.datasets import DatasetSpec
from lungxray.data.layouts import Layout, Record, ScanResult
from lungxray.data.sniff import junk_reason
from lungxray.errors import DataError, DataNotFoundError

log = logging.getLogger(__name__)
ENV_VAR = "LUNGXRAY_DATA"


def _ways_out(spec: DatasetSpec) -> str:
    dl = (f"  3. --download (fetches Kaggle '{spec.kaggle_handle}' with kagglehub; needs network and "
          "Kaggle credentials in ~/.kaggle/kaggle.json or KAGGLE_USERNAME/KAGGLE_KEY)")
    if not spec.kaggle_handle:
        dl = f"  3. --download is not possible: {spec.handle_note}"
    return (f"Give the dataset '{spec.key}' ({spec.title}) one of three ways:\n"
            f"  1. --data-dir DIR (the folder you downloaded)\n"
            f"  2. export {ENV_VAR}=DIR (a folder holding it, or holding a '{spec.key}' folder)\n{dl}")


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
    env = os.environ.get(ENV_VAR)
    if env:
        p = Path(env).expanduser()
        if (p / spec.key).is_dir():
            return p / spec.key
        if p.is_dir():
            return p
        raise DataNotFoundError(f"${ENV_VAR}={env} is not a folder.\n{_ways_out(spec)}")
    if download_ok:
        return download(spec)
    raise DataNotFoundError(f"No data given for '{spec.key}'.\n{_ways_out(spec)}")


@dataclass
class Located:
    root: Path
    layout: Layout
    note: str  # how the root was found, e.g. "nested twice"


def _candidates(start: Path, spec: DatasetSpec) -> list[tuple[Path, str]]:
    out = [(start, "")]
    frontier = [start]
    for depth in (1, 2, 3):
        nxt = []
        for d in frontier:
            subs = [s for s in sorted(d.iterdir())  # __MACOSX/ beside the real folder is no second candidate
                    if s.is_dir() and not s.name.startswith(".") and junk_reason(s.name, True) is None]
            named = [s for s in subs if s.name in spec.root_names]
            for s in named or (subs if len(subs) == 1 else []):
                nxt.append(s)
                out.append((s, f"root found {depth} level(s) below the given folder ({s.relative_to(start)})"))
        frontier = nxt
    out.append((start.parent, "root found one level above the given folder"))
    return out


def find_root(spec: DatasetSpec, start: Path) -> Located:
    for cand, note in _candidates(start, spec):
        for layout in spec.layouts:
            if layout.matches(cand):
                if note:
                    log.info("%s: %s", spec.key, note)
                return Located(cand, layout, note)
    expected = "; ".join(layout.name for layout in spec.layouts)
    raise DataError(
        f"{start} does not look like the '{spec.key}' dataset: expected the layout {expected} "
        f"(classes: {', '.join(spec.classes)}) in it, one to three levels below it, or one level above.\n"
        f"Check the folder you passed, or run `python -m lungxray verify-data {spec.key} --data-dir DIR`."
    )


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
