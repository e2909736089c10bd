"""Fault injection, data (issue 27): what a changed disk does to the numbers. Each case either fails safe with an
``error:`` naming the thing and the way out, or is a logged and reported skip; none may change a number silently.
Tiny generated data, no training."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from lungxray.data import discover, get_dataset
from lungxray.data.cache import DIGEST, DecodeCache
from lungxray.data.layouts import Record
from lungxray.data.pipeline import AugmentConfig, ImageConfig, ImagePipeline
from lungxray.data.splits import manifest_text
from lungxray.data.synthetic import make_dataset
from lungxray.data.verify import verify
from lungxray.errors import DataError
from lungxray.run.prepare import DataSource, prepare
from lungxray.spec.study import get_study
from tests.helpers import write_png

# --- the decode cache: verified on every read ----------------------------------------------------


def _images(folder: Path, n: int = 6) -> list[Record]:
    recs = []
    for i in range(n):
        write_png(folder / f"{i}.png", ("L", "RGB")[i % 2], size=(30 + i, 27), seed=i)
        recs.append(Record(f"{i}.png", "ab"[i % 2], ("train", "val", "test")[i % 3]))
    return recs


def _pipeline(root, recs, cache, hashes=None, ram_budget=None) -> ImagePipeline:
    return ImagePipeline(root, recs, ["a", "b"], ImageConfig(16, "rgb"), AugmentConfig(), 2, 0, cache=cache,
                         hashes=hashes, ram_budget=ram_budget)


@pytest.mark.parametrize("ram_budget", [None, 0], ids=["in-memory", "streamed"])
@pytest.mark.parametrize("damage", ["inverted", "one-bit", "truncated", "swapped"])
def test_a_damaged_cache_entry_is_caught_logged_and_decoded_again(tmp_path, caplog, ram_budget, damage):
    root = tmp_path / "d"
    recs = _images(root)
    cache = DecodeCache(tmp_path / "cache")
    first = _pipeline(root, recs, cache)
    want = {s: first.arrays(s)[0] for s in ("train", "val", "test")}
    victim = cache.path(first.hashes["3.png"], ImageConfig(16, "rgb"))
    data = bytearray(victim.read_bytes())
    if damage == "inverted":  # the case: same size, every byte changed
        victim.write_bytes(bytes(255 - b for b in data))
    elif damage == "one-bit":
        data[7] ^= 1
        victim.write_bytes(bytes(data))
    elif damage == "truncated":
        victim.write_bytes(bytes(data[:-5]))
    else:  # another image's valid pixels under this name, its checksum still the other's
        other = cache.path(first.hashes["1.png"], ImageConfig(16, "rgb"))
        shutil.copyfile(other, victim)
        victim.write_bytes(victim.read_bytes()[:-DIGEST] + bytes(data[-DIGEST:]))
    caplog.set_level(logging.WARNING)
    second = _pipeline(root, recs, cache, hashes=first.hashes, ram_budget=ram_budget)
    assert second.store().in_memory is (ram_budget is None)
    for s, x in want.items():
        np.testing.assert_array_equal(second.arrays(s)[0], x)
    if damage != "truncated":  # a truncated entry is not even taken for an entry (its size): decoded as missing
        assert str(victim) in caplog.text and "checksum" in caplog.text and "decoding" in caplog.text
    assert cache.read_checked(first.hashes["3.png"], ImageConfig(16, "rgb"))[1] is None  # repaired


def test_a_damaged_entry_whose_file_changed_too_is_an_error_not_a_guess(tmp_path):
    root = tmp_path / "d"
    recs = _images(root)
    cache = DecodeCache(tmp_path / "cache")
    first = _pipeline(root, recs, cache)
    first.store()
    image = ImageConfig(16, "rgb")
    victim = cache.path(first.hashes["2.png"], image)
    victim.write_bytes(bytes(255 - b for b in victim.read_bytes()))
    write_png(root / "2.png", size=(30, 27), seed=99)  # the file is another image now
    with pytest.raises(DataError, match="changed while this run used it"):
        _pipeline(root, recs, cache, hashes=first.hashes).arrays("train")


# --- --manifest holds the content, not only the names ------------------------------------------------


def _syakuroh(tmp_path: Path, per_class: int = 6) -> tuple[DataSource, object]:
    root = make_dataset("syakuroh-4class", tmp_path / "sy", per_class, size=32)
    study = get_study("syakuroh2025")
    cfg = study.resolve(study.experiments[0], study.choices(smoke=True), smoke=True)
    return DataSource("syakuroh-4class", root), cfg


def test_manifest_refuses_a_file_whose_content_changed(tmp_path):
    data, cfg = _syakuroh(tmp_path)
    prep = prepare(data, cfg, split_seed=1, allow_count_mismatch=True)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(manifest_text(prep.records, prep.hashes))
    again = prepare(DataSource("syakuroh-4class", data.root), cfg, split_seed=1, manifest=str(manifest),
                    allow_count_mismatch=True)
    assert [r.path for r in again.records] == [r.path for r in prep.records]
    test_file = next(r.path for r in prep.records if r.split == "test")
    donor = next(r.path for r in prep.records if r.split == "train" and r.path != test_file)
    shutil.copyfile(data.root / donor, data.root / test_file)  # another image under a name the manifest lists
    with pytest.raises(DataError) as err:
        prepare(DataSource("syakuroh-4class", data.root), cfg, split_seed=1, manifest=str(manifest),
                allow_count_mismatch=True)
    text = str(err.value)
    assert test_file in text and "other content" in text and "verify-data syakuroh-4class" in text
    assert "drop --manifest" in text


def test_manifest_without_file_hashes_is_refused_with_the_way_out(tmp_path):
    data, cfg = _syakuroh(tmp_path)
    prep = prepare(data, cfg, split_seed=1, allow_count_mismatch=True)
    manifest = tmp_path / "old.csv"
    manifest.write_text(manifest_text(prep.records))  # no sha256 column: written before file hashes
    with pytest.raises(DataError, match="gives no sha256.*cannot be checked.*drop --manifest"):
        prepare(DataSource("syakuroh-4class", data.root), cfg, split_seed=1, manifest=str(manifest),
                allow_count_mismatch=True)


# --- class folders that differ only in case ----------------------------------------------------------


def test_class_folders_differing_only_in_case_are_refused_and_verify_data_says_so(tmp_path):
    data, cfg = _syakuroh(tmp_path, per_class=3)
    shutil.copytree(data.root / "Normal", data.root / "normal")  # unzip on macOS, merge on Linux
    found = discover(get_dataset("syakuroh-4class"), data.root)
    assert found.scan.conflicts and "Normal/ and normal/" in found.scan.conflicts[0]
    report = verify(found, decode=False)
    assert not report.ok and "differing only in case" in report.verdict()
    assert "CONFLICT: class Normal: folders Normal/ and normal/" in report.to_text()
    with pytest.raises(DataError, match="Normal/ and normal/ differ only in case"):
        prepare(DataSource("syakuroh-4class", data.root), cfg, split_seed=1, allow_count_mismatch=True)


def test_split_class_folders_differing_only_in_case_are_refused(tmp_path):
    ct = make_dataset("chest-ctscan", tmp_path / "ct", 4, size=16)
    shutil.copytree(ct / "Data" / "test" / "normal", ct / "Data" / "test" / "Normal")
    scan = discover(get_dataset("chest-ctscan"), ct).scan
    assert any("Data/test/Normal/ and Data/test/normal/" in c for c in scan.conflicts)


# --- a class with no readable test image ---------------------------------------------------------


def test_a_class_whose_images_are_all_unreadable_is_refused(tmp_path):
    data, cfg = _syakuroh(tmp_path, per_class=6)
    folder = data.root / "Cardiomegaly"
    for p in folder.iterdir():
        p.unlink()
    (folder / "scan.png").write_text("not an image, a text file named .png")
    with pytest.raises(DataError) as err:
        prepare(DataSource("syakuroh-4class", data.root), cfg, split_seed=1, allow_count_mismatch=True)
    text = str(err.value)
    assert "class Cardiomegaly has no readable test image" in text and "Cardiomegaly/scan.png" in text
    assert "macro" in text


def test_a_class_with_no_test_image_in_a_manifest_is_refused(tmp_path):
    data, cfg = _syakuroh(tmp_path, per_class=6)
    prep = prepare(data, cfg, split_seed=1, allow_count_mismatch=True)
    moved = [Record(r.path, r.label, "train" if r.label == "Pneumothorax" else r.split, r.group)
             for r in prep.records]
    manifest = tmp_path / "m.csv"
    manifest.write_text(manifest_text(moved, prep.hashes))
    with pytest.raises(DataError, match="class Pneumothorax has no readable test image .*none in the test split"):
        prepare(DataSource("syakuroh-4class", data.root), cfg, split_seed=1, manifest=str(manifest),
                allow_count_mismatch=True)


# --- files from outside the dataset -----------------------------------------------------------------


def test_symbolic_links_leaving_the_dataset_are_skipped_and_never_read(tmp_path):
    data, _ = _syakuroh(tmp_path, per_class=3)
    secret = write_png(tmp_path / "elsewhere" / "private.png", size=(20, 20))
    (data.root / "Normal" / "link.png").symlink_to(secret)
    (data.root / "Normal" / "inside.png").symlink_to(data.root / "Normal" / os.listdir(data.root / "Normal")[0])
    (data.root / "Pneumonia" / "loop.png").symlink_to(data.root / "Pneumonia" / "loop.png")
    found = discover(get_dataset("syakuroh-4class"), data.root)
    skipped = dict(found.scan.skipped)
    assert "outside the dataset folder" in skipped["Normal/link.png"] and str(secret) in skipped["Normal/link.png"]
    assert "Normal/link.png" not in {r.path for r in found.records}
    assert "Normal/inside.png" in {r.path for r in found.records}  # a link within the dataset is fine
    report = verify(found)
    assert any(s["file"] == "Normal/link.png" for s in report.skipped)
    assert any(u["file"] == "Pneumonia/loop.png" for u in report.unreadable)  # a loop: reported, not followed


def test_a_class_folder_linked_from_outside_is_not_read(tmp_path):
    data, cfg = _syakuroh(tmp_path, per_class=3)
    outside = tmp_path / "other" / "Normal"
    shutil.move(str(data.root / "Normal"), outside)
    (data.root / "Normal").symlink_to(outside, target_is_directory=True)
    found = discover(get_dataset("syakuroh-4class"), data.root)
    assert not [r for r in found.records if r.label == "Normal"]
    assert all("outside the dataset folder" in why for f, why in found.scan.skipped if f.startswith("Normal/"))
    with pytest.raises(DataError, match="Normal"):
        prepare(DataSource("syakuroh-4class", data.root), cfg, split_seed=1, allow_count_mismatch=True)


def test_a_cache_entry_deleted_while_a_streamed_run_reads_it_is_decoded_again(tmp_path, caplog):
    """`lungxray cache --clear` (or a cleaner) during a run that streams from the cache."""
    root = tmp_path / "d"
    recs = _images(root)
    cache = DecodeCache(tmp_path / "cache")
    streamed = _pipeline(root, recs, cache, ram_budget=0)
    want = streamed.arrays("train")[0]
    cache.clear()
    caplog.set_level(logging.WARNING)
    np.testing.assert_array_equal(streamed.arrays("train")[0], want)
    assert "cannot be read" in caplog.text and "decoding" in caplog.text


def test_a_read_only_cache_that_holds_the_entries_still_serves_them(tmp_path, monkeypatch, caplog):
    """Root ignores modes: a read-only cache is simulated where every write starts (the probe and atomic writes)."""
    import errno
    import tempfile

    import lungxray.data.cache as C
    from lungxray._util.paths import UnwritableFolderError
    from lungxray.data.cache import screen_decode

    root = tmp_path / "d"
    recs = _images(root)
    image = ImageConfig(16, "rgb")
    cache = DecodeCache(tmp_path / "cache")
    screen_decode(root, recs, image, cache, quiet=True)
    moved = tmp_path / "moved"  # the dataset somewhere else: the stat index does not know these paths
    shutil.copytree(root, moved)

    def read_only(*a, **kw):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    monkeypatch.setattr(C, "atomic_write_text", read_only)
    good, bad, _ = screen_decode(moved, recs, image, cache, quiet=True)
    assert len(good) == len(recs) and not bad
    write_png(moved / "new.png", size=(31, 29), seed=7)  # an image the cache lacks: a clear error, no traceback
    with pytest.raises(UnwritableFolderError, match=r"cannot write the decode cache entry .*LUNGXRAY_CACHE"):
        screen_decode(moved, [*recs, Record("new.png", "a", "train")], image, cache, quiet=True)
