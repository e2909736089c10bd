"""Syakuroh et al. 2025: MobileNetV2 fine-tuning for 4-class chest X-ray classification.

Abdan Syakuroh, Fiber Monado, Menik Ariani, Hadi, Erry Koriyanti, Erni (Jurusan Fisika, FMIPA,
Universitas Sriwijaya), "Analisis Akurasi Model MobileNetV2 dalam Klasifikasi Citra X-Ray untuk
Deteksi Kondisi Paru-Paru", 2025. The extracted text names no journal, volume or DOI.

Section names below are the paper's: Abstrak, Metode, Hasil dan Pembahasan (Hasil),
Kesimpulan dan Saran (Kesimpulan); tables 1-4.

Run: ``python -m reproductions.syakuroh2025 --help``.
"""

from __future__ import annotations

from collections.abc import Mapping

from lungxray.data.datasets import FOUR_CLASS_XRAY
from lungxray.run.runner import main
from lungxray.spec.study import (
    AugmentConfig,
    Evidence,
    Experiment,
    ImageConfig,
    ModelConfig,
    OneVsRest,
    Published,
    PublishedMetric,
    RateSeries,
    RunConfig,
    ScoreSet,
    Smoke,
    SplitConfig,
    SplitCounts,
    SplitEvidence,
    Statement,
    Study,
    TrainConfig,
    Variant,
)

CLASSES = FOUR_CLASS_XRAY  # Normal, Pneumonia, Cardiomegaly, Pneumothorax

# Evidence for the generator reading, from the paper's own numbers (see the notes): Table 2's five
# validation accuracies are counts out of 1,856 = (1,881 // 32) * 32, never out of Table 1's 1,881;
# Table 3's rows sum to 1,881, so the test set was scored whole.
GENERATOR_EVIDENCE = ("Metode: augmentation 'melalui generator augmentasi' and normalisation '(rescale)', "
                      "ImageDataGenerator's argument; the subsets are organised 'ke dalam folder khusus', "
                      "what flow_from_directory reads")
VAL_EVIDENCE = ("Table 2: no k/1881 rounds to any of the five printed validation accuracies; k/1856 gives all "
                "five (1747, 1822, 1835, 1840, 1842 of 1856), and among totals 1,700-1,881 only 1,856-1,858 fit "
                "all five; 1,856 = (1,881 // 32) * 32, the images validation_steps = samples // batch_size sees")

VARIANTS = (
    Variant("augmentation", "Semantics of the augmentation 'melalui generator augmentasi' (Metode): rotation "
            "±10°, horizontal flip, zoom 10%, brightness.",
            {"generator": "Keras ImageDataGenerator semantics (lungxray.data.augment): fill_mode 'nearest', "
                          "row and column zoom drawn independently from [0.9, 1.1], brightness as a factor "
                          "from [1-b, 1+b] (PIL, truncating)",
             "layers": "Keras preprocessing layers: zero fill, one zoom factor for both sides, brightness "
                       "added (RandomBrightness)"},
            "generator", f"{GENERATOR_EVIDENCE}; Table 2's validation accuracies are counts of 1,856 = "
            "(1,881 // 32) * 32 images, the generator idiom validation_steps = samples // batch_size (see "
            "val_steps)"),
    Variant("brightness", "Brightness range: 'penyesuaian kecerahan' (Metode) gives no range.",
            {"0.1": "factor in [0.9, 1.1] (generator) or ±0.1 of the [0,1] range (layers)",
             "0.2": "factor in [0.8, 1.2] (generator) or ±0.2 of the [0,1] range (layers)"}, "0.1",
            "the paper's other augmentations are ±10% (rotation ±10°, zoom 10%, Metode); a guess either way"),
    Variant("resize", "Resize interpolation: 'resize ke 224×224 piksel' (Metode) names no method.",
            {"nearest": "nearest neighbour (flow_from_directory / load_img default interpolation)",
             "bilinear": "tf.image.resize bilinear (image_dataset_from_directory's default)"}, "nearest",
            f"{GENERATOR_EVIDENCE}; flow_from_directory resizes with interpolation='nearest' unless told"),
    Variant("val_steps", "Images scored by the per-epoch validation of Table 2 (the paper prints accuracies "
            "only; Table 1 has 1,881 validation images).",
            {"floor": "n // 32 = 58 full batches (1,856 images), validation_steps = samples // batch_size; the "
                      "last 25 images in manifest order are never scored",
             "all": "all 1,881 validation images"}, "floor", VAL_EVIDENCE),
    Variant("test_steps", "Images scored in the final evaluation: 'Evaluasi akhir dilakukan pada 1.881 citra "
            "uji' (Metode).",
            {"all": "all 1,881 test images",
             "floor": "n // 32 = 58 full batches (1,856 images), the generator idiom applied to evaluation"},
            "all", "Metode names 1,881 test images, every Table 3 row sums to 1,881 and its TP+FN equal "
            "Table 1's test counts: the whole test set was scored",
            departs={"floor": "Table 3 scores all 1,881 test images, not 1,856"}),
    Variant("head", "Layout of the added head: 'regularisasi tambahan BatchNormalization dan Dropout' "
            "(Metode) names the layers only.",
            {"gap-bn-dropout": "GlobalAveragePooling -> BatchNormalization -> Dropout -> Dense softmax",
             "gap-dense128-bn-dropout": "GlobalAveragePooling -> Dense 128 ReLU -> BatchNormalization -> Dropout "
                                        "-> softmax",
             "gap-dropout": "GlobalAveragePooling -> Dropout -> softmax (no extra BatchNormalization)"},
            "gap-bn-dropout", "the smallest head with both layers Metode names and no layer it does not name",
            departs={"gap-dropout": "Metode names an added BatchNormalization"}),
    Variant("dropout", "Dropout rate of the head: Metode names Dropout, not its rate.",
            {"0.5": "rate 0.5", "0.3": "rate 0.3", "0.2": "rate 0.2"}, "0.5",
            "a common choice; the paper gives no evidence for any rate"),
    Variant("learning_rate", "Adam learning rate: 'menggunakan optimizer Adam' (Metode) gives none.",
            {"1e-3": "1e-3, Keras' Adam() default", "1e-4": "1e-4 (a usual fine-tuning rate)"}, "1e-3",
            "Metode names the optimizer and no rate, so the rate is the library default: Keras' Adam defaults "
            "to learning_rate=0.001 (tf.keras.optimizers.Adam documentation); 1e-4 is a convention the paper "
            "never states"),
    Variant("lr_schedule", "'callback ... LearningRateScheduler' (Metode) is named, its schedule is not.",
            {"constant": "constant rate for all 5 epochs (the Keras documentation example keeps the rate for "
                         "its first 10 epochs)",
             "exp-0.1": "rate x e^-0.1 after every epoch"},
            "constant", "Metode names the callback, not its schedule, and the paper prints no learning rate or per-epoch "
            "rate that could tell the readings apart. For constant: the schedule of the Keras documentation of "
            "LearningRateScheduler (the one most code copies) keeps the rate while epoch < 10 and multiplies it by "
            "e^-0.1 after, so over the paper's 5 epochs it never changes the rate. For a decay from the first epoch "
            "(exp-0.1): naming a scheduler suggests the authors meant the rate to change. Neither is proven; the "
            "default is the documented schedule run for 5 epochs"),
    Variant("patience", "EarlyStopping patience: 'callback EarlyStopping' (Metode), no patience; val_loss is the "
            "model-selection criterion ('validation loss terendah').",
            {"3": "3 epochs", "2": "2 epochs", "5": "5 epochs (never stops within 5 epochs)"}, "3",
            "Table 2 runs all 5 epochs and its lowest val_loss is at epoch 4, so any patience >= 1 reproduces "
            "the printed log; 3 is a common value"),
    Variant("trainable_layers", "What 'fine-tuning pada 12 lapisan terakhir' (Metode) counts.",
            {"layers": "the last 12 entries of base_model.layers (BN, ReLU, Add included; the usual "
                       "layers[:-12] idiom)",
             "weighted": "the last 12 layers that own weights (convolutions and batch norms)"}, "layers",
            "the layers[:-12] idiom is how Keras code counts 'the last 12 layers'"),
    Variant("scaling", "Input scaling: 'normalisasi nilai piksel (rescale) ke rentang [0,1]' (Metode); "
            "MobileNetV2's ImageNet weights expect [-1,1].",
            {"rescale": "divide by 255 ([0,1]), as the paper states",
             "preprocess_input": "keras.applications.mobilenet_v2.preprocess_input ([-1,1])"}, "rescale",
            "Metode states rescaling to [0,1]",
            departs={"preprocess_input": "Metode states rescaling to [0,1]"}),
)


def configure(v: Mapping[str, str]) -> RunConfig:
    return RunConfig(
        dataset="syakuroh-4class",
        classes=CLASSES,
        split=SplitConfig("stratified", holdout=0.30, val_fraction=0.5, val_from="holdout"),
        image=ImageConfig(224, "rgb", v["resize"], "rescale" if v["scaling"] == "rescale" else "mobilenet_v2"),
        augment=AugmentConfig(rotation_deg=10, hflip=True, zoom=0.10, brightness=float(v["brightness"]),
                              semantics=v["augmentation"]),
        model=ModelConfig("mobilenetv2_classifier", {"trainable_last": 12, "trainable_count": v["trainable_layers"],
                                                     "head": v["head"], "dropout": float(v["dropout"])}),
        train=TrainConfig("adam", float(v["learning_rate"]), batch_size=32, epochs=5, class_weight=True,
                          early_stopping_patience=int(v["patience"]), lr_schedule=v["lr_schedule"],
                          select_best="val_loss", val_steps=v["val_steps"], test_steps=v["test_steps"]),
    )


# --- published numbers, as printed (plain data: the forensic tools read these) ----------------------
BATCH_SIZE = 32  # Metode
SPLIT_SHARES = (0.70, 0.15, 0.15)  # Metode and Hasil: train / validation / test, stratified
TABLE1_SPLIT = {  # Table 1: train / val / test per class
    "Normal": (2318, 497, 497), "Pneumonia": (2195, 470, 470),
    "Cardiomegaly": (1943, 416, 417), "Pneumothorax": (2321, 498, 497),
    "total": (8777, 1881, 1881),
}
TABLE1_TOTALS = {"Normal": 3312, "Pneumonia": 3135, "Cardiomegaly": 2776, "Pneumothorax": 3316, "total": 12539}
TABLE2_HISTORY = {  # Table 2, per epoch 1-5 (Keras history keys)
    "accuracy": (0.9130, 0.9724, 0.9810, 0.9823, 0.9842),
    "val_accuracy": (0.9413, 0.9817, 0.9887, 0.9914, 0.9925),
    "loss": (0.2600, 0.1060, 0.0755, 0.0667, 0.0666),
    "val_loss": (0.1704, 0.0775, 0.0567, 0.0483, 0.0503),
}
TABLE2_DECIMALS = {k: 4 for k in TABLE2_HISTORY}  # every Table 2 cell is printed with 4 decimals
# The set each Table 2 series was measured on, and its size by Table 1. Keras logs: "accuracy" and "loss"
# are running means over the epoch's augmented training batches (the loss weighted by the class weights,
# the accuracy not); "val_*" come from the validation split after the epoch.
TABLE2_SETS = {"accuracy": ("train", 8777), "loss": ("train", 8777),
               "val_accuracy": ("val", 1881), "val_loss": ("val", 1881)}
EVALUATED_EPOCH = 4  # Hasil: lowest validation loss "pada epoch keempat (0,0483)", the model evaluated
TABLE3_OVR = {  # Table 3: TP, FP, FN, TN per class (test set, one-vs-rest)
    "Normal": (480, 2, 17, 1382), "Pneumonia": (466, 16, 4, 1395),
    "Cardiomegaly": (417, 0, 0, 1464), "Pneumothorax": (496, 4, 1, 1380),
}
TABLE4 = {  # Table 4: precision, recall, F1, accuracy (one-vs-rest) per class, and the paper's "Rata-rata" row
    "Normal": (0.9959, 0.9658, 0.9806, 0.9899), "Pneumonia": (0.9668, 0.9915, 0.9790, 0.9894),
    "Cardiomegaly": (1.0, 1.0, 1.0, 1.0), "Pneumothorax": (0.9920, 0.9980, 0.9950, 0.9973),
    "average": (0.9887, 0.9888, 0.9886, 0.9942),
}
TABLE4_DECIMALS = 4
ABSTRACT = {"accuracy": 0.9942, "precision": 0.9887, "recall": 0.9888, "f1": 0.9886}  # also Kesimpulan
TEST_IMAGES = 1881  # Metode: final evaluation "pada 1.881 citra uji"
# Numbers stated in the text (not in a table), as printed; checked against the tables in audit().
PROSE = {
    "dataset_total": 12539,  # Abstrak; Hasil ("terdiri dari 12.539 citra")
    "class_totals": {"Normal": 3312, "Pneumonia": 3135, "Cardiomegaly": 2776, "Pneumothorax": 3316},  # Hasil
    "split_sizes": (8777, 1881, 1881),  # Hasil, after Table 1
    "train_accuracy_first_last": (0.9130, 0.9842),  # Hasil: "dari 91,30% ... menjadi 98,42%"
    "val_accuracy_first_last": (0.9413, 0.9925),  # Hasil: "dimulai dari 94,13% hingga mencapai 99,25%"
    "lowest_val_loss": (4, 0.0483),  # Hasil: epoch and value
    "misclassified": 22,  # Hasil (Gambar 8): "22 kasus dari total 1.881 data uji"
    "cardiomegaly_all_correct": 417,  # Hasil: "Seluruh kasus Cardiomegaly ... (417 kasus)"
    "pneumothorax_confused": 1,  # Hasil: Pneumothorax "dengan hanya satu kasus tertukar"
    "normal_fp_fn": (2, 17),  # Hasil after Table 3: "2-17 kasus pada Normal"
    "pneumonia_fp_fn": (16, 4),  # Hasil after Table 3: "16-4 kasus pada Pneumonia"
    "normal_pneumonia_false_negative": 0.03,  # Hasil: "Normal-Pneumonia (3% false negative)"
    "recall": 0.9888,  # Hasil: "Tingkat recall tinggi (98,88%)"
    "error_rate": 0.0117,  # Kesimpulan: "1,17% (22 dari 1.881 kasus testing)"
}

MIN_TOL = 0.005  # half a point: the floor for figures printed as 1.0 (no error rate to double)
TOL_REASON = ("near the ceiling a fixed absolute gap is meaningless (±0.02 on 0.9942 would accept four times the "
              "paper's error rate): the tolerance is the paper's own error rate 1 - p, so a reproduction stands if "
              "its error rate is at most twice the paper's (or half of it), and at least 0.005 for figures printed "
              "as 1.0. The paper's claim is its near-perfect accuracy; doubling the error is the smallest change "
              "that would alter it")


def _tol(value: float) -> float:
    """The registered tolerance of a published figure (TOL_REASON): its error rate, at least MIN_TOL."""
    return max(round(1 - value, 4), MIN_TOL)



def _metrics() -> tuple[PublishedMetric, ...]:
    avg = TABLE4["average"]
    rows = [
        PublishedMetric("mean_ovr_accuracy", ABSTRACT["accuracy"], "Abstract; Table 4 average row",
                        "Accuracy (paper's definition: mean one-vs-rest)", _tol(ABSTRACT["accuracy"]),
                        tolerance_reason=TOL_REASON),
        PublishedMetric("accuracy", round(1 - PROSE["error_rate"], 4),
                        "Kesimpulan: error 1.17% (22 of 1,881); Table 3: sum of TP 1859/1881",
                        "Accuracy (standard: 1 - the stated error rate)", _tol(1 - PROSE["error_rate"]),
                        tolerance_reason=TOL_REASON),
        PublishedMetric("macro_precision", avg[0], "Abstract; Table 4 average row", "Precision (macro)", _tol(avg[0]),
                        tolerance_reason=TOL_REASON),
        PublishedMetric("macro_recall", avg[1], "Abstract; Table 4 average row", "Recall (macro)", _tol(avg[1]),
                        tolerance_reason=TOL_REASON),
        PublishedMetric("macro_f1", avg[2], "Abstract; Table 4 average row", "F1 (macro)", _tol(avg[2]),
                        tolerance_reason=TOL_REASON),
    ]
    for cls in CLASSES:
        for i, (m, name) in enumerate((("precision", "Precision"), ("recall", "Recall"), ("f1", "F1"),
                                       ("ovr_accuracy", "Accuracy (one-vs-rest)"))):
            label = f"{name} ({cls})" if "(" not in name else f"{name[:-1]}, {cls})"
            rows.append(PublishedMetric(f"{m}[{cls}]", TABLE4[cls][i], "Table 4", label, _tol(TABLE4[cls][i]),
                                        tolerance_reason=TOL_REASON))
    return tuple(rows)


def _ovr(i: int) -> tuple[int, ...]:
    return tuple(TABLE3_OVR[c][i] for c in CLASSES)


_POP = {c: TABLE1_TOTALS[c] for c in CLASSES}
_PARTS = {"train": 0, "val": 1, "test": 2}
EVIDENCE = Evidence(
    splits=(SplitEvidence(
        _POP, tuple(SplitCounts(f"Table 1 ({part})", part, {c: TABLE1_SPLIT[c][i] for c in CLASSES})
                    for part, i in _PARTS.items()),
        stated="70% / 15% / 15%, stratified (Metode)", test_sizes=(0.15, 0.3),
        val_sizes=(0.15 / 0.85, 0.15, 0.5), source="Table 1"),),
    # Keras logs sample-weighted means: image-level counts over the set the paper names
    rates=tuple(RateSeries(f"Table 2 '{key}'", "Table 2", TABLE2_HISTORY[key], TABLE2_DECIMALS[key],
                           TABLE2_SETS[key][1], batch_mean=False, experiment="mobilenetv2")
                for key in ("accuracy", "val_accuracy")),
    # Table 4's per-class rows, each a one-vs-rest problem on Table 1's test set (the class's test images positive)
    scores=tuple(ScoreSet(f"Table 4, {c} (one-vs-rest)", "Table 4 vs Table 1", TABLE1_SPLIT[c][2],
                          TABLE1_SPLIT["total"][2] - TABLE1_SPLIT[c][2],
                          dict(zip(("precision", "recall", "f1", "accuracy"), TABLE4[c], strict=True)), TABLE4_DECIMALS,
                          experiment="mobilenetv2") for c in CLASSES),
    one_vs_rest=(OneVsRest("Table 3", "Table 3", CLASSES, _ovr(0), _ovr(1), _ovr(2), _ovr(3), statements=(
        Statement("Hasil: 22 of the 1,881 test images are misclassified",
                  lambda m: sum(map(sum, m)) - sum(m[i][i] for i in range(4)) == 22),
        Statement("Hasil: Normal and Pneumonia are misclassified as each other",
                  lambda m: m[0][1] > 0 and m[1][0] > 0),
        Statement("Discussion: Normal taken for Pneumonia is '3% false negative' of Normal",
                  lambda m: round(100 * m[0][1] / sum(m[0])) == 3),
    ), experiment="mobilenetv2"),),
)


def audit() -> list:
    from lungxray.audit.claims import claim, f1

    sid, out = "syakuroh2025", []
    n_test = TABLE1_SPLIT["total"][2]
    for cls, (tp, fp, fn, tn) in TABLE3_OVR.items():
        p, r, f, a = TABLE4[cls]
        n = tp + fp + fn + tn
        out += [claim(sid, "Table 3 vs Table 1", f"{cls}: TP+FP+FN+TN = test set", n_test, n, 0, severity="major"),
                claim(sid, "Table 3 vs Table 1", f"{cls}: TP+FN = test images of the class", TABLE1_SPLIT[cls][2],
                      tp + fn, 0, severity="major"),
                claim(sid, "Table 4 vs Table 3", f"precision {cls} = TP/(TP+FP)", p, tp / (tp + fp), severity="major"),
                claim(sid, "Table 4 vs Table 3", f"recall {cls} = TP/(TP+FN)", r, tp / (tp + fn), severity="major"),
                claim(sid, "Table 4 vs Table 3", f"F1 {cls} from TP, FP, FN", f, f1(tp / (tp + fp), tp / (tp + fn)),
                      severity="major"),
                claim(sid, "Table 4 vs Table 3", f"accuracy {cls} = (TP+TN)/N (one-vs-rest)", a, (tp + tn) / n,
                      severity="major")]
    fp_sum = sum(v[1] for v in TABLE3_OVR.values())
    fn_sum = sum(v[2] for v in TABLE3_OVR.values())
    tp_sum = sum(v[0] for v in TABLE3_OVR.values())
    out.append(claim(sid, "Table 3", "sum of FP = sum of FN (every error is one FP and one FN)", fp_sum, fn_sum, 0,
                     severity="major"))
    ovr = [(v[0] + v[3]) / n_test for v in TABLE3_OVR.values()]
    out.append(claim(sid, "Abstract vs Table 3", "accuracy 99.42% = mean one-vs-rest accuracy", ABSTRACT["accuracy"],
                     sum(ovr) / 4, severity="major"))
    std = tp_sum / n_test
    # one fact, one record: Table 4's 'Rata-rata' accuracy is the mean of its one-vs-rest column, and the text's own
    # error rate (Kesimpulan) gives the standard accuracy; the two are one finding, not two
    out.append(claim(sid, "Abstract and Table 4 'Rata-rata' vs Table 3 and Kesimpulan",
                     "accuracy 99.42% as standard accuracy (correct / all)", ABSTRACT["accuracy"], std,
                     explanation=f"Table 4 prints 0.9942 openly as the 'Rata-rata' of its per-class 'Accuracy' column, "
                     f"the one-vs-rest accuracies (each error also counts as true negatives of two other classes); "
                     f"standard accuracy is {tp_sum}/{n_test} = {std:.4f}, what the Kesimpulan's own 'minim kesalahan "
                     f"klasifikasi sebesar 1,17% (22 dari 1.881 kasus testing)' gives. The gap is "
                     f"{100 * (ABSTRACT['accuracy'] - std):.2f} percentage points and the paper's conclusion (every "
                     "metric at or above 90%) survives: major, not critical",
                     severity="major", rule="contradiction",
                     evidence={"correct": tp_sum, "n": n_test, "one_vs_rest": ovr, "stated_error_rate": PROSE["error_rate"],
                               "stated_errors": PROSE["misclassified"],
                               "gap_percentage_points": round(100 * (ABSTRACT["accuracy"] - std), 2)}))
    for cls, (tr, va, te) in TABLE1_SPLIT.items():
        out.append(claim(sid, "Table 1", f"{cls}: train+val+test = class total", TABLE1_TOTALS[cls], tr + va + te, 0,
                         severity="major"))
    tot = TABLE1_TOTALS["total"]
    for j, (name, share) in enumerate(zip(("train", "validation", "test"), SPLIT_SHARES, strict=True)):
        out.append(claim(sid, "Table 1", f"{name} share {share:.0%}", share, TABLE1_SPLIT["total"][j] / tot, 0.005,
                         severity="minor"))
    for j in range(3):
        out.append(claim(sid, "Table 1", f"total row column {j + 1} = sum of classes", TABLE1_SPLIT["total"][j],
                         sum(v[j] for k, v in TABLE1_SPLIT.items() if k != "total"), 0, severity="major"))
    out += _prose_claims(sid, std)
    return out


def _prose_claims(sid: str, std: float) -> list:
    """The numeric statements of the text, each checked against the tables."""
    from lungxray.audit.claims import prose

    ovr = TABLE3_OVR
    n_test = TABLE1_SPLIT["total"][2]
    errors = n_test - sum(v[0] for v in ovr.values())
    h = TABLE2_HISTORY
    best = min(range(len(h["val_loss"])), key=h["val_loss"].__getitem__)
    out = [prose(sid, "Abstrak / Hasil vs Table 1", "12,539 images", PROSE["dataset_total"], TABLE1_TOTALS["total"], 0)]
    out += [prose(sid, "Hasil vs Table 1", f"{cls}: {n} images", n, TABLE1_TOTALS[cls], 0)
            for cls, n in PROSE["class_totals"].items()]
    out += [prose(sid, "Hasil vs Table 1", f"{name}: {n} images", n, TABLE1_SPLIT["total"][j], 0)
            for j, (name, n) in enumerate(zip(("train", "validation", "test"), PROSE["split_sizes"], strict=True))]
    out.append(prose(sid, "Metode vs Table 1", "final evaluation on 1,881 test images", TEST_IMAGES, n_test, 0))
    for key, series in (("train_accuracy_first_last", "accuracy"), ("val_accuracy_first_last", "val_accuracy")):
        first, last = PROSE[key]
        out += [prose(sid, "Hasil vs Table 2", f"{series} epoch 1 = {first:.2%}", first, h[series][0]),
                prose(sid, "Hasil vs Table 2", f"{series} epoch 5 = {last:.2%}", last, h[series][-1])]
    epoch, value = PROSE["lowest_val_loss"]
    out += [prose(sid, "Hasil vs Table 2", "lowest validation loss at epoch 4", epoch, best + 1, 0),
            prose(sid, "Hasil vs Table 2", "lowest validation loss 0.0483", value, h["val_loss"][best]),
            # one record for the fact (it was also a finding): the evaluated epoch 4 is not the last epoch
            prose(sid, "Hasil vs Table 2", "the evaluated model is the lowest-val_loss epoch", EVALUATED_EPOCH,
                  best + 1, 0, evidence={"val_loss": h["val_loss"], "val_accuracy_evaluated": h["val_accuracy"][best],
                                         "val_accuracy_last_epoch": h["val_accuracy"][-1]})]
    out += [prose(sid, "Hasil (Gambar 8) vs Table 3", "22 misclassified test images (sum of FN)",
                  PROSE["misclassified"], sum(v[2] for v in ovr.values()), 0),
            prose(sid, "Hasil (Gambar 8) vs Table 3", "22 misclassified test images (1,881 - sum of TP)",
                  PROSE["misclassified"], errors, 0),
            prose(sid, "Kesimpulan vs Table 3", "error rate 1.17% (22 of 1,881)", PROSE["error_rate"],
                  errors / n_test, 0.00005)]
    return out + _table3_4_prose_claims(sid)


def _table3_4_prose_claims(sid: str) -> list:
    """The text's statements about Table 3's one-vs-rest counts, Table 4's averages and Table 1's split."""
    from lungxray.audit.claims import finding, prose

    ovr = TABLE3_OVR
    h = TABLE2_HISTORY
    out: list = []
    tp, fp, fn, _ = ovr["Cardiomegaly"]
    out += [prose(sid, "Hasil vs Table 3", "all 417 Cardiomegaly cases identified (TP)",
                  PROSE["cardiomegaly_all_correct"], tp, 0),
            prose(sid, "Hasil vs Table 1", "all 417 Cardiomegaly cases identified (= test images of the class)",
                  PROSE["cardiomegaly_all_correct"], TABLE1_SPLIT["Cardiomegaly"][2], 0),
            prose(sid, "Hasil vs Table 3", "Cardiomegaly without error (FP + FN = 0)", 0, fp + fn, 0)]
    _, fp, fn, _ = ovr["Pneumothorax"]
    out.append(prose(sid, "Hasil vs Table 3", "Pneumothorax: only one case confused (FN)",
                     PROSE["pneumothorax_confused"], fn, 0))
    out.append(finding(sid, "Hasil vs Table 3", f"'only one case confused' for Pneumothorax counts its {fn} false "
                       f"negative; Table 3 also has {fp} images of other classes predicted as Pneumothorax",
                       severity="minor", tool="prose", evidence={"FN": fn, "FP": fp}))
    for cls, key in (("Normal", "normal_fp_fn"), ("Pneumonia", "pneumonia_fp_fn")):
        _, fp, fn, _ = ovr[cls]
        out += [prose(sid, "Hasil vs Table 3", f"{cls}: {PROSE[key][0]} FP", PROSE[key][0], fp, 0),
                prose(sid, "Hasil vs Table 3", f"{cls}: {PROSE[key][1]} FN", PROSE[key][1], fn, 0)]
    tp, _, fn, _ = ovr["Normal"]
    out.append(prose(sid, "Hasil vs Table 3", "Normal-Pneumonia errors: 3% false negative (Normal FN / Normal)",
                     PROSE["normal_pneumonia_false_negative"], fn / (tp + fn), 0.005,
                     evidence={"FN": fn, "n": tp + fn}))
    out.append(prose(sid, "Hasil vs Table 4", "recall 98.88%", PROSE["recall"], TABLE4["average"][1]))
    out.append(prose(sid, "Hasil vs Table 4", "the averages are all above 0.98 (1 = true)", 1,
                     float(min(TABLE4["average"]) > 0.98), 0))
    vl = h["val_loss"]
    out.append(prose(sid, "Hasil vs Table 2", "loss falls on both subsets, without overfitting (1 = true: "
                     "validation loss never rises)", 1, float(all(b <= a for a, b in zip(vl, vl[1:], strict=False))), 0,
                     f"validation loss rises from {min(vl)} (epoch {vl.index(min(vl)) + 1}) to {vl[-1]} at epoch "
                     f"{len(vl)}"))
    # Hasil, after Table 1: "8.777 sampel data pelatihan, 1.881 data validasi, dan 1.881 data pengujian yang
    # terdistribusi merata di setiap kelas": read as each class split in the same 70/15/15 proportions (the
    # stratified sampling the same paragraph names), every class's three counts within one image of its shares
    prop = {c: all(abs(TABLE1_SPLIT[c][j] - share * TABLE1_TOTALS[c]) <= 1 for j, share in enumerate(SPLIT_SHARES))
            for c in CLASSES}
    out.append(prose(sid, "Hasil vs Table 1", "the subsets are 'terdistribusi merata di setiap kelas': every class "
                     "is split 70/15/15 to within one image (1 = true)", 1, float(all(prop.values())), 0,
                     f"classes not split 70/15/15: {[c for c, ok in prop.items() if not ok]}",
                     evidence={c: TABLE1_SPLIT[c] for c in CLASSES}))
    for i, key in enumerate(("precision", "recall", "f1", "accuracy")):
        out.append(prose(sid, "Abstrak / Kesimpulan vs Table 4", f"{key} {ABSTRACT[key]:.2%}", ABSTRACT[key],
                         TABLE4["average"][i]))
    return out


STUDY = Study(
    id="syakuroh2025",
    title="Syakuroh et al. 2025 - MobileNetV2 for 4-class chest X-ray classification",
    citation="A. Syakuroh, F. Monado, M. Ariani, Hadi, E. Koriyanti, Erni. Analisis Akurasi Model MobileNetV2 "
             "dalam Klasifikasi Citra X-Ray untuk Deteksi Kondisi Paru-Paru [Accuracy Analysis of the MobileNetV2 "
             "Model in X-Ray Image Classification for Lung Condition Detection]. Jurusan Fisika, FMIPA, "
             "Universitas Sriwijaya, 2025. (Journal, volume and DOI are not in the paper's text.)",
    dataset="syakuroh-4class",
    summary="MobileNetV2 (ImageNet), last 12 layers fine-tuned, class weights, ImageDataGenerator-style "
            "augmentation, Adam, batch 32, 5 epochs, stratified 70/15/15 split of 12,539 X-rays (Normal, "
            "Pneumonia, Cardiomegaly, Pneumothorax).",
    experiments=(Experiment("mobilenetv2", "MobileNetV2 fine-tuned (last 12 layers)", configure, Published(
        metrics=_metrics(),
        primary="mean_ovr_accuracy",  # the headline: the abstract's 99.42% 'accuracy', as the paper defines it
        test_counts={cls: TABLE1_SPLIT[cls][2] for cls in CLASSES},  # Table 1's test column: 1,881 images
        final_epoch={k: v[EVALUATED_EPOCH - 1] for k, v in TABLE2_HISTORY.items()},
        final_epoch_source="Table 2, epoch 4 (Hasil: the lowest-val_loss model is the one evaluated)",
        history=TABLE2_HISTORY, history_source="Table 2 (train/val accuracy and loss per epoch)",
        tables={"table1_split": TABLE1_SPLIT, "table1_totals": TABLE1_TOTALS, "table3_ovr": TABLE3_OVR,
                "table4": TABLE4, "abstract": ABSTRACT},
    )),),
    variants=VARIANTS,
    audit=audit,
    evidence=EVIDENCE,
    smoke=Smoke(per_class=60, epochs=6, image_size=96, model_params={"trainable_last": None, "bn_momentum": 0.5},
                variants={"augmentation": "layers", "resize": "bilinear"},
                why="96-pixel input, all layers trained and BatchNorm momentum 0.5: a random-weight MobileNetV2 "
                    "frozen below its last 12 layers passes almost no signal (activations ~1e-12), and "
                    "BatchNorm's 0.999 momentum needs thousands of steps; layer augmentation and bilinear resize: "
                    "with the generator defaults one smoke run (seed 42) stayed at chance on the held-out "
                    "images (test accuracy 0.25, val_loss up to 47) while training accuracy rose, the "
                    "random-init BatchNorm mismatch on 168 images; tests/test_pipeline.py covers the generator "
                    "augmentation"),
    notes=("The paper's 'accuracy' (99.42%) is the mean of per-class one-vs-rest accuracies; the standard "
           "accuracy implied by Table 3 is 1859/1881 = 98.83%, which the text's own error rate "
           "(1.17%, 22 of 1,881, Kesimpulan) also gives.",
           "Table 3 gives one-vs-rest counts only, so the full 4x4 confusion matrix is not published.",
           "Table 2's validation accuracies are not counts out of the 1,881 validation images of Table 1: no "
           "k/1881 rounds to any of them. All five are counts out of 1,856 = 58 x 32 (1747, 1822, 1835, 1840, "
           "1842), the images a generator loop with validation_steps = samples // 32 scores; hence "
           "val_steps=floor. The test set was scored whole (Table 3 rows sum to 1,881).",
           "Table 2's training accuracies fit all 8,777 training images per epoch; 8,768 = 274 x 32 every "
           "epoch is ruled out by epoch 5 (no k/8768 rounds to 0.9842). At 4 decimals, denominators near "
           "8,777 are weak evidence otherwise.",
           "Table 3 fixes the errors but not who was confused with whom: two 4x4 matrices fit it (Normal to "
           "Pneumonia 16 or 15 of Normal's 17 errors).",
           "The paper names Kaggle (NIH Chest X-Ray + SIIM) but not the dataset; no copy is available here.",
           "Keras logs training accuracy unweighted while the training loss carries the class weights."),
)

if __name__ == "__main__":
    raise SystemExit(main(STUDY))
