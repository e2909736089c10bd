"""The typed results of a run and of a ``--runs`` set: what results.json and aggregate.json hold.

One tree of dataclasses, read and written through pydantic's ``TypeAdapter`` (validation with a
clear error for a damaged file, and the same field order on disk as in these classes). The
runner builds a :class:`RunResult`; ``lungxray.judge.faithful.score`` fills its verdict fields; the
report, ``check``, ``table`` and the aggregate read attributes, never string keys.

TensorFlow-free: ``check``, ``table``, ``rescore`` and the report load results without it.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lungxray.errors import ResultsError
from lungxray.spec.config import RunConfig

# schema history: /1 first release; /2 departures, degenerate, intervals and verdicts of lungxray.judge.verdict;
# /3 typed (RunResult): unfaithful_reasons dropped (derived from departures), log rows carry log_key
# /4 verdicts by design (lungxray.judge.variance): rows carry the design, the paper's test images, reachability,
# direction, the registered tolerance's reason and the primary flag
SCHEMA = "lungxray.results/4"
READABLE_SCHEMAS = ("lungxray.results/1", "lungxray.results/2", "lungxray.results/3", SCHEMA)
AGGREGATE_SCHEMA = "lungxray.aggregate/4"  # /3: typed (AggregateResult); /4: verdicts by design
READABLE_AGGREGATE_SCHEMAS = ("lungxray.aggregate/2", "lungxray.aggregate/3", AGGREGATE_SCHEMA)


@dataclass
class Departure:
    """One way a run departs from its paper (``lungxray.judge.faithful``)."""

    kind: str  # data, weights, variant, schedule, split, numerics
    severity: str  # critical, major, minor
    text: str


@dataclass
class VariantUse:
    name: str
    question: str
    choice: str
    meaning: str
    default: str


@dataclass
class CountMismatch:
    scope: str
    label: str
    expected: int
    found: int


@dataclass
class Skipped:
    file: str
    reason: str


@dataclass
class DuplicateGroup:
    files: list[str]
    splits: list[str]


@dataclass
class Degenerate:
    classes_predicted: int
    reasons: list[str]
    banner: str


NOT_APPLICABLE = "not applicable"  # provenance.weights of a model with no pretrained part


@dataclass
class Provenance:
    """How the run was obtained: seeds, weights, data, split, machine, code."""

    seed: int
    split_seed: int | None
    weights: str  # NOT_APPLICABLE, "none" (random initialisation), "imagenet" or a file path
    weights_description: str
    dataset: str
    data_root: str
    data_root_note: str = ""
    data_subset: str = ""
    count_mismatches: list[CountMismatch] = field(default_factory=list)
    count_mismatch_allowed: bool = False
    skipped_files: list[Skipped] = field(default_factory=list)
    duplicates_across_splits: list[DuplicateGroup] = field(default_factory=list)
    manifest: str = "manifest.csv"
    manifest_given: str | None = None
    image_sizes: list[list[int]] = field(default_factory=list)
    image_min_side: int | None = None
    manifest_sha256: str = ""
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    epochs_run: int = 0
    epochs_requested: int | None = None
    op_determinism: bool = False
    mixed_precision: str = "float32"
    jit_compile: bool = False
    strategy: str = "none"
    feature_cache: bool = False
    versions: dict[str, str] = field(default_factory=dict)
    device: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    duration_s: float | None = None
    weights_files: list[dict[str, Any]] = field(default_factory=list)  # lungxray.models.weight_files.file_record

    @property
    def pretrained(self) -> bool:
        """The model has a pretrained part (``--weights`` applies to it)."""
        return self.weights != NOT_APPLICABLE

    @property
    def random_init(self) -> bool:
        """A pretrained part trained from random initialisation (``--weights none``)."""
        return self.weights == "none"


@dataclass
class Interval:
    """A reproduced value with its 95% interval and standard error, and how they were obtained (the one interval
    type: ``lungxray.judge.verdict`` computes it, results.json and aggregate.json record it)."""

    value: float
    lo: float
    hi: float
    se: float  # one run: the test-set standard error; over seeds: the sd of where one more run lands
    method: str  # wilson, bootstrap, seeds (K runs), none
    n: int  # test images behind it (per run; over seeds their mean)


@dataclass
class Evaluation:
    split: str
    n: int
    classes: list[str]
    confusion_matrix: list[list[int]]
    metrics: dict[str, float]
    loss: float | None = None


@dataclass
class ExtraEvaluation:
    """The test predictions re-scored on a corrected subset (no new inference)."""

    description: str
    n: int
    n_per_class: dict[str, int]
    excluded: list[str]
    classes: list[str]
    confusion_matrix: list[list[int]]
    metrics: dict[str, float]


@dataclass
class Judged:
    """A published number judged by ``lungxray.judge.verdict``: what a run's and a seed set's rows share."""

    key: str  # the published metric's key; a training-log row: "history:<log_key>"
    label: str
    definition: str
    source: str
    published: float
    published_interval: tuple[float, float] | None
    tolerance: float
    expectation: str  # reproduces | deviates
    reason: str
    informational: bool  # a training-log value: shown, never held by check
    interval: Interval | None  # the reproduced interval (over seeds: where one more run lands)
    verdict: str
    tolerance_reason: str = ""  # why this tolerance (registered, lungxray.spec.registration)
    primary: bool = False  # the experiment's primary row (the headline); the others are descriptive
    design: str = ""  # the variance model (lungxray.judge.variance): resplit, own fixed split, paper's test images
    paper_images: int | None = None  # the paper's test images behind the figure (None: not stated)
    smallest_tolerance: float | None = None  # the smallest tolerance any reproduction could show consistent
    equivalence_testable: bool = True  # the tolerance is above smallest_tolerance
    preliminary: bool = False  # one run: training variance not measured
    difference: float | None = None  # reproduced (mean) minus published
    gap_interval: tuple[float, float] | None = None  # the difference's 90% interval, widened by the rounding
    direction: str = ""  # which way a non-consistent difference goes, and whether zero is excluded
    detail: str = ""
    n_to_decide: int | None = None  # test images per run that would decide (a power calculation)


JUDGED_STATIC = ("key", "label", "definition", "source", "published", "published_interval", "tolerance",
                 "expectation", "reason", "informational", "tolerance_reason", "primary")


def judged_fields(row: Judged) -> dict[str, Any]:
    """The fields of a judged row that do not depend on the reproduction (a seed set copies them from a run)."""
    return {k: getattr(row, k) for k in JUDGED_STATIC}


@dataclass
class ComparisonRow(Judged):
    """One published number against one run's reproduction."""

    reproduced: float | None = None
    compared_with: str | None = None  # the reproduced metric compared, where a variant reads the definition
    readings: dict[str, float | None] | None = None  # every reading of the definition, by metric key
    log_key: str | None = None  # the Keras history key of a training-log row


@dataclass
class PublishedRecord:
    """What the paper printed besides its metrics, as the report draws it."""

    confusion_matrix: list[list[int]] | None = None
    confusion_source: str = ""
    history: dict[str, list[float]] = field(default_factory=dict)
    history_source: str = ""


@dataclass
class RunResult:
    """results.json: one run of one experiment."""

    schema: str
    study: str
    experiment: str
    title: str
    faithful: bool | None
    departures: list[Departure]
    degenerate: Degenerate | None
    smoke: bool
    variant: dict[str, str]
    variants: list[VariantUse]
    config: RunConfig
    provenance: Provenance
    history: dict[str, list[float]]
    best_epoch: int | None
    evaluation: Evaluation
    extra_evaluations: dict[str, ExtraEvaluation]
    comparison: list[ComparisonRow]
    published: PublishedRecord
    study_notes: list[str] = field(default_factory=list)

    @property
    def unfaithful_reasons(self) -> list[str]:
        """The departures that are not minor: why the run is not faithful."""
        return [d.text for d in self.departures if d.severity != "minor"]

    @property
    def stated_departures(self) -> list[str]:
        return [d.text for d in self.departures if d.severity == "minor"]

    @property
    def binary(self) -> bool:
        return self.config.binary_positive is not None

    @property
    def batch_mean_size(self) -> int | None:
        """The batch size of batch-averaged accuracies, where the study logs them (else None)."""
        return self.config.train.batch_size if self.config.train.batch_mean_accuracy else None

    @property
    def epochs_1based(self) -> list[int]:
        n = max((len(v) for v in self.history.values()), default=0)
        return list(range(1, n + 1))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, normalised through validation (a study's ``10`` for a float field is written ``10.0``,
        as a reloaded file would be)."""
        ta = _adapter(RunResult)
        return ta.dump_python(ta.validate_python(ta.dump_python(self)))

    def to_json(self) -> str:
        return dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "results.json") -> RunResult:
        return _validate(cls, migrate_result(data), where)


@dataclass
class MetricSpread:
    mean: float
    std: float
    values: list[float]


@dataclass
class AggregateRow(Judged):
    """A published number against a ``--runs`` set: the mean over seeds and where one more run lands."""

    mean: float | None = None
    std: float | None = None


@dataclass
class AggregateResult:
    """aggregate.json: a ``--runs K`` set (runs that differ only in seed)."""

    schema: str
    study: str
    experiment: str
    n_runs: int
    seeds: list[int]
    split_seed: int | None
    split_seeds: list[int | None]
    faithful: bool
    departures: list[Departure]
    runs: list[str]  # member folders, relative to the aggregate's folder
    metrics: dict[str, MetricSpread]
    comparison: list[AggregateRow]
    design: str = ""  # the set's variance model (lungxray.judge.variance)

    def to_dict(self) -> dict[str, Any]:
        return _adapter(AggregateResult).dump_python(self)

    def to_json(self) -> str:
        return dumps(self.to_dict())

    @classmethod
    def load(cls, path: str | Path, current: bool = False) -> AggregateResult:
        """An aggregate.json (or the folder holding one), validated; a clear ResultsError otherwise
        (``current``: an older schema too, with the command that brings it up to date)."""
        path = Path(path)
        if path.is_dir():
            path = path / "aggregate.json"
        data = _read_json(path)
        if not isinstance(data, dict) or data.get("schema") not in READABLE_AGGREGATE_SCHEMAS:
            raise _error(path, f"not a lungxray aggregate file (schema {_schema_of(data)!r}, expected "
                               f"{AGGREGATE_SCHEMA!r})")
        if current and data["schema"] != AGGREGATE_SCHEMA:
            raise _error(path, f"schema {data['schema']}, not {AGGREGATE_SCHEMA}: bring it up to date with "
                               f"`python -m lungxray rescore {path.parent}`")
        return _validate(cls, {**data, "schema": AGGREGATE_SCHEMA}, str(path))


def finite(x: float | None) -> bool:
    return x is not None and not math.isnan(x)


# --- reading and writing ---------------------------------------------------------------------------

def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def dumps(obj: Any) -> str:
    """The JSON text of results (NaN kept as NaN, as Python's json reads it back)."""
    return json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n"


@functools.cache
def _adapter(cls: type) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(cls)


def _error(path: Path | str, what: str) -> Exception:
    return ResultsError(f"{path}: {what}")


def _schema_of(data: Any) -> Any:
    return data.get("schema") if isinstance(data, dict) else type(data).__name__


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _error(path, "no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _error(path, f"not readable JSON ({exc}); it may be truncated or not a lungxray results file. "
                           "Re-run the study, or delete the folder.") from None


def _validate(cls: type, data: dict[str, Any], where: str) -> Any:
    from pydantic import ValidationError

    try:
        return _adapter(cls).validate_python(data)
    except ValidationError as exc:
        first = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()[:3])
        raise _error(where, f"damaged or from another tool ({exc.error_count()} problem(s), first: {first}). "
                            "Re-run the study, or `python -m lungxray rescore` it.") from None


def migrate_result(data: dict[str, Any]) -> dict[str, Any]:
    """A results.json of schema /2 or /3 in the /4 form (/1 needs `lungxray rescore`, which recovers its facts).
    The verdicts of a migrated file are the old rule's until `lungxray rescore` judges them again (``check`` and
    ``table`` refuse an older schema for that reason)."""
    if data.get("schema") == "lungxray.results/2":
        data = {k: v for k, v in data.items() if k != "unfaithful_reasons"}
        data["comparison"] = [{**row, "log_key": row["key"].split(":", 1)[1]} if row["key"].startswith("history:")
                              else row for row in data.get("comparison", [])]
        data["schema"] = "lungxray.results/3"
    if data.get("schema") == "lungxray.results/3":
        data = {**data, "schema": SCHEMA}
    return data
