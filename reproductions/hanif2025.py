"""Hanif & Rismawati 2025: ResNet-18 (originally PyTorch) on the Kaggle Chest CT-Scan images.

Muhammad Hanif, Rina Rismawati, "Deteksi Kelainan Paru pada Chest CT Scan Menggunakan
PyTorch", Institut Teknologi Garut, January 2025 (course report). The introduction speaks of
COVID-19, but the data and predictions are lung-cancer CT classes. The module declares the
training log (``LOG_SERIES``: every per-epoch series with its decimals and set size), the
progress bar (``TQDM``) and the dataset's verified duplicate counts (``DATA_COUNTS``) as data.

Run: ``python -m reproductions.hanif2025 --help``.
"""

from __future__ import annotations

from collections.abc import Mapping

from lungxray.data.datasets import CT_CLASSES, get_dataset
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
    Smoke,
    SplitConfig,
    Study,
    TrainConfig,
    Variant,
)

AUGMENTATIONS = {
    "rot-flip-contrast": AugmentConfig(rotation_deg=10, hflip=True, contrast=0.2),
    "rot-flip-crop": AugmentConfig(rotation_deg=10, hflip=True, crop=0.10),
    "rot-flip-crop-contrast": AugmentConfig(rotation_deg=10, hflip=True, crop=0.10, contrast=0.2),
    "none": AugmentConfig(),
}

VARIANTS = (
    Variant("augmentation", "Augmentation has two lists and no parameters: §2 step 2b 'rotasi, flipping, atau "
            "cropping'; §3.3 'rotasi, flipping, dan perubahan kontras'.",
            {"rot-flip-contrast": "RandomRotation ±10°, horizontal flip, RandomContrast 0.2 (§3.3)",
             "rot-flip-crop": "RandomRotation ±10°, horizontal flip, random crop-and-resize up to 10% (§2)",
             "rot-flip-crop-contrast": "all four operations named in §2 and §3.3",
             "none": "no augmentation"}, "rot-flip-contrast",
            "§3.3 describes the pre-processing as carried out ('dan'), where §2 is a plan that lists options "
            "('atau'; 'ResNet atau EfficientNet'; hospital validation that §4.2 item 5 says was not done); the "
            "magnitudes are torchvision's common RandomRotation(10) / ColorJitter(contrast=0.2), not stated",
            departs={"none": "§2 and §3.3 both say the training images were augmented"}),
    Variant("segmentation", "§2 step 2c 'Segmentasi: ... metode thresholding untuk memisahkan area paru' and "
            "§4.1 item 2 credit segmentation, but §3.1-§3.4 describe the pre-processing four times without it.",
            {"none": "no segmentation",
             "otsu": "Otsu threshold, border-touching air removed, closing and hole filling, image black outside "
                     "the lungs (lungxray.data.segment, OpenCV; once per image, before the cache)"},
            "none", "the four descriptions of the pipeline that was run (§3.1 'normalisasi, augmentasi data, dan "
            "resizing', §3.2, §3.3, §3.4) name no segmentation; §2 is a plan that also promises steps §4.2 says "
            "were not done, so its 'segmentasi' is not evidence that one was run"),
    Variant("batch_size", "Batch size is not given (§2 step 3c only says it was among the tuned parameters).",
            {"32": "32", "64": "64", "128": "128", "16": "16"}, "32",
            "audit record batch-size (lungxray audit hanif2025): of the usual sizes only 32 explains both "
            "batch-averaged logs of §3.5 ('Train acc' over the 613 training images, 'Test acc' over the 315 test "
            "images) together with 82.22% = 259/315 at the last epoch (§3.6); of 1-128 only 32, 46 and 106 do. "
            "Without tying 259/315 to the last epoch the usual sizes 32 and 64 each explain both logs: 64 is "
            "excluded only by that tie (the §3.6 model is the last epoch's, §3.5 'Test acc' 0.8227)",
            departs={"64": "259 correct of 315 cannot average to the last epoch's 'Test acc: 0.8227' over batches "
                           "of 64 (audit record batch-size)",
                     "128": "259 correct of 315 cannot average to the last epoch's 'Test acc: 0.8227' over batches "
                            "of 128 (audit record batch-size)",
                     "16": "no mean over batches of 16 of the 613 training images gives the log's 'Train acc' "
                           "series (audit record batch-size)"}),
    Variant("learning_rate", "Adam learning rate is not given (§2 step 3b 'Adam optimizer'; 3c says it was tuned).",
            {"1e-3": "1e-3 (torch.optim.Adam's default)", "1e-4": "1e-4"}, "1e-3",
            "no rate is named, so PyTorch's default"),
    Variant("normalisation", "§2 step 2a 'nilai piksel ... ke skala 0-1'; §3.3 'biasanya antara 0 hingga 1'.",
            {"rescale": "pixel values divided by 255 ([0, 1]), as the text says",
             "imagenet": "transforms.Normalize(ImageNet mean, std) after [0, 1]"},
            "rescale", "§2 step 2a and §3.3 both state the 0-1 range",
            departs={"imagenet": "the paper states scaling to 0-1, not ImageNet standardisation"}),
    Variant("image_size", "§3.3 'Resizing ... agar seragam': the size is not given.",
            {"224": "224x224", "256": "256x256"}, "224",
            "the input size of torchvision's ImageNet ResNet-18 (§2 step 3a transfer learning, §3.1 ResNet-18)"),
    Variant("monitor", "Which folder the per-epoch log evaluates: its columns are 'Train' and 'Test' (§3.5).",
            {"test": "evaluate the test folder after every epoch, as the log does",
             "valid": "evaluate the valid folder after every epoch (the test folder only at the end)"},
            "test", "no batch size of 1-128 gives the log's 'Test acc' series as batch means over the 72 "
            "valid images, while 32 gives it over the 315 test images, and 82.22% is k/315 (259), not k/72"),
)


def configure(v: Mapping[str, str]) -> RunConfig:
    return RunConfig(
        dataset="chest-ctscan",
        classes=CT_CLASSES,
        split=SplitConfig("official"),
        image=ImageConfig(int(v["image_size"]), "rgb", "bilinear",
                          "torch_imagenet" if v["normalisation"] == "imagenet" else "rescale",
                          v["segmentation"]),
        augment=AUGMENTATIONS[v["augmentation"]],
        model=ModelConfig("resnet18_classifier"),
        train=TrainConfig("adam", float(v["learning_rate"]), batch_size=int(v["batch_size"]), epochs=EPOCHS,
                          select_best=None, batch_mean_accuracy=True),
        val_split="test" if v["monitor"] == "test" else "val",
        extra_evaluations=("test_deduplicated",),
    )


# --- the dataset as it is (not in the paper, which gives no counts) ------------------------------
SET_SIZES = {s: sum(per.values()) for s, per in get_dataset("chest-ctscan").expected_split_counts.items()}
# Byte-level duplicates of the Kaggle release, verified with sha256 on the real files by
# tests/test_hanif2025.py::test_declared_duplicate_counts_match_the_real_files (and listed by
# `python -m lungxray verify-data chest-ctscan --data-dir DIR`).
DATA_COUNTS = {  # split -> class -> files, distinct images (and, for test, distinct images not in train)
    "train": {"adenocarcinoma": {"files": 195, "distinct": 194}, "large.cell.carcinoma": {"files": 115, "distinct": 115},
              "normal": {"files": 148, "distinct": 55}, "squamous.cell.carcinoma": {"files": 155, "distinct": 153}},
    "valid": {"adenocarcinoma": {"files": 23, "distinct": 23}, "large.cell.carcinoma": {"files": 21, "distinct": 21},
              "normal": {"files": 13, "distinct": 11}, "squamous.cell.carcinoma": {"files": 15, "distinct": 15}},
    "test": {"adenocarcinoma": {"files": 120, "distinct": 120, "distinct_not_in_train": 120},
             "large.cell.carcinoma": {"files": 51, "distinct": 51, "distinct_not_in_train": 51},
             "normal": {"files": 54, "distinct": 27, "distinct_not_in_train": 8},
             "squamous.cell.carcinoma": {"files": 90, "distinct": 90, "distinct_not_in_train": 90}},
}
BYTE_UNIQUE_FILES = 847
CROSS_SPLIT_GROUPS = 22
LABEL_CONFLICT_GROUPS = 1  # one train image filed under both large cell and squamous cell carcinoma
TEST_NORMAL_MULTIPLICITY = {2: 13, 1: 9, 4: 4, 3: 1}  # copies -> how many distinct test/normal images
TEST_NORMAL_FILES_IN_TRAIN = 46
DEDUP_TEST = {"per_class": {c: d["distinct_not_in_train"] for c, d in DATA_COUNTS["test"].items()}}
DEDUP_TEST["n"] = sum(DEDUP_TEST["per_class"].values())

# --- published numbers, as printed ---------------------------------------------------------------
EPOCHS = 15  # §3.5: the progress bar's 15/15 and "selama 15 epoch"
# §3.5, Gambar 3.1, one line per epoch: Train loss, Train acc, Test loss, Test acc (the accuracies
# are means over batches of per-batch accuracy, the losses means over batches).
LOG = (
    (1.0259, 0.5494, 1.6122, 0.2994), (0.6537, 0.7269, 1.0258, 0.5769), (0.5105, 0.8050, 1.4581, 0.4512),
    (0.5739, 0.7869, 2.8668, 0.1975), (0.3278, 0.9025, 0.8611, 0.6779), (0.3651, 0.8666, 1.1208, 0.6214),
    (0.2772, 0.8909, 0.9969, 0.6425), (0.2934, 0.8869, 0.5306, 0.7936), (0.2663, 0.9166, 0.8871, 0.7352),
    (0.2002, 0.9281, 0.3870, 0.8576), (0.0853, 0.9656, 0.5120, 0.8260), (0.1502, 0.9437, 2.0242, 0.4066),
    (0.1568, 0.9447, 2.4130, 0.4288), (0.1704, 0.9416, 1.2700, 0.6030), (0.1679, 0.9447, 0.6507, 0.8227),
)
# Every per-epoch series with its printed decimals and the set (and size) it was measured on, for the
# forensic tools (batch-size inference reads the batch-mean accuracies).
LOG_SERIES = {
    "train_loss": {"values": tuple(r[0] for r in LOG), "decimals": 4, "set": "train", "n": SET_SIZES["train"],
                   "kind": "batch_mean_loss", "source": "§3.5 Gambar 3.1 'Train loss'"},
    "train_acc": {"values": tuple(r[1] for r in LOG), "decimals": 4, "set": "train", "n": SET_SIZES["train"],
                  "kind": "batch_mean_accuracy", "source": "§3.5 Gambar 3.1 'Train acc'"},
    "test_loss": {"values": tuple(r[2] for r in LOG), "decimals": 4, "set": "test", "n": SET_SIZES["test"],
                  "kind": "batch_mean_loss", "source": "§3.5 Gambar 3.1 'Test loss'"},
    "test_acc": {"values": tuple(r[3] for r in LOG), "decimals": 4, "set": "test", "n": SET_SIZES["test"],
                 "kind": "batch_mean_accuracy", "source": "§3.5 Gambar 3.1 'Test acc'"},
}
# §3.5, Gambar 3.1: tqdm's bar "15/15 [58:05<00:00, 218.96s/it]" and the line after the log.
TQDM = {"n": 15, "total": 15, "elapsed": "58:05", "elapsed_s": 58 * 60 + 5, "rate_s_per_it": 218.96,
        "smoothing": 0.3}  # tqdm's default smoothing: the rate is a moving average, not elapsed / n
TRAINING_TIME_S = 3485.882  # "Total training time: 3485.882 seconds"; §3.5 text "sekitar 3485.882 detik"
FINAL_ACCURACY = 0.8222  # §3.6 "82.22%" ('dataset validasi'), Gambar 3.2 "Accuracy: 82.22%", §4.1 item 3 (data uji)
FINAL_ACCURACY_FULL = 82.222222222223  # Gambar 3.2, the same accuracy printed in full (percent)
BEST_TEST_EPOCH = max(range(EPOCHS), key=lambda e: LOG[e][3])  # the log's 'Epoch: 9' (epochs printed from 0)
FINAL_CORRECT = round(FINAL_ACCURACY * SET_SIZES["test"])  # 259: the only k with k/315 printing as 82.22%
# Numeric statements of the text (prose) and the log value each restates.
PROSE = (
    ("§3.5", "train loss from 1.0259 in the first epoch", 1.0259, LOG[0][0]),
    ("§3.5", "train loss to about 0.1679 in the last epoch", 0.1679, LOG[-1][0]),
    ("§3.5", "train accuracy from 0.5494 in the first epoch", 0.5494, LOG[0][1]),
    ("§3.5", "train accuracy to about 0.9447 in the last epoch", 0.9447, LOG[-1][1]),
    ("§3.5", "test accuracy from 0.2994 in the first epoch", 0.2994, LOG[0][3]),
    ("§3.5", "test accuracy to 0.8227 in the last epoch", 0.8227, LOG[-1][3]),
    ("§3.5", "trained for 15 epochs", 15, len(LOG)),
    ("§3.5", "total training time about 3485.882 s", 3485.882, TRAINING_TIME_S),
    ("§4.1 item 3", "training accuracy rose from 54.94%", 0.5494, LOG[0][1]),
    ("§4.1 item 3", "to 94.47% on the training data", 0.9447, LOG[-1][1]),
)


def batch_mean_nearest(correct: int, n: int, batch_size: int, target: float) -> float:
    """The batch mean (last batch short) closest to ``target`` among all ways of spreading ``correct``
    right answers over ``n`` images in batches of ``batch_size``: only the last batch's share matters."""
    k = -(-n // batch_size)
    last = n - (k - 1) * batch_size
    means = [((correct - c) / batch_size + c / last) / k for c in range(last + 1)
             if 0 <= correct - c <= (k - 1) * batch_size]
    return min(means, key=lambda m: abs(m - target))


def _series(key: str, totals: tuple[int | None, ...] = ()) -> RateSeries:
    d = LOG_SERIES[key]
    return RateSeries(f"'{key.replace('_', ' ')}' (§3.5 log)", d["source"], d["values"], d["decimals"], d["n"],
                      batch_mean=True, experiment="resnet18", totals=totals)


EVIDENCE = Evidence(rates=(
    _series("train_acc"),
    # the last epoch's model is the one scored per image in §3.6: 259 of the 315 test images correct
    _series("test_acc", (None,) * (EPOCHS - 1) + (FINAL_CORRECT,)),
    RateSeries("82.22% 'pada dataset validasi'", "§3.6", (FINAL_ACCURACY,), 4, SET_SIZES["valid"],
               batch_mean=False, experiment="resnet18"),
))


TOL = 0.05
TOL_REASON = ("the paper compares its 82.22% with nothing, so no ranking sets the gap; five points of four-class "
              "accuracy (16 of the 315 test images) is taken as the smallest change that would alter how good the "
              "model is said to be. The run scores the paper's own test folder, so the test-set noise is shared")


def _log_claims() -> list:
    """The printed accuracy, the training log and the progress bar against each other."""
    from lungxray.audit.claims import claim, finding

    sid, test = "hanif2025", SET_SIZES["test"]
    bs = int(next(v.default for v in VARIANTS if v.name == "batch_size"))
    return [
        claim(sid, "§3.6 / Gambar 3.2", "82.22% is a whole number of the 315 test images", FINAL_ACCURACY,
              FINAL_CORRECT / test, explanation="no k/315 gives 82.22%", severity="minor"),
        claim(sid, "Gambar 3.2", "82.222222222223 printed in full is the same 259/315", FINAL_ACCURACY_FULL,
              100 * FINAL_CORRECT / test, 1e-11, "the full print is not 100 x 259/315", severity="minor"),
        # (tolerance: the extracted text has lost digits of Python's 82.22222222222223)
        claim(sid, "§3.5 log vs §3.6", f"last epoch's 'Test acc' is the batch mean (batches of {bs}) of the same "
              f"{FINAL_CORRECT}/{test} correct predictions", LOG[-1][3],
              batch_mean_nearest(FINAL_CORRECT, test, bs, LOG[-1][3]),
              explanation="no spread of 259 correct answers over the batches gives the log's value",
              severity="minor", evidence={"batch_size": bs, "correct": FINAL_CORRECT, "n": test}),
        claim(sid, "Gambar 3.1", "total training time 3485.882 s vs the progress bar's elapsed 58:05",
              TRAINING_TIME_S, TQDM["elapsed_s"], 1.0,
              "the timer around the loop and tqdm's whole-second elapsed time disagree", severity="minor"),
        finding(sid, "Gambar 3.1", "the bar's 218.96 s/it is tqdm's moving-average rate (smoothing 0.3), not "
                "elapsed / 15 = 3,485 s / 15 = 232.3 s; it weights the last epochs, so 15 x 218.96 need not equal the total",
                severity="minor", evidence={"rate": TQDM["rate_s_per_it"], "elapsed_over_n": TQDM["elapsed_s"] / 15}),
    ]


def _data_findings() -> list:
    """What the sha256 of every file of the Kaggle release shows about the test folder and the classes."""
    from lungxray.audit.claims import finding

    sid, dc = "hanif2025", DATA_COUNTS
    tn = dc["test"]["normal"]
    return [
        finding(sid, "data (sha256 of the Kaggle release)",
                f"the test folder leaks the train folder: {TEST_NORMAL_FILES_IN_TRAIN} of {tn['files']} test/normal "
                f"files are byte-identical to train images; only {tn['distinct_not_in_train']} distinct test/normal "
                f"images are unseen ({CROSS_SPLIT_GROUPS} duplicate groups cross splits)",
                explanation="the normal class's share of the 82.22% measures memory, not generalisation; the "
                f"extra evaluation test_deduplicated scores {DEDUP_TEST['n']} distinct unseen test images "
                f"({', '.join(f'{c} {n}' for c, n in DEDUP_TEST['per_class'].items())})",
                severity="critical", tool="sha256", evidence={"test_normal": tn, "dedup_test": DEDUP_TEST}),
        finding(sid, "data (sha256 of the Kaggle release)",
                f"the test folder counts images more than once: {tn['files']} test/normal files are "
                f"{tn['distinct']} distinct images (copies -> images: {TEST_NORMAL_MULTIPLICITY}), so the 315 test "
                f"files are {sum(d['distinct'] for d in dc['test'].values())} distinct images",
                explanation="the accuracy weights some normal images up to four times", severity="major",
                tool="sha256", evidence={"multiplicity": TEST_NORMAL_MULTIPLICITY}),
        finding(sid, "data (sha256 of the Kaggle release)",
                f"training duplicates: train/normal's {dc['train']['normal']['files']} files are "
                f"{dc['train']['normal']['distinct']} distinct images (also adenocarcinoma "
                f"{dc['train']['adenocarcinoma']['files']}->{dc['train']['adenocarcinoma']['distinct']}, squamous "
                f"{dc['train']['squamous.cell.carcinoma']['files']}->{dc['train']['squamous.cell.carcinoma']['distinct']}"
                f"; valid/normal {dc['valid']['normal']['files']}->{dc['valid']['normal']['distinct']})",
                explanation="normal is oversampled about 2.7x by copies the paper does not mention",
                severity="minor", tool="sha256", evidence={"train": dc["train"], "valid": dc["valid"]}),
        finding(sid, "data (sha256 of the Kaggle release)", "one training image is filed under two classes "
                "(large cell and squamous cell carcinoma)", severity="minor", tool="sha256",
                evidence={"label_conflict_groups": LABEL_CONFLICT_GROUPS}),
    ]


def _reading_findings() -> list:
    """What a reading of the report finds: its subject, its tuning, its methods against its results."""
    from lungxray.audit.claims import finding

    sid = "hanif2025"
    return [
        finding(sid, "§1, §1.3, §2 step 1, §4.1 items 1 and 5", "the paper presents the model as detecting "
                "COVID-19, but the data has no COVID class: the four classes are adenocarcinoma, large cell "
                "carcinoma, squamous cell carcinoma and normal (Gambar 3.2 predicts 'squamous.cell.carcinoma_left.hilum')",
                explanation="the 82.22% is a four-way lung-cancer classification accuracy, not a COVID-19 "
                "detection accuracy", severity="critical"),
        finding(sid, "§3.5 Gambar 3.1, §3.6, §2 step 3c", "the per-epoch 'Test' columns and the final 82.22% come "
                "from the test folder, and §2 step 3c says learning rate, epochs and batch size were tuned 'untuk "
                "mencapai performa terbaik': if that tuning looked at the only performance the report shows, it was "
                "done on the test set and the 82.22% is not a held-out estimate",
                explanation=f"an inference, so major at most: §2 step 3c is a plan, and no test-based selection is "
                f"visible in the log: the reported model is the last epoch's ('Epoch: 14', Test acc {LOG[-1][3]}, "
                f"the 259/315 of §3.6), not the best test epoch ('Epoch: {BEST_TEST_EPOCH}', Test acc "
                f"{LOG[BEST_TEST_EPOCH][3]})", severity="major", rule="inference", inference=True,
                evidence={"reported_epoch": EPOCHS - 1, "reported_test_acc": LOG[-1][3],
                          "best_test_epoch": BEST_TEST_EPOCH, "best_test_acc": LOG[BEST_TEST_EPOCH][3]}),
        finding(sid, "§2 step 2 vs §3.1-§3.4", "segmentation by thresholding and cropping are methods in §2 and "
                "credited in §4.1 item 2, but every description of the pipeline that was run omits segmentation, "
                "and §3.3 names contrast change instead of cropping", severity="major",
                explanation="unstated which pre-processing produced 82.22% (variants segmentation, augmentation)"),
        finding(sid, "§2 step 5 vs §4.2 item 5", "§2 says the model was validated on real-world hospital data or "
                "a new dataset; §4.2 says it was not tested on hospital data", severity="minor"),
        finding(sid, "§2 step 4, §3.1, §3.6, §4.2 item 4", "sensitivity, specificity, F1 and a confusion matrix "
                "are named as the evaluation, but only accuracy is reported", severity="minor"),
        finding(sid, "§2 step 3c", "learning rate, batch size and epochs were tuned (§2 step 3c) but the learning rate "
                "and batch size are not reported, nor the image size, nor whether the pretrained layers were frozen "
                "or fine-tuned", severity="minor"),
    ]


def audit() -> list:
    """Every record of this report against itself and its data."""
    from lungxray.audit.claims import prose

    prose_claims = [prose("hanif2025", src, text, stated, from_log) for src, text, stated, from_log in PROSE]
    return [*_log_claims(), *_data_findings(), *_reading_findings(), *prose_claims]


STUDY = Study(
    id="hanif2025",
    title="Hanif & Rismawati 2025 - ResNet-18 on chest CT (PyTorch, rebuilt in Keras)",
    citation="Muhammad Hanif, Rina Rismawati. Deteksi Kelainan Paru pada Chest CT Scan Menggunakan PyTorch. "
             "Final-semester (UAS) report for the course Pengolahan Citra Digital (lecturer Leni Fitriani), "
             "Program Studi Teknik Informatika, Institut Teknologi Garut, January 2025. Unpublished; no DOI.",
    dataset="chest-ctscan",
    summary="torchvision ResNet-18 (ImageNet), fc replaced for 4 classes, Adam, cross-entropy, 15 epochs, "
            "pixels scaled to 0-1, rotation/flip/contrast augmentation, official train/valid/test folders "
            "(613/72/315); the test folder is scored after every epoch and the last epoch's model is the result. "
            "Pass torchvision's resnet18 .pth with --weights PATH (needs the [torch] extra) for a faithful run.",
    experiments=(Experiment("resnet18", "ResNet-18, all layers trained", configure, Published(
        metrics=(
            PublishedMetric("accuracy", FINAL_ACCURACY, "§3.6, Gambar 3.2, §4.1 item 3 (259/315 test images)",
                            "Accuracy (final, image-level)", TOL, tolerance_reason=TOL_REASON),
            PublishedMetric("batch_mean_accuracy", LOG[-1][3], "§3.5 Gambar 3.1, last epoch 'Test acc'",
                            "Test acc (log: mean over batches)", TOL, tolerance_reason=TOL_REASON),
        ),
        primary="accuracy",  # §4.1's result: 82.22% of the test images
        test_size=SET_SIZES["test"],  # the official test folder, 315 images (the run scores the same folder)
        history={"loss": LOG_SERIES["train_loss"]["values"],
                 "batch_mean_accuracy": LOG_SERIES["train_acc"]["values"],
                 "val_loss": LOG_SERIES["test_loss"]["values"],
                 "val_batch_mean_accuracy": LOG_SERIES["test_acc"]["values"]},
        history_source="§3.5 Gambar 3.1 (train loss / train acc / test loss / test acc per epoch; "
                       "both accuracies are means over batches, compared with ours computed the same way)",
        tables={"log": LOG, "log_series": LOG_SERIES, "tqdm": TQDM, "training_time_s": TRAINING_TIME_S,
                "final_accuracy_full": FINAL_ACCURACY_FULL, "final_correct": FINAL_CORRECT,
                "set_sizes": SET_SIZES, "data_counts": DATA_COUNTS, "dedup_test": DEDUP_TEST},
    )),),
    variants=VARIANTS,
    audit=audit,
    evidence=EVIDENCE,
    smoke=Smoke(per_class=60, epochs=8, image_size=96),
    notes=("The test folder shares byte-identical images with the train folder: 46 of the 54 test/normal files; "
           "and test/normal's 54 files are only 27 distinct images. The deduplicated test set (run reports and "
           "the terminal summary) scores one copy of each distinct test image not in train: 269 images (adenocarcinoma 120, large "
           "cell 51, normal 8, squamous cell 90).",
           "The log's per-epoch 'Test' figures were measured on the test folder (315 images; no batch size fits "
           "them on the 72 valid images), so the test set was watched during development; the final 82.22% is "
           "the last epoch's model (259/315), which §3.6 mislabels as validation accuracy.",
           "Batch size 32 is inferred, not stated: of 1-128 only 32, 46 and 106 reproduce all 30 batch-mean "
           "accuracies of the log together with 259/315 on the last epoch; without tying 259/315 to the last "
           "epoch, 64 fits both logs too.",
           "Both log accuracies are means over batches; with batch_mean_accuracy on, the run logs "
           "'batch_mean_accuracy' (train, recovered per batch from Keras' running mean) and "
           "'val_batch_mean_accuracy' and compares them with the log. Keras' loss is image-weighted; the "
           "log's is a mean over batches (a small difference from the short last batch).",
           "Segmentation (§2) is a variant, not the default: the sections that describe what was run omit it.",
           "The paper does not say whether ResNet-18's pretrained layers were frozen; the module fine-tunes all "
           "layers (resnet18_classifier has no frozen option yet).",
           "The paper publishes no confusion matrix.",
           "Keras has no ImageNet ResNet-18: a faithful run needs torchvision's checkpoint via --weights PATH."),
)

if __name__ == "__main__":
    raise SystemExit(main(STUDY))
