"""Running a study: the ``python -m reproductions.<id>`` command line and its pipeline.

dataset -> split manifest -> tf.data -> model -> fit -> predictions -> metrics ->
results.json -> report.pdf, one run folder per experiment.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from lungxray.errors import DataError, LungxrayError
from lungxray.study import Experiment, RunConfig, Study

log = logging.getLogger("lungxray")


def build_parser(study: Study) -> argparse.ArgumentParser:
    exps = ", ".join(e.name for e in study.experiments)
    p = argparse.ArgumentParser(
        prog=f"python -m reproductions.{study.id}",
        description=f"{study.title}\n\n{study.summary}\n\nExperiments: {exps}. Each writes a run folder "
        "with results.json, predictions.csv, manifest.csv and report.pdf.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Examples:\n"
        f"  python -m reproductions.{study.id} --smoke                 # 2-minute check on generated data\n"
        f"  python -m reproductions.{study.id} --data-dir DIR          # faithful run (needs ImageNet weights)\n"
        f"  python -m reproductions.{study.id} --data-dir DIR --weights none   # offline, NOT faithful\n"
        f"  python -m reproductions.{study.id} --list-variants\n",
    )
    d = p.add_argument_group("data")
    d.add_argument("--data-dir", help=f"dataset folder (else ${'LUNGXRAY_DATA'}, else --download)")
    d.add_argument("--download", action="store_true", help="fetch the dataset from Kaggle with kagglehub")
    d.add_argument("--manifest", help="reuse the split in this manifest.csv (from an earlier run)")
    d.add_argument("--allow-count-mismatch", action="store_true",
                   help="run even when per-class counts differ from the published dataset (marked in the results)")
    m = p.add_argument_group("model and training")
    m.add_argument("--weights", default="imagenet",
                   help="imagenet (default; Keras cache in ~/.keras/models), none (random init, not faithful), "
                   "or PATH to a weights file")
    m.add_argument("--variant", action="append", default=[], metavar="NAME=CHOICE",
                   help="choose a reading of an unstated detail (see --list-variants); repeatable")
    m.add_argument("--experiment", action="append", default=[], metavar="NAME",
                   help=f"run only this experiment (repeatable; default all: {exps})")
    m.add_argument("--epochs", type=int, help="override the paper's epoch count (marks the run as not faithful)")
    m.add_argument("--seed", type=int, default=42, help="seed for split, initialisation, shuffling, augmentation")
    m.add_argument("--runs", type=int, default=1, metavar="K",
                   help="train K times with seeds SEED..SEED+K-1 on one split (made with SEED); each run is kept "
                   "in <experiment>/seed-N/ and aggregate.json holds mean ± std, the interval where one more run "
                   "lands and the verdicts")
    m.add_argument("--resplit", action="store_true",
                   help="with --runs K: every run draws its own split (and, with a random subset variant, its own "
                   "images) from its seed, so the spread over seeds includes which images were used")
    g = p.add_argument_group("bigger machines (off by default: they change the numbers)")
    g.add_argument("--mixed-precision", action="store_true", help="mixed_float16 compute (GPU)")
    g.add_argument("--jit", action="store_true", help="XLA-compile the training step")
    g.add_argument("--strategy", choices=("none", "mirrored"), default="none",
                   help="mirrored: tf.distribute.MirroredStrategy over all local GPUs, same global batch size")
    o = p.add_argument_group("output")
    o.add_argument("--out", help=f"parent folder of the run folders (default runs/{study.id})")
    o.add_argument("--overwrite", action="store_true", help="replace a finished run folder instead of making -2, -3")
    o.add_argument("--smoke", action="store_true",
                   help="generate a small dataset in this study's layout and run everything quickly "
                   "(weights none, few epochs); proves the pipeline, not the paper")
    o.add_argument("--list-variants", action="store_true", help="print the variants and their defaults, then exit")
    o.add_argument("-q", "--quiet", action="store_true", help="less output")
    return p


def parse_variants(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for it in items:
        if "=" not in it:
            raise LungxrayError(f"--variant {it!r}: expected NAME=CHOICE (see --list-variants)")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def variants_text(study: Study) -> str:
    lines = [f"Variants of {study.id} (choose with --variant NAME=CHOICE):"]
    for v in study.variants:
        lines.append(f"\n{v.name}: {v.question}")
        for c, meaning in v.choices.items():
            mark = " (default)" if c == v.default else ""
            lines.append(f"  {c}{mark}: {meaning}")
        if v.why_default:
            lines.append(f"  why the default: {v.why_default}")
    return "\n".join(lines)


@dataclass
class RunOptions:
    data_dir: str | None = None
    download: bool = False
    manifest: str | None = None
    allow_count_mismatch: bool = False
    weights: str = "imagenet"
    variants: dict[str, str] | None = None
    experiments: tuple[str, ...] = ()
    epochs: int | None = None
    seed: int = 42
    out: str | None = None
    overwrite: bool = False
    smoke: bool = False
    verbose: int = 2
    runs: int = 1
    split_seed: int | None = None  # None: the run's seed
    mixed_precision: bool = False
    jit: bool = False
    strategy: str = "none"
    resplit: bool = False  # with runs > 1: split seed = run seed

    @classmethod
    def from_args(cls, a: argparse.Namespace) -> RunOptions:
        if a.runs < 1:
            raise LungxrayError("--runs must be at least 1")
        return cls(a.data_dir, a.download, a.manifest, a.allow_count_mismatch, a.weights,
                   parse_variants(a.variant), tuple(a.experiment), a.epochs, a.seed, a.out, a.overwrite,
                   a.smoke, 0 if a.quiet else 2, a.runs, None, a.mixed_precision, a.jit, a.strategy,
                   a.resplit)


def main(study: Study, argv: Sequence[str] | None = None) -> int:
    args = build_parser(study).parse_args(argv)
    if args.list_variants:
        print(variants_text(study))
        return 0
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    from lungxray import guard

    try:
        dirs = run_study(study, RunOptions.from_args(args))
    except KeyboardInterrupt:
        print(guard.interrupted_message(f"python -m reproductions.{study.id}",
                                        sys.argv[1:] if argv is None else argv), file=sys.stderr)
        return 130
    except (LungxrayError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 2)
    except OSError as exc:
        if not guard.is_disk_full(exc):
            raise
        print(f"error: {guard.disk_full_error(exc)}", file=sys.stderr)
        return 1
    for d in dirs:
        print(f"wrote {d}/")
    return 0


# ---------------------------------------------------------------------------------------------


def _select_subset(records, cfg: RunConfig, seed: int):
    if cfg.per_class_limit is None:
        return records
    out = []
    for c in cfg.classes:
        rs = [r for r in records if r.label == c]
        if cfg.subset_selection == "random":
            idx = np.sort(np.random.default_rng(seed).choice(len(rs), size=min(cfg.per_class_limit, len(rs)),
                                                             replace=False))
            rs = [rs[i] for i in idx]
        else:  # "first": natural file-name order, as the layout scan returns them
            rs = rs[: cfg.per_class_limit]
        if len(rs) < cfg.per_class_limit:
            raise DataError(f"class {c} has only {len(rs)} images; the study uses {cfg.per_class_limit}")
        out += rs
    return out


class _Data:
    """Discovered data, shared by the experiments of one study run."""

    def __init__(self, study: Study, opts: RunOptions, tmp: Path | None, cfg0: RunConfig):
        from lungxray.data import discover, get_dataset
        from lungxray.data.synthetic import make_dataset

        self.spec = get_dataset(cfg0.dataset)
        self.synthetic = opts.smoke
        if opts.smoke:
            data_dir = make_dataset(cfg0.dataset, tmp / "smoke-data", study.smoke.per_class, opts.seed,
                                    classes=cfg0.classes)
        else:
            data_dir = opts.data_dir
        self.found = discover(self.spec, data_dir, opts.download)
        self.pipelines: dict[Any, Any] = {}
        self.features: dict[Any, Any] = {}  # frozen-backbone features, shared by experiments
        self._screen: dict[str, tuple[str | None, str | None]] = {}
        self._decoded: set = set()  # (path, image settings) in the decode cache
        self.quiet = opts.verbose == 0

    def screened(self, records, image=None):
        """Screen and decode each file in one pass, once ever (lungxray.data.cache: decoded images persist
        across runs); unreadable files are skipped, logged and reported."""
        from lungxray.data.cache import screen_decode

        todo = [r for r in records if r.path not in self._screen or (image is not None and self._screen[r.path][0]
                                                                     is None and (r.path, image) not in self._decoded)]
        if todo:
            good, bad, hashes = screen_decode(self.found.root, list({r.path: r for r in todo}.values()), image,
                                              quiet=self.quiet)
            for b in bad:
                self._screen[b["file"]] = (b["reason"], None)
                log.warning("skipped %s: %s", b["file"], b["reason"])
            for r in good:
                self._screen[r.path] = (None, hashes[r.path])
                self._decoded.add((r.path, image))
        ok = [r for r in records if self._screen[r.path][0] is None]
        bad = [{"file": r.path, "reason": self._screen[r.path][0]} for r in records if self._screen[r.path][0]]
        return ok, bad, {r.path: self._screen[r.path][1] for r in ok}


def run_study(study: Study, opts: RunOptions) -> list[Path]:
    from lungxray.models.weights import parse_weights
    from lungxray.results import source_revision

    source_revision()  # pin the code revision now, before anything can change the checkout

    given = dict(opts.variants or {})
    if opts.smoke:
        given.update(study.smoke.variants)
    choices = study.resolve_variants(given)
    names = opts.experiments or (study.smoke.experiments if opts.smoke else ())
    exps = [study.experiment(n) for n in names] if names else list(study.experiments)
    weights = None if opts.smoke else parse_weights(opts.weights)
    out_parent = Path(opts.out or f"runs/{study.id}")
    from lungxray.guard import run_dir_locks

    with run_dir_locks(), tempfile.TemporaryDirectory(prefix="lungxray-") as tmp:
        data = _Data(study, opts, Path(tmp), exps[0].configure(choices))
        if opts.runs == 1:
            dirs = [run_experiment(study, e, choices, opts, data, weights, out_parent / e.name) for e in exps]
        else:
            from lungxray.results import write_aggregate

            dirs = []
            for e in exps:
                members = [run_experiment(study, e, choices,
                                          replace(opts, seed=opts.seed + k,
                                                  split_seed=opts.seed + k if opts.resplit else opts.seed),
                                          data, weights, out_parent / e.name / f"seed-{opts.seed + k}")
                           for k in range(opts.runs)]
                log.info("wrote %s", write_aggregate(out_parent / e.name, members))
                dirs += members
    if len(study.experiments) > 1 and opts.runs == 1:
        from lungxray.report.summary import write_summary

        log.info("wrote %s", write_summary(out_parent))
    return dirs


def _check_scan(data: _Data, cfg: RunConfig, opts: RunOptions) -> list[dict]:
    from lungxray.data.verify import count_mismatches

    scan = data.found.scan
    wanted = set(cfg.classes)
    missing = [c for c in scan.missing_classes if c.split("/")[-1] in wanted]
    if missing:
        raise DataError(f"{data.found.root}: class folder(s) missing: {', '.join(missing)}. This study needs "
                        f"{', '.join(cfg.classes)}; check --data-dir or the download.")
    empty = [c for c in scan.empty_classes if c.split("/")[-1] in wanted]
    if empty:
        raise DataError(f"{data.found.root}: class folder(s) with no images: {', '.join(empty)}.")
    if data.synthetic:
        return []
    mism = [asdict(m) for m in count_mismatches(data.spec, [r for r in scan.records if r.label in wanted],
                                                cfg.classes)]
    if mism and not opts.allow_count_mismatch:
        lines = "; ".join(f"{m['scope']}/{m['label']}: expected {m['expected']}, found {m['found']}" for m in mism)
        raise DataError(f"{data.found.root}: image counts differ from the published dataset ({lines}). "
                        "Check the download with `python -m lungxray verify-data "
                        f"{data.spec.key} --data-dir DIR`, or pass --allow-count-mismatch to run anyway "
                        "(the results then say so).")
    return mism


def image_sizes(root: Path, records, limit: int = 20) -> tuple[list[list[int]], int | None]:
    """The first ``limit`` distinct (width, height) of the run's images by size, and the smallest side of all,
    read from file headers (Pillow opens lazily, decoding nothing)."""
    from PIL import Image

    found: set[tuple[int, int]] = set()
    for r in records:
        try:
            with Image.open(root / r.path) as im:
                found.add(im.size)
        except OSError:
            continue
    return [list(s) for s in sorted(found)[:limit]], (min(min(s) for s in found) if found else None)


def run_experiment(study: Study, exp: Experiment, choices: dict[str, str], opts: RunOptions, data: _Data,
                   weights: str | None, out: Path) -> Path:
    import keras

    from lungxray import results as R
    from lungxray.data import balancing
    from lungxray.data.pipeline import ImagePipeline, full_batches
    from lungxray.data.splits import (
        make_split,
        manifest_hash,
        manifest_text,
        read_manifest,
        split_counts,
    )
    from lungxray.data.verify import cross_split_duplicates
    from lungxray.features import FeaturePipeline, frozen_parts, weights_digest
    from lungxray.guard import check_free_space, claim_run_dir
    from lungxray.models import build_model
    from lungxray.models.weights import describe
    from lungxray.report.pdf import write_report
    from lungxray.train import (
        BatchMeanAccuracy,
        EpochSeeds,
        TrainBatchMeanAccuracy,
        best_epoch,
        compile_model,
        distribution_scope,
        fit,
        set_determinism,
        set_precision,
    )

    t0 = time.time()
    cfg = exp.configure(choices)
    if opts.smoke and study.smoke.image_size:
        cfg = replace(cfg, image=replace(cfg.image, size=study.smoke.image_size))
    paper_epochs = cfg.train.epochs
    epochs = opts.epochs or (study.smoke.epochs if opts.smoke else paper_epochs)
    if opts.smoke:
        params = {**cfg.model.params, **study.smoke.model_params}
        cfg = replace(cfg, per_class_limit=None, model=replace(cfg.model, params=params))
    mism = _check_scan(data, cfg, opts)
    records = [r for r in data.found.records if r.label in cfg.classes]
    if opts.manifest:  # refuse a bad manifest (rows outside the dataset, missing files) before decoding anything
        read_manifest(opts.manifest, data.found.root, cfg.classes)
    records, unreadable, hashes = data.screened(records, cfg.image)
    split_seed = opts.seed if opts.split_seed is None else opts.split_seed
    records = _select_subset(records, cfg, split_seed)
    if opts.manifest:
        records = read_manifest(opts.manifest, data.found.root, cfg.classes)
    else:
        records = make_split(records, cfg.split, split_seed)
    if cfg.balancing != "none" and not opts.manifest:  # a given manifest already lists the resampled set
        train = balancing.resample([r for r in records if r.split == "train"], cfg.balancing, split_seed)
        records = train + [r for r in records if r.split != "train"]
    if opts.manifest:
        missing = [r.path for r in records if r.path not in hashes]
        if missing:
            raise DataError(f"--manifest {opts.manifest} names {len(missing)} file(s) that cannot be decoded: "
                            f"{', '.join(missing[:5])}. Fix or remove them, or drop --manifest.")
    dups = cross_split_duplicates(records, hashes)
    if dups:
        log.warning("%d group(s) of byte-identical images sit in more than one split (first: %s)", len(dups),
                    " = ".join(dups[0]["files"]))
    run_dir = claim_run_dir(out, opts.overwrite)  # locked for this process; a busy folder refuses
    log.info("%s/%s -> %s", study.id, exp.name, run_dir)
    R.atomic_write_text(run_dir / R.MANIFEST, manifest_text(records, hashes))  # with each file's sha256

    op_det = set_determinism(opts.seed)
    binary = cfg.binary_positive is not None
    if binary and cfg.classes[1] != cfg.binary_positive:
        raise ValueError(f"{exp.name}: binary_positive must be the second class, got {cfg.classes}")
    key = (cfg.image, cfg.augment, cfg.train.batch_size, binary, tuple(r.path for r in records))
    pipe = data.pipelines.get(key)
    if pipe is None:
        pipe = ImagePipeline(data.found.root, records, cfg.classes, cfg.image, cfg.augment,
                             cfg.train.batch_size, opts.seed, binary=binary, hashes=hashes, quiet=data.quiet)
        data.pipelines[key] = pipe
    pipe.seed = opts.seed  # decoded images are shared across seeds; the order and augmentation are not
    n_out = 1 if binary else len(cfg.classes)
    shape = (cfg.image.size, cfg.image.size, cfg.image.channels)
    keras.backend.clear_session()
    set_determinism(opts.seed)
    policy = set_precision(opts.mixed_precision)
    scope = distribution_scope(opts.strategy)
    from lungxray.models.weightfiles import recording

    with scope, recording() as weights_files:  # the sha256 of each weights file loaded
        model = build_model(cfg.model, n_out, shape, weights)
    check_free_space(run_dir, model.count_params())
    inputs, trained = pipe, model
    parts = frozen_parts(model)
    if parts is not None and not cfg.augment.active:  # same features every epoch: compute them once
        fkey = (key, weights_digest(parts[0]))
        if fkey not in data.features:
            log.info("frozen backbone, no augmentation: computing features once")
            data.features[fkey] = FeaturePipeline(pipe, parts[0])
        inputs, trained = data.features[fkey], parts[1]
        inputs.seed = opts.seed
    with scope:
        compile_model(trained, cfg.train, binary, jit=opts.jit)
    cw = balancing.class_weights(inputs.labels("train"), len(cfg.classes)) if cfg.train.class_weight else None
    train_cfg = replace(cfg.train, epochs=epochs)
    extra = [EpochSeeds(opts.seed, inputs.epoch, getattr(inputs, "augmenter", None))]
    if cfg.train.batch_mean_accuracy:
        extra.append(BatchMeanAccuracy(inputs.dataset(cfg.val_split), inputs.labels(cfg.val_split),
                                       cfg.train.batch_size, binary))
        extra.append(TrainBatchMeanAccuracy(len(inputs.labels("train")), cfg.train.batch_size))
    val_ds = inputs.dataset(cfg.val_split)
    if cfg.train.val_steps == "floor":
        val_ds = full_batches(val_ds, len(inputs.labels(cfg.val_split)), cfg.train.batch_size)
    history = fit(trained, inputs.dataset("train", training=True), val_ds, train_cfg,
                  run_dir, epochs, class_weight=cw, verbose=opts.verbose, extra_callbacks=extra)
    ev = evaluate(trained, inputs, "test", cfg, binary)
    best = best_epoch(history, cfg.train.select_best)
    files, y_true, y_pred, proba = (ev.pop(k) for k in ("files", "y_true", "y_pred", "proba"))
    R.write_predictions(run_dir / R.PREDICTIONS, files, y_true, y_pred, proba, cfg.classes)
    extra_evals = {name: extra_evaluation(name, y_pred, inputs, hashes, cfg) for name in cfg.extra_evaluations}
    result = {
        "schema": R.SCHEMA,
        "study": study.id,
        "experiment": exp.name,
        "title": f"{study.title}: {exp.title}",
        "faithful": None,  # filled by faithful.score below, with departures and comparison
        "unfaithful_reasons": [],
        "departures": [],
        "degenerate": None,
        "smoke": opts.smoke,
        "variant": choices,
        "variants": [{"name": v.name, "question": v.question, "choice": choices[v.name],
                      "meaning": v.choices[choices[v.name]], "default": v.default} for v in study.variants],
        "config": {**asdict(cfg), "train": asdict(train_cfg)},
        "provenance": {
            "seed": opts.seed,
            "split_seed": split_seed,
            "weights": ("not applicable" if not cfg.model.uses_pretrained
                        else "none" if weights is None else weights),
            "weights_description": describe(weights) if cfg.model.uses_pretrained else "not applicable (no pretrained part)",
            "weights_files": weights_files,
            "dataset": data.spec.key,
            "data_root": "generated by lungxray.data.synthetic (temporary)" if data.synthetic else str(data.found.root),
            "data_root_note": data.found.located.note,
            "data_subset": _subset_note(cfg, data, mism),
            "count_mismatches": mism,
            "count_mismatch_allowed": bool(mism),
            "skipped_files": [{"file": f, "reason": w} for f, w in data.found.scan.skipped] + unreadable,
            "duplicates_across_splits": dups,
            "manifest": R.MANIFEST,
            "manifest_given": opts.manifest,
            **dict(zip(("image_sizes", "image_min_side"),
                       ([], None) if data.synthetic else image_sizes(data.found.root, records), strict=True)),
            "manifest_sha256": manifest_hash(records),
            "counts": split_counts(records),
            "epochs_run": len(next(iter(history.values()), [])),
            "epochs_requested": epochs,
            "op_determinism": op_det,
            "mixed_precision": policy,
            "jit_compile": opts.jit,
            "strategy": opts.strategy,
            "feature_cache": inputs is not pipe,
            "versions": R.versions(),
            "device": R.device(),
            "command": " ".join([f"python -m reproductions.{study.id}", *sys.argv[1:]]),
            "duration_s": None,
        },
        "history": history,
        "best_epoch": best,
        "evaluation": ev,
        "extra_evaluations": extra_evals,
        "comparison": [],
        "published": published_dict(exp),
        "study_notes": list(study.notes),
    }
    from lungxray.faithful import score

    # intervals from the probabilities as predictions.csv holds them, so `lungxray check` recomputes them exactly
    score(result, study, y_true, y_pred, R.read_probabilities(run_dir / R.PREDICTIONS, cfg.classes))
    result["provenance"]["duration_s"] = round(time.time() - t0, 1)
    R.atomic_write_text(run_dir / R.RESULTS, R.dumps(result))
    write_report(result, run_dir / R.REPORT)
    return run_dir


def evaluate(model, pipe, split: str, cfg: RunConfig, binary: bool) -> dict[str, Any]:
    """Predict a split (from the pipeline's cache) and score it."""
    from lungxray import metrics as M
    from lungxray.train import predict_proba

    ds, y_true, files = pipe.dataset(split), pipe.labels(split), [r.path for r in pipe.split_records(split)]
    if cfg.train.test_steps == "floor":  # the generator idiom steps = n // batch: the last partial batch unseen
        from lungxray.data.pipeline import full_batches

        ds = full_batches(ds, len(y_true), cfg.train.batch_size)
        keep = min(len(y_true), max(1, len(y_true) // cfg.train.batch_size) * cfg.train.batch_size)
        y_true, files = y_true[:keep], files[:keep]
    proba = predict_proba(model, ds)
    if binary:
        p1 = proba.reshape(-1)
        proba = np.stack([1 - p1, p1], axis=1)
        y_pred = (p1 > 0.5).astype(int)
    else:
        y_pred = proba.argmax(axis=1)
    bs = cfg.train.batch_size if cfg.train.batch_mean_accuracy else None
    return {"split": split, "n": int(len(y_true)), "classes": list(cfg.classes),
            "confusion_matrix": M.confusion(y_true, y_pred, len(cfg.classes)).tolist(),
            "metrics": M.compute(y_true, y_pred, cfg.classes, 1 if binary else None, bs),
            # from the probabilities, so kept beside the metrics that predictions.csv recomputes
            "loss": M.cross_entropy(y_true, proba) if len(y_true) else float("nan"),
            "files": files, "y_true": y_true, "y_pred": y_pred,
            "proba": proba}


def extra_evaluation(name: str, test_pred: np.ndarray, pipe, hashes: dict[str, str], cfg: RunConfig) -> dict[str, Any]:
    """Re-score the test predictions on a corrected subset (no new inference, no new reads:
    ``hashes`` are the file digests taken when the images were screened)."""
    from lungxray import metrics as M

    if name != "test_deduplicated":
        raise ValueError(f"unknown extra evaluation {name!r}")
    test = pipe.split_records("test")[:len(test_pred)]  # test_steps="floor" scores only the full batches
    keep = deduplicated_test_mask(pipe, hashes)[:len(test_pred)]
    y_true, y_pred = pipe.labels("test")[:len(test_pred)][keep], test_pred[keep]
    per_class = {c: int((y_true == i).sum()) for i, c in enumerate(cfg.classes)}
    return {"description": "one copy of each distinct test image (sha256) that is not byte-identical to any "
                           "training image",
            "n": int(keep.sum()), "n_per_class": per_class,
            "excluded": [r.path for r, k in zip(test, keep, strict=True) if not k],
            "classes": list(cfg.classes),
            "confusion_matrix": M.confusion(y_true, y_pred, len(cfg.classes)).tolist(),
            "metrics": M.compute(y_true, y_pred, cfg.classes, None,
                                 cfg.train.batch_size if cfg.train.batch_mean_accuracy else None)}


def deduplicated_test_mask(pipe, hashes: dict[str, str]) -> np.ndarray:
    """Test records to keep: the first copy of each distinct image (by digest) not seen in training."""
    seen = {hashes[r.path] for r in pipe.split_records("train")}
    keep = []
    for r in pipe.split_records("test"):
        h = hashes[r.path]
        keep.append(h not in seen)
        seen.add(h)
    return np.array(keep, dtype=bool)


def _subset_note(cfg: RunConfig, data: _Data, mism) -> str:
    parts = []
    if data.synthetic:
        parts.append("generated smoke data")
    if cfg.per_class_limit:
        parts.append(f"{cfg.per_class_limit} per class ({cfg.subset_selection})")
    if mism:
        parts.append("counts differ from the published dataset")
    return "; ".join(parts) or "full dataset"


def published_dict(exp: Experiment) -> dict:
    p = exp.published
    return {"confusion_matrix": [list(r) for r in p.confusion_matrix] if p.confusion_matrix else None,
            "confusion_source": p.confusion_source,
            "history": {k: list(v) for k, v in p.history.items()}, "history_source": p.history_source}
