"""``lungxray bench``: how well the input pipeline feeds the model, against the papers' own loaders.

For one study's first experiment (its model, batch size and augmentation, random weights), on
real PNGs from disk (or generated ones in the study's layout), it times:

1. model only: the training step fed from a batch already in memory (the ceiling);
2. the package's tf.data pipeline + the same training step, augmentation on (a cold epoch that
   decodes, and a warm one served from the decode cache);
3. the way the papers wrote it: Keras ``ImageDataGenerator.flow_from_directory`` with the same
   augmentation, same model and batch size.

It prints images per second and the ratios (keyed in ``--json``); targets (issue #16): warm (2) >= 0.9 x (1),
warm (2) >= 2 x (3). The cold epoch decodes into a temporary decode cache, so it stays cold on a machine whose
own cache already holds the images. ``lungxray bench --data-stage`` (lungxray.cli.bench_data) times the data stage.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# real data in ../shared/datasets (this project's machines), by dataset key
SHARED = {"chest-ctscan": "chest-ctscan-images", "covid19-radiography": "covid19-radiography"}


@dataclass
class BenchResult:
    study: str
    experiment: str
    model: str
    batch_size: int
    batches: int
    images: int  # per timed epoch; every warm figure is the median of ``rounds`` interleaved epochs
    data: str
    model_only: float  # images / s
    pipeline_cold: float
    pipeline_warm: float
    image_data_generator: float | None
    idg_note: str
    feature_forward_s: float | None = None  # frozen backbone: one forward pass over the images
    feature_training_s: float | None = None  # ... and the paper's epochs of head training on cached features
    feature_epochs: int | None = None
    pipeline_warm_sequential: float | None = None  # the same, augmentation as one resampling per layer (before #16)

    def ratios(self) -> dict[str, float | None]:
        return {"pipeline_warm / model_only": self.pipeline_warm / self.model_only,
                "pipeline_cold / model_only": self.pipeline_cold / self.model_only,
                "pipeline_warm / ImageDataGenerator": (self.pipeline_warm / self.image_data_generator
                                                       if self.image_data_generator else None),
                "pipeline_cold / ImageDataGenerator": (self.pipeline_cold / self.image_data_generator
                                                       if self.image_data_generator else None),
                "pipeline_warm_sequential / model_only": (self.pipeline_warm_sequential / self.model_only
                                                          if self.pipeline_warm_sequential else None)}

    def targets(self) -> dict[str, bool | None]:
        r = self.ratios()
        idg = r["pipeline_warm / ImageDataGenerator"]
        return {"pipeline_warm / model_only >= 0.9": r["pipeline_warm / model_only"] >= 0.9,
                "pipeline_warm / ImageDataGenerator >= 2": None if idg is None else idg >= 2.0}

    def to_text(self) -> str:
        idg = f"{self.image_data_generator:8.1f}" if self.image_data_generator else "     n/a"
        lines = [f"{self.study}/{self.experiment}: {self.model}, batch {self.batch_size}, {self.batches} batches "
                 f"({self.images} images), data: {self.data}",
                 f"  1. model only (batch in memory)         {self.model_only:8.1f} img/s",
                 f"  2. tf.data pipeline + model, cold epoch  {self.pipeline_cold:8.1f} img/s (decodes)",
                 f"     tf.data pipeline + model, warm epoch  {self.pipeline_warm:8.1f} img/s (decode cache)",
                 *([f"     same, augmentation layer by layer     {self.pipeline_warm_sequential:8.1f} img/s "
                    "(one resampling per layer)"] if self.pipeline_warm_sequential else []),
                 f"  3. ImageDataGenerator + model           {idg} img/s {self.idg_note}"]
        for k, v in self.ratios().items():
            lines.append(f"  {k:38s} {v:6.2f}" if v is not None else f"  {k:38s}    n/a")
        if self.feature_forward_s is not None:
            total = self.feature_forward_s + self.feature_training_s
            lines.append(f"  frozen backbone: forward pass {self.feature_forward_s:.2f} s, {self.feature_epochs} epochs "
                         f"of head training on cached features {self.feature_training_s:.2f} s: all "
                         f"{self.feature_epochs} epochs cost {total / self.feature_forward_s:.2f} x one forward pass "
                         "(target <= 1.5)")
        return "\n".join(lines)


def _time_fit(model, ds, steps: int) -> float:
    t = time.perf_counter()
    model.fit(ds, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
    return time.perf_counter() - t


def _idg_kwargs(aug) -> dict:
    kw = {}
    if aug.rotation_deg:
        kw["rotation_range"] = aug.rotation_deg
    if aug.hflip:
        kw["horizontal_flip"] = True
    if aug.vflip:
        kw["vertical_flip"] = True
    if aug.zoom or aug.crop:
        kw["zoom_range"] = max(aug.zoom, aug.crop)
    if aug.shift:
        kw["width_shift_range"] = kw["height_shift_range"] = aug.shift
    if aug.brightness:
        kw["brightness_range"] = (1 - aug.brightness, 1 + aug.brightness)
    return kw


def bench(study_id: str, data_dir: str | None = None, batches: int = 8, seed: int = 0, rounds: int = 3) -> BenchResult:
    import keras

    from lungxray.data.cache import DecodeCache
    from lungxray.data.pipeline import ImagePipeline
    from lungxray.models import build_model, n_outputs
    from lungxray.run.training import compile_model, set_determinism
    from lungxray.spec.study import get_study

    study = get_study(study_id)
    exp = study.experiments[0]
    cfg = study.resolve(exp)
    bs, n, binary = cfg.train.batch_size, cfg.train.batch_size * batches, cfg.binary_positive is not None
    tmp = tempfile.TemporaryDirectory(prefix="lungxray-bench-")
    root, recs, source = _images(cfg, data_dir, n, seed, Path(tmp.name))
    set_determinism(seed)
    cache = DecodeCache(Path(tmp.name) / "cache")  # empty: the cold epoch decodes

    def pipeline(records: list, store: DecodeCache) -> ImagePipeline:
        return ImagePipeline(root, records, cfg.classes, cfg.image, cfg.augment, bs, seed, binary=binary, cache=store)

    pipe = pipeline(recs, DecodeCache(Path(tmp.name) / "cache-model-only"))
    model = build_model(cfg.model, n_outputs(len(cfg.classes), binary), (cfg.image.size, cfg.image.size,
                                                                          cfg.image.channels), None)
    compile_model(model, cfg.train, binary)
    # 1. model only: one batch held in memory, repeated (the pipeline's element spec: one traced train step)
    mem = pipe.dataset("train", training=False).take(1).cache().repeat()
    for _ in mem.take(1):  # fill the one-batch cache outside the timing
        pass
    pipe = pipeline(recs, cache)  # cold
    _time_fit(model, mem, 2)  # warm-up: trace and build
    # 2. the package's pipeline: cold (decode) once, then warm
    t = time.perf_counter()
    train = pipe.dataset("train", training=True)  # decodes into the (empty) cache
    t_cold = time.perf_counter() - t + _time_fit(model, train, batches)
    loaders = {"model": mem, "warm": train}
    if pipe.augmenter is not None:  # the same draws applied one layer at a time, as before issue #16
        from lungxray.data.augment import build_augmenter

        seq_pipe = pipeline(recs, cache)
        seq_pipe._augmenter = build_augmenter(cfg.augment, seed, composed=False)
        loaders["sequential"] = seq_pipe.dataset("train", training=True)
    # 3. ImageDataGenerator.flow_from_directory, as the papers wrote it
    idg, note = _idg_loader(cfg, root, recs, Path(tmp.name) / "flow", seed)
    if idg is not None:
        loaders["idg"] = idg
    med = _interleaved(model, loaders, batches, rounds)
    f_fwd, f_train = _feature_timing(model, cfg, recs, lambda r: pipeline(r, cache))
    tmp.cleanup()
    keras.backend.clear_session()
    t_seq = med.get("sequential")
    return BenchResult(study_id, exp.name, cfg.model.name, bs, batches, n, source, n / med["model"], n / t_cold,
                       n / med["warm"], n / med["idg"] if "idg" in med else None, note, f_fwd, f_train,
                       cfg.train.epochs if f_fwd else None, n / t_seq if t_seq else None)


def _images(cfg, data_dir: str | None, n: int, seed: int, tmp: Path) -> tuple[Path, list, str]:
    """``n`` training records drawn from real data here (``SHARED``) or ``data_dir``, else generated PNGs."""
    from lungxray.data import discover, get_dataset
    from lungxray.data.synthetic import make_dataset

    if data_dir is None and cfg.dataset in SHARED:
        cand = Path(__file__).resolve().parents[2] / "shared" / "datasets" / SHARED[cfg.dataset]
        data_dir = str(cand) if cand.is_dir() else None
    if data_dir is None:
        per_class = -(-n // len(cfg.classes)) + 2
        data_dir = str(make_dataset(cfg.dataset, tmp / "data", per_class, seed, cfg.classes, size=256))
        source = "generated PNGs (no real data for this study here)"
    else:
        source = f"real PNGs from {data_dir}"
    found = discover(get_dataset(cfg.dataset), data_dir)
    recs = [r for r in found.records if r.label in cfg.classes]
    rng = np.random.default_rng(seed)
    recs = [recs[i] for i in sorted(rng.choice(len(recs), size=min(n, len(recs)), replace=False))]
    if len(recs) < n:
        raise ValueError(f"need {n} images for batches of {cfg.train.batch_size}, found {len(recs)}")
    return found.root, [r.__class__(r.path, r.label, "train", r.group) for r in recs], source


def _idg_loader(cfg, root: Path, recs: list, flat: Path, seed: int) -> tuple[object | None, str]:
    """Keras' ImageDataGenerator.flow_from_directory over the same files (linked), with the same augmentation."""
    try:
        from keras.src.legacy.preprocessing.image import ImageDataGenerator
    except ImportError as exc:
        return None, f"(not available: {exc})"
    for r in recs:  # flow_from_directory wants <dir>/<class>/<file>: link the same files
        dst = flat / r.label / r.path.replace("/", "__")
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(root / r.path, dst)
    with contextlib.redirect_stdout(sys.stderr):  # "Found N images belonging to K classes." is not JSON
        gen = ImageDataGenerator(rescale=1 / 255, **_idg_kwargs(cfg.augment)).flow_from_directory(
            str(flat), target_size=(cfg.image.size, cfg.image.size),
            color_mode="grayscale" if cfg.image.color == "grayscale" else "rgb",
            class_mode="binary" if cfg.binary_positive is not None else "sparse", batch_size=cfg.train.batch_size,
            shuffle=True, seed=seed,
            interpolation=(cfg.image.resize_method if cfg.image.resize_method in ("nearest", "bilinear")
                           else "bilinear"))
    return gen, "(decodes every epoch: it has no cache)"


def _interleaved(model, loaders: dict, batches: int, rounds: int) -> dict[str, float]:
    """The median time of ``batches`` training steps per loader, over interleaved rounds (on shared cores the
    load drifts between measurements)."""
    for ds in loaders.values():  # warm-up: trace, fill caches
        _time_fit(model, ds, 1)
    times: dict[str, list[float]] = {k: [] for k in loaders}
    for _ in range(rounds):
        for k, ds in loaders.items():
            times[k].append(_time_fit(model, ds, batches))
    return {k: float(np.median(v)) for k, v in times.items()}


def _feature_timing(model, cfg, recs: list, pipeline) -> tuple[float | None, float | None]:
    """A frozen backbone without augmentation: one forward pass for the features, then the paper's epochs of
    head training on them (seconds each); (None, None) where the model trains its backbone or augments."""
    from lungxray.run.features import FeaturePipeline, frozen_parts
    from lungxray.run.training import compile_model

    parts = frozen_parts(model)
    if parts is None or cfg.augment.active:
        return None, None
    eval_recs = [r.__class__(r.path, r.label, s, r.group) for r, s in zip(recs, ("train", "val") * len(recs),
                                                                            strict=False)]
    fpipe = pipeline(eval_recs)
    list(fpipe.dataset("train"))  # decode once, so the timing is the backbone's alone
    list(fpipe.dataset("val"))
    t = time.perf_counter()
    feats = FeaturePipeline(fpipe, parts[0])
    f_fwd = time.perf_counter() - t
    head = parts[1]
    compile_model(head, cfg.train, cfg.binary_positive is not None)
    t = time.perf_counter()
    head.fit(feats.dataset("train", training=True), validation_data=feats.dataset("val"), epochs=cfg.train.epochs,
             verbose=0)
    return f_fwd, time.perf_counter() - t


def main(study: str, data_dir: str | None, batches: int, as_json: bool) -> int:
    r = bench(study, data_dir, batches)
    if as_json:
        print(json.dumps({**r.__dict__, "ratios": r.ratios(), "targets": r.targets()}, indent=2))
    else:
        print(r.to_text())
    return 0
