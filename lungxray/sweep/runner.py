"""``python -m lungxray sweep STUDY``: plan the grid, check the data once, run the trials (Ray or serial), then
aggregate each point, analyse the grid (``lungxray.judge.sweep``) and write ``sweep.json`` and ``sweep.pdf``.

An interrupted or partly failed sweep is resumed by the same command: finished trials are kept (a trial folder of
another configuration is refused, as in a ``--runs`` set), an interrupted one resumes from its backup, failed ones
run again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lungxray._util.progress import stage
from lungxray.errors import LungxrayError
from lungxray.results.sweep import (
    FAILED,
    KEPT,
    SWEEP,
    SWEEP_REPORT,
    SWEEP_SCHEMA,
    PointRecord,
    SweepResult,
    TrialRecord,
)
from lungxray.spec.study import Study
from lungxray.sweep.execute import Outcome, TrialSettings
from lungxray.sweep.plan import Plan, Trial, plan_sweep

log = logging.getLogger("lungxray")


@dataclass
class SweepOptions:
    experiments: tuple[str, ...] = ()
    vary: tuple[str, ...] = ()
    full_grid: bool = False
    runs: int = 3
    seed: int = 42
    fixed_split: bool = False
    serial: bool = False
    address: str | None = None
    cpus_per_trial: float | None = None
    data_dir: str | None = None
    weights: str = "imagenet"
    epochs: int | None = None
    smoke: bool = False
    allow_count_mismatch: bool = False
    out: str | None = None
    cache: str | None = None


def sweep_command(study: Study, argv: Sequence[str]) -> str:
    return " ".join(["python -m lungxray sweep", study.id, *argv])


def run_sweep(study: Study, opts: SweepOptions, command: str) -> tuple[list[Path], int]:
    """Every chosen experiment's sweep; (the sweep.json files written, the number of failed trials)."""
    from lungxray._util.version import source_revision
    from lungxray.data.cache import DecodeCache
    from lungxray.run.guard import run_dir_locks
    from lungxray.run.runner import check_output_folders

    source_revision()  # pin the code revision before anything can change the checkout
    names = opts.experiments or (study.smoke.experiments if opts.smoke and study.smoke.experiments else ())
    exps = [study.experiment(n).name for n in names] if names else [e.name for e in study.experiments]
    plans = [plan_sweep(study, e, opts.vary, full_grid=opts.full_grid, runs=opts.runs, seed=opts.seed,
                        smoke=opts.smoke, fixed_split=opts.fixed_split) for e in exps]
    root = Path(opts.out or f"sweeps/{study.id}").resolve()
    check_output_folders(root, [root / p.experiment for p in plans])
    cache = DecodeCache(Path(opts.cache).resolve() if opts.cache else None)
    for p in plans:
        log.info("sweep %s/%s: %d points x %d seeds (%s; %s): %s", study.id, p.experiment, len(p.points),
                 len(p.seeds), p.grid, p.design, ", ".join(pt.name for pt in p.points))
    started = time.time()
    weights = opts.weights if opts.weights in ("imagenet", "none") else str(Path(opts.weights).resolve())
    settings = TrialSettings(study.id, str(root), None, weights, opts.epochs, opts.smoke, opts.allow_count_mismatch,
                             opts.runs, str(cache.root), command)
    trials = [t for p in plans for t in p.trials]
    with run_dir_locks():
        kept = kept_trials(study, settings, trials)
    todo = [t for t in trials if t not in kept]
    log.info("sweep: %d trial(s) to run, %d finished earlier and kept", len(todo), len(kept))
    with cache_in_environment(cache.root), tempfile.TemporaryDirectory(prefix="lungxray-sweep-") as tmp, \
            contextlib.ExitStack() as stack:
        if not todo:
            outcomes, backend = {}, earlier_backend(root, plans)
        else:
            ray = None if opts.serial else start_backend(opts, stack)  # a worker warms up while the data is checked
            settings = replace(settings, data_dir=prepare_data(study, plans, opts, Path(tmp)))
            outcomes, backend = execute(settings, todo, ray, len(trials), len(kept))
    outcomes.update(kept)
    written = [finish(study, p, outcomes, root / p.experiment, command, backend, time.time() - started)
               for p in plans]
    failed = sum(o.status == FAILED for o in outcomes.values())
    return written, failed


def prepare_data(study: Study, plans: Sequence[Plan], opts: SweepOptions, tmp: Path) -> str | None:
    """Find (or, for a smoke sweep, generate) the data once, check it for every point as a run would (counts,
    subset, split: a bad dataset stops the sweep here, not in every trial) and decode it into the shared cache, so
    that trials read decoded images (decoded once for the whole sweep, per machine)."""
    from lungxray.run.prepare import DataSource, prepare

    first = study.resolve(plans[0].experiment, smoke=opts.smoke)
    with stage("generating the smoke dataset" if opts.smoke else "finding the dataset"):
        if opts.smoke:
            data = DataSource.generated(first.dataset, tmp / "smoke-data", study.smoke.per_class, opts.seed,
                                        first.classes, quiet=True)
        else:
            data = DataSource(first.dataset, opts.data_dir, quiet=True)
    seen: set[str] = set()
    with stage("checking the data and filling the decode cache for every point"):
        for p in plans:
            for pt in p.points:
                cfg = study.resolve(p.experiment, pt.changes, smoke=opts.smoke)
                key = repr((cfg.image, cfg.per_class_limit, cfg.subset_selection, cfg.split, cfg.classes))
                if key not in seen:
                    seen.add(key)
                    prepare(data, cfg, split_seed=p.trials[0].split_seed,
                            allow_count_mismatch=opts.allow_count_mismatch)
    return str(data.root.resolve())


@contextlib.contextmanager
def cache_in_environment(root: Path) -> Iterator[None]:
    """``$LUNGXRAY_CACHE`` set to the sweep's cache while it runs (the trials in this process and the Ray workers
    started in it read it), then as it was."""
    from lungxray._util.env import CACHE

    before = os.environ.get(CACHE)
    os.environ[CACHE] = str(root)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(CACHE, None)
        else:
            os.environ[CACHE] = before


def earlier_trials(folder: Path) -> dict[tuple[str, int], TrialRecord]:
    """The trial records of an earlier sweep.json in ``folder`` (none: an empty dict), by (point, seed): a kept
    trial keeps the record of the invocation that ran it (status, attempts, seconds)."""
    try:
        return {(t.point, t.seed): t for t in SweepResult.load(folder / SWEEP).trials}
    except LungxrayError:
        return {}


def earlier_duration(folder: Path) -> float | None:
    """The wall time an earlier sweep.json in ``folder`` records (None when there is none, or it records none)."""
    try:
        return SweepResult.load(folder / SWEEP).duration_s
    except LungxrayError:
        return None


def earlier_backend(root: Path, plans: Sequence[Plan]) -> str:
    """How the trials ran, when this invocation ran none (every one was kept): what the earlier sweep.json says."""
    for p in plans:
        try:
            return SweepResult.load(root / p.experiment / SWEEP).backend
        except LungxrayError:
            continue
    return "none (every trial finished earlier)"


def kept_trials(study: Study, settings: TrialSettings, trials: Sequence[Trial]) -> dict[Trial, Outcome]:
    """The trials an earlier invocation finished, kept as they are (one of another configuration is refused)."""
    from lungxray.models.pretrained import parse_weights
    from lungxray.results.files import load_results
    from lungxray.run.guard import finished
    from lungxray.run.runner import RunOptions, made_already

    out = {}
    for t in trials:
        folder = Path(settings.out) / t.path
        if not finished(folder):
            continue
        cfg = study.resolve(t.experiment, dict(t.changes), smoke=settings.smoke, epochs=settings.epochs)
        opts = RunOptions(weights=settings.weights, seed=t.seed, split_seed=t.split_seed, smoke=settings.smoke,
                          runs=settings.runs)
        weights = None if settings.smoke else parse_weights(settings.weights)
        if made_already(folder, cfg, opts, weights, t.split_seed) is not None:
            took = load_results(folder).provenance.duration_s  # how long it ran, when it ran
            out[t] = Outcome(KEPT, float(took or 0.0), 0)
    return out


def start_backend(opts: SweepOptions, stack: contextlib.ExitStack) -> Any:
    """Start (or connect to) Ray and put a worker to importing TensorFlow and lungxray; Ray stops when ``stack``
    closes. Returns the placement and the warm-up's reference."""
    from lungxray.sweep import execute as X

    env = {k: v for k, v in os.environ.items() if k.startswith(("LUNGXRAY_", "TF_CPP_"))}
    with stage("starting Ray" if not opts.address else f"connecting to Ray at {opts.address}"):
        placement = X.start_ray(opts.address, opts.cpus_per_trial, env)
    stack.callback(X.stop_ray)
    log.info("sweep: %s", placement.describe())
    return placement, X.warm_up(placement)


def execute(settings: TrialSettings, todo: Sequence[Trial], ray: Any, total: int,
            kept: int) -> tuple[dict[Trial, Outcome], str]:
    """Run ``todo`` on Ray (``ray``: what :func:`start_backend` returned) or, with ``ray`` None, serially; returns
    the outcomes and how they ran."""
    from lungxray.sweep import execute as X

    count = {"done": kept}

    def report(t: Trial, o: Outcome) -> None:
        count["done"] += 1
        what = f"FAILED after {o.attempts} attempt(s): {o.error}" if o.status == FAILED else f"{o.seconds:.0f} s"
        log.info("sweep: %d/%d %s %s", count["done"], total, t.path, what)

    if ray is None:
        return X.run_serial(settings, todo, report), "serial (in one process)"
    placement, warm = ray
    X.check_warm_up(warm)
    return X.run_on_ray(settings, todo, placement, report), placement.describe()


def aggregate_of(point: Path) -> list[str] | None:
    """The members of the point's aggregate.json when it and its aggregate.pdf are there (None: not both). A kept
    point is aggregated again unless its members are exactly this sweep's seeds (a rerun with other --runs)."""
    import json

    if not (point / "aggregate.pdf").is_file():
        return None
    try:
        return list(json.loads((point / "aggregate.json").read_text(encoding="utf-8"))["runs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or damaged: written again


def finish(study: Study, plan: Plan, outcomes: dict[Trial, Outcome], folder: Path, command: str, backend: str,
           duration: float | None) -> Path:
    """Aggregate every complete point, analyse the grid, write sweep.json and sweep.pdf."""
    from lungxray.judge.seeds import write_aggregate
    from lungxray.report.aggregate import write_aggregate_report

    trials, points = [], []
    earlier = earlier_trials(folder)
    mine_all = [o for t, o in outcomes.items() if t.experiment == plan.experiment]
    if any(o.status == KEPT for o in mine_all):  # the invocations that ran the kept trials (and this one, if it ran)
        before = earlier_duration(folder)
        now = duration if any(o.status != KEPT for o in mine_all) else 0.0
        duration = None if before is None else before + now  # None: how long the kept trials took is not recorded
    for pt in plan.points:
        mine = [t for t in plan.trials if t.point == pt.name]
        complete = all(outcomes.get(t) is not None and outcomes[t].status != FAILED for t in mine)
        made = aggregate_of(folder / pt.name) == [Path(t.folder).name for t in mine]
        if complete and (not made or any(outcomes[t].status != KEPT for t in mine)):  # kept as it was: kept
            with stage(f"aggregating {plan.experiment}/{pt.name}"):
                write_aggregate(folder / pt.name, [folder / t.folder for t in mine])
                write_aggregate_report(folder / pt.name)
        points.append(PointRecord(pt.name, dict(pt.changes), pt.name, list(plan.seeds), complete))
        for t in mine:
            o = outcomes.get(t) or Outcome(FAILED, 0.0, 0, "not run")
            before = earlier.get((t.point, t.seed))
            if o.status == KEPT and before is not None and before.status != FAILED:
                trials.append(before)  # how it ran, as the invocation that ran it recorded
                continue
            trials.append(TrialRecord(t.point, t.seed, t.split_seed, t.folder, o.status, o.attempts,
                                      None if o.seconds is None else round(o.seconds, 1), o.error))
    exp = study.experiment(plan.experiment)
    result = SweepResult(SWEEP_SCHEMA, study.id, plan.experiment, exp.title, command, backend, plan.grid,
                         list(plan.varied), len(plan.seeds), plan.design, False, None, points, trials,
                         duration_s=None if duration is None else round(duration, 1))
    return write_sweep(result, folder)


def write_sweep(result: SweepResult, folder: Path) -> Path:
    """Analyse the sweep from its point folders and write sweep.json and sweep.pdf."""
    from lungxray.judge.sweep import analyse
    from lungxray.report.sweep import write_sweep_report
    from lungxray.results.files import atomic_write_text

    with stage(f"analysing the sweep of {result.experiment}"):
        result = analyse(result, folder)
    atomic_write_text(folder / SWEEP, result.to_json())
    with stage("writing sweep.pdf"):
        write_sweep_report(result, folder / SWEEP_REPORT)
    return folder / SWEEP


def refresh_sweep(folder: Path) -> Path:
    """A committed sweep analysed again from its (rescored) point folders: ``lungxray rescore`` calls it, so that
    sweep.json never holds verdicts older than its trials'."""
    return write_sweep(SweepResult.load(folder), Path(folder))
