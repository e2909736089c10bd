"""Syakuroh et al. 2025: MobileNetV2 fine-tuning for 4-class chest X-ray classification.

Abdan Syakuroh, Fiber Monado, Menik Ariani, Hadi, Erry Koriyanti, Erni (Universitas
Sriwijaya), "Analisis Akurasi Model MobileNetV2 dalam Klasifikasi Citra X-Ray untuk Deteksi
Kondisi Paru-Paru", 2025.

Run: ``python -m reproductions.syakuroh2025 --help``.
"""

from __future__ import annotations

from collections.abc import Mapping

from lungxray.data.pipeline import AugmentConfig, ImageConfig
from lungxray.data.registry import SYAKUROH_CLASSES
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

CLASSES = SYAKUROH_CLASSES  # Normal, Pneumonia, Cardiomegaly, Pneumothorax

VARIANTS = (
    Variant("head", "Layout of the added head: the paper says only 'extra BatchNormalization and Dropout'.",
            {"gap-bn-dropout": "GlobalAveragePooling -> BatchNormalization -> Dropout -> Dense softmax",
             "gap-dense128-bn-dropout": "GlobalAveragePooling -> Dense 128 ReLU -> BatchNormalization -> Dropout -> softmax",
             "gap-dropout": "GlobalAveragePooling -> Dropout -> softmax (no extra BatchNormalization)"},
            "gap-bn-dropout", "the smallest head that has both layers the paper names"),
    Variant("dropout", "Dropout rate of the head (not given).",
            {"0.5": "rate 0.5", "0.3": "rate 0.3", "0.2": "rate 0.2"}, "0.5", "the common Keras default choice"),
    Variant("learning_rate", "Adam learning rate (not given).",
            {"1e-4": "1e-4 (usual for fine-tuning)", "1e-3": "1e-3 (Adam's default)"}, "1e-4",
            "fine-tuning a pretrained backbone conventionally uses a rate below Adam's default"),
    Variant("lr_schedule", "LearningRateScheduler is named but its schedule is not.",
            {"constant": "constant rate for all 5 epochs (the Keras documentation example keeps the rate for "
                         "its first 10 epochs)",
             "exp-0.1": "rate x e^-0.1 after every epoch"},
            "constant", "the documented example schedule is constant over 5 epochs"),
    Variant("patience", "EarlyStopping patience (not given; monitor val_loss).",
            {"3": "3 epochs", "2": "2 epochs", "5": "5 epochs (never stops within 5 epochs)"}, "3"),
    Variant("brightness", "Brightness augmentation range (not given).",
            {"0.1": "Keras RandomBrightness ±0.1 of the [0,1] range", "0.2": "±0.2 of the [0,1] range"}, "0.1",
            "matches the ±10% of the other augmentations"),
    Variant("trainable_layers", "What 'the last 12 layers' counts.",
            {"layers": "the last 12 entries of base_model.layers (BN, ReLU, Add included; the usual "
                       "layers[:-12] idiom)",
             "weighted": "the last 12 layers that own weights (convolutions and batch norms)"}, "layers"),
    Variant("scaling", "Input scaling: the paper says rescale to [0,1]; MobileNetV2's ImageNet weights expect [-1,1].",
            {"rescale": "divide by 255 ([0,1]), as the paper states",
             "preprocess_input": "keras.applications.mobilenet_v2.preprocess_input ([-1,1])"}, "rescale",
            "the paper states it"),
    Variant("resize", "Resize interpolation (not given).",
            {"bilinear": "tf.image.resize bilinear (image_dataset_from_directory's default)",
             "nearest": "nearest neighbour (ImageDataGenerator / load_img's default)"}, "bilinear"),
)


def configure(v: Mapping[str, str]) -> RunConfig:
    return RunConfig(
        dataset="syakuroh-4class",
        classes=CLASSES,
        split=SplitConfig("stratified", holdout=0.30, val_fraction=0.5, val_from="holdout"),
        image=ImageConfig(224, "rgb", v["resize"], "rescale" if v["scaling"] == "rescale" else "mobilenet_v2"),
        augment=AugmentConfig(rotation_deg=10, hflip=True, zoom=0.10, brightness=float(v["brightness"])),
        model=ModelConfig("mobilenetv2_classifier", {"trainable_last": 12, "trainable_count": v["trainable_layers"],
                                                     "head": v["head"], "dropout": float(v["dropout"])}),
        train=TrainConfig("adam", float(v["learning_rate"]), batch_size=32, epochs=5, class_weight=True,
                          early_stopping_patience=int(v["patience"]), lr_schedule=v["lr_schedule"],
                          select_best="val_loss"),
    )


# --- published numbers, as printed -------------------------------------------------------------
TABLE1_SPLIT = {  # train / val / test per class
    "Normal": (2318, 497, 497), "Pneumonia": (2195, 470, 470),
    "Cardiomegaly": (1943, 416, 417), "Pneumothorax": (2321, 498, 497),
    "total": (8777, 1881, 1881),
}
TABLE1_TOTALS = {"Normal": 3312, "Pneumonia": 3135, "Cardiomegaly": 2776, "Pneumothorax": 3316, "total": 12539}
TABLE2_HISTORY = {  # per epoch: train acc, val acc, train loss, val loss
    "accuracy": (0.9130, 0.9724, 0.9810, 0.9823, 0.9842),
    "val_accuracy": (0.9413, 0.9817, 0.9887, 0.9914, 0.9925),
    "loss": (0.2600, 0.1060, 0.0755, 0.0667, 0.0666),
    "val_loss": (0.1704, 0.0775, 0.0567, 0.0483, 0.0503),
}
TABLE3_OVR = {  # TP, FP, FN, TN per class (test set, one-vs-rest)
    "Normal": (480, 2, 17, 1382), "Pneumonia": (466, 16, 4, 1395),
    "Cardiomegaly": (417, 0, 0, 1464), "Pneumothorax": (496, 4, 1, 1380),
}
TABLE4 = {  # precision, recall, F1, accuracy (one-vs-rest) per class, and the paper's "average" row
    "Normal": (0.9959, 0.9658, 0.9806, 0.9899), "Pneumonia": (0.9668, 0.9915, 0.9790, 0.9894),
    "Cardiomegaly": (1.0, 1.0, 1.0, 1.0), "Pneumothorax": (0.9920, 0.9980, 0.9950, 0.9973),
    "average": (0.9887, 0.9888, 0.9886, 0.9942),
}
ABSTRACT = {"accuracy": 0.9942, "precision": 0.9887, "recall": 0.9888, "f1": 0.9886}

HEADLINE_TOL, CLASS_TOL = 0.02, 0.03


def _metrics() -> tuple[PublishedMetric, ...]:
    avg = TABLE4["average"]
    rows = [
        PublishedMetric("mean_ovr_accuracy", ABSTRACT["accuracy"], "Abstract; Table 4 average row",
                        "Accuracy (paper's definition: mean one-vs-rest)", HEADLINE_TOL),
        PublishedMetric("accuracy", round(sum(t[0] for t in TABLE3_OVR.values()) / 1881, 4),
                        "derived: sum of Table 3 TP / 1881", "Accuracy (standard, derived)", HEADLINE_TOL),
        PublishedMetric("macro_precision", avg[0], "Abstract; Table 4 average row", "Precision (macro)", HEADLINE_TOL),
        PublishedMetric("macro_recall", avg[1], "Abstract; Table 4 average row", "Recall (macro)", HEADLINE_TOL),
        PublishedMetric("macro_f1", avg[2], "Abstract; Table 4 average row", "F1 (macro)", HEADLINE_TOL),
    ]
    for cls in CLASSES:
        for i, m in enumerate(("precision", "recall", "f1", "ovr_accuracy")):
            rows.append(PublishedMetric(f"{m}[{cls}]", TABLE4[cls][i], "Table 4", f"{m} {cls}", CLASS_TOL))
    return tuple(rows)


def audit() -> list:
    from lungxray.audit import claim, f1, finding

    sid, out = "syakuroh2025", []
    for cls, (tp, fp, fn, tn) in TABLE3_OVR.items():
        p, r, f, a = TABLE4[cls]
        n = tp + fp + fn + tn
        out += [claim(sid, "Table 3 vs Table 1", f"{cls}: TP+FP+FN+TN = test set", 1881, n, 0),
                claim(sid, "Table 3 vs Table 1", f"{cls}: TP+FN = test images of the class", TABLE1_SPLIT[cls][2],
                      tp + fn, 0),
                claim(sid, "Table 4 vs Table 3", f"precision {cls} = TP/(TP+FP)", p, tp / (tp + fp)),
                claim(sid, "Table 4 vs Table 3", f"recall {cls} = TP/(TP+FN)", r, tp / (tp + fn)),
                claim(sid, "Table 4 vs Table 3", f"F1 {cls} from TP, FP, FN", f, f1(tp / (tp + fp), tp / (tp + fn))),
                claim(sid, "Table 4 vs Table 3", f"accuracy {cls} = (TP+TN)/N (one-vs-rest)", a, (tp + tn) / n)]
    fp_sum = sum(v[1] for v in TABLE3_OVR.values())
    fn_sum = sum(v[2] for v in TABLE3_OVR.values())
    out.append(claim(sid, "Table 3", "sum of FP = sum of FN (every error is one FP and one FN)", fp_sum, fn_sum, 0))
    ovr = [(v[0] + v[3]) / 1881 for v in TABLE3_OVR.values()]
    out.append(claim(sid, "Abstract vs Table 3", "accuracy 99.42% = mean one-vs-rest accuracy", ABSTRACT["accuracy"],
                     sum(ovr) / 4))
    std = sum(v[0] for v in TABLE3_OVR.values()) / 1881
    out.append(claim(sid, "Abstract vs Table 3", "accuracy 99.42% as standard accuracy (correct / all)",
                     ABSTRACT["accuracy"], std, explanation=f"standard accuracy is 1859/1881 = {std:.4f}; the paper's "
                     "'accuracy' is the mean of one-vs-rest accuracies, which counts each error's true negatives"))
    out.append(finding(sid, "Abstract / Table 4", "definitional slip: 'accuracy' is the mean one-vs-rest accuracy "
                       f"(99.42%), not standard accuracy ({std:.2%})"))
    for cls, (tr, va, te) in TABLE1_SPLIT.items():
        out.append(claim(sid, "Table 1", f"{cls}: train+val+test = class total", TABLE1_TOTALS[cls], tr + va + te, 0))
    tot = TABLE1_TOTALS["total"]
    for j, (name, share) in enumerate((("train", 0.70), ("validation", 0.15), ("test", 0.15))):
        out.append(claim(sid, "Table 1", f"{name} share {share:.0%}", share, TABLE1_SPLIT["total"][j] / tot, 0.005))
    for j in range(3):
        out.append(claim(sid, "Table 1", f"total row column {j + 1} = sum of classes", TABLE1_SPLIT["total"][j],
                         sum(v[j] for k, v in TABLE1_SPLIT.items() if k != "total"), 0))
    best = min(range(5), key=lambda e: TABLE2_HISTORY["val_loss"][e])
    out.append(finding(sid, "Table 2", f"lowest validation loss is at epoch {best + 1} (val acc "
                       f"{TABLE2_HISTORY['val_accuracy'][best]}), the model the paper says it evaluates; the last "
                       f"epoch has val acc {TABLE2_HISTORY['val_accuracy'][-1]}"))
    return out


STUDY = Study(
    id="syakuroh2025",
    title="Syakuroh et al. 2025 - MobileNetV2 for 4-class chest X-ray classification",
    citation="A. Syakuroh, F. Monado, M. Ariani, Hadi, E. Koriyanti, Erni. Analisis Akurasi Model MobileNetV2 "
             "dalam Klasifikasi Citra X-Ray untuk Deteksi Kondisi Paru-Paru. Universitas Sriwijaya, 2025.",
    dataset="syakuroh-4class",
    summary="MobileNetV2 (ImageNet), last 12 layers fine-tuned, class weights, augmentation, Adam, batch 32, "
            "5 epochs, stratified 70/15/15 split of 12,539 X-rays (Normal, Pneumonia, Cardiomegaly, Pneumothorax).",
    experiments=(Experiment("mobilenetv2", "MobileNetV2 fine-tuned (last 12 layers)", configure, Published(
        metrics=_metrics(),
        history=TABLE2_HISTORY, history_source="Table 2 (train/val accuracy and loss per epoch)",
        tables={"table1_split": TABLE1_SPLIT, "table1_totals": TABLE1_TOTALS, "table3_ovr": TABLE3_OVR,
                "table4": TABLE4, "abstract": ABSTRACT},
    )),),
    variants=VARIANTS,
    audit=audit,
    smoke=Smoke(per_class=60, epochs=6, image_size=96, variants={"learning_rate": "1e-3"}, model_params={"trainable_last": None, "bn_momentum": 0.5},
                why="96-pixel input, learning rate 1e-3, all layers trained and BatchNorm momentum 0.5: a random-weight MobileNetV2 frozen below "
                    "its last 12 layers passes almost no signal (activations ~1e-12), and BatchNorm's 0.999 "
                    "momentum needs thousands of steps"),
    notes=("The paper's 'accuracy' (99.42%) is the mean of per-class one-vs-rest accuracies; the standard "
           "accuracy implied by Table 3 is 1859/1881 = 98.83%.",
           "Table 3 gives one-vs-rest counts only, so the full 4x4 confusion matrix is not published."),
)

if __name__ == "__main__":
    raise SystemExit(main(STUDY))
