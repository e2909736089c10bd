"""Declarative study types: what a paper did, what it published, and what it left open.

A study module in ``reproductions/`` builds one ``Study``: its dataset, its ``Variant``s
(every detail the paper leaves open or contradicts, each with a documented default), its
``Experiment``s (one model each, with a ``configure`` function mapping variant choices to a
typed ``RunConfig``) and the published numbers, kept as data with their source and the
tolerance and expectation declared before any run.

Studies are found through the ``lungxray.studies`` entry-point group, so this package
never imports ``reproductions``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lungxray.spec.config import (  # noqa: F401  (re-exported: a study module imports its types from here)
    AugmentConfig,
    ImageConfig,
    ModelConfig,
    RunConfig,
    SplitConfig,
    TrainConfig,
)


@dataclass(frozen=True)
class Variant:
    name: str
    question: str  # what the paper leaves open or contradicts
    choices: Mapping[str, str]  # choice -> what it means
    default: str
    why_default: str = ""
    departs: Mapping[str, str] = field(default_factory=dict)  # choice -> why a run with it is not faithful

    def __post_init__(self):
        if self.default not in self.choices:
            raise ValueError(f"variant {self.name}: default {self.default!r} not among {list(self.choices)}")


@dataclass(frozen=True)
class PublishedMetric:
    key: str  # metric key in lungxray.judge.metrics (its definition)
    value: float  # as a fraction (0.9942, not 99.42)
    source: str  # table / section / abstract
    label: str = ""  # shown name; defaults to key
    tolerance: float = 0.02  # absolute: the smallest gap that matters for the paper's claim, registered before results
    expectation: str = "reproduces"  # or "deviates"
    reason: str = ""  # why a deviation is expected
    tolerance_reason: str = ""  # why this tolerance (required to register it: lungxray.spec.registration)

    @property
    def name(self) -> str:
        return self.label or self.key

    @property
    def row_id(self) -> str:
        """Its name in the registration: the metric key and where the paper prints it."""
        return row_id(self.key, self.source)


def row_id(key: str, source: str) -> str:
    return f"{key} @ {source}"


def log_label(key: str) -> str:
    """A Keras history key as a label: 'val_accuracy' -> 'Validation accuracy', 'loss' -> 'Training loss'."""
    split, metric = ("Validation", key[4:]) if key.startswith("val_") else ("Training", key)
    return f"{split} {metric.replace('_', ' ')}"


# Training-log values of the evaluated epoch are informational (never held by ``check``); their tolerance is the
# package's, registered with the study's.
LOG_TOLERANCE = {"loss": 0.1, "other": 0.05}
LOG_TOLERANCE_REASON = ("a training-log value is informational (shown, never held by check): 0.05 for a logged "
                        "accuracy and 0.1 for a logged loss, the package's convention, not the paper's claim")


@dataclass(frozen=True)
class Published:
    metrics: tuple[PublishedMetric, ...] = ()
    # training-log values of the evaluated epoch (Keras history keys), compared with ours
    final_epoch: Mapping[str, float] = field(default_factory=dict)
    final_epoch_source: str = ""
    confusion_matrix: tuple[tuple[int, ...], ...] | None = None
    confusion_source: str = ""
    history: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # keras history keys
    history_source: str = ""
    tables: Mapping[str, Any] = field(default_factory=dict)  # other published tables, as data
    primary: str = ""  # the key of the experiment's primary published number (its first row with that key)
    test_size: int | None = None  # the paper's test images (None: not stated, or given by confusion_matrix)
    test_counts: Mapping[str, int] = field(default_factory=dict)  # the paper's test images per class, where printed

    def primary_metric(self) -> PublishedMetric | None:
        """The row the headline verdict is (the first published number when none is declared)."""
        return next((pm for pm in self.metrics if pm.key == self.primary), self.metrics[0] if self.metrics else None)

    def primary_row_id(self) -> str:
        pm = self.primary_metric()
        return pm.row_id if pm is not None else ""

    def log_metrics(self) -> tuple[PublishedMetric, ...]:
        """The training-log values of the evaluated epoch, as published metrics ``history:<key>``."""
        return tuple(PublishedMetric(f"history:{key}", val, self.final_epoch_source, f"{log_label(key)} (evaluated epoch)",
                                     tolerance=LOG_TOLERANCE["loss" if "loss" in key else "other"],
                                     tolerance_reason=LOG_TOLERANCE_REASON)
                     for key, val in self.final_epoch.items())

    def test_class_counts(self, classes: Sequence[str]) -> tuple[dict[str, int], dict[str, int]]:
        """The paper's test images per true class and per predicted class (the latter only from a printed
        confusion matrix, in the experiment's class order)."""
        if self.confusion_matrix is not None:
            cm = self.confusion_matrix
            return ({c: sum(row) for c, row in zip(classes, cm, strict=True)},
                    {c: sum(row[j] for row in cm) for j, c in enumerate(classes)})
        return dict(self.test_counts), {}

    def test_images(self, classes: Sequence[str]) -> int | None:
        """The paper's test-set size: declared, or the sum of a printed confusion matrix or per-class counts."""
        if self.test_size is not None:
            return self.test_size
        counts, _ = self.test_class_counts(classes)
        return sum(counts.values()) if counts else None


@dataclass(frozen=True)
class SplitCounts:
    """Per-class counts a paper prints for one part of its split (a split table, confusion-matrix rows)."""

    name: str  # where it is printed, e.g. "Table IV, undersampling row"
    part: str  # which part it should equal: "train", "val", "test", "trainval" or "holdout" (val + test)
    counts: Mapping[str, int]
    experiments: tuple[str, ...] = ()  # the experiments it describes (empty: all)


@dataclass(frozen=True)
class SplitEvidence:
    """What split recovery needs: the dataset as the paper describes it and the counts it prints."""

    population: Mapping[str, int]  # per-class counts of the whole dataset, in the paper's class order
    targets: tuple[SplitCounts, ...]
    stated: str = ""  # the split the text describes, e.g. "80/20, then 20% of the training part"
    test_sizes: tuple[float, ...] = ()  # fractions to try first-stage (empty: the tool's defaults)
    val_sizes: tuple[float, ...] = ()  # fractions to try second-stage (empty: the tool's defaults)
    source: str = ""


@dataclass(frozen=True)
class RateSeries:
    """Rates printed with a fixed number of decimals, all measured on one set (a log column, a table)."""

    name: str
    source: str
    values: tuple[float, ...]  # as fractions (0.9413, not 94.13)
    decimals: int  # decimals of the fraction as printed (0.9413 -> 4; "95%" -> 2)
    stated_n: int  # the size of the set the paper says they were measured on
    batch_mean: bool | None = None  # averaged over batches (PyTorch-style): True; per image: False; unknown: None
    experiment: str = ""
    drop_last: bool = False  # a batch-mean log from a loader that drops the short last batch
    totals: tuple[int | None, ...] = ()  # correct predictions behind value i, where the paper gives them per image


@dataclass(frozen=True)
class BinaryRates:
    """A binary classifier's printed accuracy, precision and recall (for the implied prevalence)."""

    name: str
    source: str
    accuracy: float
    precision: float
    recall: float
    decimals: int
    described_share: float  # positives / all in the test set the paper describes
    n: int | None = None  # the test-set size, when the paper gives it
    experiment: str = ""
    # the assumption under which ``described_share`` holds ("if the whole described data was used"); when set,
    # the audit reports the implied share as a finding (one for all such triples), not as an inconsistency
    described_if: str = ""


@dataclass(frozen=True)
class ScoreSet:
    """Scores a paper prints for one binary (or one-vs-rest) problem on a test set of known composition."""

    name: str
    source: str
    positives: int
    negatives: int
    scores: Mapping[str, float]  # accuracy, recall, specificity, precision, npv, f1 (fractions, as printed)
    decimals: int  # of the fractions as printed (0.93 -> 2; 0.9942 -> 4; "97%" -> 2)
    experiment: str = ""


@dataclass(frozen=True)
class Statement:
    """A claim about a confusion matrix: ``predicate(cm)`` with cm[true][predicted]."""

    description: str
    predicate: Callable[[Sequence[Sequence[int]]], bool]



@dataclass(frozen=True)
class OneVsRest:
    """Per-class TP/FP/FN/TN a paper prints (for confusion-matrix reconstruction)."""

    name: str
    source: str
    classes: tuple[str, ...]
    tp: tuple[int, ...]
    fp: tuple[int, ...]
    fn: tuple[int, ...]
    tn: tuple[int, ...]
    statements: tuple[Statement, ...] = ()  # the text's sentences about the matrix, as predicates
    experiment: str = ""


@dataclass(frozen=True)
class Evidence:
    """The printed numbers the forensic tools of ``lungxray.audit.forensics`` read; the audit runs them all."""

    splits: tuple[SplitEvidence, ...] = ()
    rates: tuple[RateSeries, ...] = ()
    binary: tuple[BinaryRates, ...] = ()
    one_vs_rest: tuple[OneVsRest, ...] = ()
    scores: tuple[ScoreSet, ...] = ()  # score sets on a test set of known composition (also mlscorecheck's input)


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    configure: Callable[[Mapping[str, str]], RunConfig]
    published: Published = Published()


@dataclass(frozen=True)
class Smoke:
    """How ``--smoke`` shrinks the study: generated images per class, epochs, image size."""

    per_class: int = 30
    epochs: int = 2
    image_size: int | None = None  # None: the study's own
    variants: Mapping[str, str] = field(default_factory=dict)  # variant choices forced in smoke runs
    model_params: Mapping[str, Any] = field(default_factory=dict)  # model parameters overridden
    why: str = ""  # shown in the results: why the smoke run differs from the study's defaults
    experiments: tuple[str, ...] = ()  # experiments a plain --smoke runs (default all)


@dataclass(frozen=True)
class Study:
    id: str
    title: str
    citation: str
    dataset: str
    summary: str
    experiments: tuple[Experiment, ...]
    variants: tuple[Variant, ...] = ()
    smoke: Smoke = Smoke()
    notes: tuple[str, ...] = ()
    audit: Callable[[], list[Any]] | None = None  # study-specific lungxray.audit.claims.Claim list
    evidence: Evidence = Evidence()  # printed numbers for the forensic tools (split, rates, prevalence, ...)

    def experiment(self, name: str) -> Experiment:
        for e in self.experiments:
            if e.name == name:
                return e
        raise KeyError(f"study {self.id} has no experiment {name!r}; one of {[e.name for e in self.experiments]}")

    def defaults(self) -> dict[str, str]:
        return {v.name: v.default for v in self.variants}

    def resolve_variants(self, given: Mapping[str, str]) -> dict[str, str]:
        known = {v.name: v for v in self.variants}
        out = self.defaults()
        for k, val in given.items():
            if k not in known:
                raise ValueError(f"unknown variant {k!r} for {self.id}; known: {', '.join(known) or 'none'}")
            if val not in known[k].choices:
                raise ValueError(f"variant {k}: {val!r} is not one of {', '.join(known[k].choices)}")
            out[k] = val
        return out

    def choices(self, given: Mapping[str, str] | None = None, *, smoke: bool = False) -> dict[str, str]:
        """Every variant's choice: the defaults, then a smoke run's forced choices, then ``given``."""
        return self.resolve_variants({**(self.smoke.variants if smoke else {}), **(given or {})})

    def applicable_variants(self, experiment: str | Experiment,
                            choices: Mapping[str, str] | None = None) -> tuple[Variant, ...]:
        """The variants that apply to ``experiment``: those with a choice that changes its configuration, the
        other variants at ``choices`` (default: the defaults). A variant of another model (uly2023's ResNet50
        variants for the LSTM alone) is left out; one with a single choice (a reading stated, not a choice) is
        kept, as nothing shows where it applies."""
        exp = experiment if isinstance(experiment, Experiment) else self.experiment(experiment)
        chosen = self.choices(choices)
        base = exp.configure(chosen)
        return tuple(v for v in self.variants if len(v.choices) == 1
                     or any(exp.configure({**chosen, v.name: c}) != base for c in v.choices if c != chosen[v.name]))

    def resolve(self, experiment: str | Experiment, choices: Mapping[str, str] | None = None, *,
                smoke: bool = False, epochs: int | None = None) -> RunConfig:
        """The one place a run's configuration is made (runner, audit, bench and faithful all call it).

        ``choices`` may be partial (the rest are defaults); ``smoke`` shrinks the run as ``Smoke`` says
        (its epochs, image size and model parameters, no per-class subset); ``epochs`` overrides both
        the paper's and the smoke epoch count. ``train.epochs`` of the result is what the run trains."""
        exp = experiment if isinstance(experiment, Experiment) else self.experiment(experiment)
        cfg = exp.configure(self.choices(choices, smoke=smoke))
        if smoke:
            image = replace(cfg.image, size=self.smoke.image_size) if self.smoke.image_size else cfg.image
            model = replace(cfg.model, params={**cfg.model.params, **self.smoke.model_params})
            cfg = replace(cfg, image=image, model=model, per_class_limit=None,
                          train=replace(cfg.train, epochs=self.smoke.epochs))
        if epochs is not None:
            cfg = replace(cfg, train=replace(cfg.train, epochs=epochs))
        return cfg


ENTRY_POINT_GROUP = "lungxray.studies"


def load_studies() -> dict[str, Study]:
    """All registered studies, by id (entry points, so ``lungxray`` never imports them by name)."""
    from importlib.metadata import entry_points

    out: dict[str, Study] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        study = ep.load()
        out[study.id] = study
    return out


def get_study(study_id: str) -> Study:
    studies = load_studies()
    if study_id not in studies:
        raise KeyError(unknown_study_message(study_id, sorted(studies)))
    return studies[study_id]


def unknown_study_message(study_id: str, registered: Sequence[str]) -> str:
    """No such study: the closest registered id, and all of them."""
    close = difflib.get_close_matches(study_id, registered, n=1)
    guess = f" (did you mean {close[0]}?)" if close else ""
    return (f"unknown study {study_id!r}{guess}; the studies are: {', '.join(registered) or 'none'} "
            "(`python -m lungxray studies` describes them; they register through the 'lungxray.studies' "
            "entry points: pip install -e .)")
