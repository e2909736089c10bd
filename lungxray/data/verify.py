"""``lungxray verify-data``: decode every image, count, and find duplicates."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lungxray._util.progress import progress
from lungxray.data.datasets import DatasetSpec
from lungxray.data.discovery import Discovered
from lungxray.data.layouts import Record, leaves_root
from lungxray.data.sniff import header_problem, plain_tf_message, what_is


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def decode_error(path: Path) -> str | None:
    """Why ``path`` cannot be decoded by the training pipeline's decoder, or None if it can."""
    import tensorflow as tf

    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot read ({exc.strerror})"
    if not data:
        return "empty file (0 bytes)"
    why = header_problem(data)  # format, pixel limit, size: from the header, nothing decoded yet
    if why:
        return why
    try:  # exactly as the pipeline decodes (lungxray.data.pipeline.decode_resize)
        img = tf.io.decode_image(data, channels=3, dtype=tf.float32, expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.UnknownError) as exc:
        head = what_is(data)
        return "cannot decode: " + (head if head.startswith(("truncated", "damaged")) else
                                    plain_tf_message(exc.message))
    if img.shape[0] == 0 or img.shape[1] == 0:
        return "decodes to an empty image"
    return None


def screen(root: Path, records: list[Record], workers: int = 4) -> tuple[list[Record], list[dict], dict[str, str]]:
    """Decode every record once before a run.

    Returns the readable records, the skipped ones as {file, reason} (logged and reported by the
    caller), and each readable file's sha256 (for duplicate checks).
    """
    from concurrent.futures import ThreadPoolExecutor

    real_root = Path(root).resolve()

    def one(r: Record) -> tuple[str | None, str | None]:
        err = leaves_root(real_root, root / r.path) or decode_error(root / r.path)
        return err, (None if err else sha256_file(root / r.path))

    pool = ThreadPoolExecutor(workers)
    try:
        outcomes = list(pool.map(one, records))
    finally:  # on Ctrl-C, drop the queued files instead of decoding them all first
        pool.shutdown(wait=True, cancel_futures=True)
    return partition(records, outcomes)


def partition(records: list[Record], outcomes: list[tuple[str | None, str | None]],
              ) -> tuple[list[Record], list[dict], dict[str, str]]:
    """Screening outcomes ((why unreadable, None) or (None, sha256), one per record) as the readable records,
    the skipped ones as {file, reason} and each readable file's sha256."""
    good, skipped, hashes = [], [], {}
    for r, (err, h) in zip(records, outcomes, strict=True):
        if err:
            skipped.append({"file": r.path, "reason": err})
        else:
            good.append(r)
            hashes[r.path] = h
    return good, skipped, hashes


def cross_split_duplicates(records: list[Record], hashes: dict[str, str]) -> list[dict]:
    """Groups of byte-identical files that sit in more than one split."""
    groups: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        groups[hashes[r.path]].append(r)
    out = []
    for rs in groups.values():
        splits = sorted({r.split or "" for r in rs})
        if len({r.path for r in rs}) > 1 and len(splits) > 1:
            out.append({"files": sorted({r.path for r in rs}), "splits": splits})
    return sorted(out, key=lambda g: g["files"][0])


@dataclass
class CountCheck:
    scope: str  # "all" or a split name
    label: str
    expected: int
    found: int


def count_mismatches(spec: DatasetSpec, records: list[Record], classes: tuple[str, ...] | None = None) -> list[CountCheck]:
    """Per-class (and per official split) counts that differ from the registry."""
    classes = classes or spec.classes
    out = []
    if spec.expected_split_counts:
        have = Counter((r.split, r.label) for r in records)
        for split, per in spec.expected_split_counts.items():
            out += [CountCheck(split, c, n, have[(split, c)]) for c, n in per.items() if c in classes]
    else:
        have = Counter(r.label for r in records)
        out += [CountCheck("all", c, spec.expected_counts[c], have[c]) for c in classes]
    return [c for c in out if c.expected != c.found]


@dataclass
class VerifyReport:
    dataset: str
    root: str
    layout: str
    root_note: str
    counts: dict[str, dict[str, int]]
    expected: dict[str, dict[str, int]]
    count_mismatches: list[dict]
    unreadable: list[dict]
    skipped: list[dict]
    missing_classes: list[str]
    empty_classes: list[str]
    n_files: int
    n_unique: int
    duplicate_groups: list[dict] = field(default_factory=list)
    class_folder_conflicts: list[str] = field(default_factory=list)  # folders that differ only in case
    distinct: dict[str, dict[str, int]] = field(default_factory=dict)  # split -> class -> distinct images

    @property
    def cross_split_groups(self) -> list[dict]:
        return [g for g in self.duplicate_groups if len(g["splits"]) > 1]

    @property
    def label_conflicts(self) -> list[dict]:
        """Byte-identical files filed under different classes: one image, two labels."""
        return [g for g in self.duplicate_groups if len(g["labels"]) > 1]

    @property
    def ok(self) -> bool:
        return not (self.unreadable or self.count_mismatches or self.missing_classes or self.empty_classes
                    or self.class_folder_conflicts)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ok"] = self.ok
        d["n_cross_split_duplicate_groups"] = len(self.cross_split_groups)
        d["n_label_conflicts"] = len(self.label_conflicts)
        return d

    def verdict(self) -> str:
        """The one-line outcome: errors, warnings, or OK (never OK while duplicates cross splits)."""
        errors = [f"{n} {what}" for n, what in ((len(self.unreadable), "unreadable file(s)"),
                                                (len(self.count_mismatches), "count mismatch(es)"),
                                                (len(self.missing_classes), "missing class folder(s)"),
                                                (len(self.empty_classes), "empty class folder(s)"),
                                                (len(self.class_folder_conflicts),
                                                 "class folder conflict(s) (names differing only in case)")) if n]
        warnings = [f"{n} {what}" for n, what in (
            (len(self.cross_split_groups), "duplicate group(s) across splits"),
            (len(self.label_conflicts), "label conflict(s)")) if n]
        if errors:
            return "ERRORS: " + ", ".join(errors) + ("; warnings: " + ", ".join(warnings) if warnings else "")
        if warnings:
            return "readable, counts as expected; WARNINGS: " + ", ".join(warnings)
        return "OK"

    def to_text(self) -> str:
        """Summary first (verdict, counts, warnings), then the details (each duplicate group, skipped and
        unreadable file, count mismatch)."""
        lines = [f"dataset {self.dataset} at {self.root}: {self.verdict()}",
                 f"files decoded: {self.n_files}, byte-unique: {self.n_unique}, "
                 f"duplicate groups: {len(self.duplicate_groups)} "
                 f"({len(self.cross_split_groups)} across splits, {len(self.label_conflicts)} with "
                 f"conflicting labels), unreadable: {len(self.unreadable)}, skipped: {len(self.skipped)}"]
        for scope, per in self.counts.items():
            exp = self.expected.get(scope, {})
            cells = ", ".join(f"{c} {n}" + (f" (expected {exp[c]})" if c in exp and exp[c] != n else "")
                              for c, n in per.items())
            lines.append(f"{scope}: {sum(per.values())} images: {cells}")
            dist = self.distinct.get(scope, {})
            if dist and dist != per:
                lines.append(f"  {'':{len(scope)}} distinct: {sum(dist.values())}: "
                             + ", ".join(f"{c} {dist.get(c, 0)}" for c in per))
        if self.cross_split_groups:
            lines.append(f"WARNING: {len(self.cross_split_groups)} duplicate groups cross splits: a model is scored "
                         "on images it was trained on, so test numbers on this split are inflated")
        if self.label_conflicts:
            lines.append(f"WARNING: {len(self.label_conflicts)} image(s) filed under two classes (label conflicts)")
        lines.append(f"layout: {self.layout}")
        if self.root_note:
            lines.append(f"note: {self.root_note}")
        details = []
        for m in self.count_mismatches:
            details.append(f"COUNT MISMATCH {m['scope']}/{m['label']}: expected {m['expected']}, found {m['found']}")
        for c in self.class_folder_conflicts:
            details.append(f"CONFLICT: {c} (a run refuses this dataset until then)")
        for c in self.missing_classes:
            details.append(f"MISSING class folder: {c}")
        for c in self.empty_classes:
            details.append(f"EMPTY class folder: {c}")
        for u in self.unreadable:
            details.append(f"UNREADABLE {u['file']}: {u['reason']}")
        for g in self.duplicate_groups:
            where = "ACROSS SPLITS" if len(g["splits"]) > 1 else "within split"
            if len(g["labels"]) > 1:
                where += ", LABEL CONFLICT " + " vs ".join(g["labels"])
            details.append(f"  duplicate ({where}): " + " = ".join(g["files"]))
        for s in self.skipped:
            details.append(f"skipped {s['file']}: {s['reason']}")
        if details:
            lines += ["", "details:", *details]
        return "\n".join(lines)


def verify(found: Discovered, decode: bool = True) -> VerifyReport:
    spec, root, recs = found.spec, found.root, found.records
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(spec.classes, 0))
    unreadable, by_hash = [], defaultdict(list)
    for r in progress(recs, "decoding", total=len(recs), unit="img") if decode else recs:
        counts[r.split or "all"][r.label] += 1
        path = root / r.path
        err = decode_error(path) if decode else None
        if err is None and not path.is_file():
            err = "not a file"
        if err:
            unreadable.append({"file": r.path, "reason": err})
            continue
        by_hash[sha256_file(path)].append(r)
    groups = []
    for h, rs in by_hash.items():
        if len(rs) > 1:
            groups.append({"sha256": h, "files": [r.path for r in rs],
                           "splits": sorted({r.split or "all" for r in rs}),
                           "labels": sorted({r.label for r in rs})})
    groups.sort(key=lambda g: g["files"][0])
    distinct: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(spec.classes, 0))
    for rs in by_hash.values():  # an image counts once per (split, class) it appears in
        for scope, label in {(r.split or "all", r.label) for r in rs}:
            distinct[scope][label] += 1
    expected = ({k: dict(v) for k, v in spec.expected_split_counts.items()} if spec.expected_split_counts
                else {"all": dict(spec.expected_counts)})
    return VerifyReport(
        dataset=spec.key, root=str(root), layout=found.located.layout.name, root_note=found.located.note,
        counts={k: dict(v) for k, v in counts.items()}, expected=expected,
        count_mismatches=[asdict(c) for c in count_mismatches(spec, recs)],
        unreadable=unreadable, skipped=[{"file": f, "reason": w} for f, w in found.scan.skipped],
        missing_classes=found.scan.missing_classes, empty_classes=found.scan.empty_classes,
        class_folder_conflicts=found.scan.conflicts,
        n_files=len(recs), n_unique=len(by_hash), duplicate_groups=groups,
        distinct={k: dict(distinct[k]) for k in counts},
    )
