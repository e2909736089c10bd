"""Uly, Hendry & Iriani 2023: ResNet50-LSTM hybrid vs ResNet50 vs LSTM for COVID-19 X-rays.

Novem Berlian Uly, Hendry, Ade Iriani, "Hybrid Model CNN-RNN untuk Diagnosis COVID-19 pada
Citra X-Ray" (English title "CNN-RNN Hybrid Model for Diagnosis of COVID-19 on X-Ray Imagery"),
Digital Zone: Jurnal Teknologi Informasi dan Komunikasi 14(1), 2023. The supplied text carries
the title but not the authors, venue or a DOI; those come from the journal's first page (see
``CITATION``). No DOI is printed in the supplied text, and none is invented here.

Run: ``python -m reproductions.uly2023 --help``.
"""

from __future__ import annotations

from collections.abc import Mapping

from lungxray.run.runner import main
from lungxray.spec.study import (
    AugmentConfig,
    Evidence,
    Experiment,
    ImageConfig,
    ModelConfig,
    Published,
    PublishedMetric,
    RateSeries,
    RunConfig,
    ScoreSet,
    Smoke,
    SplitConfig,
    Study,
    TrainConfig,
    Variant,
)

CITATION = ("N. B. Uly, Hendry, A. Iriani. Hybrid Model CNN-RNN untuk Diagnosis COVID-19 pada Citra X-Ray "
            "(CNN-RNN Hybrid Model for Diagnosis of COVID-19 on X-Ray Imagery). Digital Zone: Jurnal Teknologi "
            "Informasi dan Komunikasi 14(1), 2023 (E-ISSN 2477-3255). No DOI is printed in the paper text.")

CLASSES = ("Normal", "COVID")  # labels Normal 0, COVID 1 (Section 2.2); sigmoid output = P(COVID)

VARIANTS = (
    Variant("subset", "Which 500 images of each class: '500 citra dipakai untuk dataset Covid-19' (Section 2.1), "
            "the selection is not stated.",
            {"first": "the first 500 of each class in natural file-name order (COVID-1, COVID-2, ... COVID-500)",
             "first-lexicographic": "the first 500 of each class in plain sorted() order (COVID-1, COVID-10, "
                                    "COVID-100, COVID-1000, ...), what sorted(os.listdir()) or sorted(glob()) gives",
             "random": "a seeded random sample of 500 per class"}, "first",
            "Section 2.1 says the 1,000 images 'disimpan pada Google Drive untuk selanjutnya digunakan': the subset "
            "was made before the code ran, which suggests files copied by hand, and file managers (Windows Explorer, "
            "macOS Finder) list COVID-2 before COVID-10, the natural order. A subset taken in code would be "
            "sorted(...)[:500], the lexicographic order (first-lexicographic); os.listdir() alone has no defined "
            "order. Neither is stated; a random sample is a third reading. Each run states which it used"),
    Variant("sequence", "How the ResNet50 feature map becomes a sequence: 'di Reshape ukuran matriks menjadi 2x2 "
            "... yaitu 2048' (Section 2.3), but a 224 input gives a 7x7x2048 map.",
            {"positions": "7x7x2048 -> 49 time steps of 2048 features",
             "pool2x2": "average-pooled to 2x2x2048 -> 4 time steps of 2048 features (the text's 2x2)"},
            "positions", "the reading that fits the stated 224x224 input (Section 2.2) without a pooling layer "
            "the text never names"),
    Variant("backbone", "Which ResNet50: the paper names neither its weights nor whether it trains ('ResNet50 "
            "bertindak sebagai pendeteksi fitur yang handal', Section 2.3); 'pretrained', 'ImageNet' and 'transfer' "
            "never describe its own model.",
            {"frozen": "ImageNet ResNet50 frozen; only the LSTM/head trains",
             "trainable": "ImageNet ResNet50, all layers train too",
             "scratch": "ResNet50 from random initialisation, trained end to end with the head (no pretrained part: "
                        "--weights does not apply), on the /255 inputs Section 2.2 states"},
            "frozen",
            "Evidence both ways. For ImageNet weights: Keras' keras.applications.ResNet50() loads ImageNet weights "
            "unless told weights=None, so an author calling it need not mention them, and the related work the "
            "paper extends (ref [9], 'CNN dengan prapelatihan VGG19, ResNet152V2') is pretrained; frozen, because "
            "a 'pendeteksi fitur yang handal' (reliable feature detector) feeding the LSTM reads as a fixed feature "
            "extractor. For scratch: the paper never says pretrained, ImageNet or transfer about its model "
            "('transfer learning' appears only about ref [8]); its inputs are divided by 255 (Section 2.2), not "
            "ResNet50's own preprocess_input that ImageNet weights expect; and Section 2.3 describes the network "
            "layer by layer (zero padding, 7x7 convolution with stride 2, batch normalisation, ReLU, 3x3 max "
            "pooling, convolutional and identity blocks) as one being built. Which reading Table 2's log (ResNet50 "
            "alone: training accuracy 0.78, validation 0.86 after 15 epochs) fits can be measured only with runs "
            "of both on the paper's data; none is committed yet (ImageNet weights cannot be fetched where the "
            "committed runs were made). The default keeps Keras' default weights, frozen"),
    Variant("scaling", "Input scaling: 'gambar di normalisasi dengan membagi img array dengan 255' (Section 2.2), "
            "not ResNet50's own preprocess_input (BGR, ImageNet mean subtracted).",
            {"rescale": "[0, 1] pixels (/255), as the paper did",
             "resnet50": "keras.applications.resnet50.preprocess_input, what ImageNet ResNet50 weights expect"},
            "rescale", "Section 2.2 divides by 255 and names no other scaling",
            departs={"resnet50": "the backbone's own preprocessing instead of the paper's /255"}),
    Variant("dropout", "Dropout rate: 'layer Dropout digunakan untuk mencegah model dari overfitting' "
            "(Section 2.3), rate not given.", {"0.5": "0.5", "0.2": "0.2"}, "0.5",
            "the rate of the original dropout paper and Keras examples"),
    Variant("lstm_input", "How the LSTM-only model ('kedua LSTM', Section 3) reads an image: not described.",
            {"rows": "each of the 224 rows is a time step of 224x3 features",
             "rows-grey": "each row of the grey image is a time step of 224 features"}, "rows",
            "rows as time steps is the usual reading; the images are given as 3 channels (Section 2.2)"),
    Variant("selection", "Which epoch is evaluated: 'nilai Accuracy tertinggi dan Loss terendah pada data "
            "validasi' (Section 3) and 'melihat hasil nilai akurasi validasi tertinggi' (Section 3.2); one Keras "
            "ModelCheckpoint follows one monitor.",
            {"val_accuracy": "highest validation accuracy (the first epoch reaching it)",
             "val_loss": "lowest validation loss", "last": "the weights after epoch 15"}, "val_accuracy",
            "Section 3.2 picks 'the model with the best accuracy' by the highest validation accuracy and only then "
            "compares losses, and Section 3 names accuracy first: ModelCheckpoint(monitor='val_accuracy')",
            departs={"last": "no best-epoch selection, where the paper selects one"}),
)


def _base(v: Mapping[str, str], model: ModelConfig, pretrained: bool = True) -> RunConfig:
    scaling = v["scaling"] if pretrained else "rescale"  # the LSTM alone has no ImageNet part
    return RunConfig(
        dataset="covid19-radiography",
        classes=CLASSES,
        # stratified: Section 3.3's test set is exactly 50 COVID + 50 Normal
        split=SplitConfig("stratified", holdout=0.2, val_fraction=0.5, val_from="holdout"),
        image=ImageConfig(224, "rgb", "bilinear", scaling),
        augment=AugmentConfig(),  # no augmentation is mentioned
        model=model,
        train=TrainConfig("adam", 1e-3, batch_size=32, epochs=15,
                          select_best=None if v["selection"] == "last" else v["selection"]),
        binary_positive="COVID",
        per_class_limit=500,
        subset_selection=v["subset"],
    )


def resnet50_lstm(v: Mapping[str, str]) -> RunConfig:
    return _base(v, ModelConfig("cnn_lstm_classifier", {"arch": "resnet50", "sequence": v["sequence"],
                                                        "units": (32, 16, 8), "dropout": float(v["dropout"]),
                                                        "frozen": v["backbone"] == "frozen"},
                                uses_pretrained=v["backbone"] != "scratch"))


def resnet50(v: Mapping[str, str]) -> RunConfig:
    return _base(v, ModelConfig("cnn_classifier", {"arch": "resnet50", "head": "gap-dropout",
                                                   "dropout": float(v["dropout"]),
                                                   "frozen": v["backbone"] == "frozen"},
                                uses_pretrained=v["backbone"] != "scratch"))


def lstm(v: Mapping[str, str]) -> RunConfig:
    return _base(v, ModelConfig("lstm_classifier", {"sequence": v["lstm_input"], "units": (32, 16, 8),
                                                    "dropout": float(v["dropout"])}, uses_pretrained=False),
                 pretrained=False)


# --- published numbers ---------------------------------------------------------------------------
MODELS = ("resnet50", "lstm", "resnet50_lstm")
# Section 2.1 / abstract: the data; abstract, Sections 2.2 and 3.1: the 80/10/10 split; Section 3.3: the test set's classes
DATASET = {"COVID": 500, "Normal": 500}
SPLIT = {"train": 0.8, "val": 0.1, "test": 0.1}
SPLIT_SIZES = {k: round(f * sum(DATASET.values())) for k, f in SPLIT.items()}  # 800 / 100 / 100
TEST_COUNTS = {"COVID": 50, "Normal": 50}  # Section 3.3, "100 data ... 50 ... Covid-19 dan 50 ... Normal"
# Table 2: the logged loss/accuracy of each model, printed with 4 decimals, and the set each is measured on
TABLE2_COLUMNS = ("loss", "accuracy", "val_loss", "val_accuracy")  # Keras history keys
TABLE2 = {"resnet50": (0.5702, 0.7800, 0.5473, 0.8600), "lstm": (0.5090, 0.7650, 0.5446, 0.7400),
          "resnet50_lstm": (0.2938, 0.9150, 0.3150, 0.9100)}
TABLE2_DECIMALS = 4
TABLE2_MEASURED_ON = {"loss": ("train", SPLIT_SIZES["train"]), "accuracy": ("train", SPLIT_SIZES["train"]),
                      "val_loss": ("val", SPLIT_SIZES["val"]), "val_accuracy": ("val", SPLIT_SIZES["val"])}
# Figures 3-5 plot per-epoch loss and accuracy of the three models over 15 epochs; no value survives in the
# text, so there is no per-epoch series to declare
PER_EPOCH_SERIES: dict[str, dict[str, tuple[float, ...]]] = {}
# Tables 3-5: confusion matrices as printed (COVID row first, then Normal; columns COVID, Normal)
PRINTED_CM = {"resnet50": ((47, 3), (4, 46)), "lstm": ((42, 8), (8, 42)), "resnet50_lstm": ((47, 3), (2, 48))}
# Table 6: accuracy, precision, recall, F1 (COVID positive, formulas (1)-(4)), printed with 2 decimals
TABLE6 = {"resnet50": (0.93, 0.92, 0.94, 0.93), "lstm": (0.84, 0.84, 0.84, 0.84),
          "resnet50_lstm": (0.95, 0.96, 0.94, 0.95)}
TRIPLES = {m: {"accuracy": a, "precision": p, "recall": r, "n": SPLIT_SIZES["test"]}
           for m, (a, p, r, _f) in TABLE6.items()}
ABSTRACT = {"accuracy": 0.95, "precision": 0.96, "recall": 0.94, "f1": 0.95}  # the ResNet50-LSTM, as percentages
# Table 7 (earlier work as the paper reports it): images, task, accuracy, precision, recall, F1 (None = '-')
TABLE7 = {"Swastika (VGG16)": (140, "binary", 0.93, 1.00, 0.86, None),
          "Naufal et al. (KNN, SVM, CNN)": (3886, "multi-class", 0.95, 0.95, 0.95, 0.95),
          "Hartato (CNN)": (2905, "multi-class", 0.97, 0.97, 0.98, None),
          "Harahap et al. (ResNet50V2, ...)": (550, "binary", 0.95, 0.96, 0.97, 0.96),
          "Kanjanasurat et al. (ResNet152V2 + LSTM + GRU)": (9271 + 6939, "multi-class", 0.93, 0.94, 0.93, 0.94),
          "proposed (ResNet50 + LSTM)": (1000, "binary", 0.95, 0.96, 0.94, 0.95)}
# Introduction: ref [5] (Swastika, VGG16) "dengan tingkat sebesar 92,86% dan tingkat sensitivitas sebesar 85,71%";
# Table 7 lists the same work with 140 X-rays
REF5 = {"accuracy": 0.9286, "sensitivity": 0.8571, "images": 140}
# Introduction: ref [9] (Kanjanasurat et al.), restated in Section 3.3's comparison
REF9 = {"images": 16210, "classes": {"COVID-19": 5252, "pneumonia": 6154, "normal": 4804},
        "accuracy": 0.9337, "f1": 0.9354, "precision": 0.9373, "recall": 0.9347}
TOL = 0.05
TOL_REASON = ("Table 6 ranks the models (accuracy: ResNet50-LSTM 0.95, ResNet50 0.93, LSTM 0.84) and the LSTM's claim "
              "is that it is clearly the weakest, 0.09 below the next model; a difference of 0.05, about half that "
              "gap, would leave the reproduced LSTM nearer ResNet50's figure than the paper's: the smallest gap that "
              "matters. The hybrid's 0.02 lead over ResNet50 is below what one 100-image test set resolves (one "
              "image is 0.01; 1.645 sd of a 0.84 on 100 images is 0.06), so the same 0.05 is kept for all three "
              "models, knowing that against 100 test images equivalence at it is untestable for most rows "
              "(--list-variants and the verdicts say which)")

EVIDENCE = Evidence(
    # Table 6 (COVID positive, formulas (1)-(4)) on Section 3.3's test set of 50 COVID + 50 Normal: whether the four
    # figures are attainable together on it (the composition is known, so no implied-prevalence reading is needed)
    scores=tuple(ScoreSet(f"Table 6, {m}", "Table 6 vs Section 3.3", TEST_COUNTS["COVID"], TEST_COUNTS["Normal"],
                          dict(zip(("accuracy", "precision", "recall", "f1"), TABLE6[m], strict=True)), 2, experiment=m)
                 for m in MODELS),
    # Table 2: Keras' logged accuracies are counts over the set they were measured on
    rates=tuple(RateSeries(f"Table 2 '{col}' (three models)", "Table 2",
                           tuple(TABLE2[m][TABLE2_COLUMNS.index(col)] for m in MODELS), TABLE2_DECIMALS,
                           TABLE2_MEASURED_ON[col][1], batch_mean=False)
                for col in ("accuracy", "val_accuracy")),
)


def _in_our_order(cm):  # printed (COVID, Normal) -> ours (Normal, COVID)
    (cc, cn), (nc, nn) = cm
    return ((nn, nc), (cn, cc))


def _published(name: str) -> Published:
    acc, prec, rec, f1 = TABLE6[name]
    return Published(
        metrics=(PublishedMetric("accuracy", acc, "Table 6", "Accuracy", TOL, tolerance_reason=TOL_REASON),
                 PublishedMetric("precision", prec, "Table 6", "Precision (COVID)", TOL, tolerance_reason=TOL_REASON),
                 PublishedMetric("recall", rec, "Table 6", "Recall (COVID)", TOL, tolerance_reason=TOL_REASON),
                 PublishedMetric("f1", f1, "Table 6", "F1 (COVID)", TOL, tolerance_reason=TOL_REASON)),
        primary="accuracy",  # the figure Table 6 and the text rank the three models by
        confusion_matrix=_in_our_order(PRINTED_CM[name]),
        confusion_source=f"Table {3 + MODELS.index(name)}, reordered to Normal, COVID",
        final_epoch=dict(zip(TABLE2_COLUMNS, TABLE2[name], strict=True)),
        final_epoch_source="Table 2",
        tables={"table2": TABLE2[name], "printed_confusion_matrix": PRINTED_CM[name], "table6": TABLE6[name]},
    )


def _better(a: str, b: str, col: str) -> bool:
    """Whether model a beats model b on a Table 2 column (lower loss, higher accuracy)."""
    i = TABLE2_COLUMNS.index(col)
    return TABLE2[a][i] < TABLE2[b][i] if "loss" in col else TABLE2[a][i] > TABLE2[b][i]


def _cells(models: tuple[str, ...], cols: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """The Table 2 cells a statement compares (its evidence)."""
    return {m: {c: TABLE2[m][TABLE2_COLUMNS.index(c)] for c in cols} for m in models}


def _table2_statements() -> list[tuple[str, str, bool, str, dict]]:
    """Section 3.2's comparative statements about Table 2: (source, statement, stated, severity if wrong, cells)."""
    s32 = "Section 3.2, after Table 2"
    pair = ("resnet50", "lstm")
    out = [
        (s32, "ResNet50 has a lower training loss than LSTM (said twice)", _better("resnet50", "lstm", "loss"),
         "minor", _cells(pair, ("loss",))),
        (s32, "ResNet50 has a higher training accuracy than LSTM", _better("resnet50", "lstm", "accuracy"), "minor",
         _cells(pair, ("accuracy",))),
        (s32, "ResNet50 has a higher validation loss than LSTM", _better("lstm", "resnet50", "val_loss"), "minor",
         _cells(pair, ("val_loss",))),
        (s32, "ResNet50 has a higher validation accuracy than LSTM", _better("resnet50", "lstm", "val_accuracy"),
         "minor", _cells(pair, ("val_accuracy",))),
    ]
    for col in TABLE2_COLUMNS:
        out.append((s32, f"ResNet50-LSTM is better than ResNet50 and LSTM on {col}",
                    all(_better("resnet50_lstm", m, col) for m in ("resnet50", "lstm")), "minor",
                    _cells(MODELS, (col,))))
    # 'paling baik' (best) for ResNet50: best of the three on at least one column of Table 2 or Table 6
    best_t6 = any(all(TABLE6["resnet50"][i] > TABLE6[m][i] for m in ("lstm", "resnet50_lstm")) for i in range(4))
    # its reason ('tidak mengalami overfitting') agrees with Table 2 (only ResNet50's validation loss is below its
    # training loss); the clash is with Section 3.3 and the Conclusion, which name ResNet50-LSTM the best
    out.append((s32, "ResNet50 is the best model ('paling baik', as it does not overfit), while Section 3.3 and "
                "the Conclusion name ResNet50-LSTM the best",
                best_t6 or any(all(_better("resnet50", m, c) for m in ("lstm", "resnet50_lstm"))
                               for c in TABLE2_COLUMNS), "minor", {"table2": TABLE2, "table6": TABLE6}))
    return out


def _overfits(m: str) -> bool:
    """The paper's own test (Section 3.2): validation loss above training loss."""
    return TABLE2[m][2] > TABLE2[m][0]


def _table_claims() -> list:
    """Tables 2-6 against the split and each other, and the text's reading of Table 2."""
    from lungxray.audit.claims import claim, prose

    sid, out = "uly2023", []
    for name, cm in PRINTED_CM.items():
        t = f"Table {3 + MODELS.index(name)}"
        out.append(claim(sid, t, f"{name}: 100 test images (50 + 50)", SPLIT_SIZES["test"], sum(map(sum, cm)), 0,
                         severity="major"))
        out.append(claim(sid, t, f"{name}: 50 COVID test images", TEST_COUNTS["COVID"], sum(cm[0]), 0,
                         severity="major"))
    out.append(prose(sid, "Section 3.3", "100 test images = 10% of the 1,000", SPLIT_SIZES["test"],
                     SPLIT["test"] * sum(DATASET.values()), 0))
    for key, val in ABSTRACT.items():
        tab = TABLE6["resnet50_lstm"][("accuracy", "precision", "recall", "f1").index(key)]
        out.append(prose(sid, "Abstract vs Table 6", f"ResNet50-LSTM {key} {val:.0%}", val, tab, 0.005,
                         experiment="resnet50_lstm", metric=key))
    for col, val in zip(TABLE2_COLUMNS, TABLE2["resnet50_lstm"], strict=True):
        out.append(prose(sid, "Section 3.2 and Conclusion vs Table 2", f"ResNet50-LSTM {col} {val:.4f}", val,
                         TABLE2["resnet50_lstm"][TABLE2_COLUMNS.index(col)], 0, experiment="resnet50_lstm"))
    for src, text, stated, sev, cells in _table2_statements():
        out.append(prose(sid, src, text, 1, float(stated), 0, "1 = Table 2 agrees, 0 = Table 2 says the opposite",
                         severity=sev, evidence=cells))
    for src, m, says in (("Section 3.2, Figure 3", "resnet50", False), ("Section 3.2, Figure 4", "lstm", True),
                         ("Section 3.2 after Table 2; Abstract; Conclusion", "resnet50_lstm", True)):
        out.append(prose(sid, src, f"{m} {'overfits' if says else 'does not overfit'} (validation loss above "
                         "training loss)", float(says), float(_overfits(m)), 0, severity="major",
                         evidence={"loss": TABLE2[m][0], "val_loss": TABLE2[m][2]}))
    return out


def _table6_claims() -> list:
    """The text's reading of Tables 5 and 6."""
    from lungxray.audit.claims import prose

    sid, out = "uly2023", []
    # Table 6 prose
    cm_correct = {m: cm[0][0] + cm[1][1] for m, cm in PRINTED_CM.items()}
    out.append(prose(sid, "Section 3.3, after Table 6", "ResNet50-LSTM predicts 95% of the test data correctly", 0.95,
                     cm_correct["resnet50_lstm"] / SPLIT_SIZES["test"], 0.005))
    out.append(prose(sid, "Section 3.3, after Table 6", "ResNet50-LSTM has the highest accuracy, precision and F1",
                     1, float(all(TABLE6["resnet50_lstm"][i] > TABLE6[m][i] for i in (0, 1, 3)
                                  for m in ("resnet50", "lstm"))), 0))
    out.append(prose(sid, "Section 3.3, after Table 5", "ResNet50-LSTM has the most correct predictions", 1,
                     float(cm_correct["resnet50_lstm"] == max(cm_correct.values())), 0))
    out.append(prose(sid, "Section 3.3, after Table 6", "LSTM: accuracy, precision, recall and F1 all 0.84", 0.84,
                     max(TABLE6["lstm"]), 0.005))
    return out


def _earlier_work_claims() -> list:
    """Table 7's earlier work against the Introduction."""
    from lungxray.audit.claims import prose

    sid, out = "uly2023", []
    # comparison with earlier work
    for key in ("accuracy", "precision", "recall", "f1"):
        t7 = TABLE7["Kanjanasurat et al. (ResNet152V2 + LSTM + GRU)"][2 + ("accuracy", "precision", "recall",
                                                                           "f1").index(key)]
        out.append(prose(sid, "Table 7 vs Introduction ref [9]", f"ResNet152V2-LSTM/GRU {key}", t7, REF9[key], 0.005))
    out.append(prose(sid, "Introduction ref [9]", "16,210 images = 5,252 + 6,154 + 4,804", REF9["images"],
                     sum(REF9["classes"].values()), 0))
    out.append(prose(sid, "Table 7 vs Introduction ref [9]", "9,271 X-rays + 6,939 CT = 16,210 images",
                     REF9["images"], TABLE7["Kanjanasurat et al. (ResNet152V2 + LSTM + GRU)"][0], 0))
    best_acc = max(row[2] for row in TABLE7.values())
    out.append(prose(sid, "Section 3.3, comparison with earlier work", "the highest accuracy of Table 7 is the "
                     "CNN's 98%", 0.98, best_acc, 0.005, f"Table 7's highest accuracy is {best_acc:.0%} (CNN row); "
                     "98% is its recall"))
    out.append(prose(sid, "Section 3.3, comparison with earlier work", "the highest F1 of Table 7 is ResNet50V2's "
                     "96%", 0.96, max(row[5] for row in TABLE7.values() if row[5] is not None), 0.005))
    return out


def _reading_findings() -> list:
    """What a reading of the paper finds that no arithmetic shows."""
    from lungxray.audit.claims import finding

    sid, out = "uly2023", []
    # findings
    out.append(finding(sid, "Section 2.3", "the feature map is said to be reshaped to '2x2 with 2048', but a 224x224 "
                       "input gives ResNet50 a 7x7x2048 map (two readings are variants)", severity="major"))
    out.append(finding(sid, "Section 2.2", "if the ResNet50 is ImageNet-pretrained, it is fed /255 images ('gambar "
                       "di normalisasi dengan membagi img array dengan 255') instead of resnet50.preprocess_input "
                       "(BGR, ImageNet mean subtracted), inputs unlike those its filters were trained on",
                       explanation="conditional: the paper never says pretrained or ImageNet (neither word occurs; "
                       "'transfer' only about ref [8]); Keras' ResNet50 loads ImageNet weights unless told otherwise. "
                       "Under the from-scratch reading (variant backbone=scratch) /255 is an ordinary input scaling. "
                       "Variant scaling=resnet50 gives the pretrained filters their expected input",
                       severity="minor", rule="reporting", inference=True))
    out.append(finding(sid, "Section 3.2, Figure 5 text", "the same paragraph says the ResNet50-LSTM overfits and "
                       "that it does not; the Abstract and Conclusion say it overfits, and by the paper's own test "
                       "(validation loss 0.3150 above training loss 0.2938) it does", severity="major",
                       evidence={"resnet50_lstm": TABLE2["resnet50_lstm"]}))
    out.append(finding(sid, "Section 3.3, comparison with earlier work", "the ResNet50-LSTM (binary, 1,000 images) "
                       "is called superior to ResNet152V2-LSTM/GRU (multi-class, 16,210 X-ray and CT images) from "
                       "figures measured on different data and tasks", severity="major",
                       evidence={"table7": TABLE7}))
    out.append(finding(sid, "Sections 3 and 3.2", "model selection is stated as both 'highest validation accuracy' "
                       "and 'lowest validation loss'; one checkpoint cannot follow both, and Table 2 does not say "
                       "which epoch it reports (variant selection)", severity="minor"))
    out.append(finding(sid, "Sections 2.2 and 2.3", "the loss function is not named, and 'num_classes' is 2 while "
                       "the labels are 0/1 and the output is sigmoid; one sigmoid unit with binary cross-entropy "
                       "is assumed", severity="minor"))
    out.append(finding(sid, "Section 2.4 vs 3.3", "Section 2.4 computes accuracy/precision/recall/F1 on the "
                       "validation data, Section 3.3 on the 100 test images; Tables 3-6 are the test set's",
                       severity="minor"))
    out.append(finding(sid, "Introduction vs Table 7", "ref [5]'s VGG16 is described as using chest CT images, "
                       "Table 7 lists it as 140 X-rays", severity="minor"))
    return out


def _ref5_findings() -> list:
    """Ref [5]'s percentages, read as counts over its test set."""
    from lungxray.audit import forensics as F
    from lungxray.audit.claims import finding

    sid, out = "uly2023", []
    # Introduction: ref [5] detects COVID-19 "dengan tingkat sebesar 92,86% dan tingkat sensitivitas sebesar 85,71%"
    acc_ns = F.denominators(REF5["accuracy"], 4, range(1, REF5["images"] + 1))
    sens_ns = F.denominators(REF5["sensitivity"], 4, range(1, REF5["images"] + 1))
    row = TABLE7["Swastika (VGG16)"]
    fits = F.scores_on_testset({"accuracy": REF5["accuracy"], "recall": REF5["sensitivity"]}, 4, 7, 7)
    table7_fits = F.scores_on_testset({"accuracy": row[2], "precision": row[3], "recall": row[4]}, 2, 7, 7)
    out.append(finding(sid, "Introduction ref [5] vs Table 7", f"ref [5]'s 92.86% and 85.71% are 13/14 and 6/7: a "
                       f"{acc_ns[0]}-image test set, 10% of its {REF5['images']} X-rays (Table 7)",
                       explanation="'mampu mendeteksi infeksi Covid-19 dengan tingkat sebesar 92,86% dan tingkat "
                       f"sensitivitas sebesar 85,71%': the smallest set sizes on which they are counts are {acc_ns[0]} "
                       "(accuracy; also "
                       f"{', '.join(map(str, acc_ns[1:4]))}, ...) and {sens_ns[0]} (sensitivity, over the positives); "
                       f"on 7 COVID + 7 normal images TP 6, FN 1, FP 0, TN 7 gives both, and Table 7's 93% / 100% / "
                       f"86% for the same work: the earlier result Table 7 compares with rests on 14 test images, "
                       "one image being 7 percentage points",
                       severity="minor", rule="recovered-detail", tool="denominator", inference=True,
                       evidence={"accuracy_set_sizes": acc_ns[:10], "sensitivity_set_sizes": sens_ns[:10],
                                 "fits_7_plus_7": fits.to_dict(), "table7_row_on_7_plus_7": table7_fits.to_dict()}))
    return out


def audit() -> list:
    """Every record of this paper against itself."""
    return [*_table_claims(), *_table6_claims(), *_earlier_work_claims(), *_reading_findings(), *_ref5_findings()]


STUDY = Study(
    id="uly2023",
    title="Uly, Hendry & Iriani 2023 - ResNet50-LSTM hybrid for COVID-19 X-rays",
    citation=CITATION,
    dataset="covid19-radiography",
    summary="500 COVID + 500 Normal X-rays (COVID-19 Radiography Database), 80/10/10 split, /255, 224x224, "
            "grey as 3 channels; ResNet50 -> LSTM 32/16/8 -> dropout -> sigmoid, against ResNet50 alone and "
            "LSTM alone; Adam 1e-3, 15 epochs, batch 32, binary cross-entropy (loss not named); the epoch with "
            "the highest validation accuracy is tested.",
    experiments=(
        Experiment("resnet50_lstm", "ResNet50-LSTM hybrid", resnet50_lstm, _published("resnet50_lstm")),
        Experiment("resnet50", "ResNet50 with a classification head", resnet50, _published("resnet50")),
        Experiment("lstm", "LSTM alone on image rows", lstm, _published("lstm")),
    ),
    variants=VARIANTS,
    audit=audit,
    evidence=EVIDENCE,
    smoke=Smoke(per_class=40, epochs=3, image_size=64),
    notes=("With a frozen backbone and no augmentation the ResNet50 features are computed once and the head "
           "trains on them (identical predictions to the full model).",
           "The printed confusion matrices list COVID first; they are stored here in the order Normal, COVID.",
           "Table 2's figures are taken to be those of the selected epoch (highest validation accuracy, "
           "Section 3.2); the text does not say which epoch they are.",
           "Table 2's training figures are logged on the 800 training images and its validation figures on the "
           "100 validation images; Figures 3-5's per-epoch curves did not survive in the text.",
           "The test set is exactly 50 COVID + 50 Normal (Section 3.3), as a stratified split gives.",
           "The paper names no weights for its ResNet50: the default reads it as Keras' ImageNet ResNet50, frozen; "
           "backbone=scratch trains it from random initialisation end to end (no pretrained part, so --weights does "
           "not apply and such a run needs no ImageNet file); --list-variants weighs the evidence for each.",
           "The paper feeds ResNet50 /255 inputs (variant scaling=rescale); scaling=resnet50 uses the backbone's "
           "own preprocess_input. The LSTM alone always gets /255."),
)

if __name__ == "__main__":
    raise SystemExit(main(STUDY))
