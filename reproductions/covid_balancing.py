"""ResNet50 vs MobileNetV2 with data balancing on the COVID-19 Radiography Database.

Indonesian paper (authors unknown, c. 2022), abstract beginning "Covid-19 is a disease
caused by a corona virus infection that infects the victim's respiratory tract"; best
accuracy 95.58%. Models A (no balancing), B (undersampling, MobileNetV2) and C
(oversampling), plus a first round in which all three are ResNet50 (Table VII).

Run: ``python -m reproductions.covid_balancing --help``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from lungxray.data.pipeline import AugmentConfig, ImageConfig
from lungxray.data.registry import COVID_CLASSES
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

CLASSES = COVID_CLASSES  # COVID, Lung_Opacity, Normal, Viral Pneumonia (the paper's order)

VARIANTS = (
    Variant("head", "ResNet50's custom fully connected head (layout not given).",
            {"gap-dense256-dropout": "GlobalAveragePooling -> Dense 256 ReLU -> Dropout -> softmax",
             "gap-dense512-dense256-dropout": "GlobalAveragePooling -> Dense 512 -> Dense 256 -> Dropout -> softmax",
             "flatten-dense256-dropout": "Flatten -> Dense 256 -> Dropout -> softmax"},
            "gap-dense256-dropout", "one hidden layer is the smallest 'custom fully connected' head"),
    Variant("head_b", "MobileNetV2's 'smaller' head (model B).",
            {"gap-dense128-dropout": "GlobalAveragePooling -> Dense 128 -> Dropout -> softmax",
             "gap-dropout": "GlobalAveragePooling -> Dropout -> softmax"}, "gap-dense128-dropout",
            "half the width of the ResNet50 default"),
    Variant("dropout", "Dropout rate (not given).", {"0.5": "0.5", "0.3": "0.3", "0.2": "0.2"}, "0.5"),
    Variant("oversampler", "The oversampling rule: Table V's counts are not equal per class.",
            {"replicate-ceil": "each image repeated ceil(n_max/n) times: gives Table V exactly "
                               "(2,379/3,825/6,509/832 -> 7,137/7,650/6,509/6,656)",
             "random-oversample": "imbalanced-learn RandomOverSampler (every class up to the largest)"},
            "replicate-ceil", "it is the only simple rule found that yields exactly the published counts"),
    Variant("undersampler", "The undersampling rule.",
            {"random-undersample": "imbalanced-learn RandomUnderSampler (every class down to the smallest, 832)"},
            "random-undersample", "Table IV's 832 per class is the smallest class"),
    Variant("early_stopping_monitor", "'EarlyStopping after 3 epochs without loss improvement': which loss.",
            {"val_loss": "validation loss", "loss": "training loss"}, "val_loss",
            "Keras' usual monitor for early stopping"),
    Variant("reduce_lr_factor", "ReduceLROnPlateau factor (not given).",
            {"0.1": "0.1 (Keras default)", "0.5": "0.5", "0.2": "0.2"}, "0.1"),
    Variant("model_selection", "Which weights are evaluated after early stopping (not stated).",
            {"last": "the last epoch's (EarlyStopping's default restore_best_weights=False)",
             "best-val-loss": "the epoch with the lowest validation loss"}, "last"),
)

BALANCING = {"none": lambda v: "none", "under": lambda v: "undersample",
             "over": lambda v: "replicate-ceil" if v["oversampler"] == "replicate-ceil" else "oversample"}


def _config(arch: str, balance: str, batch: int) -> Callable[[Mapping[str, str]], RunConfig]:
    def configure(v: Mapping[str, str]) -> RunConfig:
        head = v["head"] if arch == "resnet50" else v["head_b"]
        return RunConfig(
            dataset="covid19-radiography",
            classes=CLASSES,
            split=SplitConfig("stratified", holdout=0.2, val_fraction=0.2, val_from="train"),
            image=ImageConfig(224, "rgb", "bilinear", "resnet50" if arch == "resnet50" else "mobilenet_v2"),
            augment=AugmentConfig(hflip=True),
            model=ModelConfig("cnn_classifier", {"arch": arch, "head": head, "dropout": float(v["dropout"])}),
            train=TrainConfig("adamax", 1e-3, batch_size=batch, epochs=20, early_stopping_patience=3,
                              early_stopping_monitor=v["early_stopping_monitor"], reduce_lr_patience=1,
                              reduce_lr_factor=float(v["reduce_lr_factor"]),
                              select_best=None if v["model_selection"] == "last" else "val_loss"),
            balancing=BALANCING[balance](v),
        )
    return configure


# --- published numbers ---------------------------------------------------------------------------
TABLE_I_DATASET = {"COVID": 3616, "Lung_Opacity": 6012, "Normal": 10192, "Viral Pneumonia": 1345}  # 21,165
TABLE_II_SPLIT = {"train": 13545, "validation": 3387, "test": 4233}
# Table VII (first round, all three models ResNet50): its figures were not available when this module
# was written; the round1_* experiments run, and their comparisons stay empty until they are entered.
TABLE_VII_ROUND1: dict[str, tuple[float, ...]] = {}
TABLE_IV_UNDERSAMPLED = {"per_class": 832, "total": 3328}
TABLE_V_OVERSAMPLING = {"before": {"COVID": 2379, "Lung_Opacity": 3825, "Normal": 6509, "Viral Pneumonia": 832},
                        "after": {"COVID": 7137, "Lung_Opacity": 7650, "Normal": 6509, "Viral Pneumonia": 6656}}
TABLE_IX = {"model_a": (0.39, 0.96), "model_b": (0.35, 0.94), "model_c": (0.35, 0.95)}  # loss, accuracy
CONFUSION = {  # Tables X-XII, rows true, columns predicted, both in CLASSES order
    "model_a": ((689, 0, 3, 2), (5, 1152, 68, 0), (1, 92, 1941, 7), (0, 0, 9, 264)),
    "model_b": ((680, 3, 9, 2), (8, 1050, 129, 1), (13, 92, 1961, 9), (0, 0, 5, 271)),
    "model_c": ((673, 3, 15, 3), (1, 1090, 97, 0), (6, 69, 1987, 13), (0, 0, 1, 275)),
}
PER_CLASS = {  # Tables XIII-XV: recall, precision, F1 in percent per class
    "model_a": ((99, 99, 99), (94, 93, 93), (95, 96, 96), (97, 97, 97)),
    "model_b": ((98, 97, 97), (88, 92, 90), (95, 93, 94), (98, 96, 97)),
    "model_c": ((97, 98, 98), (92, 94, 93), (96, 95, 95), (100, 95, 97)),
}
ABSTRACT_BEST_ACCURACY = 0.9558
TOL, CLASS_TOL = 0.02, 0.03
# Declared before any run: published numbers not expected to be reproduced, and why.
DEVIATIONS = {("model_c", "precision[COVID]"): {
    "expectation": "deviates",
    "reason": "Table XIV's 98% disagrees with Table XII (673/680 = 98.97%); a faithful run is compared "
              "with the confusion matrix's value, not this one"}}


def _published(name: str) -> Published:
    loss, acc = TABLE_IX[name]
    rows = [PublishedMetric("accuracy", acc, "Table IX (rounded to 1%)", "Accuracy", TOL)]
    if name == "model_a":
        rows.append(PublishedMetric("accuracy", ABSTRACT_BEST_ACCURACY, "Abstract (best accuracy)",
                                    "Accuracy (abstract)", TOL))
    for cls, (r, p, f) in zip(CLASSES, PER_CLASS[name], strict=True):
        rows += [PublishedMetric(f"recall[{cls}]", r / 100, "Table XIII", f"recall {cls}", CLASS_TOL),
                 PublishedMetric(f"precision[{cls}]", p / 100, "Table XIV", f"precision {cls}", CLASS_TOL,
                                 **DEVIATIONS.get((name, f"precision[{cls}]"), {})),
                 PublishedMetric(f"f1[{cls}]", f / 100, "Table XV", f"F1 {cls}", CLASS_TOL)]
    return Published(metrics=tuple(rows), confusion_matrix=CONFUSION[name],
                     confusion_source={"model_a": "Table X", "model_b": "Table XI", "model_c": "Table XII"}[name],
                     tables={"table_ix_loss": loss})


ROUND1_NOTE = "Table VII (first round, all ResNet50): its figures are not yet entered here"

def audit() -> list:
    from lungxray.audit import claim
    from lungxray.data.balancing import replicate_ceil_counts

    sid, out = "covid_balancing", []
    sp = TABLE_II_SPLIT
    out.append(claim(sid, "Table I", "class counts sum to 21,165", 21165, sum(TABLE_I_DATASET.values()), 0))
    out.append(claim(sid, "Table II vs Table I", "train + validation + test = all images",
                     sum(TABLE_I_DATASET.values()), sum(sp.values()), 0))
    out.append(claim(sid, "Table II", "test = 20% of all", 0.20, sp["test"] / 21165, 0.0005))
    out.append(claim(sid, "Table II", "validation = 20% of the training part",
                     0.20, sp["validation"] / (sp["train"] + sp["validation"]), 0.0005))
    before, after = TABLE_V_OVERSAMPLING["before"], TABLE_V_OVERSAMPLING["after"]
    out.append(claim(sid, "Table V vs Table II", "classes before oversampling sum to the training set",
                     sp["train"], sum(before.values()), 0))
    rule = replicate_ceil_counts(before)
    for c in CLASSES:
        out.append(claim(sid, "Table V", f"{c}: oversampled count = n x ceil(6509/n)", after[c], rule[c], 0))
    out.append(claim(sid, "Table IV", "undersampled total = 4 x smallest class", TABLE_IV_UNDERSAMPLED["total"],
                     4 * min(before.values()), 0))
    for name, cm in CONFUSION.items():
        out.append(claim(sid, {"model_a": "Table X", "model_b": "Table XI", "model_c": "Table XII"}[name],
                         f"{name}: confusion matrix holds the whole test set", sp["test"], sum(map(sum, cm)), 0))
    return out


STUDY = Study(
    id="covid_balancing",
    title="ResNet50 vs MobileNetV2 with data balancing (COVID-19 Radiography Database)",
    citation="Authors unknown (Indonesian journal, c. 2022). 'Covid-19 is a disease caused by a corona virus "
             "infection that infects the victim's respiratory tract ...'",
    dataset="covid19-radiography",
    summary="4 classes, 21,165 images; 80/20 train/test, then 20% of train as validation (13,545/3,387/4,233); "
            "resize to 224, horizontal flip, the model's preprocess_input; Adamax 1e-3, up to 20 epochs, "
            "EarlyStopping(3), ReduceLROnPlateau(1). A: ResNet50, no balancing; B: MobileNetV2, "
            "undersampling, batch 8; C: ResNet50, oversampling. Round 1: all three ResNet50.",
    experiments=(
        Experiment("model_a", "Model A: ResNet50, no balancing", _config("resnet50", "none", 32), _published("model_a")),
        Experiment("model_b", "Model B: MobileNetV2, undersampling, batch 8", _config("mobilenetv2", "under", 8),
                   _published("model_b")),
        Experiment("model_c", "Model C: ResNet50, oversampling", _config("resnet50", "over", 32), _published("model_c")),
        Experiment("round1_a", "Round 1 (Table VII): ResNet50, no balancing", _config("resnet50", "none", 32)),
        Experiment("round1_b", "Round 1 (Table VII): ResNet50, undersampling", _config("resnet50", "under", 32)),
        Experiment("round1_c", "Round 1 (Table VII): ResNet50, oversampling", _config("resnet50", "over", 32)),
    ),
    variants=VARIANTS,
    audit=audit,
    smoke=Smoke(per_class=16, epochs=2, image_size=32, experiments=("model_a", "model_b", "model_c"),
                model_params={"bn_momentum": 0.5},
                why="32-pixel input and BatchNorm momentum 0.5 so ResNet50 runs in seconds"),
    notes=("Table V's oversampled counts follow exactly from repeating each training image ceil(6509/n) times; "
           "this is the default oversampler. Classes stay unequal.",
           "Table IX's accuracies agree with the confusion matrices: A 4,046/4,233 = 95.58% (the abstract's "
           "best accuracy), B 3,962/4,233 = 93.60%, C 4,025/4,233 = 95.09%.",
           ROUND1_NOTE + "; run round1_* with --experiment."),
)

if __name__ == "__main__":
    raise SystemExit(main(STUDY))
