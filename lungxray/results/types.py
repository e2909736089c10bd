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
SCHEMA = "lungxray.results/3"
READABLE_SCHEMAS = ("lungxray.results/1", "lungxray.results/2", SCHEMA)
AGGREGATE_SCHEMA = "lungxray.aggregate/3"  # /3: typed (AggregateResult)
READABLE_AGGREGATE_SCHEMAS = ("lungxray.aggregate/2", AGGREGATE_SCHEMA)


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
    """A reproduced value's 95% interval (``lungxray.judge.verdict.Estimate`` as recorded)."""

    value: float
    lo: float
    hi: float
    se: float
    method: str  # wilson, bootstrap, seeds, none
    n: int


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
class ComparisonRow:
    """One published number against the reproduced one, with intervals and the verdict of ``lungxray.judge.verdict``."""

    key: str  # the published metric's key; a training-log row: "history:<log_key>"
    label: str
    definition: str
    source: str
    published: float
    published_interval: tuple[float, float] | None
    reproduced: float | None
    interval: Interval | None
    difference: float | None
    tolerance: float
    expectation: str  # reproduces | deviates
    reason: str
    informational: bool  # a training-log value: shown, never held by check
    verdict: str
    gap_interval: tuple[float, float] | None = None
    detail: str = ""
    n_to_decide: int | None = None
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
class AggregateRow:
    """A published number against the interval where one more run of the set lands."""

    key: str
    label: str
    definition: str
    source: str
    published: float
    published_interval: tuple[float, float] | None
    tolerance: float
    expectation: str
    reason: str
    mean: float | None
    std: float | None
    interval: Interval | None
    verdict: str
    gap_interval: tuple[float, float] | None
    detail: str
    n_to_decide: int | None
    informational: bool


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
    """A results.json of schema /2 in the /3 form (/1 needs `lungxray rescore`, which recovers its facts)."""
    if data.get("schema") == "lungxray.results/2":
        data = {k: v for k, v in data.items() if k != "unfaithful_reasons"}
        data["comparison"] = [{**row, "log_key": row["key"].split(":", 1)[1]} if row["key"].startswith("history:")
                              else row for row in data.get("comparison", [])]
        data["schema"] = SCHEMA
    return data
