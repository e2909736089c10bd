"""Loaders against fake folders that copy each real layout quirk of ../shared/datasets."""

import pytest

from lungxray.data import discover, get_dataset
from lungxray.errors import DataError, DataNotFoundError
from tests.helpers import write_jpeg, write_png

CT_LONG = {"adenocarcinoma": "adenocarcinoma_left.lower.lobe_T2_N0_M0_Ib",
           "large.cell.carcinoma": "large.cell.carcinoma_left.hilum_T2_N2_M0_IIIa",
           "normal": "normal", "squamous.cell.carcinoma": "squamous.cell.carcinoma_left.hilum_T1_N2_M0_IIIa"}


def fake_ct(root):
    for split in ("train", "valid", "test"):
        for c, long in CT_LONG.items():
            folder = root / "Data" / split / (c if split == "test" else long)
            write_png(folder / "000001.png", "RGBA", seed=hash((split, c)) % 1000)
            write_png(folder / "10 (2) - Copy.png", "RGB", seed=1 + hash((split, c)) % 1000)
            if c == "normal" and split == "train":
                write_jpeg(folder / "n1.jpg")
    return root


def test_ct_long_and_short_class_names_map_to_one_class(tmp_path):
    found = discover(get_dataset("chest-ctscan"), fake_ct(tmp_path))
    labels = {(r.split, r.label) for r in found.records}
    assert ("train", "adenocarcinoma") in labels and ("test", "adenocarcinoma") in labels
    assert len({r.label for r in found.records}) == 4
    assert any(r.path.endswith(".jpg") for r in found.records)
    assert any(" " in r.path for r in found.records)  # names with spaces and brackets survive


def test_covid_current_layout_nested_twice_ignores_masks_and_xlsx(tmp_path):
    root = tmp_path / "COVID-19_Radiography_Dataset" / "COVID-19_Radiography_Dataset"
    for c in ("COVID", "Normal"):
        for i in (1, 2, 10):
            write_png(root / c / "images" / f"{c}-{i}.png")
        write_png(root / c / "masks" / f"{c}-1.png")
        (root / f"{c}.metadata.xlsx").write_bytes(b"PK")
    (root / "COVID" / "images" / ".DS_Store").write_bytes(b"\0")
    found = discover(get_dataset("covid19-radiography"), tmp_path, classes=("COVID", "Normal"))
    assert found.root == root
    assert "2 level" in found.located.note
    assert [r.path for r in found.records if r.label == "COVID"] == [
        "COVID/images/COVID-1.png", "COVID/images/COVID-2.png", "COVID/images/COVID-10.png"]  # natural order
    assert not any("masks" in r.path for r in found.records)
    assert any(".DS_Store" in f for f, _ in found.scan.skipped)


def test_covid_older_release_images_directly_in_class_folder(tmp_path):
    for c in ("COVID", "Normal", "Lung_Opacity", "Viral Pneumonia"):
        write_png(tmp_path / c / f"{c}-1.png")
    found = discover(get_dataset("covid19-radiography"), tmp_path)
    assert len(found.records) == 4
    assert "Viral Pneumonia/Viral Pneumonia-1.png" in [r.path for r in found.records]


def test_root_given_one_level_too_low(tmp_path):
    fake_ct(tmp_path)
    found = discover(get_dataset("chest-ctscan"), tmp_path / "Data")
    assert found.root == tmp_path
    assert "above" in found.located.note


def test_missing_and_empty_class_folders_are_reported(tmp_path):
    write_png(tmp_path / "COVID" / "images" / "COVID-1.png")
    (tmp_path / "Normal" / "images").mkdir(parents=True)
    found = discover(get_dataset("covid19-radiography"), tmp_path)
    assert "Lung_Opacity" in found.scan.missing_classes
    assert "Normal" in found.scan.empty_classes


def test_not_a_dataset_folder_names_it_and_the_way_out(tmp_path):
    (tmp_path / "something").mkdir()
    with pytest.raises(DataError, match="does not look like") as e:
        discover(get_dataset("chest-ctscan"), tmp_path)
    assert str(tmp_path) in str(e.value) and "verify-data" in str(e.value)


def test_no_data_message_names_all_three_ways(monkeypatch):
    monkeypatch.delenv("LUNGXRAY_DATA", raising=False)
    with pytest.raises(DataNotFoundError) as e:
        discover(get_dataset("chest-ctscan"), None)
    msg = str(e.value)
    assert "--data-dir" in msg and "LUNGXRAY_DATA" in msg and "--download" in msg


def test_download_failure_is_a_clear_error(monkeypatch):
    import kagglehub

    def boom(handle):
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(kagglehub, "dataset_download", boom)
    monkeypatch.delenv("LUNGXRAY_DATA", raising=False)
    with pytest.raises(DataNotFoundError, match="mohamedhanyyy/chest-ctscan-images.*failed"):
        discover(get_dataset("chest-ctscan"), None, download_ok=True)


def test_env_var_folder_holding_the_dataset(tmp_path, monkeypatch):
    fake_ct(tmp_path / "chest-ctscan")
    monkeypatch.setenv("LUNGXRAY_DATA", str(tmp_path))
    assert len(discover(get_dataset("chest-ctscan"), None).records) == 25


def test_a_folder_of_downloads_finds_each_dataset_in_it(tmp_path, monkeypatch):
    """--data-dir (or LUNGXRAY_DATA) at a folder holding several datasets, each at its own depth: the root with the
    layout is found whichever sibling folders come first; the Kaggle download's name works for LUNGXRAY_DATA."""
    from lungxray.data.discovery import find_root

    fake_ct(tmp_path / "chest-ctscan-images")  # Data/ two levels below tmp_path
    covid = tmp_path / "covid19-radiography" / "COVID-19_Radiography_Dataset"
    for c in ("COVID", "Normal"):
        write_png(covid / c / "images" / f"{c}-1.png")
    (tmp_path / "aaa-notes").mkdir()
    assert find_root(get_dataset("chest-ctscan"), tmp_path).root == tmp_path / "chest-ctscan-images"
    assert find_root(get_dataset("covid19-radiography"), tmp_path).root == covid
    monkeypatch.setenv("LUNGXRAY_DATA", str(tmp_path))
    assert len(discover(get_dataset("chest-ctscan"), None).records) == 25
    assert discover(get_dataset("covid19-radiography"), None).root == covid
    with pytest.raises(DataError, match="one to 3 levels below it"):
        find_root(get_dataset("chest-ctscan"), tmp_path / "aaa-notes")


def test_two_copies_of_a_dataset_are_refused_unless_one_bears_its_name(tmp_path):
    from lungxray.data.discovery import find_root

    fake_ct(tmp_path / "old")
    fake_ct(tmp_path / "new")
    with pytest.raises(DataError, match="holds 2 folders that look like the 'chest-ctscan' dataset"):
        find_root(get_dataset("chest-ctscan"), tmp_path)
    fake_ct(tmp_path / "chest-ctscan-images")  # the Kaggle download's name: that one is meant
    assert find_root(get_dataset("chest-ctscan"), tmp_path).root == tmp_path / "chest-ctscan-images"


def test_nih_labels_and_patients_from_csv(tmp_path):
    write_png(tmp_path / "images_001" / "images" / "00000001_000.png")
    write_png(tmp_path / "images_001" / "images" / "00000002_000.png")
    (tmp_path / "Data_Entry_2017.csv").write_text(
        "Image Index,Finding Labels,Follow-up #,Patient ID\n00000001_000.png,No Finding,0,1\n"
        "00000002_000.png,Cardiomegaly|Effusion,0,2\n")
    found = discover(get_dataset("nih-chestxray14"), tmp_path)
    assert {(r.label, r.group) for r in found.records} == {("normal", "1"), ("abnormal", "2")}


def test_montgomery_suffix_labels(tmp_path):
    write_png(tmp_path / "CXR_png" / "MCUCXR_0001_0.png")
    write_png(tmp_path / "CXR_png" / "MCUCXR_0002_1.png")
    write_png(tmp_path / "CXR_png" / "notes_x.png")
    found = discover(get_dataset("montgomery"), tmp_path)
    assert sorted(r.label for r in found.records) == ["abnormal", "normal"]
