"""Hanif & Rismawati 2025: ResNet-18 (originally PyTorch) on the Kaggle Chest CT-Scan images.

Muhammad Hanif, Rina Rismawati, "Deteksi Kelainan Paru pada Chest CT Scan Menggunakan
PyTorch", Institut Teknologi Garut, January 2025 (course report). The introduction speaks of
COVID-19, but the data and predictions are lung-cancer CT classes.

Run: ``python -m reproductions.hanif2025 --help``.
"""

from __future__ import annotations

from collections.abc import Mapping

from lungxray.data.pipeline import AugmentConfig, ImageConfig
from lungxray.data.registry import CT_CLASSES
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

AUGMENTATIONS = {
    "rot10-hflip-crop10": AugmentConfig(rotation_deg=10, hflip=True, crop=0.10),
    "rot15-hflip-crop20": AugmentConfig(rotation_deg=15, hflip=True, crop=0.20),
    "none": AugmentConfig(),
}

VARIANTS = (
    Variant("augmentation", "Augmentation is named as rotation / flipping / cropping, without parameters.",
            {"rot10-hflip-crop10": "RandomRotation ±10°, horizontal flip, random crop-and-resize up to 10%",
             "rot15-hflip-crop20": "RandomRotation ±15°, horizontal flip, random crop-and-resize up to 20%",
             "none": "no augmentation"}, "rot10-hflip-crop10", "the mildest reading of the three named operations"),
    Variant("batch_size", "Batch size (not given).", {"32": "32", "16": "16"}, "32",
            "the usual DataLoader choice in course notebooks"),
    Variant("learning_rate", "Adam learning rate (not given).",
            {"1e-3": "1e-3 (torch.optim.Adam's default)", "1e-4": "1e-4"}, "1e-3",
            "no rate is named, so PyTorch's default"),
    Variant("normalisation", "'Normalised' images: the usual torchvision ImageNet normalisation is assumed.",
            {"imagenet": "transforms.Normalize(ImageNet mean, std)", "rescale": "ToTensor only ([0,1])"},
            "imagenet", "the standard companion of torchvision's pretrained ResNet-18"),
    Variant("monitor", "Which folder the per-epoch log evaluates: the log's 'test' columns come from the test folder.",
            {"test": "evaluate the test folder after every epoch, as the log does",
             "valid": "evaluate the valid folder after every epoch (the test folder only at the end)"},
            "test", "the log's final 'test acc' matches the reported 82.22% on the 315 test images"),
)


def configure(v: Mapping[str, str]) -> RunConfig:
    return RunConfig(
        dataset="chest-ctscan",
        classes=CT_CLASSES,
        split=SplitConfig("official"),
        image=ImageConfig(224, "rgb", "bilinear", "torch_imagenet" if v["normalisation"] == "imagenet" else "rescale"),
        augment=AUGMENTATIONS[v["augmentation"]],
        model=ModelConfig("resnet18_classifier"),
        train=TrainConfig("adam", float(v["learning_rate"]), batch_size=int(v["batch_size"]), epochs=15,
                          select_best=None, batch_mean_accuracy=True),
        val_split="test" if v["monitor"] == "test" else "val",
        extra_evaluations=("test_deduplicated",),
    )


# --- published numbers, as printed ---------------------------------------------------------------
# Training log, one line per epoch: train loss, train acc, test loss, test acc (accuracies are
# means over batches, not over images).
LOG = (
    (1.0259, 0.5494, 1.6122, 0.2994), (0.6537, 0.7269, 1.0258, 0.5769), (0.5105, 0.8050, 1.4581, 0.4512),
    (0.5739, 0.7869, 2.8668, 0.1975), (0.3278, 0.9025, 0.8611, 0.6779), (0.3651, 0.8666, 1.1208, 0.6214),
    (0.2772, 0.8909, 0.9969, 0.6425), (0.2934, 0.8869, 0.5306, 0.7936), (0.2663, 0.9166, 0.8871, 0.7352),
    (0.2002, 0.9281, 0.3870, 0.8576), (0.0853, 0.9656, 0.5120, 0.8260), (0.1502, 0.9437, 2.0242, 0.4066),
    (0.1568, 0.9447, 2.4130, 0.4288), (0.1704, 0.9416, 1.2700, 0.6030), (0.1679, 0.9447, 0.6507, 0.8227),
)
TRAINING_TIME_S = 3485.882
SECONDS_PER_EPOCH = 218.96
FINAL_ACCURACY = 0.8222  # 259 / 315
FINAL_CORRECT, TEST_IMAGES = 259, 315

def audit() -> list:
    from lungxray.audit import claim, finding

    sid = "hanif2025"
    return [
        claim(sid, "final result", "82.22% = 259 / 315 test images", FINAL_ACCURACY, FINAL_CORRECT / TEST_IMAGES),
        claim(sid, "training log vs final result", "last epoch's test acc equals the final accuracy", FINAL_ACCURACY,
              LOG[-1][3], explanation="the log averages accuracy over batches (0.8227); over images it is "
              "259/315 = 0.8222: two definitions of one number"),
        claim(sid, "timing", "total training time = 15 x time per epoch", TRAINING_TIME_S, 15 * SECONDS_PER_EPOCH,
              1.0, explanation=f"15 x 218.96 s = {15 * SECONDS_PER_EPOCH:.1f} s, not 3,485.9 s "
              f"({TRAINING_TIME_S / 15:.2f} s per epoch): the per-epoch figure leaves something out"),
        finding(sid, "data (verify-data)", "the official test folder is not independent: 22 duplicate groups "
                "cross splits and 46 of 54 test/normal images are byte-identical to training images"),
        finding(sid, "introduction", "the introduction motivates COVID-19 detection, but the classes are lung "
                "cancer CT types (adenocarcinoma, large cell, squamous cell, normal)"),
        finding(sid, "training log", "the per-epoch 'test' columns are measured on the test folder, so the test "
                "set is seen during development"),
    ]


STUDY = Study(
    id="hanif2025",
    title="Hanif & Rismawati 2025 - ResNet-18 on chest CT (PyTorch, rebuilt in Keras)",
    citation="M. Hanif, R. Rismawati. Deteksi Kelainan Paru pada Chest CT Scan Menggunakan PyTorch. "
             "Institut Teknologi Garut, January 2025.",
    dataset="chest-ctscan",
    summary="torchvision ResNet-18 (ImageNet), fc replaced for 4 classes, Adam, cross-entropy, 15 epochs, "
            "official train/valid/test folders (613/72/315); the final model is evaluated on the test folder. "
            "Pass torchvision's resnet18 .pth with --weights PATH (needs the [torch] extra) for a faithful run.",
    experiments=(Experiment("resnet18", "ResNet-18, all layers trained", configure, Published(
        metrics=(
            PublishedMetric("accuracy", FINAL_ACCURACY, "final accuracy (259/315 test images)",
                            "Accuracy (final, image-level)", 0.05),
            PublishedMetric("batch_mean_accuracy", LOG[-1][3], "training log, last epoch 'test acc'",
                            "Test acc (log: mean over batches)", 0.05),
        ),
        history={"loss": tuple(r[0] for r in LOG), "accuracy": tuple(r[1] for r in LOG),
                 "val_loss": tuple(r[2] for r in LOG), "val_batch_mean_accuracy": tuple(r[3] for r in LOG)},
        history_source="training log (train loss / train acc / test loss / test acc per epoch; "
                       "accuracies are means over batches)",
        tables={"log": LOG, "training_time_s": TRAINING_TIME_S, "seconds_per_epoch": SECONDS_PER_EPOCH,
                "final_correct": FINAL_CORRECT, "test_images": TEST_IMAGES},
    )),),
    variants=VARIANTS,
    audit=audit,
    smoke=Smoke(per_class=60, epochs=8, image_size=96),
    notes=("The test folder shares byte-identical images with the train folder (46 of 54 test/normal images); "
           "the extra evaluation 'test_deduplicated' scores the same model without them.",
           "The log's per-epoch 'test' figures were measured on the test folder, so they select nothing but "
           "still leak test information into any choice made from the log.",
           "The paper publishes no confusion matrix.",
           "Keras has no ImageNet ResNet-18: a faithful run needs torchvision's checkpoint via --weights PATH."),
)

if __name__ == "__main__":
    raise SystemExit(main(STUDY))
