"""``sweep.json``: a sweep over a study's unstated details (``python -m lungxray sweep``), typed.

A sweep is a grid of *points* (one reading of the paper each: the defaults, or the defaults with some variants
switched), each run with K seeds in ordinary ``--runs`` folders (``<point>/seed-N/`` and ``<point>/aggregate.json``).
``sweep.json`` records how the grid was run (every trial: ran, kept from an earlier invocation, or failed after its
retry) and what it shows: per published metric a specification curve and the effect of each switch, and per point
how well it reproduces the paper's own numbers beyond the headline (``lungxray.judge.sweep`` computes them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lungxray.results.types import _adapter, _error, _read_json, _schema_of, _validate, dumps

SWEEP_SCHEMA = "lungxray.sweep/1"
SWEEP = "sweep.json"
SWEEP_REPORT = "sweep.pdf"
DEFAULT_POINT = "default"

RAN, KEPT, FAILED = "ran", "kept", "failed"


@dataclass
class TrialRecord:
    """One run of the grid: a point at a seed, and what became of it."""

    point: str
    seed: int
    split_seed: int
    folder: str  # the run folder, relative to the sweep's folder
    status: str  # ran | kept (finished by an earlier invocation) | failed (after its retry)
    attempts: int = 0
    seconds: float | None = None
    error: str = ""


@dataclass
class PointRecord:
    """One reading of the paper: the variants it switches from the defaults, and its ``--runs`` folder."""

    name: str  # "default", or "variant=choice[,variant=choice]"
    changes: dict[str, str]
    folder: str  # relative to the sweep's folder; holds seed-N/ and aggregate.json
    seeds: list[int]
    complete: bool  # every seed finished (only complete points are analysed)


@dataclass
class CurvePoint:
    """One point of a metric's specification curve: the mean over its seeds and the verdict rule's own interval
    for its design, on the metric's scale (published + the difference's 90% interval)."""

    point: str
    changes: dict[str, str]
    mean: float | None
    lo: float | None
    hi: float | None
    verdict: str
    n_runs: int


@dataclass
class Effect:
    """Switching one variant from its default at a point: the mean of the seed-paired differences (the same seeds,
    hence the same splits, at both points) and its 90% Student interval, against the metric's tolerance."""

    variant: str
    choice: str
    point: str
    difference: float | None
    lo: float | None
    hi: float | None
    pairs: int
    moves: str  # one of MOVES


#: what an effect's 90% interval shows against the tolerance (TOST, each side at 5%)
BEYOND, WITHIN, MOVES_SOME, NOT_SHOWN, NO_PAIRS = ("beyond the tolerance", "within the tolerance",
                                                   "moves it, not shown beyond the tolerance", "not shown to move it",
                                                   "not estimable")
MOVES = (BEYOND, WITHIN, MOVES_SOME, NOT_SHOWN, NO_PAIRS)


@dataclass
class MetricCurve:
    """A published metric over the grid."""

    key: str
    label: str
    source: str
    published: float
    tolerance: float
    primary: bool
    informational: bool  # a training-log value: shown, not judged
    paper_band: tuple[float, float] | None  # published +- 1.96 sd of its own test-set noise (None: size unstated)
    points: list[CurvePoint]  # sorted by mean
    effects: list[Effect]
    sentence: str


@dataclass
class Compatibility:
    """How well one point reproduces the paper's own numbers beyond the headline: evidence, not a claim about
    what the authors did."""

    point: str
    changes: dict[str, str]
    numbers: int  # published numbers compared (table rows other than the primary, final training-log values)
    contradicted: int  # of them, how many the point's runs show differ (the difference's 90% interval excludes 0)
    chi2: float  # the sum of their squared standardised differences (smaller: closer)
    confusion_p: float | None  # the paper's confusion matrix against the point's pooled one (chi-square test)
    rank: int
    detail: str
    differs: list[str] = field(default_factory=list)  # the published numbers shown to differ, each as "label (source) published vs mean"


@dataclass
class SweepResult:
    schema: str
    study: str
    experiment: str
    title: str
    command: str
    backend: str  # how the trials ran: "serial", or Ray's version, address and resources per trial
    grid: str  # one-at-a-time | full grid
    varied: list[str]
    runs_per_point: int
    design: str  # the variance model of every point (lungxray.judge.variance)
    smoke: bool
    faithful: bool | None  # every finished trial faithful (None: none finished)
    points: list[PointRecord]
    trials: list[TrialRecord]
    curves: list[MetricCurve] = field(default_factory=list)
    compatibility: list[Compatibility] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    duration_s: float | None = None  # wall time of the invocations that ran its trials, summed

    @property
    def failed(self) -> list[TrialRecord]:
        return [t for t in self.trials if t.status == FAILED]

    def to_dict(self) -> dict[str, Any]:
        return _adapter(SweepResult).dump_python(self)

    def to_json(self) -> str:
        return dumps(self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> SweepResult:
        """A sweep.json (or the folder holding one), validated; a clear ResultsError otherwise."""
        path = Path(path)
        if path.is_dir():
            path = path / SWEEP
        data = _read_json(path)
        if not isinstance(data, dict) or data.get("schema") != SWEEP_SCHEMA:
            raise _error(path, f"not a lungxray sweep file (schema {_schema_of(data)!r}, expected {SWEEP_SCHEMA!r})")
        return _validate(cls, data, str(path))


def point_name(changes: dict[str, str]) -> str:
    """A point's name and folder: ``default``, or its switches in the study's variant order."""
    return ",".join(f"{k}={v}" for k, v in changes.items()) or DEFAULT_POINT


def find_sweeps(root: str | Path) -> list[Path]:
    """Every sweep's experiment folder (a folder holding sweep.json) under ``root``, sorted."""
    return sorted(p.parent for p in Path(root).rglob(SWEEP) if "backup" not in p.parts)


def sweep_of(path: str | Path, sweeps: list[Path]) -> Path | None:
    """The sweep folder (of ``sweeps``, from :func:`find_sweeps`) that ``path`` lies in: a trial's run folder or
    results.json, a point's folder or aggregate.json; None outside every sweep."""
    path = Path(path)
    return next((s for s in sweeps if s == path or s in path.parents), None)
