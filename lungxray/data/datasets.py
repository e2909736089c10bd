"""The dataset registry: one typed entry per dataset the studies use.

Each entry records where the data comes from (Kaggle handle, when known), the layouts a
download may have, the class names and their order, the expected counts, and how labels
are read.  ``tests/test_registry.py`` validates every entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lungxray.data.layouts import (
    ClassFolders,
    Combined,
    CsvLabels,
    Layout,
    SplitClassFolders,
    SuffixLabels,
)
from lungxray.spec.registry import Registry


@dataclass(frozen=True)
class DatasetSpec:
    key: str
    title: str
    kaggle_handle: str | None
    handle_note: str
    classes: tuple[str, ...]
    label_source: str  # "folder" | "csv" | "file-name suffix"
    layouts: tuple[Layout, ...]
    expected_counts: Mapping[str, int]  # per class, whole dataset
    expected_split_counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    root_names: tuple[str, ...] = ()  # folder names a download may wrap the root in
    notes: tuple[str, ...] = ()
    native_size: tuple[int, int] | None = None  # (width, height) of every image of the release; None: sizes vary

    @property
    def total(self) -> int:
        return sum(self.expected_counts.values())


def _ct_canonical(folder: str) -> str:
    # "adenocarcinoma_left.lower.lobe_T2_N0_M0_Ib" -> "adenocarcinoma"; "normal" -> "normal"
    return folder.split("_", 1)[0]


CT_CLASSES = ("adenocarcinoma", "large.cell.carcinoma", "normal", "squamous.cell.carcinoma")
COVID_CLASSES = ("COVID", "Lung_Opacity", "Normal", "Viral Pneumonia")
FOUR_CLASS_XRAY = ("Normal", "Pneumonia", "Cardiomegaly", "Pneumothorax")

REGISTRY: Registry[DatasetSpec] = Registry("dataset")


def register(spec: DatasetSpec) -> DatasetSpec:
    return REGISTRY.add(spec.key, spec)


register(DatasetSpec(
    key="syakuroh-4class",
    title="Normal/Pneumonia/Cardiomegaly/Pneumothorax chest X-rays (Kaggle, NIH + SIIM)",
    kaggle_handle=None,
    handle_note="The paper names Kaggle (NIH + SIIM) but not the dataset; its handle is unknown. "
    "Point --data-dir at a folder with one sub-folder per class.",
    classes=FOUR_CLASS_XRAY,
    label_source="folder",
    layouts=(ClassFolders("class-folders", {c: (c, c.lower(), c.upper()) for c in FOUR_CLASS_XRAY}),),
    expected_counts={"Normal": 3312, "Pneumonia": 3135, "Cardiomegaly": 2776, "Pneumothorax": 3316},
    notes=("Layout assumed: <root>/<Class>/<image>; no copy could be inspected.",),
))

register(DatasetSpec(
    key="covid19-radiography",
    title="COVID-19 Radiography Database (Rahman, Chowdhury et al.)",
    kaggle_handle="tawsifurrahman/covid19-radiography-database",
    handle_note="",
    classes=COVID_CLASSES,
    label_source="folder",
    layouts=(
        ClassFolders(
            "class/images (current release; older releases: images directly in the class folder)",
            {c: (c,) for c in COVID_CLASSES},
            subdirs=("images", ""),
            ignore_dirs=("masks",),
        ),
    ),
    expected_counts={"COVID": 3616, "Lung_Opacity": 6012, "Normal": 10192, "Viral Pneumonia": 1345},
    root_names=("COVID-19_Radiography_Dataset", "COVID-19 Radiography Database"),
    native_size=(299, 299),
    notes=(
        "Images are 299x299 grey PNG named <class>-N.png; masks/ and <class>.metadata.xlsx are ignored.",
        "Some downloads nest COVID-19_Radiography_Dataset/ twice; the root is found either way.",
    ),
))

register(DatasetSpec(
    key="chest-ctscan",
    title="Chest CT-Scan images (Kaggle, 4 classes, official train/valid/test split)",
    kaggle_handle="mohamedhanyyy/chest-ctscan-images",
    handle_note="",
    classes=CT_CLASSES,
    label_source="folder (long train/valid names and short test names map to one class)",
    layouts=(SplitClassFolders("Data/{train,valid,test}/<class>", "Data", ("train", "valid", "test"),
                               _ct_canonical, CT_CLASSES),),
    expected_counts={"adenocarcinoma": 338, "large.cell.carcinoma": 187, "normal": 215,
                     "squamous.cell.carcinoma": 260},
    expected_split_counts={
        "train": {"adenocarcinoma": 195, "large.cell.carcinoma": 115, "normal": 148, "squamous.cell.carcinoma": 155},
        "valid": {"adenocarcinoma": 23, "large.cell.carcinoma": 21, "normal": 13, "squamous.cell.carcinoma": 15},
        "test": {"adenocarcinoma": 120, "large.cell.carcinoma": 51, "normal": 54, "squamous.cell.carcinoma": 90},
    },
    notes=(
        "Mixed RGBA/RGB/grey PNG and a few JPEGs of varying size; some PNGs have trailing bytes.",
        "Only 847 of 1,000 files are byte-unique; 46 of 54 test/normal images also appear in train.",
    ),
))


def _nih_label(row: Mapping[str, str]) -> str:
    return "normal" if row["Finding Labels"].strip() == "No Finding" else "abnormal"


register(DatasetSpec(
    key="nih-chestxray14",
    title="NIH ChestX-ray14 (binary: No Finding = normal, any finding = abnormal)",
    kaggle_handle="nih-chest-xrays/data",
    handle_note="",
    classes=("normal", "abnormal"),
    label_source="csv (Data_Entry_2017.csv, 'Finding Labels'; 'Patient ID' as group)",
    layouts=(CsvLabels("Data_Entry_2017.csv + images/ or images_0NN/images/", "Data_Entry_2017.csv",
                       ("images/*", "images_*/images/*"), "Image Index", _nih_label, "Patient ID"),),
    expected_counts={"normal": 60361, "abnormal": 51759},
    native_size=(1024, 1024),
    notes=("112,120 frontal X-rays of 30,805 patients; split by Patient ID to avoid leakage.",),
))

register(DatasetSpec(
    key="montgomery",
    title="Montgomery County tuberculosis chest X-rays",
    kaggle_handle=None,
    handle_note="Published by the U.S. National Library of Medicine; no Kaggle handle was verified here.",
    classes=("normal", "abnormal"),
    label_source="file-name suffix (MCUCXR_####_0 normal, _1 tuberculosis)",
    layouts=(SuffixLabels("MCUCXR_####_#.png", ("CXR_png/MCUCXR_*", "MCUCXR_*", "*/CXR_png/MCUCXR_*"),
                          {"0": "normal", "1": "abnormal"}, "montgomery"),),
    expected_counts={"normal": 80, "abnormal": 58},
))

register(DatasetSpec(
    key="shenzhen",
    title="Shenzhen Hospital tuberculosis chest X-rays",
    kaggle_handle=None,
    handle_note="Published by the U.S. National Library of Medicine; no Kaggle handle was verified here.",
    classes=("normal", "abnormal"),
    label_source="file-name suffix (CHNCXR_####_0 normal, _1 tuberculosis)",
    layouts=(SuffixLabels("CHNCXR_####_#.png", ("CXR_png/CHNCXR_*", "CHNCXR_*", "*/CXR_png/CHNCXR_*"),
                          {"0": "normal", "1": "abnormal"}, "shenzhen"),),
    expected_counts={"normal": 326, "abnormal": 336},
    notes=("NLM's release: 326 normal and 336 tuberculosis images (the cnn_vs_lstm paper prints them swapped).",),
))


register(DatasetSpec(
    key="cxr-combined",
    title="ChestX-ray14 + Montgomery + Shenzhen, combined (normal vs abnormal)",
    kaggle_handle=None,
    handle_note="Three sources: download each (NIH: Kaggle 'nih-chest-xrays/data'; Montgomery and Shenzhen from "
    "the U.S. National Library of Medicine) into nih-chestxray14/, montgomery/ and shenzhen/ under one folder.",
    classes=("normal", "abnormal"),
    label_source="per source: NIH CSV, Montgomery/Shenzhen file-name suffix",
    layouts=(Combined("<root>/{nih-chestxray14,montgomery,shenzhen}/", {
        k: REGISTRY[k].layouts[0] for k in ("nih-chestxray14", "montgomery", "shenzhen")}),),
    expected_counts={c: sum(REGISTRY[k].expected_counts[c] for k in ("nih-chestxray14", "montgomery", "shenzhen"))
                     for c in ("normal", "abnormal")},
))


def get_dataset(key: str) -> DatasetSpec:
    return REGISTRY[key]
