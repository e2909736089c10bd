"""CNN vs CNN-LSTM for normal/abnormal chest X-rays (ChestX-ray14 + Montgomery + Shenzhen).

Indonesian journal article (authors unknown) "analysing an LSTM image classification model
for lung disease detection and comparing it with CNN"; keywords "Convolutional Neural
Network (CNN); Long Short-Term Memory (LSTM); Paru-Paru".

Run: ``python -m reproductions.cnn_vs_lstm --help``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

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

CLASSES = ("normal", "abnormal")
AUGMENT = {"mild": AugmentConfig(rotation_deg=10, hflip=True, zoom=0.1, shift=0.1),
           "strong": AugmentConfig(rotation_deg=20, hflip=True, zoom=0.2, shift=0.2),
           "none": AugmentConfig()}

VARIANTS = (
    Variant("sources", "Which datasets are combined.",
            {"nih+montgomery+shenzhen": "all three, as the paper describes",
             "nih-only": "ChestX-ray14 alone (what can be had offline here, as a 64-pixel subset)"},
            "nih+montgomery+shenzhen", "the paper's description",
            departs={"nih-only": "NIH ChestX-ray14 only, without Montgomery and Shenzhen"}),
    Variant("split", "70:15:15 split unit. The paper splits images; NIH patients then straddle splits.",
            {"images": "stratified by image, as the paper describes (faithful)",
             "patients": "grouped by patient (NIH 'Patient ID'): no patient in two splits (corrected)"},
            "images", "faithful to the paper; 'patients' is the corrected variant",
            departs={"patients": "corrected patient-level split instead of the paper's image-level split"}),
    Variant("augmentation", "Rotation, flipping, zooming and shifting, parameters not given.",
            {"mild": "rotation ±10°, horizontal flip, zoom ±10%, shift ±10%",
             "strong": "rotation ±20°, horizontal flip, zoom ±20%, shift ±20%", "none": "no augmentation"},
            "mild"),
    Variant("filters", "Convolution sizes (not given).",
            {"32-64-128": "three 3x3 conv + 2x2 max-pool blocks with 32, 64, 128 filters",
             "32-64-128-256": "four blocks, 32 to 256 filters"}, "32-64-128"),
    Variant("dense", "Fully connected layer width of the CNN (not given).", {"128": "128", "256": "256"}, "128"),
    Variant("lstm_units", "LSTM layers of the CNN-LSTM (not given).",
            {"64": "one LSTM of 64 units over feature-map rows", "64-32": "LSTM 64 -> LSTM 32"}, "64"),
    Variant("dropout", "Dropout rate (not given).", {"0.5": "0.5", "0.3": "0.3"}, "0.5"),
    Variant("learning_rate", "Adam learning rate (not given).", {"1e-3": "1e-3", "1e-4": "1e-4"}, "1e-3"),
    Variant("epochs", "Number of epochs (not given).", {"20": "20", "50": "50"}, "20"),
)


def _config(model: str) -> Callable[[Mapping[str, str]], RunConfig]:
    def configure(v: Mapping[str, str]) -> RunConfig:
        filters = tuple(int(f) for f in v["filters"].split("-"))
        if model == "cnn":
            mc = ModelConfig("simple_cnn", {"filters": filters, "dense": int(v["dense"]),
                                            "dropout": float(v["dropout"])}, uses_pretrained=False)
        else:
            mc = ModelConfig("simple_cnn_lstm", {"filters": filters, "dropout": float(v["dropout"]),
                                                 "lstm_units": tuple(int(u) for u in v["lstm_units"].split("-"))},
                             uses_pretrained=False)
        return RunConfig(
            dataset="cxr-combined" if v["sources"] == "nih+montgomery+shenzhen" else "nih-chestxray14",
            classes=CLASSES,
            split=SplitConfig("stratified" if v["split"] == "images" else "grouped", 0.30, 0.5, "holdout"),
            image=ImageConfig(224, "grayscale", "bilinear", "rescale"),
            augment=AUGMENT[v["augmentation"]],
            model=mc,
            train=TrainConfig("adam", float(v["learning_rate"]), batch_size=32, epochs=int(v["epochs"]),
                              reduce_lr_patience=2, reduce_lr_monitor="val_loss", select_best="val_loss"),
        )
    return configure


PUBLISHED = {"cnn": (0.925, 0.908, 0.897, 0.902), "cnn_lstm": (0.941, 0.925, 0.919, 0.922)}
TOL = 0.03


def _published(name: str) -> Published:
    acc, p, r, f = PUBLISHED[name]
    return Published(metrics=(
        PublishedMetric("accuracy", acc, "Results", "Accuracy", TOL),
        PublishedMetric("macro_precision", p, "Results", "Precision (macro reading)", TOL),
        PublishedMetric("macro_recall", r, "Results", "Recall (macro reading)", TOL),
        PublishedMetric("macro_f1", f, "Results", "F1 (macro reading)", TOL),
    ))


def audit() -> list:
    from lungxray.audit import claim, f1, finding

    sid, out = "cnn_vs_lstm", []
    for name, (_acc, p, r, f) in PUBLISHED.items():
        out.append(claim(sid, "Results", f"{name}: F1 from precision and recall", f, f1(p, r), 0.0015,
                         explanation=f"2PR/(P+R) gives {f1(p, r):.4f}"))
    out.append(finding(sid, "Methods", "a 70:15:15 split of ChestX-ray14 images (not patients) puts images of one "
                       "patient in several splits; the corrected variant split=patients avoids it"))
    return out


STUDY = Study(
    id="cnn_vs_lstm",
    title="CNN vs CNN-LSTM for normal/abnormal chest X-rays",
    citation="Authors unknown (Indonesian journal). Analysing an LSTM image classification model for lung disease "
             "detection and comparing it with CNN. Keywords: CNN; LSTM; Paru-Paru.",
    dataset="cxr-combined",
    summary="ChestX-ray14 + Montgomery + Shenzhen, normal vs abnormal, grayscale 224, [0,1], 70:15:15; "
            "augmentation rotation/flip/zoom/shift; CNN (3x3 conv + pooling, FC, dropout) vs the same "
            "convolutions feeding LSTMs; Adam, cross-entropy, learning rate reduced on validation plateaus.",
    experiments=(Experiment("cnn", "CNN", _config("cnn"), _published("cnn")),
                 Experiment("cnn_lstm", "CNN-LSTM", _config("cnn_lstm"), _published("cnn_lstm"))),
    variants=VARIANTS,
    audit=audit,
    smoke=Smoke(per_class=45, epochs=8, image_size=64),
    notes=("Labels: NIH 'No Finding' is normal, any finding abnormal; Montgomery/Shenzhen _0 normal, _1 tuberculosis.",
           "Softmax over two classes with sparse categorical cross-entropy (= categorical cross-entropy on one-hot).",
           "Whether precision/recall/F1 are macro or positive-class figures is not stated; comparisons use the "
           "macro reading, and results.json also holds the abnormal-class figures.",
           "No confusion matrix is published."),
)

if __name__ == "__main__":
    raise SystemExit(main(STUDY))
