"""Stage 1 of a run: the data, from a folder to a split manifest.

``DataSource`` discovers a dataset once per study run (or generates its smoke copy) and decodes
each file once (screening); ``prepare`` turns it into one experiment's ``PreparedData``: the
class folders checked, unreadable files skipped and reported, the per-class subset, the split
(made, or read from ``--manifest``), training-split balancing, and the byte-identical
duplicates that cross splits. Nothing here trains; nothing here imports TensorFlow.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lungxray.errors import DataError
from lungxray.results.types import CountMismatch, DuplicateGroup, Skipped
from lungxray.spec.config import RunConfig

log = logging.getLogger("lungxray")


class DataSource:
    """Discovered data, shared by the experiments (and seeds) of one study run."""

    def __init__(self, dataset: str, data_dir: str | Path | None, *, download: bool = False,
                 synthetic: bool = False, quiet: bool = False) -> None:
        from lungxray.data import discover, get_dataset

        self.spec = get_dataset(dataset)
        self.synthetic = synthetic
        self.found = discover(self.spec, data_dir, download)
        self.pipelines: dict[Any, Any] = {}  # decoded images, shared by seeds and experiments
        self.features: dict[Any, Any] = {}  # frozen-backbone features, shared by experiments
        self._screen: dict[str, tuple[str | None, str | None]] = {}  # path -> (why unreadable, sha256)
        self._decoded: set[tuple[str, Any]] = set()  # (path, image settings) in the decode cache
        self.quiet = quiet  # no progress bars

    @classmethod
    def generated(cls, dataset: str, folder: Path, per_class: int, seed: int, classes: tuple[str, ...],
                  quiet: bool = False) -> DataSource:
        """A smoke copy in the dataset's layout (``lungxray.data.synthetic``)."""
        from lungxray.data.synthetic import make_dataset

        return cls(dataset, make_dataset(dataset, folder, per_class, seed, classes=classes), synthetic=True,
                   quiet=quiet)

    @property
    def root(self) -> Path:
        return self.found.root

    def screened(self, records: list, image: Any = None) -> tuple[list, list[Skipped], dict[str, str]]:
        """Screen and decode each file in one pass, once ever (``lungxray.data.cache``: decoded images persist
        across runs, keyed by file hash and ``image`` settings); unreadable files are skipped, logged and
        reported."""
        from lungxray.data.cache import screen_decode

        todo = [r for r in records if r.path not in self._screen or (
            image is not None and self._screen[r.path][0] is None and (r.path, image) not in self._decoded)]
        if todo:
            good, bad, hashes = screen_decode(self.root, list({r.path: r for r in todo}.values()), image,
                                              quiet=self.quiet)
            for b in bad:
                self._screen[b["file"]] = (b["reason"], None)
                log.warning("skipped %s: %s", b["file"], b["reason"])
            for r in good:
                self._screen[r.path] = (None, hashes[r.path])
                self._decoded.add((r.path, image))
        ok = [r for r in records if self._screen[r.path][0] is None]
        bad = [Skipped(r.path, self._screen[r.path][0]) for r in records if self._screen[r.path][0]]
        return ok, bad, {r.path: self._screen[r.path][1] for r in ok}


@dataclass
class PreparedData:
    """One experiment's images, split and checked: what training and the results need of the data."""

    records: list  # lungxray.data.layouts.Record, each with its split
    hashes: dict[str, str]  # path -> sha256 of every readable file
    split_seed: int
    unreadable: list[Skipped] = field(default_factory=list)
    count_mismatches: list[CountMismatch] = field(default_factory=list)
    duplicates: list[DuplicateGroup] = field(default_factory=list)
    manifest_given: str | None = None


def prepare(data: DataSource, cfg: RunConfig, *, split_seed: int, manifest: str | None = None,
            allow_count_mismatch: bool = False) -> PreparedData:
    """Screen, subset, split (or read ``manifest``), balance and check one experiment's data."""
    from lungxray.data import balancing
    from lungxray.data.splits import make_split, read_manifest
    from lungxray.data.verify import cross_split_duplicates

    mism = check_scan(data, cfg, allow_count_mismatch)
    records = [r for r in data.found.records if r.label in cfg.classes]
    if manifest:  # refuse a bad manifest (rows outside the dataset, missing files) before decoding anything
        read_manifest(manifest, data.root, cfg.classes)
    records, unreadable, hashes = data.screened(records, cfg.image)
    records = select_subset(records, cfg, split_seed)
    if manifest:
        records = read_manifest(manifest, data.root, cfg.classes)
        missing = [r.path for r in records if r.path not in hashes]
        if missing:
            raise DataError(f"--manifest {manifest} names {len(missing)} file(s) this run does not read (unreadable, "
                            f"or skipped: see the lines above): {', '.join(missing[:5])}. Fix or remove them, or "
                            "drop --manifest.")
        check_manifest_content(manifest, hashes, data.spec.key)
    else:
        records = make_split(records, cfg.split, split_seed)
        if cfg.balancing != "none":  # a given manifest already lists the resampled set
            train = balancing.resample([r for r in records if r.split == "train"], cfg.balancing, split_seed)
            records = train + [r for r in records if r.split != "train"]
    check_every_class_tested(records, unreadable, cfg.classes, {r.path: r.label for r in data.found.records})
    dups = [DuplicateGroup(**d) for d in cross_split_duplicates(records, hashes)]
    if dups:
        log.warning("%d group(s) of byte-identical images sit in more than one split (first: %s)", len(dups),
                    " = ".join(dups[0].files))
    return PreparedData(records, hashes, split_seed, unreadable, mism, dups, manifest)


def check_manifest_content(manifest: str, hashes: dict[str, str], dataset: str) -> None:
    """Refuse a manifest whose files' content is not what it was when the manifest was written (its sha256
    column), or that cannot say (no sha256 column): the run would claim the manifest's split over other images."""
    from lungxray.data.manifest_verify import manifest_hashes

    expected = manifest_hashes(Path(manifest))
    unhashed = [p for p, h in expected.items() if h is None]
    if unhashed:
        raise DataError(f"--manifest {manifest} gives no sha256 for {len(unhashed)} of its {len(expected)} file(s) "
                        f"(first: {unhashed[0]}; a manifest written before lungxray recorded file hashes?), so the "
                        "content of those files cannot be checked and the run could claim this split over other "
                        "images. Use the manifest.csv of a newer run, or drop --manifest to make a new split.")
    changed = [(p, h) for p, h in expected.items() if p in hashes and hashes[p] != h]
    if changed:
        shown = "; ".join(f"{p} (manifest {h[:12]}..., now {hashes[p][:12]}...)" for p, h in changed[:5])
        raise DataError(f"--manifest {manifest}: {len(changed)} file(s) now hold other content than when it was "
                        f"written: {shown}. The split would be claimed over other images. Restore the files "
                        f"(`python -m lungxray verify-data {dataset} --data-dir DIR --manifest {manifest}` lists "
                        "every difference), or drop --manifest to make a new split.")


def check_every_class_tested(records: list, unreadable: list[Skipped], classes: tuple[str, ...],
                             label_of: dict[str, str]) -> None:
    """Refuse a split in which a class has no readable test image: its recall and precision would be scores of
    nothing, and a macro average would take them in (lungxray.judge marks a metric with no test images 'not
    run'; a run must not get that far silently)."""
    tested = {r.label for r in records if r.split == "test"}
    for c in classes:
        if c in tested:
            continue
        mine = [s for s in unreadable if label_of.get(s.file) == c]
        why = (f"{len(mine)} of its files are unreadable (first: {mine[0].file}: {mine[0].reason})" if mine else
               f"it has {sum(r.label == c for r in records)} readable image(s), none in the test split")
        raise DataError(f"class {c} has no readable test image ({why}): its recall, precision and F1 would be "
                        "scores of nothing, averaged into the macro metrics. Replace the unreadable files, or check "
                        "the data with `python -m lungxray verify-data`.")


def check_scan(data: DataSource, cfg: RunConfig, allow_count_mismatch: bool) -> list[CountMismatch]:
    """Refuse missing or empty class folders; per-class counts against the published dataset."""
    from lungxray.data.verify import count_mismatches

    scan, wanted = data.found.scan, set(cfg.classes)
    if scan.conflicts:
        raise DataError(f"{data.root}: " + "; ".join(scan.conflicts) + ". Nothing was read.")
    missing = [c for c in scan.missing_classes if c.split("/")[-1] in wanted]
    if missing:
        raise DataError(f"{data.root}: class folder(s) missing: {', '.join(missing)}. This study needs "
                        f"{', '.join(cfg.classes)}; check --data-dir or the download.")
    empty = [c for c in scan.empty_classes if c.split("/")[-1] in wanted]
    if empty:
        raise DataError(f"{data.root}: class folder(s) with no images: {', '.join(empty)}.")
    if data.synthetic:
        return []
    mism = [CountMismatch(**asdict(m)) for m in
            count_mismatches(data.spec, [r for r in scan.records if r.label in wanted], cfg.classes)]
    if mism and not allow_count_mismatch:
        raise DataError(_count_mismatch_message(data, cfg, mism))
    return mism


def _count_mismatch_message(data: DataSource, cfg: RunConfig, mism: list[CountMismatch]) -> str:
    """Why the counts stop the run, in the terms of what the study takes: the whole release, or N per class."""
    check = f"Check the download with `python -m lungxray verify-data {data.spec.key} --data-dir DIR`"
    limit = cfg.per_class_limit
    if not limit:
        lines = "; ".join(f"{m.scope}/{m.label}: expected {m.expected}, found {m.found}" for m in mism)
        return (f"{data.root}: image counts differ from the published dataset ({lines}). {check}, or pass "
                "--allow-count-mismatch to run anyway (the results then say so).")
    have = ", ".join(f"{m.label} {m.found}" for m in mism)
    short = [m for m in mism if m.found < limit]
    if short:
        return (f"{data.root}: this study takes {limit} images per class ({', '.join(cfg.classes)}), and this copy "
                f"has only {', '.join(f'{m.found} {m.label}' for m in short)}. {check}.")
    release = ", ".join(f"{m.label} {m.expected}" for m in mism)
    return (f"{data.root}: this study takes {limit} images per class ({', '.join(cfg.classes)}) of the published "
            f"dataset ({release}); this copy has {have}: enough, but not the release the paper drew them from. "
            "Pass --allow-count-mismatch to run on it (a minor departure, stated in the results: which "
            f"{limit} the paper took is unstated anyway), or {check[0].lower() + check[1:]}.")


SUBSET_SELECTIONS = ("first", "first-lexicographic", "random")


def select_subset(records: list, cfg: RunConfig, seed: int) -> list:
    """The study's per-class subset (``per_class_limit``): the first N in natural or in plain sorted() file-name
    order, or a seeded sample."""
    if cfg.per_class_limit is None:
        return records
    out = []
    for c in cfg.classes:
        rs = [r for r in records if r.label == c]
        if cfg.subset_selection == "random":
            idx = np.sort(np.random.default_rng(seed).choice(len(rs), size=min(cfg.per_class_limit, len(rs)),
                                                             replace=False))
            rs = [rs[i] for i in idx]
        elif cfg.subset_selection == "first-lexicographic":  # plain sorted() order: COVID-1, COVID-10, COVID-100
            rs = sorted(rs, key=lambda r: r.path)[: cfg.per_class_limit]
        elif cfg.subset_selection == "first":  # natural file-name order, as the layout scan returns them
            rs = rs[: cfg.per_class_limit]
        else:
            raise ValueError(f"subset_selection must be one of {SUBSET_SELECTIONS}, not {cfg.subset_selection!r}")
        if len(rs) < cfg.per_class_limit:
            raise DataError(f"class {c} has only {len(rs)} images; the study uses {cfg.per_class_limit}")
        out += rs
    return out


def image_sizes(root: Path, records, limit: int = 20) -> tuple[list[list[int]], int | None]:
    """The first ``limit`` distinct (width, height) of the run's images by size, and the smallest side of all,
    read from file headers (Pillow opens lazily, decoding nothing)."""
    from PIL import Image

    found: set[tuple[int, int]] = set()
    for r in records:
        try:
            with Image.open(root / r.path) as im:
                found.add(im.size)
        except OSError:
            continue
    return [list(s) for s in sorted(found)[:limit]], (min(min(s) for s in found) if found else None)


def subset_note(cfg: RunConfig, synthetic: bool, mism: list[CountMismatch]) -> str:
    parts = []
    if synthetic:
        parts.append("generated smoke data")
    if cfg.per_class_limit:
        parts.append(f"{cfg.per_class_limit} per class ({cfg.subset_selection})")
    if mism:
        parts.append("counts differ from the published dataset")
    return "; ".join(parts) or "full dataset"
