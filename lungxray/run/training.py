"""Fitting: determinism, the paper's callbacks, resumable training, model selection."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from lungxray.spec.registry import Registry
from lungxray.spec.study import TrainConfig

log = logging.getLogger(__name__)


def set_determinism(seed: int) -> bool:
    """Seed Python, NumPy and TF/Keras and turn on TF op determinism. Returns whether it is on."""
    keras.utils.set_random_seed(seed)
    if seed == 0:
        # TF compares (global seed, op seed) with (0, 0); with global seed 0 and the tensor op seed of
        # lungxray.data.pipeline.epoch_shuffled that comparison fails, so seed 0 uses another TF seed.
        tf.random.set_seed(2**31 - 2)  # (2**31 - 1 would be truncated back to 0)
    try:
        tf.config.experimental.enable_op_determinism()
        return True
    except Exception:  # pragma: no cover - very old TF
        return False


# TrainConfig.lr_schedule -> the LearningRateScheduler function (None: a constant rate, no scheduler)
SCHEDULES: Registry[Callable[[int, float], float] | None] = Registry("learning-rate schedule")
SCHEDULES.add("constant", None)
SCHEDULES.add("exp-0.1", lambda epoch, lr: lr if epoch == 0 else float(lr * math.exp(-0.1)))  # x e^-0.1 per epoch


def lr_schedule(name: str) -> Callable[[int, float], float] | None:
    try:
        return SCHEDULES[name]
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None


def make_optimizer(cfg: TrainConfig) -> keras.optimizers.Optimizer:
    opt = keras.optimizers.get(cfg.optimizer)
    return opt.__class__(learning_rate=cfg.learning_rate)


class BatchMeanAccuracy(keras.callbacks.Callback):
    """Adds ``val_batch_mean_accuracy`` to each epoch's logs: validation accuracy averaged over
    batches, the way a PyTorch loop that averages per-batch accuracies reports it."""

    def __init__(self, val_ds, y_true: np.ndarray, batch_size: int, binary: bool):
        super().__init__()
        self.val_ds, self.y_true, self.batch_size, self.binary = val_ds, y_true, batch_size, binary

    def on_epoch_end(self, epoch, logs=None):
        from lungxray.judge.metrics import batch_mean_accuracy

        p = np.asarray(self.model.predict(self.val_ds, verbose=0))
        y_pred = (p.reshape(-1) > 0.5).astype(int) if self.binary else p.argmax(axis=1)
        if logs is not None:
            logs["val_batch_mean_accuracy"] = batch_mean_accuracy(self.y_true, y_pred, self.batch_size)


class TrainBatchMeanAccuracy(keras.callbacks.Callback):
    """Adds ``batch_mean_accuracy`` to each epoch's logs: training accuracy averaged over batches, as
    a PyTorch loop that averages per-batch accuracies reports its "train acc".

    Keras logs a running, image-weighted accuracy after each batch; with batches of ``batch_size``
    over ``n`` images (last batch short) each batch's correct count is the difference of two running
    totals, rounded to a whole number. Exact without class or sample weights (they weight the metric).
    """

    def __init__(self, n: int, batch_size: int, key: str = "accuracy"):
        super().__init__()
        self.n, self.batch_size, self.key = n, batch_size, key
        self._seen, self._correct, self._accs = 0, 0, []

    def on_epoch_begin(self, epoch, logs=None):
        self._seen, self._correct, self._accs = 0, 0, []

    def on_train_batch_end(self, batch, logs=None):
        if not logs or self.key not in logs:
            return
        size = min(self.batch_size, self.n - self._seen)
        if size <= 0:
            return
        self._seen += size
        total = int(round(float(logs[self.key]) * self._seen))
        self._accs.append((total - self._correct) / size)
        self._correct = total

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self._accs:
            logs["batch_mean_accuracy"] = float(np.mean(self._accs))


class EpochSeeds(keras.callbacks.Callback):
    """At the start of each epoch, set every random state from (seed, epoch): the data order,
    the augmentation layers' and the model's seed generators (dropout). A run resumed at epoch
    k then draws exactly what an uninterrupted run draws at epoch k."""

    def __init__(self, seed: int, epoch_var=None, augmenter=None):
        super().__init__()
        self.seed, self.epoch_var, self.augmenter = seed, epoch_var, augmenter

    def _states(self):
        models = [m for m in (self.model, self.augmenter) if m is not None]
        return [v for m in models for v in m.variables if "seed_generator_state" in v.path]

    def on_epoch_begin(self, epoch, logs=None):
        if self.epoch_var is not None:
            self.epoch_var.assign(epoch)
        for i, v in enumerate(self._states()):
            v.assign(np.array([self.seed * 1009 + i, epoch], dtype=keras.backend.standardize_dtype(v.dtype)))


class CallbackState(keras.callbacks.Callback):
    """Saves the counters of EarlyStopping, ReduceLROnPlateau and ModelCheckpoint with each backup
    and restores them on resume (Keras' BackupAndRestore keeps only weights, optimizer, epoch)."""

    FIELDS = {"EarlyStopping": ("wait", "best", "stopped_epoch", "best_epoch"),
              "ReduceLROnPlateau": ("wait", "best", "cooldown_counter"),
              "ModelCheckpoint": ("best",)}

    def __init__(self, path: Path, others: list[keras.callbacks.Callback]):
        super().__init__()
        self.path, self.others = path, others

    def on_train_begin(self, logs=None):
        import json

        if self.path.exists() and getattr(self.model, "_initial_epoch", 0):
            saved = json.loads(self.path.read_text())
            for cb in self.others:
                for k, v in saved.get(type(cb).__name__, {}).items():
                    setattr(cb, k, v)

    def on_epoch_end(self, epoch, logs=None):
        import json

        from lungxray.results.files import atomic_write_text

        state = {type(cb).__name__: {k: _plain(getattr(cb, k)) for k in self.FIELDS[type(cb).__name__]
                                     if hasattr(cb, k)}
                 for cb in self.others if type(cb).__name__ in self.FIELDS}
        atomic_write_text(self.path, json.dumps(state))


def _plain(v):
    try:
        return float(v) if not isinstance(v, int | bool) else v
    except (TypeError, ValueError):
        return None


def callbacks(cfg: TrainConfig, workdir: Path, verbose: int = 1,
              extra: list[keras.callbacks.Callback] | None = None) -> list[keras.callbacks.Callback]:
    from lungxray.run.backup import SafeBackupAndRestore

    cbs: list[keras.callbacks.Callback] = [*(extra or []),
        # Resumes an interrupted run from workdir/backup at the start of the last unfinished epoch.
        # (atomic, digest-checked; a damaged backup falls back to the previous one: lungxray.run.backup)
        SafeBackupAndRestore(workdir / "backup"),
    ]
    if cfg.select_best:
        mode = "max" if "acc" in cfg.select_best else "min"
        cbs.append(keras.callbacks.ModelCheckpoint(str(workdir / "best.weights.h5"), monitor=cfg.select_best,
                                                   mode=mode, save_best_only=True, save_weights_only=True,
                                                   verbose=0))
    if cfg.early_stopping_patience is not None:
        cbs.append(keras.callbacks.EarlyStopping(monitor=cfg.early_stopping_monitor,
                                                 patience=cfg.early_stopping_patience, verbose=verbose))
    if cfg.reduce_lr_patience is not None:
        cbs.append(keras.callbacks.ReduceLROnPlateau(monitor=cfg.reduce_lr_monitor, factor=cfg.reduce_lr_factor,
                                                     patience=cfg.reduce_lr_patience, verbose=verbose))
    sched = lr_schedule(cfg.lr_schedule)
    if sched is not None:
        cbs.append(keras.callbacks.LearningRateScheduler(sched, verbose=0))
    cbs.append(keras.callbacks.CSVLogger(str(workdir / "history.csv"), append=True))
    cbs.append(CallbackState(workdir / "callback_state.json", list(cbs)))  # last: after their on_train_begin
    return cbs


def compile_model(model: keras.Model, cfg: TrainConfig, binary: bool, jit: bool = False) -> None:
    """``jit``: XLA-compile the train step (GPU speed-up; changes float rounding, so off by default)."""
    loss = "binary_crossentropy" if binary else "sparse_categorical_crossentropy"
    metric = keras.metrics.BinaryAccuracy(name="accuracy") if binary else \
        keras.metrics.SparseCategoricalAccuracy(name="accuracy")
    model.compile(optimizer=make_optimizer(cfg), loss=loss, metrics=[metric], jit_compile=jit)


def distribution_scope(strategy: str):
    """A context for building and compiling: "none", or "mirrored" (tf.distribute.MirroredStrategy over
    all local GPUs; the global batch stays the paper's batch size, split across replicas)."""
    import contextlib

    if strategy == "none":
        return contextlib.nullcontext()
    if strategy == "mirrored":
        return tf.distribute.MirroredStrategy().scope()
    raise ValueError(f"unknown strategy {strategy!r}: none or mirrored")


def set_precision(mixed: bool) -> str:
    """mixed_float16 on request (GPU speed-up; changes the numbers), else float32. Returns the policy."""
    policy = "mixed_float16" if mixed else "float32"
    keras.mixed_precision.set_global_policy(policy)
    return policy


def fit(model: keras.Model, train_ds, val_ds, cfg: TrainConfig, workdir: Path, epochs: int,
        class_weight: dict[int, float] | None = None, verbose: int = 2,
        extra_callbacks: list[keras.callbacks.Callback] | None = None) -> dict[str, list[float]]:
    """Train; afterwards ``model`` holds the selected weights (best on ``select_best``, else last)."""
    workdir.mkdir(parents=True, exist_ok=True)
    hist = model.fit(train_ds, validation_data=val_ds, epochs=epochs, class_weight=class_weight, shuffle=False,
                     callbacks=callbacks(cfg, workdir, verbose, extra_callbacks), verbose=verbose)
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    csv = workdir / "history.csv"
    if csv.exists():  # after a resume, Keras' History only has the epochs run since; CSVLogger has all
        history = read_history_csv(csv)
    best = workdir / "best.weights.h5"
    if cfg.select_best and best.exists():
        model.load_weights(str(best))
    return history


def read_history_csv(path: Path) -> dict[str, list[float]]:
    import csv

    rows: dict[int, dict[str, str]] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            rows[int(row["epoch"])] = row  # a resumed epoch replaces the interrupted one
    keys = [k for k in next(iter(rows.values()), {}) if k != "epoch"]
    return {k: [float(rows[e][k]) for e in sorted(rows)] for k in keys}


def best_epoch(history: dict[str, list[float]], monitor: str | None) -> int | None:
    if not monitor or monitor not in history:
        return None
    vals = np.asarray(history[monitor])
    return int(np.argmax(vals) if "acc" in monitor else np.argmin(vals))


def predict_proba(model: keras.Model, ds) -> np.ndarray:
    return np.asarray(model.predict(ds, verbose=0))
