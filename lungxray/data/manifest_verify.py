"""``verify-data DATASET --manifest FILE``: is this copy of the dataset the one a run used?

A run's ``manifest.csv`` lists every file of its split with its sha256. Checked against a local
copy: files the manifest names that are absent (missing), present with other bytes (changed),
and files of the manifest's classes that it does not name (extra). Missing or changed files
mean a different dataset; extra files do not change a run given ``--manifest`` (they can change
a new seeded split). Manifests written before the sha256 column are checked for presence only.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lungxray.data.discovery import Discovered
from lungxray.data.splits import HASH_FIELD, read_manifest
from lungxray.data.verify import sha256_file
from lungxray.errors import DataError


def manifest_hashes(path: Path) -> dict[str, str | None]:
    """path -> sha256 from a manifest (None for every file when the manifest has no sha256 column)."""
    read_manifest(path)  # the usual format checks and messages
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, str | None] = {}
    for r in rows:
        h = (r.get(HASH_FIELD) or "").strip().lower() or None
        if out.get(r["path"]) not in (None, h):
            raise DataError(f"{path}: {r['path']} is listed twice with different sha256")
        out[r["path"]] = h
    return out


@dataclass
class ManifestCheck:
    manifest: str
    root: str
    n_listed: int
    hashed: bool  # whether the manifest carries sha256s
    missing: list[str] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)  # {file, expected, found}
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.changed)

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}

    def to_text(self) -> str:
        lines = [f"manifest {self.manifest}: {self.n_listed} files", f"data at {self.root}"]
        if not self.hashed:
            lines.append("note: this manifest has no sha256 column (written before lungxray recorded file hashes): "
                         "presence checked, contents not compared")
        lines += [f"MISSING {f}" for f in self.missing]
        lines += [f"CHANGED {c['file']}: sha256 {c['found']}, manifest {c['expected']}" for c in self.changed]
        lines += [f"extra {f}" for f in self.extra]
        same = self.n_listed - len(self.missing) - len(self.changed)
        lines.append(f"{same} of {self.n_listed} {'identical' if self.hashed else 'present'}, {len(self.missing)} "
                     f"missing, {len(self.changed)} changed, {len(self.extra)} extra (in the manifest's classes, "
                     "not in the manifest)")
        lines.append("OK: the same files as the manifest's run" + (" (by name only)" if not self.hashed else "")
                     if self.ok else "DIFFERENT: this copy is not the data of the manifest's run (see above)")
        return "\n".join(lines)


def check_manifest(found: Discovered, manifest: Path) -> ManifestCheck:
    listed = manifest_hashes(manifest)
    labels = {r.label for r in read_manifest(manifest)}
    root = found.root
    rep = ManifestCheck(str(manifest), str(root), len(listed), any(h is not None for h in listed.values()))
    for rel, want in listed.items():
        p = root / rel
        if not p.is_file():
            rep.missing.append(rel)
        elif want is not None:
            got = sha256_file(p)
            if got != want:
                rep.changed.append({"file": rel, "expected": want, "found": got})
    rep.extra = sorted(r.path for r in found.records if r.label in labels and r.path not in listed)
    return rep


def main(found: Discovered, manifest: Path, as_json: bool) -> int:
    rep = check_manifest(found, manifest)
    print(json.dumps(rep.to_dict(), indent=2) if as_json else rep.to_text())
    return 0 if rep.ok else 1
