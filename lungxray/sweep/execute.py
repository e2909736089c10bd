"""Running a sweep's trials: serially in this process, or as Ray tasks (locally, or on a cluster at ``--address``).

A trial is an ordinary run (``lungxray.run.runner.run_experiment``) of one point at one seed, in
``<sweep>/<point>/seed-N/``. Both backends call :func:`run_trial` with the same arguments, so they write the same
folders; each retries a failed trial once (Ray: ``max_retries=1, retry_exceptions=True``) and then reports it.

Where the trials run, they need the dataset and the decode cache at the paths the driver gives: on one machine
they are simply there; on a cluster, a shared path (NFS and the like) for ``--data-dir`` and ``--cache``, or the
same path on every node, each node then filling its own cache (one decode per node rather than per sweep).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lungxray.errors import LungxrayError
from lungxray.results.sweep import FAILED, RAN
from lungxray.sweep.plan import Trial

log = logging.getLogger("lungxray")

RAY_MISSING = ("python -m lungxray sweep runs its trials on Ray, which is not installed: "
               "pip install -e \".[sweep]\" (or pip install 'ray>=2.9,<3'), or pass --serial to run them one after "
               "another in this process")


HEARTBEAT_S = 60.0  # a progress line at least this often while trials run on Ray


@dataclass(frozen=True)
class TrialSettings:
    """What every trial of a sweep shares; plain values, sent to Ray workers as they are."""

    study: str
    out: str  # the sweep's root folder (--out), absolute
    data_dir: str | None  # absolute; smoke: the generated dataset
    weights: str
    epochs: int | None
    smoke: bool
    allow_count_mismatch: bool
    runs: int
    cache: str  # the decode cache folder, absolute
    command: str  # recorded in every trial's results.json


@dataclass
class Outcome:
    status: str  # ran | failed
    seconds: float | None  # None: not known (a Ray task that failed: the driver sees only its end)
    attempts: int
    error: str = ""


_SOURCES: dict[tuple[str, str | None, bool], Any] = {}  # one DataSource per process: decoded images shared


def run_trial(settings: TrialSettings, trial: Trial) -> str:
    """Run one trial to its folder (resuming it where an earlier attempt stopped); returns the folder. Raises on
    failure (the backend retries once)."""
    from lungxray._util.env import CACHE
    from lungxray.models.pretrained import parse_weights
    from lungxray.run.guard import run_dir_locks
    from lungxray.run.prepare import DataSource
    from lungxray.run.runner import RunOptions, run_experiment
    from lungxray.spec.study import get_study

    os.environ[CACHE] = settings.cache  # a Ray worker gets it here; in the driver it is already so
    study = get_study(settings.study)
    exp = study.experiment(trial.experiment)
    changes = dict(trial.changes)
    choices = study.choices(changes, smoke=settings.smoke)
    cfg = study.resolve(exp, choices, smoke=settings.smoke)
    key = (cfg.dataset, settings.data_dir, settings.smoke)
    if key not in _SOURCES:
        _SOURCES[key] = DataSource(cfg.dataset, settings.data_dir, synthetic=settings.smoke, quiet=True)
    opts = RunOptions(data_dir=settings.data_dir, allow_count_mismatch=settings.allow_count_mismatch,
                      weights=settings.weights, variants=changes, experiments=(exp.name,), epochs=settings.epochs,
                      seed=trial.seed, split_seed=trial.split_seed, smoke=settings.smoke, verbose=0,
                      runs=settings.runs, command=settings.command)
    weights = None if settings.smoke else parse_weights(settings.weights)
    with run_dir_locks():
        done = run_experiment(study, exp, choices, opts, _SOURCES[key], weights,
                              Path(settings.out) / trial.path)
    return str(done)


Report = Callable[[Trial, Outcome], None]


def run_serial(settings: TrialSettings, trials: Sequence[Trial], report: Report) -> dict[Trial, Outcome]:
    """Every trial in this process, one after another; a failure is retried once, then recorded."""
    from lungxray._util.shutdown import stop_input_pipelines

    out: dict[Trial, Outcome] = {}
    for t in trials:
        start, error = time.monotonic(), ""
        for attempt in (1, 2):
            try:
                run_trial(settings, t)
                error = ""
                break
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:  # a trial's failure is reported, never the end of the sweep
                error = _describe(exc)
                stop_input_pipelines()
                log.warning("sweep: %s failed (attempt %d of 2): %s", t.path, attempt, error)
        out[t] = Outcome(FAILED if error else RAN, time.monotonic() - start, attempt, error)
        report(t, out[t])
    return out


def _describe(exc: BaseException) -> str:
    from lungxray.errors import message

    cause = getattr(exc, "cause", None) or exc  # a RayTaskError carries the trial's own exception
    return f"{type(cause).__name__}: {message(cause)}".strip()


@dataclass(frozen=True)
class RayPlacement:
    address: str  # "local" or the cluster's address
    version: str
    num_cpus: float
    num_gpus: float
    nodes: int

    def describe(self) -> str:
        per = f"1 GPU + {self.num_cpus:g} CPU" if self.num_gpus else f"{self.num_cpus:g} CPU"
        return f"Ray {self.version} ({self.address}, {self.nodes} node(s)); each trial {per}"


def start_ray(address: str | None, cpus_per_trial: float | None, env: dict[str, str]) -> RayPlacement:
    """Connect to the cluster at ``address`` (or start a local Ray) and size the trials: one GPU each where the
    cluster has GPUs, else ``cpus_per_trial`` CPUs (default: all the cores of the smallest node, one trial per
    node at a time, TensorFlow using them all)."""
    try:
        import ray
    except ImportError:
        raise LungxrayError(RAY_MISSING) from None
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
                 runtime_env={"env_vars": env})
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    cpus = [n["Resources"].get("CPU", 0.0) for n in nodes]
    gpus = ray.cluster_resources().get("GPU", 0.0)
    whole_node = min(cpus) if cpus else 1.0
    per_cpu = cpus_per_trial or (1.0 if gpus else whole_node)
    return RayPlacement(address or "local", ray.__version__, per_cpu, 1.0 if gpus else 0.0, len(nodes))


def warm_up(placement: RayPlacement) -> Any:
    """A worker of the trials' size starts importing TensorFlow and lungxray now (while the driver checks the
    data), so that the first trial does not pay for it; returns the task's reference (:func:`check_warm_up`)."""
    import ray

    return ray.remote(_warm).options(num_cpus=placement.num_cpus, num_gpus=placement.num_gpus).remote()


def check_warm_up(ref: Any) -> None:
    """The warm-up worker's imports succeeded; else the sweep stops before any trial, saying why (a cluster node
    without lungxray, or another version of it)."""
    import ray

    try:
        ray.get(ref)
    except Exception as exc:
        raise LungxrayError(f"a Ray worker could not import lungxray and TensorFlow ({_describe(exc)}): every node "
                            "of the cluster needs this package installed, the same version (pip install -e . on "
                            "each, or a shared environment)") from None


def _warm() -> None:
    from lungxray._util.quiet import quiet_tensorflow

    quiet_tensorflow(verbose=False)
    import tensorflow  # noqa: F401

    import lungxray.run.runner  # noqa: F401


def run_on_ray(settings: TrialSettings, trials: Sequence[Trial], placement: RayPlacement,
               report: Report) -> dict[Trial, Outcome]:
    """Every trial as a Ray task; results as they come. Ray retries a failed task once (an exception or a lost
    worker); after that the trial is recorded as failed."""
    import ray

    task = ray.remote(_timed_trial).options(num_cpus=placement.num_cpus, num_gpus=placement.num_gpus,
                                             max_retries=1, retry_exceptions=True)
    pending = {task.remote(settings, t): t for t in trials}
    started = time.monotonic()  # for the heartbeat line only
    out: dict[Trial, Outcome] = {}
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1, timeout=HEARTBEAT_S)
            if not done:  # a trial takes minutes: say that the sweep is alive, and how far
                log.info("sweep: %d trial(s) running or queued, %.0f s since the first started", len(pending),
                         time.monotonic() - started)
                continue
            t = pending.pop(done[0])
            try:
                seconds = ray.get(done[0])
                out[t] = Outcome(RAN, seconds, 1)
            except Exception as exc:  # the task's exception after its retry, or a worker lost twice
                out[t] = Outcome(FAILED, None, 2, _describe(exc))
            report(t, out[t])
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
    return out


def _timed_trial(settings: TrialSettings, trial: Trial) -> float:
    from lungxray._util.quiet import quiet_tensorflow

    quiet_tensorflow(verbose=False)
    start = time.monotonic()
    run_trial(settings, trial)
    return time.monotonic() - start


def stop_ray() -> None:
    import sys

    if "ray" in sys.modules:
        import ray

        if ray.is_initialized():
            ray.shutdown()
