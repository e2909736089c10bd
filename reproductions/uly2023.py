"""Uly, Hendry & Iriani 2023: ResNet50-LSTM hybrid vs ResNet50 vs LSTM for COVID-19 X-rays.

Novem Berlian Uly, Hendry, Ade Iriani, "Hybrid Model CNN-RNN untuk Diagnosis COVID-19 pada
Citra X-Ray", Digital Zone: Jurnal Teknologi Informasi dan Komunikasi 14(1), 2023.

Run: ``python -m reproductions.uly2023 --help``.
"""

from __future__ import annotations

from collections.abc import Mapping

from lungxray.data.pipeline import AugmentConfig, ImageConfig
from lungxray.data.splits import SplitConfig
from lungxray.models import ModelConfig
from lungxray.runner import main
from lungxray.study import (
    Experiment,
    Published,
    PublishedMetric,
    RunConfig,
    Smoke,
    Study,
    TrainConfig,
    Variant,
)

CLASSES = ("Normal", "COVID")  # labels Normal 0, COVID 1 (sigmoid output = P(COVID))

VARIANTS = (
    Variant("subset", "Which 500 images of each class: not stated.",
            {"first": "the first 500 of each class in natural file-name order (COVID-1 ... COVID-500)",
             "random": "a seeded random sample of 500 per class"}, "first",
            "the simplest selection and the one a folder listing gives"),
    Variant("sequence", "How the ResNet50 feature map becomes a sequence: the paper says 'reshaped to 2x2 with "
            "the previous layer's 2048', but a 224 input gives a 7x7x2048 map.",
            {"positions": "7x7x2048 -> 49 time steps of 2048 features",
             "pool2x2": "average-pooled to 2x2x2048 -> 4 time steps of 2048 features (the text's 2x2)"},
            "positions", "the reading that fits the stated 224x224 input without an unstated pooling layer"),
    Variant("backbone", "Whether ResNet50 is frozen: not stated ('feature extractor').",
            {"frozen": "ImageNet ResNet50 frozen; only the LSTM/head trains",
             "trainable": "all ResNet50 layers train too"}, "frozen", "'feature extractor' suggests frozen"),
    Variant("dropout", "Dropout rate before the output (not given).", {"0.5": "0.5", "0.2": "0.2"}, "0.5"),
    Variant("lstm_input", "How the LSTM-only model reads an image (not stated).",
            {"rows": "each of the 224 rows is a time step of 224x3 features",
             "rows-grey": "each row of the grey image is a time step of 224 features"}, "rows",
            "rows as time steps is the usual reading; the images are given as 3 channels"),
    Variant("selection", "'The best epoch is chosen on validation accuracy/loss'.",
            {"val_loss": "lowest validation loss", "val_accuracy": "highest validation accuracy"}, "val_loss"),
)


def _base(v: Mapping[str, str], model: ModelConfig) -> RunConfig:
    return RunConfig(
        dataset="covid19-radiography",
        classes=CLASSES,
        split=SplitConfig("stratified", holdout=0.2, val_fraction=0.5, val_from="holdout"),
        image=ImageConfig(224, "rgb", "bilinear", "rescale"),
        augment=AugmentConfig(),  # no augmentation is mentioned
        model=model,
        train=TrainConfig("adam", 1e-3, batch_size=32, epochs=15, select_best=v["selection"]),
        binary_positive="COVID",
        per_class_limit=500,
        subset_selection=v["subset"],
    )


def resnet50_lstm(v: Mapping[str, str]) -> RunConfig:
    return _base(v, ModelConfig("cnn_lstm_classifier", {"arch": "resnet50", "sequence": v["sequence"],
                                                        "units": (32, 16, 8), "dropout": float(v["dropout"]),
                                                        "frozen": v["backbone"] == "frozen"}))


def resnet50(v: Mapping[str, str]) -> RunConfig:
    return _base(v, ModelConfig("cnn_classifier", {"arch": "resnet50", "head": "gap-dropout",
                                                   "dropout": float(v["dropout"]),
                                                   "frozen": v["backbone"] == "frozen"}))


def lstm(v: Mapping[str, str]) -> RunConfig:
    return _base(v, ModelConfig("lstm_classifier", {"sequence": v["lstm_input"], "units": (32, 16, 8),
                                                    "dropout": float(v["dropout"])}, uses_pretrained=False))


# --- published numbers ---------------------------------------------------------------------------
# Table 2: final train loss, train accuracy, validation loss, validation accuracy
TABLE2 = {"resnet50": (0.5702, 0.7800, 0.5473, 0.8600), "lstm": (0.5090, 0.7650, 0.5446, 0.7400),
          "resnet50_lstm": (0.2938, 0.9150, 0.3150, 0.9100)}
# Confusion matrices as printed (COVID row first, then Normal; columns COVID, Normal)
PRINTED_CM = {"resnet50": ((47, 3), (4, 46)), "lstm": ((42, 8), (8, 42)), "resnet50_lstm": ((47, 3), (2, 48))}
# Table 6: accuracy, precision, recall, F1 (COVID positive)
TABLE6 = {"resnet50": (0.93, 0.92, 0.94, 0.93), "lstm": (0.84, 0.84, 0.84, 0.84),
          "resnet50_lstm": (0.95, 0.96, 0.94, 0.95)}
TOL = 0.05  # two-decimal figures on a 100-image test set: one image is 0.01


def _in_our_order(cm):  # printed (COVID, Normal) -> ours (Normal, COVID)
    (cc, cn), (nc, nn) = cm
    return ((nn, nc), (cn, cc))


def _published(name: str) -> Published:
    acc, prec, rec, f1 = TABLE6[name]
    tl, ta, vl, va = TABLE2[name]
    return Published(
        metrics=(PublishedMetric("accuracy", acc, "Table 6", "Accuracy", TOL),
                 PublishedMetric("precision", prec, "Table 6", "Precision (COVID)", TOL),
                 PublishedMetric("recall", rec, "Table 6", "Recall (COVID)", TOL),
                 PublishedMetric("f1", f1, "Table 6", "F1 (COVID)", TOL)),
        confusion_matrix=_in_our_order(PRINTED_CM[name]),
        confusion_source="confusion matrix figure, reordered to Normal, COVID",
        final_epoch={"loss": tl, "accuracy": ta, "val_loss": vl, "val_accuracy": va},
        final_epoch_source="Table 2",
        tables={"table2": TABLE2[name], "printed_confusion_matrix": PRINTED_CM[name], "table6": TABLE6[name]},
    )


def audit() -> list:
    from lungxray.audit import claim, finding

    sid, out = "uly2023", []
    for name, cm in PRINTED_CM.items():
        out.append(claim(sid, "confusion matrix", f"{name}: 100 test images (50 + 50)", 100, sum(map(sum, cm)), 0))
        out.append(claim(sid, "confusion matrix", f"{name}: 50 COVID test images", 50, sum(cm[0]), 0))
    out.append(finding(sid, "Methods", "the feature map is said to be reshaped to '2x2 with 2048', but a 224x224 "
                       "input gives ResNet50 a 7x7x2048 map (two readings are variants)"))
    return out


STUDY = Study(
    id="uly2023",
    title="Uly, Hendry & Iriani 2023 - ResNet50-LSTM hybrid for COVID-19 X-rays",
    citation="N. B. Uly, Hendry, A. Iriani. Hybrid Model CNN-RNN untuk Diagnosis COVID-19 pada Citra X-Ray. "
             "Digital Zone: Jurnal Teknologi Informasi dan Komunikasi 14(1), 2023.",
    dataset="covid19-radiography",
    summary="500 COVID + 500 Normal X-rays (COVID-19 Radiography Database), 80/10/10 split, /255, 224x224, "
            "grey as 3 channels; ResNet50 -> LSTM 32/16/8 -> dropout -> sigmoid, against ResNet50 alone and "
            "LSTM alone; Adam 1e-3, 15 epochs, batch 32, binary cross-entropy.",
    experiments=(
        Experiment("resnet50_lstm", "ResNet50-LSTM hybrid", resnet50_lstm, _published("resnet50_lstm")),
        Experiment("resnet50", "ResNet50 with a classification head", resnet50, _published("resnet50")),
        Experiment("lstm", "LSTM alone on image rows", lstm, _published("lstm")),
    ),
    variants=VARIANTS,
    audit=audit,
    smoke=Smoke(per_class=40, epochs=3, image_size=64),
    notes=("With a frozen backbone and no augmentation the ResNet50 features are computed once and the head "
           "trains on them (identical predictions to the full model).",
           "The printed confusion matrices list COVID first; they are stored here in the order Normal, COVID.",
           "Table 2's figures are taken to be those of the selected epoch."),
)

if __name__ == "__main__":
    raise SystemExit(main(STUDY))
