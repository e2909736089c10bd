"""CNN vs CNN-LSTM for normal/abnormal chest X-rays (ChestX-ray14 + Montgomery + Shenzhen).

Indonesian journal article whose supplied text starts at the abstract: it names no authors, title,
venue, year or DOI (see ``CITATION``). Its subject: an LSTM-based image classifier for lung
disease detection compared with a CNN; keywords "Convolutional Neural Network (CNN); Long
Short-Term Memory (LSTM); Paru-Paru". The paper has no tables: its results are in
the running text of its Results (HASIL) section, its data counts and split in its Methods (METODE).

Run: ``python -m reproductions.cnn_vs_lstm --help``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from lungxray.run.runner import main
from lungxray.spec.study import (
    AugmentConfig,
    BinaryRates,
    Evidence,
    Experiment,
    ImageConfig,
    ModelConfig,
    Published,
    PublishedMetric,
    RunConfig,
    Smoke,
    SplitConfig,
    Study,
    TrainConfig,
    Variant,
)

CITATION = ("Authors, title, venue, year and DOI are not printed in the supplied text (it begins at the abstract). "
            "Abstract: 'analyse the performance of image classification models for lung disease detection using "
            "LSTM ... and compare it with ... CNN'; keywords CNN; LSTM; Paru-Paru. It cites work of 2024, so it "
            "appeared in 2024 or later. (Outside the text: a Garuda index page lists the same abstract under "
            "Jurnal Ilmiah Universitas Batanghari Jambi; not verified here.)")

CLASSES = ("normal", "abnormal")
POSITIVE = "abnormal"  # the class whose precision/recall the Methods define ("kasus positif" = disease)
AUGMENT = {"mild": AugmentConfig(rotation_deg=10, hflip=True, zoom=0.1, shift=0.1),
           "strong": AugmentConfig(rotation_deg=20, hflip=True, zoom=0.2, shift=0.2),
           "none": AugmentConfig()}
# ReduceLROnPlateau on validation loss: (factor, patience)
REDUCE_LR = {"f0.1-p10": (0.1, 10), "f0.1-p2": (0.1, 2), "f0.5-p3": (0.5, 3)}
# the paper's precision/recall/F1 and the reproduced metric keys of each reading
READINGS = {"positive": {"precision": f"precision[{POSITIVE}]", "recall": f"recall[{POSITIVE}]",
                         "f1": f"f1[{POSITIVE}]"},
            "macro": {"precision": "macro_precision", "recall": "macro_recall", "f1": "macro_f1"}}

VARIANTS = (
    Variant("sources", "Which datasets are combined ('Data dari ketiga dataset ini digabungkan', Methods).",
            {"nih+montgomery+shenzhen": "all three, as the paper describes",
             "nih-only": "ChestX-ray14 alone (what can be had offline here, as a 64-pixel subset)"},
            "nih+montgomery+shenzhen", "the paper's description (Methods: three datasets combined)",
            departs={"nih-only": "NIH ChestX-ray14 only, without Montgomery and Shenzhen"}),
    Variant("split", "Unit of the 70:15:15 split ('dibagi ... dengan perbandingan 70:15:15', Methods): images "
            "or patients is not said; an image split puts one NIH patient's images in several splits.",
            {"images": "by image, as the paper describes (stratification is not said; stratified here)",
             "patients": "grouped by patient (NIH 'Patient ID'): no patient in two splits (corrected)"},
            "images", "the text splits the combined data and names no patient grouping; 'patients' is the "
            "corrected variant",
            departs={"patients": "corrected patient-level split instead of the paper's image-level split"}),
    Variant("metrics", "Which precision/recall/F1 the printed figures are. The Methods define them for the "
            "positive class ('proporsi gambar yang benar-benar positif dari semua gambar yang diprediksi "
            "positif'); no averaging over classes is mentioned.",
            {"positive": "precision, recall and F1 of the abnormal (positive) class, as the Methods define them",
             "macro": "unweighted mean over normal and abnormal"},
            "positive", "the Methods' definitions (Presisi, Recall) are positive-class ones, and the printed F1s "
            "equal 2PR/(P+R) of the printed P and R to the last printed decimal, exact for one class by definition "
            "and only approximate for macro averages; both readings are in every result",
            departs={"macro": "macro averages instead of the positive-class metrics the paper defines"}),
    Variant("augmentation", "'rotasi, flipping, zooming, dan shifting' (Methods, pre-processing): parameters "
            "not given.",
            {"mild": "rotation ±10°, horizontal flip, zoom ±10%, shift ±10%",
             "strong": "rotation ±20°, horizontal flip, zoom ±20%, shift ±20%", "none": "no augmentation"},
            "mild", "the four named operations at modest strengths usual for chest X-rays",
            departs={"none": "no augmentation, though the paper augments"}),
    Variant("filters", "'beberapa lapisan konvolusi ... filter berukuran 3x3' (Methods, CNN): number and "
            "widths not given.",
            {"32-64-128": "three 3x3 conv + 2x2 max-pool blocks with 32, 64, 128 filters",
             "32-64-128-256": "four blocks, 32 to 256 filters"}, "32-64-128",
            "several 3x3 conv + pooling blocks, the smallest common stack"),
    Variant("dense", "'beberapa lapisan fully connected' (Methods, CNN): widths not given.",
            {"128": "128", "256": "256"}, "128",
            "one hidden fully connected layer before the output layer makes the 'several' (two) FC layers"),
    Variant("lstm_units", "'terdiri dari beberapa lapisan LSTM' (Methods, LSTM model): several LSTM layers, "
            "sizes not given.",
            {"64-32": "LSTM 64 -> LSTM 32 over feature-map rows", "128-64": "LSTM 128 -> LSTM 64",
             "64": "one LSTM of 64 units"}, "64-32",
            "'beberapa lapisan LSTM' means more than one LSTM layer; two is the fewest that fits",
            departs={"64": "a single LSTM layer, where the paper has several"}),
    Variant("dropout", "'Dropout layer ditambahkan' (Methods, training the CNN): rate not given.",
            {"0.5": "0.5", "0.3": "0.3"}, "0.5", "the rate of the original dropout paper and Keras examples"),
    Variant("learning_rate", "Adam's initial learning rate (not given; Methods only name Adam).",
            {"1e-3": "1e-3", "1e-4": "1e-4"}, "1e-3", "Adam's default in Keras and PyTorch"),
    Variant("batch_size", "'dengan batch size tertentu' (Methods, training the CNN): a batch size, not given.",
            {"32": "32", "16": "16", "64": "64"}, "32",
            "Keras Model.fit's default batch size (TensorFlow is the first framework the Methods name)"),
    Variant("reduce_lr", "'learning rate yang disesuaikan secara dinamis berdasarkan performa model pada data "
            "validasi' (Methods, training the CNN): a plateau schedule, factor and patience not given.",
            {"f0.1-p10": "ReduceLROnPlateau on val_loss, factor 0.1, patience 10",
             "f0.1-p2": "factor 0.1, patience 2", "f0.5-p3": "factor 0.5, patience 3"}, "f0.1-p10",
            "factor 0.1 and patience 10 are the ReduceLROnPlateau defaults of both frameworks the Methods name "
            "(TensorFlow/Keras and PyTorch), the only reading that invents no number; val_loss is Keras' default "
            "monitor. Against it: within the default 20 epochs, patience 10 allows one reduction at most (the "
            "earliest at epoch 11; a second would need 10 more epochs without improvement), so the rate the Methods "
            "call 'disesuaikan secara dinamis' changes once or never; f0.1-p2 and f0.5-p3 adjust it repeatedly. "
            "The text gives the schedule for the CNN only; the CNN-LSTM gets the same so that the two are trained "
            "alike"),
    Variant("epochs", "'jumlah epoch yang ditentukan' (Methods, training the CNN): number not given.",
            {"20": "20", "50": "50"}, "20", "no number is given; 20 epochs with the plateau schedule"),
    Variant("selection", "Which weights are tested: the text names no checkpoint or best-epoch rule "
            "(validation data serve 'tuning parameter model', Methods).",
            {"last": "the weights after the last epoch", "val_loss": "the epoch with the lowest validation loss"},
            "last", "no best-epoch selection is described; the last epoch's weights are what training leaves",
            departs={"val_loss": "restores the best validation-loss epoch, which the paper does not describe"}),
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
        factor, patience = REDUCE_LR[v["reduce_lr"]]
        chosen, other = READINGS[v["metrics"]], READINGS["macro" if v["metrics"] == "positive" else "positive"]
        return RunConfig(
            dataset="cxr-combined" if v["sources"] == "nih+montgomery+shenzhen" else "nih-chestxray14",
            classes=CLASSES,
            split=SplitConfig("stratified" if v["split"] == "images" else "grouped", 0.30, 0.5, "holdout"),
            image=ImageConfig(224, "grayscale", "bilinear", "rescale"),
            augment=AUGMENT[v["augmentation"]],
            model=mc,
            train=TrainConfig("adam", float(v["learning_rate"]), batch_size=int(v["batch_size"]),
                              epochs=int(v["epochs"]), reduce_lr_patience=patience, reduce_lr_factor=factor,
                              reduce_lr_monitor="val_loss",
                              select_best=None if v["selection"] == "last" else v["selection"]),
            compare_as={READINGS["positive"][m]: (chosen[m], other[m]) for m in ("precision", "recall", "f1")},
        )
    return configure


# --- published numbers (Results, running text; no table) -------------------------------------------
# accuracy, precision, recall, F1 as printed (percentages with one decimal)
PUBLISHED = {"cnn": (0.925, 0.908, 0.897, 0.902), "cnn_lstm": (0.941, 0.925, 0.919, 0.922)}
PUBLISHED_DECIMALS = 3  # as fractions
# accuracy/precision/recall triples (positive class = abnormal), for the implied-prevalence tool
TRIPLES = {name: {"accuracy": a, "precision": p, "recall": r} for name, (a, p, r, _f) in PUBLISHED.items()}
# Methods, data collection: the three sources as described (normal/abnormal), and the split
SOURCES = {
    "chestxray14": {"total": None, "total_more_than": 100_000, "normal": None, "abnormal": None},
    "montgomery": {"total": 138, "normal": 80, "abnormal": 58},  # "sekitar 138 gambar"
    "shenzhen": {"total": 662, "normal": 336, "abnormal": 326},  # as printed: 326 tuberculosis, 336 normal
}
SPLIT = {"train": 0.70, "val": 0.15, "test": 0.15}
TOL = 0.02
TOL_REASON = ("the paper's claim is that the CNN-LSTM beats the CNN on all four figures, by 0.016 to 0.022 "
              "(accuracy 0.941 vs 0.925); a reproduced figure 0.02 away from the paper's could reverse that ranking, "
              "so 0.02 is the smallest gap that matters. (The earlier 0.03 allowed for retraining noise, which the "
              "interval now carries.) The paper states no test-set size, so its own sampling noise is not counted")
# The abnormal share of the data the Methods describe, if all of it was used: ChestX-ray14's release has
# 51,759 images with a finding of 112,120 (Data_Entry_2017.csv; the dataset registry's counts), Montgomery
# 58 of 138 and Shenzhen 336 of 662 tuberculosis (the releases; the paper prints Shenzhen's two counts swapped).
DESCRIBED = {"abnormal": 51_759 + 58 + 336, "all": 112_120 + 138 + 662}

EVIDENCE = Evidence(binary=tuple(
    BinaryRates(f"Results, {name}", "Results", t["accuracy"], t["precision"], t["recall"], PUBLISHED_DECIMALS,
                DESCRIBED["abnormal"] / DESCRIBED["all"], experiment=name,
                described_if=f"the described share ({DESCRIBED['abnormal']:,} abnormal of {DESCRIBED['all']:,}, "
                "0.4619) holds only if all 112,120 ChestX-ray14 images were used, which the paper does not say "
                "('lebih dari 100.000'; see the finding on how many were used)")
    for name, t in TRIPLES.items()))


def _published(name: str) -> Published:
    acc, p, r, f = PUBLISHED[name]
    return Published(metrics=(
        PublishedMetric("accuracy", acc, "Results", "Accuracy", TOL, tolerance_reason=TOL_REASON),
        PublishedMetric(f"precision[{POSITIVE}]", p, "Results", "Precision", TOL, tolerance_reason=TOL_REASON),
        PublishedMetric(f"recall[{POSITIVE}]", r, "Results", "Recall", TOL, tolerance_reason=TOL_REASON),
        PublishedMetric(f"f1[{POSITIVE}]", f, "Results", "F1-score", TOL, tolerance_reason=TOL_REASON),
    ), primary="accuracy", tables={"accuracy_precision_recall_f1": PUBLISHED[name], "sources": SOURCES, "split": SPLIT})


def audit() -> list:
    from lungxray.audit.claims import finding, prose

    sid, out = "cnn_vs_lstm", []
    for src in ("montgomery", "shenzhen"):
        s = SOURCES[src]
        out.append(prose(sid, "Methods, data collection", f"{src}: {s['total']} images = {s['normal']} normal + "
                         f"{s['abnormal']} abnormal", s["total"], s["normal"] + s["abnormal"], 0,
                         f"the printed classes sum to {s['normal'] + s['abnormal']}", severity="minor"))
    cnn, lstm = PUBLISHED["cnn"], PUBLISHED["cnn_lstm"]
    out.append(prose(sid, "Results", "the (CNN-)LSTM is better than the CNN on all four metrics ('hasil yang lebih "
                     "baik secara keseluruhan')", 1, float(all(b > a for a, b in zip(cnn, lstm, strict=True))), 0,
                     "1 = every metric of the CNN-LSTM is higher", severity="minor",
                     evidence={"cnn": cnn, "cnn_lstm": lstm}))
    out.append(finding(sid, "Methods, data collection", "Shenzhen is printed as 326 tuberculosis and 336 normal "
                       "images; NLM's release has 326 normal and 336 tuberculosis", severity="minor",
                       evidence={"printed": SOURCES["shenzhen"], "release": {"normal": 326, "abnormal": 336}}))
    out.append(finding(sid, "Methods, data split", "the combined data are split 70:15:15 ('dibagi ... dengan "
                       "perbandingan 70:15:15') with no patient grouping named; ChestX-ray14 has 112,120 images of "
                       "30,805 patients, so an image split would put one patient's images in training and test (the "
                       "corrected variant split=patients avoids it)",
                       explanation="an inference, so major: the paper states neither the split unit nor how many "
                       "ChestX-ray14 images (of which patients) it used; a leak follows only if the images were split "
                       "one by one and several images of one patient were among them", severity="major",
                       rule="inference", tool="reading", inference=True))
    out.append(finding(sid, "Methods, evaluation", "precision and recall are defined for 'positive' images but the "
                       "positive class is never named, and neither the test-set size, its class counts nor a "
                       "confusion matrix is given: the printed figures cannot be checked against counts (both "
                       "positive-class and macro readings are reported by every run)", severity="major"))
    out.append(finding(sid, "Methods, training", "batch size, epochs, learning rate, the learning-rate reduction, "
                       "layer sizes, dropout rate and augmentation ranges are not given, and the framework is "
                       "'TensorFlow atau PyTorch'; each is a variant here", severity="major"))
    out.append(finding(sid, "Results", "the CNN-LSTM's gain is attributed to temporal patterns across a series of "
                       "images, but each input is one X-ray: the LSTM runs over rows of one image's feature map, "
                       "not over a patient's image series", severity="major"))
    out.append(finding(sid, "Results", "the (CNN-)LSTM is said to train longer, use more memory and GPU, and "
                       "overfit more, with no times, memory figures or learning curves given", severity="minor"))
    out.append(finding(sid, "Methods, data collection", "ChestX-ray14 is 'more than 100,000' images; how many of "
                       "them (and of which findings) were used is not said; if all were, ChestX-ray14 is over "
                       "99% of the data and the 800 tuberculosis-set images barely weigh in", severity="minor",
                       evidence={"sources": SOURCES}))
    return out


STUDY = Study(
    id="cnn_vs_lstm",
    title="CNN vs CNN-LSTM for normal/abnormal chest X-rays",
    citation=CITATION,
    dataset="cxr-combined",
    summary="ChestX-ray14 + Montgomery + Shenzhen, normal vs abnormal, grayscale 224, [0,1], 70:15:15; "
            "augmentation rotation/flip/zoom/shift; CNN (3x3 conv + pooling, FC, dropout) vs the same "
            "convolutions feeding several LSTMs; Adam, cross-entropy, learning rate reduced on validation "
            "plateaus; precision/recall/F1 of the abnormal class (macro shown beside).",
    experiments=(Experiment("cnn", "CNN", _config("cnn"), _published("cnn")),
                 Experiment("cnn_lstm", "CNN-LSTM (the paper's 'LSTM' model)", _config("cnn_lstm"),
                            _published("cnn_lstm"))),
    variants=VARIANTS,
    audit=audit,
    evidence=EVIDENCE,
    smoke=Smoke(per_class=45, epochs=8, image_size=64),
    notes=("Labels: NIH 'No Finding' is normal, any finding abnormal; Montgomery/Shenzhen _0 normal, _1 tuberculosis.",
           "The paper's 'LSTM' model is a CNN-LSTM: its LSTM layers follow the CNN's convolutions (Methods).",
           "Softmax over two classes with sparse categorical cross-entropy (= categorical cross-entropy on one-hot).",
           "Precision/recall/F1 are compared as the abnormal class's (variant metrics=positive); every comparison "
           "row also carries the macro reading ('readings'), and metrics=macro compares that instead.",
           "No confusion matrix, test-set size or per-class count of the ChestX-ray14 part is published; "
           "the accuracy/precision/recall triples (TRIPLES) and SOURCES are declared for prevalence checks.",
           "Shenzhen: the paper prints 326 tuberculosis / 336 normal; the registry expects NLM's 326 normal / "
           "336 tuberculosis."),
)

if __name__ == "__main__":
    raise SystemExit(main(STUDY))
