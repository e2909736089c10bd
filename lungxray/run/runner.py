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
from dataclasses import dataclass, replace
from pathlib import Path

from lungxray._util.env import DEBUG, check_environment, flag
from lungxray._util.progress import keras_verbosity, stage
from lungxray._util.shutdown import stop_input_pipelines
from lungxray._util.version import VersionAction
from lungxray.errors import LungxrayError, ResultsError
from lungxray.judge.verdict import design_of, reach
from lungxray.results.types import RunResult
from lungxray.run.prepare import DataSource, prepare
from lungxray.spec.study import Experiment, RunConfig, Study

log = logging.getLogger("lungxray")


def build_parser(study: Study) -> argparse.ArgumentParser:
    exps = ", ".join(e.name for e in study.experiments)
    p = argparse.ArgumentParser(
        prog=f"python -m reproductions.{study.id}",
        description=f"{study.title}\n\n{study.summary}\n\nExperiments: {exps}. Each writes a run folder "
        "with results.json, predictions.csv, manifest.csv and report.pdf.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=examples(study),
    )
    p.add_argument("--version", action=VersionAction, help="print the version and the git revision of the code, and exit")
    p.add_argument("--verbose-tf", action="store_true", help="keep TensorFlow's start-up log lines")
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
                   "lands and the verdicts; the same command again after an interruption keeps the finished seeds")
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
    o.add_argument("--tensorboard", action="store_true",
                   help="write TensorBoard logs to <run folder>/tensorboard (keras.callbacks.TensorBoard)")
    o.add_argument("--list-variants", action="store_true", help="print the variants and their defaults, then exit")
    o.add_argument("-q", "--quiet", action="store_true", help="less output")
    return p


def examples(study: Study) -> str:
    """The --help examples, true for this study: what a faithful run needs (its weight files, where they come
    from), or that it needs no pretrained weights at all."""
    from lungxray.models.weight_files import WEIGHTS_ARG, study_weight_files

    files = study_weight_files(study)
    cmd = f"python -m reproductions.{study.id}"
    lines = ["Examples:", f"  {cmd} --smoke                 # 2-minute check on generated data"]
    if not files:
        lines.append(f"  {cmd} --data-dir DIR          # faithful run (no pretrained part: no weights needed)")
    else:
        given = [f for f, _ in files if f.place == WEIGHTS_ARG]  # Keras cannot fetch it: --imagenet cannot work
        faithful = f"{cmd} --data-dir DIR --weights {given[0].name}" if given else f"{cmd} --data-dir DIR"
        lines += [f"  {faithful}   # faithful run (needs the pretrained weights below)",
                  f"  {cmd} --data-dir DIR --weights none   # offline: random initialisation, NOT faithful"]
    lines.append(f"  {cmd} --list-variants")
    for f, users in files:
        how = ("Keras finds it in ~/.keras/models by name" if f.place == "keras-cache"
               else f"give it with --weights PATH/{f.name}")
        lines.append(f"\nPretrained weights: {f.name} ({', '.join(users)}) from {f.url}; {how}. "
                     "`python -m lungxray weights` checks what is in place.")
    return "\n".join(lines) + "\n"


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
    return "\n".join(lines + tolerance_lines(study))


def tolerance_lines(study: Study) -> list[str]:
    """Each published number's registered tolerance and whether *consistent* is reachable at it, before any run
    (the default configuration's design; lungxray.judge.verdict.reach)."""
    lines = ["", f"Published numbers of {study.id}: registered tolerance, and the smallest tolerance any "
             "reproduction could show consistent (the paper's own test-set noise at the one-sided 5% level plus "
             "its printed rounding):"]
    for exp in study.experiments:
        cfg = study.resolve(exp)
        design = design_of(cfg)
        lines.append(f"\n{exp.name} ({design}; primary: {exp.published.primary or 'not declared'}):")
        for pm in exp.published.metrics:
            r = reach(pm, exp.published, cfg.classes, cfg.binary_positive, design)
            shown = "" if r.testable else "  EQUIVALENCE UNTESTABLE: only 'not reproduced' or 'not shown to differ'"
            images = f"{r.paper_images:,} paper test images" if r.paper_images else "paper's test-set size not stated"
            lines.append(f"  {pm.name} ({pm.source}) {pm.value:g}: ±{pm.tolerance:g}, reachable from "
                         f"±{r.smallest_tolerance:.3f} ({images}){shown}")
        reasons = dict.fromkeys(pm.tolerance_reason for pm in exp.published.metrics if pm.tolerance_reason)
        lines += [f"  why: {why}" for why in reasons]
    return lines


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
    tensorboard: bool = False  # TensorBoard logs in <run folder>/tensorboard
    command: str | None = None  # recorded in results.json (None: this process's command line)

    @classmethod
    def from_args(cls, a: argparse.Namespace) -> RunOptions:
        if a.runs < 1:
            raise LungxrayError(f"--runs {a.runs}: must be at least 1")
        if a.epochs is not None and a.epochs < 1:
            raise LungxrayError(f"--epochs {a.epochs}: a run trains at least one epoch (leave it out for the "
                                "paper's count)")
        return cls(a.data_dir, a.download, a.manifest, a.allow_count_mismatch, a.weights,
                   parse_variants(a.variant), tuple(a.experiment), a.epochs, a.seed, a.out, a.overwrite,
                   a.smoke, keras_verbosity(a.quiet), a.runs, None, a.mixed_precision, a.jit, a.strategy,
                   a.resplit, a.tensorboard)


def main(study: Study, argv: Sequence[str] | None = None) -> int:
    from lungxray._util import progress
    from lungxray._util.quiet import quiet_tensorflow

    argv = list(sys.argv[1:] if argv is None else argv)
    quiet_tensorflow(verbose="--verbose-tf" in argv)  # before anything imports TensorFlow
    args = build_parser(study).parse_args(argv)
    if args.list_variants:
        print(variants_text(study))
        return 0
    progress.log_to_stderr(args.quiet)
    progress.set_quiet(args.quiet)

    code, dirs = _run_or_report(study, args, argv)
    stop_input_pipelines()  # after Ctrl-C or an error mid-epoch, before the interpreter shuts down
    if code:
        return code
    from lungxray.report.terminal import run_summaries

    print(run_summaries(dirs), end="\n\n")  # each published number against its reproduction, and the PDF
    return 0


def _run_or_report(study: Study, args: argparse.Namespace, argv: Sequence[str]) -> tuple[int, list[Path]]:
    """The run folders written (exit code 0), or the exit code of an interrupt or an expected error, printed."""
    from lungxray.errors import message
    from lungxray.run import guard

    try:
        with guard.terminate_as_interrupt():
            check_environment()
            return 0, run_study(study, RunOptions.from_args(args))
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, guard.Terminated)
        print(guard.interrupted_message(f"python -m reproductions.{study.id}", argv, terminated), file=sys.stderr)
        return (143 if terminated else 130), []
    except (LungxrayError, ValueError, KeyError) as exc:
        print(f"error: {message(exc)}", file=sys.stderr)
        return getattr(exc, "exit_code", 2), []
    except OSError as exc:
        if guard.is_disk_full(exc):
            print(f"error: {guard.disk_full_error(exc)}", file=sys.stderr)
            return 1, []
        if flag(DEBUG) or not exc.filename:
            raise
        print(f"error: {message(exc)}", file=sys.stderr)  # a file or folder the system refused: named, no traceback
        return 1, []


# ---------------------------------------------------------------------------------------------


def run_study(study: Study, opts: RunOptions) -> list[Path]:
    """Every chosen experiment (K seeds each with ``--runs K``), data discovered once."""
    from lungxray._util.version import source_revision
    from lungxray.models.pretrained import parse_weights
    from lungxray.run.guard import run_dir_locks

    source_revision()  # pin the code revision now, before anything can change the checkout
    choices = study.choices(opts.variants, smoke=opts.smoke)
    names = opts.experiments or (study.smoke.experiments if opts.smoke else ())
    exps = [study.experiment(n) for n in names] if names else list(study.experiments)
    weights = None if opts.smoke else parse_weights(opts.weights)
    out_parent = Path(opts.out or f"runs/{study.id}")
    check_output_folders(out_parent, [out_parent / e.name for e in exps])
    dirs: list[Path] = []
    with run_dir_locks(), tempfile.TemporaryDirectory(prefix="lungxray-") as tmp:
        with stage("generating the smoke dataset" if opts.smoke else "finding the dataset"):  # lists, decodes nothing
            data = data_source(study, opts, Path(tmp), study.resolve(exps[0], choices, smoke=opts.smoke))
        with stage("loading TensorFlow"):  # seconds; said, so that a run never starts in silence
            import tensorflow  # noqa: F401
        preflight_weights([study.resolve(e, choices, smoke=opts.smoke) for e in exps], weights)  # before decoding
        for e in exps:
            dirs += run_set(study, e, choices, opts, data, weights, out_parent / e.name)
    if len(study.experiments) > 1 and opts.runs == 1:
        from lungxray.report.summary import write_summary

        log.info("wrote %s", write_summary(out_parent))
    return dirs


OUT_WAY = "pass --out a folder you can write, on a disk with room"
MIN_FREE = 20 << 20  # what any run writes besides its weights (CSVs, results, the PDF); the weights are checked
                     # once the model is built (lungxray.run.guard.check_free_space)


def check_output_folders(out_parent: Path, run_folders: Sequence[Path]) -> None:
    """Before any work (and creating nothing): ``--out`` and each run folder in it can be made and written, with
    room; so can the temporary folder."""
    from lungxray._util.paths import UnwritableFolderError, writable_folder

    for d in run_folders:
        writable_folder(d, "--out", OUT_WAY, MIN_FREE, create=False)
    try:
        tmp = tempfile.gettempdir()
    except FileNotFoundError:
        raise UnwritableFolderError("no usable temporary folder: set TMPDIR to a writable folder with room") \
            from None
    writable_folder(tmp, "the temporary folder", "set TMPDIR to a writable folder with room")


def run_set(study: Study, exp: Experiment, choices: dict[str, str], opts: RunOptions, data: DataSource,
            weights: str | None, out: Path) -> list[Path]:
    """One experiment: one run, or ``--runs K`` seeds in ``seed-N/`` folders and their aggregate."""
    if opts.runs == 1:
        return [run_experiment(study, exp, choices, opts, data, weights, out)]
    from lungxray.judge.seeds import write_aggregate

    members = [run_experiment(study, exp, choices,
                              replace(opts, seed=opts.seed + k, split_seed=opts.seed + k if opts.resplit else opts.seed),
                              data, weights, out / f"seed-{opts.seed + k}")
               for k in range(opts.runs)]
    from lungxray.report.aggregate import write_aggregate_report

    log.info("wrote %s", write_aggregate(out, members))
    log.info("wrote %s", write_aggregate_report(out))
    return members


def data_source(study: Study, opts: RunOptions, tmp: Path, cfg: RunConfig) -> DataSource:
    if opts.smoke:
        return DataSource.generated(cfg.dataset, tmp / "smoke-data", study.smoke.per_class, opts.seed, cfg.classes,
                                    quiet=opts.verbose == 0)
    return DataSource(cfg.dataset, opts.data_dir, download=opts.download, quiet=opts.verbose == 0)


def preflight_weights(cfgs: Sequence[RunConfig], weights: str | None) -> None:
    """Fail in a second, before any image is decoded, when ImageNet weights are neither cached nor downloadable:
    a model whose Keras weights file is not in the cache is built once (Keras tries its download), and so is one
    whose file Keras cannot fetch (torchvision's ResNet-18: its builder says to pass --weights PATH)."""
    if weights != "imagenet":
        return  # none: nothing to load; a PATH was checked by parse_weights and is loaded by the run
    from lungxray.models import build_model
    from lungxray.models.weight_files import KERAS_CACHE, keras_models_dir, weight_files

    seen = set()
    for cfg in cfgs:
        shape = (cfg.image.size, cfg.image.size, cfg.image.channels)
        key = (cfg.model.name, repr(sorted(cfg.model.params.items())), shape)
        if not cfg.model.uses_pretrained or key in seen:
            continue
        seen.add(key)
        files = weight_files(cfg.model, shape)
        if any(f.place != KERAS_CACHE or not (keras_models_dir() / f.name).is_file() for f in files):
            build_model(cfg.model, 2, shape, weights)


def run_experiment(study: Study, exp: Experiment, choices: dict[str, str], opts: RunOptions, data: DataSource,
                   weights: str | None, out: Path) -> Path:
    """One run: prepare -> claim the folder -> fit -> evaluate -> assemble -> score and write."""
    from lungxray.data.splits import manifest_text
    from lungxray.results import files as R
    from lungxray.run.assemble import RunFacts, assemble, command_line, provenance, write_run
    from lungxray.run.evaluate import evaluate, extra_evaluation
    from lungxray.run.fit import FitOptions, fit_model
    from lungxray.run.guard import claim_run_dir

    facts = RunFacts(opts.seed, weights, opts.smoke, opts.jit, opts.strategy, opts.command or command_line(study),
                     time.time())
    cfg = study.resolve(exp, choices, smoke=opts.smoke, epochs=opts.epochs)
    split_seed = opts.seed if opts.split_seed is None else opts.split_seed
    done = made_already(out, cfg, opts, weights, split_seed)
    if done is not None:
        return done
    with stage(f"{study.id}/{exp.name}: checking, decoding and splitting the images"):
        prep = prepare(data, cfg, split_seed=split_seed, manifest=opts.manifest,
                       allow_count_mismatch=opts.allow_count_mismatch)
    run_dir = claim_run_dir(out, opts.overwrite)  # locked for this process; a busy folder refuses
    log.info("%s/%s -> %s", study.id, exp.name, run_dir)
    R.atomic_write_text(run_dir / R.MANIFEST, manifest_text(prep.records, prep.hashes))  # with each file's sha256
    fitted = fit_model(data, prep, cfg, FitOptions(opts.seed, opts.verbose, opts.mixed_precision, opts.jit,
                                                   opts.strategy, opts.tensorboard), weights, run_dir)
    n_test = sum(r.split == "test" for r in prep.records)
    with stage(f"evaluating on the test set ({n_test} images)"):
        ev, preds = evaluate(fitted.trained, fitted.inputs, cfg)
    extra = {}
    for name in cfg.extra_evaluations:
        with stage(f"scoring the extra test set '{name}'"):
            extra[name] = extra_evaluation(name, preds, fitted.inputs, prep.hashes, cfg)
    result = assemble(study, exp, choices, cfg, provenance(cfg, data, prep, fitted, facts), fitted, ev, extra, facts)
    write_run(run_dir, result, study, preds, fitted, facts.started)
    return run_dir


def made_already(out: Path, cfg: RunConfig, opts: RunOptions, weights: str | None, split_seed: int) -> Path | None:
    """The run folder this command made before, kept instead of trained again; None: train.

    - A folder whose run wrote results.json and was stopped before report.pdf (``kill -9``) gets its report
      rendered from its results; when it is this command's run it is the run, else a new run follows in ``-2``.
    - In a ``--runs`` set, a finished seed folder of this configuration is a member as it is, so a rerun of an
      interrupted set keeps its finished seeds, resumes the interrupted one and runs the rest; one of another
      configuration is refused (the aggregate would mix configurations).
    ``--overwrite`` trains anew."""
    from lungxray.report.pdf import write_report
    from lungxray.results.files import REPORT, load_results
    from lungxray.run.guard import claim_run_dir, finished, run_folder_for, unreported

    if opts.overwrite:
        return None
    in_set = opts.runs > 1
    target = out if in_set and finished(out) else run_folder_for(out)
    if not (finished(target) or unreported(target)):
        return None
    try:
        res = load_results(target)
    except ResultsError as exc:
        raise ResultsError(f"{exc} This command would resume or keep that run folder: pass --overwrite to replace "
                           "it, or another --out.") from None
    differs = differences(res, cfg, opts, weights, split_seed)
    if in_set and differs:
        raise LungxrayError(f"{target} holds a run of another configuration ({'; '.join(differs)}): a --runs set "
                            "aggregates one configuration. Pass --overwrite to replace the set, or another --out.")
    if unreported(target):
        claim_run_dir(target)  # locked while its report is written
        log.warning("%s: the run finished but was stopped before its report; writing report.pdf from its "
                    "results.json (nothing is retrained)", target)
        write_report(res, target / REPORT)
    if differs:
        return None  # its report done; this command's run goes to the next free folder
    log.info("%s: this run finished earlier; kept (pass --overwrite to train it again)", target)
    return target


def differences(res: RunResult, cfg: RunConfig, opts: RunOptions, weights: str | None, split_seed: int) -> list[str]:
    """How a stored run differs from the run this command would make (empty: the same run)."""
    from lungxray.results.types import NOT_APPLICABLE

    want_weights = NOT_APPLICABLE if not cfg.model.uses_pretrained else "none" if weights is None else weights
    pairs = (("seed", res.provenance.seed, opts.seed), ("split seed", res.provenance.split_seed, split_seed),
             ("weights", res.provenance.weights, want_weights), ("smoke", res.smoke, opts.smoke),
             ("--manifest", res.provenance.manifest_given, opts.manifest))
    out = [f"{what} {a!r}, now {b!r}" for what, a, b in pairs if a != b]
    stored, wanted = _as_json(res.config), _as_json(cfg)  # as results.json holds it: tuples are lists there
    if stored != wanted:
        changed = [k for k in wanted if stored.get(k) != wanted[k]]
        out.append(f"configuration: {', '.join(changed) or 'differs'}")
    return out


def _as_json(cfg: RunConfig) -> dict:
    import dataclasses
    import json

    return json.loads(json.dumps(dataclasses.asdict(cfg), default=str))
