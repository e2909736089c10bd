"""Manifests carry a sha256 per file; `verify-data --manifest` lists every missing, extra or changed file."""

import json
from pathlib import Path

import pytest

from lungxray.cli.main import main as cli_main
from lungxray.data import discover, get_dataset
from lungxray.data.manifest_verify import check_manifest, manifest_hashes
from lungxray.data.splits import (
    FIELDS,
    SplitConfig,
    make_split,
    manifest_hash,
    manifest_text,
    read_manifest,
)
from lungxray.data.synthetic import make_dataset
from lungxray.data.verify import sha256_file
from lungxray.errors import DataError

DS = "covid19-radiography"


@pytest.fixture
def data(tmp_path) -> tuple[Path, Path]:
    """A small dataset and a manifest with hashes of a split of it."""
    root = make_dataset(DS, tmp_path / "d", 6, classes=("COVID", "Normal"), size=16)
    found = discover(get_dataset(DS), root)
    recs = make_split([r for r in found.records if r.label in ("COVID", "Normal")], SplitConfig(), 0)
    hashes = {r.path: sha256_file(found.root / r.path) for r in recs}
    m = tmp_path / "manifest.csv"
    m.write_text(manifest_text(recs, hashes))
    return found.root, m


def test_manifest_text_with_and_without_hashes(data):
    root, m = data
    header = m.read_text().splitlines()[0]
    assert header == ",".join((*FIELDS, "sha256"))
    recs = read_manifest(m, root)
    assert manifest_hash(recs) == manifest_hash(read_manifest(m))  # the split's hash ignores the file hashes
    listed = manifest_hashes(m)
    assert all(h == sha256_file(root / p) for p, h in listed.items())
    old = m.with_name("old.csv")
    old.write_text(manifest_text(recs))  # the format before file hashes: still readable
    assert read_manifest(old, root) == recs and set(manifest_hashes(old).values()) == {None}


def test_identical_copy_passes(data, capsys):
    root, m = data
    rep = check_manifest(discover(get_dataset(DS), root), m)
    assert rep.ok and rep.hashed and not (rep.missing or rep.changed or rep.extra)
    assert cli_main(["verify-data", DS, "--data-dir", str(root), "--manifest", str(m)]) == 0
    assert "OK: the same files" in capsys.readouterr().out


def test_missing_changed_and_extra_files_are_each_listed(data, capsys):
    root, m = data
    listed = sorted(manifest_hashes(m))
    (root / listed[0]).unlink()
    changed = root / listed[1]
    changed.write_bytes(changed.read_bytes() + b"\0")
    extra = root / Path(listed[2]).parent / "new.png"
    extra.write_bytes((root / listed[3]).read_bytes())
    assert cli_main(["verify-data", DS, "--data-dir", str(root), "--manifest", str(m), "--json"]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert rep["missing"] == [listed[0]] and [c["file"] for c in rep["changed"]] == [listed[1]]
    assert rep["changed"][0]["found"] == sha256_file(changed) and rep["extra"] == [str(extra.relative_to(root))]
    assert not rep["ok"]
    assert cli_main(["verify-data", DS, "--data-dir", str(root), "--manifest", str(m)]) == 1
    out = capsys.readouterr().out
    assert f"MISSING {listed[0]}" in out and f"CHANGED {listed[1]}" in out and "extra " in out and "DIFFERENT" in out


def test_old_manifest_checks_presence_only(data, capsys):
    root, m = data
    recs = read_manifest(m)
    old = m.with_name("old.csv")
    old.write_text(manifest_text(recs))
    (root / recs[0].path).write_bytes(b"changed")  # cannot be seen without hashes
    (root / recs[1].path).unlink()
    assert cli_main(["verify-data", DS, "--data-dir", str(root), "--manifest", str(old)]) == 1
    out = capsys.readouterr().out
    assert "no sha256 column" in out and f"MISSING {recs[1].path}" in out and "CHANGED" not in out


def test_conflicting_hashes_in_one_manifest(data):
    _, m = data
    lines = m.read_text().splitlines()
    path = lines[1].split(",")[0]
    m.write_text("\n".join([*lines, lines[1].rsplit(",", 1)[0] + "," + "0" * 64]) + "\n")
    with pytest.raises(DataError, match=path):
        manifest_hashes(m)
