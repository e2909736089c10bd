"""The typed configuration of a run: what a study's ``configure`` returns and results.json records.

TensorFlow-free (only dataclasses), so ``lungxray.spec.study``, the audit, ``check`` and the command
lines' ``--help`` and ``--list-variants`` load without TensorFlow. The modules that act on these
types (``lungxray.data.pipeline``, ``lungxray.data.splits``, ``lungxray.models``, ``lungxray.run.training``)
re-export them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ImageConfig:
    size: int = 224
    color: str = "rgb"  # "rgb" (3 channels) or "grayscale" (1 channel)
    resize_method: str = "bilinear"  # any tf.image.ResizeMethod name
    scaling: str = "rescale"  # "rescale", "torch_imagenet" or a keras.applications module (lungxray.data.pipeline._scaler)
    segmentation: str = "none"  # lungxray.data.segment.SEGMENTATIONS, applied once per image before the cache

    @property
    def channels(self) -> int:
        return 1 if self.color == "grayscale" else 3


@dataclass(frozen=True)
class AugmentConfig:
    """Training-only augmentation as seeded Keras preprocessing layers (0 / False = off)."""

    rotation_deg: float = 0.0  # RandomRotation, +- degrees
    hflip: bool = False  # RandomFlip("horizontal")
    vflip: bool = False  # RandomFlip("vertical")
    zoom: float = 0.0  # RandomZoom, +- fraction
    crop: float = 0.0  # random crop-and-resize: RandomZoom zooming in by up to this fraction
    shift: float = 0.0  # RandomTranslation, +- fraction of height/width
    brightness: float = 0.0  # RandomBrightness, +- fraction of the [0, 1] range
    contrast: float = 0.0  # RandomContrast, contrast factor drawn from [1 - contrast, 1 + contrast]
    # "layers": the Keras layers below; "generator": ImageDataGenerator semantics (lungxray.data.augment:
    # nearest fill, independent x/y zoom, brightness as a factor in [1 - b, 1 + b])
    semantics: str = "layers"

    @property
    def active(self) -> bool:
        return any((self.rotation_deg, self.hflip, self.vflip, self.zoom, self.crop, self.shift, self.brightness,
                    self.contrast))


@dataclass(frozen=True)
class SplitConfig:
    """How train/val/test are formed.

    method "stratified": ``holdout`` of the data is held out (sklearn ``train_test_split``,
    stratified unless ``stratify=False``); validation is ``val_fraction`` of the holdout
    (``val_from="holdout"``: the rest is test) or of the training part (``val_from="train"``).
    method "grouped": the same fractions, but whole groups (patients) go to one split.
    method "official": the dataset's own folders, renamed by ``official_names``.
    """

    method: str = "stratified"
    holdout: float = 0.3
    val_fraction: float = 0.5
    val_from: str = "holdout"
    official_names: tuple[tuple[str, str], ...] = (("train", "train"), ("valid", "val"), ("test", "test"))
    # How a paper's own split script saw the data (which images fall where depends on all of these):
    stratify: bool = True  # False: sklearn's plain shuffled train_test_split
    random_state: int | None = None  # a split seed fixed by the paper; None: the run's split seed
    class_order: tuple[str, ...] | None = None  # file list as class blocks in this order; None: input order
    file_order: str = "input"  # within a class: "input" | "lexicographic" (COVID-1, COVID-10, ...) | "natural"


@dataclass(frozen=True)
class ModelConfig:
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    uses_pretrained: bool = True  # whether --weights applies to this model


@dataclass(frozen=True)
class TrainConfig:
    optimizer: str = "adam"  # any keras.optimizers name
    learning_rate: float = 1e-3
    batch_size: int = 32
    epochs: int = 5
    class_weight: bool = False  # sklearn 'balanced' weights from the training split
    early_stopping_patience: int | None = None
    early_stopping_monitor: str = "val_loss"
    reduce_lr_patience: int | None = None
    reduce_lr_factor: float = 0.1
    reduce_lr_monitor: str = "val_loss"
    lr_schedule: str = "constant"  # LearningRateScheduler: "constant" | "exp-0.1" (x e^-0.1 per epoch)
    select_best: str | None = "val_loss"  # ModelCheckpoint monitor of the evaluated model; None = last
    batch_mean_accuracy: bool = False  # also log validation and training accuracy averaged over batches (PyTorch-log style)
    # "all": every image; "floor": n // batch_size full batches, the steps a generator loop computes
    # (validation_steps = gen.samples // batch_size), so the last partial batch is never seen
    val_steps: str = "all"  # the split monitored each epoch
    test_steps: str = "all"  # the evaluated split


@dataclass(frozen=True)
class RunConfig:
    dataset: str
    classes: tuple[str, ...]  # output order
    split: SplitConfig
    image: ImageConfig
    augment: AugmentConfig
    model: ModelConfig
    train: TrainConfig
    binary_positive: str | None = None  # sigmoid output: the class predicted as 1
    per_class_limit: int | None = None  # use only this many images of each class
    subset_selection: str = "first"  # "first" (natural file-name order) | "first-lexicographic" (sorted()) | "random"
    balancing: str = "none"  # training split only: see lungxray.data.balancing.SAMPLERS
    val_split: str = "val"  # the split monitored each epoch ("test" where the paper logged the test set)
    extra_evaluations: tuple[str, ...] = ()  # "test_deduplicated": test images not byte-identical to a train image
    # published metric key -> reproduced metric keys, where a variant decides what the paper's metric is: the
    # first is compared with the published number, all are shown beside it (e.g. "precision[abnormal]" ->
    # ("macro_precision", "precision[abnormal]")); unlisted keys compare with themselves
    compare_as: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
