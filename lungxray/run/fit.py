"""Stage 2 of a run: from prepared data to a fitted model.

``fit_model`` builds the tf.data pipeline (shared by seeds: decoded images are cached once), builds
the model with the run's weights, trains a frozen backbone's head on features computed once where
nothing is augmented, fits with the study's callbacks, and leaves the selected epoch's weights in
the model. It returns a ``Fitted``: the model and its inputs, the history and the facts the
results record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lungxray._util.progress import stage
from lungxray.run.prepare import DataSource, PreparedData
from lungxray.spec.config import RunConfig

log = logging.getLogger("lungxray")


@dataclass(frozen=True)
class FitOptions:
    """How to train (the command line's part of it), not what."""

    seed: int
    verbose: int = 2
    mixed_precision: bool = False
    jit: bool = False
    strategy: str = "none"
    tensorboard: bool = False


@dataclass
class Fitted:
    model: Any  # keras.Model, the whole model (the feature-cache split trains its head in place)
    trained: Any  # the part that was fitted (the model, or its head on cached features)
    inputs: Any  # ImagePipeline or FeaturePipeline the trained part reads
    history: dict[str, list[float]]
    best_epoch: int | None
    op_determinism: bool
    precision: str
    feature_cache: bool
    weights_files: list[dict[str, Any]] = field(default_factory=list)
    images: Any = None  # the ImagePipeline (the images ``model`` takes, also behind a feature cache)


def pipeline(data: DataSource, prep: PreparedData, cfg: RunConfig, seed: int) -> Any:
    """The run's ImagePipeline: decoded images shared across seeds; the order and augmentation are the seed's."""
    from lungxray.data.pipeline import ImagePipeline

    binary = cfg.binary_positive is not None
    key = (cfg.image, cfg.augment, cfg.train.batch_size, binary, tuple(r.path for r in prep.records))
    pipe = data.pipelines.get(key)
    if pipe is None:
        pipe = ImagePipeline(data.root, prep.records, cfg.classes, cfg.image, cfg.augment, cfg.train.batch_size,
                             seed, binary=binary, hashes=prep.hashes, quiet=data.quiet)
        data.pipelines[key] = pipe
    pipe.seed = seed
    return pipe


def fit_model(data: DataSource, prep: PreparedData, cfg: RunConfig, opts: FitOptions, weights: str | None,
              run_dir: Path) -> Fitted:
    import keras

    from lungxray.models import build_model, n_outputs
    from lungxray.models.weight_files import recording
    from lungxray.run.backup import refuse_backup_beyond
    from lungxray.run.guard import check_free_space
    from lungxray.run.training import (
        best_epoch,
        compile_model,
        distribution_scope,
        fit,
        set_determinism,
        set_precision,
    )

    refuse_backup_beyond(run_dir / "backup", cfg.train.epochs)  # before any work
    op_det = set_determinism(opts.seed)
    binary = cfg.binary_positive is not None
    if binary and cfg.classes[1] != cfg.binary_positive:
        raise ValueError(f"binary_positive must be the second class, got {cfg.classes}")
    with stage(f"loading the {len(prep.records)} decoded images"):
        pipe = pipeline(data, prep, cfg, opts.seed)
    keras.backend.clear_session()
    set_determinism(opts.seed)
    policy = set_precision(opts.mixed_precision)
    scope = distribution_scope(opts.strategy)
    shape = (cfg.image.size, cfg.image.size, cfg.image.channels)
    with stage(f"building {cfg.model.name} ({'weights ' + weights if weights else 'random initialisation'})"), \
            scope, recording() as weights_files:  # the sha256 of each weights file loaded
        model = build_model(cfg.model, n_outputs(len(cfg.classes), binary), shape, weights)
    check_free_space(run_dir, model.count_params())
    inputs, trained = _feature_cache(data, pipe, model, cfg, opts.seed)
    with scope:
        compile_model(trained, cfg.train, binary, jit=opts.jit)
    log.info("training %d epoch%s (the first step compiles the model: it comes late)", cfg.train.epochs,
             "" if cfg.train.epochs == 1 else "s")
    history = fit(trained, inputs.dataset("train", training=True), _validation(inputs, cfg), cfg.train, run_dir,
                  cfg.train.epochs, class_weight=_class_weight(inputs, cfg), verbose=opts.verbose,
                  extra_callbacks=_callbacks(inputs, cfg, opts, run_dir))
    return Fitted(model, trained, inputs, history, best_epoch(history, cfg.train.select_best), op_det, policy,
                  inputs is not pipe, weights_files, pipe)


def _feature_cache(data: DataSource, pipe: Any, model: Any, cfg: RunConfig, seed: int) -> tuple[Any, Any]:
    """A frozen backbone with no augmentation sees the same features every epoch: compute them once."""
    from lungxray.run.features import FeaturePipeline, frozen_parts, weights_digest

    parts = frozen_parts(model)
    if parts is None or cfg.augment.active:
        return pipe, model
    key = (cfg.image, cfg.augment, cfg.train.batch_size, cfg.binary_positive is not None,
           tuple(r.path for r in pipe.records), weights_digest(parts[0]))
    if key not in data.features:
        log.info("frozen backbone, no augmentation: computing features once")
        data.features[key] = FeaturePipeline(pipe, parts[0])
    inputs = data.features[key]
    inputs.seed = seed
    return inputs, parts[1]


def _validation(inputs: Any, cfg: RunConfig) -> Any:
    from lungxray.data.pipeline import full_batches

    ds = inputs.dataset(cfg.val_split)
    if cfg.train.val_steps == "floor":
        ds = full_batches(ds, len(inputs.labels(cfg.val_split)), cfg.train.batch_size)
    return ds


def _class_weight(inputs: Any, cfg: RunConfig) -> dict[int, float] | None:
    from lungxray.data import balancing

    return balancing.class_weights(inputs.labels("train"), len(cfg.classes)) if cfg.train.class_weight else None


def _callbacks(inputs: Any, cfg: RunConfig, opts: FitOptions, run_dir: Path) -> list[Any]:
    """The run's own callbacks beside the study's (``lungxray.run.training.callbacks``)."""
    import keras

    from lungxray.run.training import BatchMeanAccuracy, EpochSeeds, TrainBatchMeanAccuracy

    binary = cfg.binary_positive is not None
    out = [EpochSeeds(opts.seed, inputs.epoch, getattr(inputs, "augmenter", None))]
    if cfg.train.batch_mean_accuracy:
        out.append(BatchMeanAccuracy(inputs.dataset(cfg.val_split), inputs.labels(cfg.val_split),
                                     cfg.train.batch_size, binary))
        out.append(TrainBatchMeanAccuracy(len(inputs.labels("train")), cfg.train.batch_size))
    if opts.tensorboard:
        out.append(keras.callbacks.TensorBoard(log_dir=str(run_dir / "tensorboard")))
    return out
