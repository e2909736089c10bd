import json

from lungxray.cli.main import main
from lungxray.data import discover, get_dataset
from lungxray.data.verify import verify
from tests.helpers import shared, write_png


def _ct(tmp_path, n=2):
    for split in ("train", "valid", "test"):
        for c in ("adenocarcinoma", "large.cell.carcinoma", "normal", "squamous.cell.carcinoma"):
            for i in range(n):
                write_png(tmp_path / "Data" / split / c / f"{i}.png", seed=hash((split, c, i)) % 10**6)
    return tmp_path


def test_unreadable_and_duplicates_are_listed(tmp_path):
    _ct(tmp_path)
    good = tmp_path / "Data/train/normal/0.png"
    (tmp_path / "Data/test/normal/dup.png").write_bytes(good.read_bytes())  # leak across splits
    (tmp_path / "Data/train/normal/trunc.png").write_bytes(good.read_bytes()[:40])
    (tmp_path / "Data/train/normal/empty.png").write_bytes(b"")
    (tmp_path / "Data/train/normal/text.png").write_text("not an image")
    rep = verify(discover(get_dataset("chest-ctscan"), tmp_path))
    bad = {u["file"].rsplit("/", 1)[1]: u["reason"] for u in rep.unreadable}
    assert set(bad) == {"trunc.png", "empty.png", "text.png"}
    assert "0 bytes" in bad["empty.png"]
    assert len(rep.cross_split_groups) == 1
    assert rep.count_mismatches and not rep.ok  # 2 per class, not the registry's counts


def test_within_split_copies_and_label_conflicts_are_counted(tmp_path):
    _ct(tmp_path)
    a = tmp_path / "Data/test/normal/0.png"
    (tmp_path / "Data/test/normal/0 - Copy.png").write_bytes(a.read_bytes())  # within the test split
    (tmp_path / "Data/test/adenocarcinoma/x.png").write_bytes(a.read_bytes())  # same image, another class
    rep = verify(discover(get_dataset("chest-ctscan"), tmp_path))
    assert rep.counts["test"]["normal"] == 3 and rep.distinct["test"]["normal"] == 2
    assert rep.distinct["test"]["adenocarcinoma"] == 3  # the conflicting copy is an image of that class too
    assert [g["labels"] for g in rep.label_conflicts] == [["adenocarcinoma", "normal"]]
    text = rep.to_text()
    assert "LABEL CONFLICT" in text and "distinct: " in text


def test_cli_exit_code_and_json(tmp_path, capsys):
    _ct(tmp_path)
    assert main(["verify-data", "chest-ctscan", "--data-dir", str(tmp_path), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["n_files"] == 24 and out["ok"] is False


def test_real_chest_ct_counts_and_duplicates(capsys):
    root = shared("chest-ctscan-images")
    rep = verify(discover(get_dataset("chest-ctscan"), root))
    assert rep.ok, rep.to_text()
    assert {s: sum(v.values()) for s, v in rep.counts.items()} == {"train": 613, "valid": 72, "test": 315}
    assert rep.n_files == 1000 and rep.n_unique == 847
    assert len(rep.cross_split_groups) == 22
    leaked = {f for g in rep.cross_split_groups for f in g["files"] if f.startswith("Data/test/normal/")}
    assert len(leaked) == 46
    # each test/normal image is there twice; train/normal holds 55 distinct images in 148 files
    assert rep.distinct["test"]["normal"] == 27 and rep.distinct["train"]["normal"] == 55
    assert len(rep.label_conflicts) == 1  # l4.png (large cell) = sq2.png (squamous cell) in train
    assert "inflated" in rep.to_text() and not rep.to_text().endswith("OK")


def test_text_puts_the_summary_first(tmp_path):
    _ct(tmp_path)
    a = tmp_path / "Data/train/normal/0.png"
    (tmp_path / "Data/test/adenocarcinoma/x.png").write_bytes(a.read_bytes())  # across splits, another label
    (tmp_path / "Data/train/normal/empty.png").write_bytes(b"")
    lines = verify(discover(get_dataset("chest-ctscan"), tmp_path)).to_text().splitlines()
    assert lines[0].startswith("dataset chest-ctscan at ") and "ERRORS: 1 unreadable file(s)" in lines[0]
    assert "1 duplicate group(s) across splits, 1 label conflict(s)" in lines[0]
    assert lines[1].startswith("files decoded: 26, byte-unique: 24")
    first_detail = lines.index("details:")
    warnings = [i for i, line in enumerate(lines) if line.startswith("WARNING")]
    assert len(warnings) == 2 and max(warnings) < first_detail
    assert any(line.startswith("UNREADABLE Data/train/normal/empty.png") for line in lines[first_detail:])
    assert any("LABEL CONFLICT" in line for line in lines[first_detail:])


def test_ok_only_without_warnings(tmp_path):
    _ct(tmp_path)
    rep = verify(discover(get_dataset("chest-ctscan"), tmp_path))
    rep.count_mismatches = []  # as if the counts were the registry's
    assert rep.verdict() == "OK"
    (tmp_path / "Data/test/normal/dup.png").write_bytes((tmp_path / "Data/train/normal/0.png").read_bytes())
    rep = verify(discover(get_dataset("chest-ctscan"), tmp_path))
    rep.count_mismatches = []
    assert rep.verdict().startswith("readable, counts as expected; WARNINGS: 1 duplicate group(s) across splits")
