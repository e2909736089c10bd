"""A ``--runs`` set: every metric over the seeds, and each published number judged on the interval where
one more run lands (``lungxray.judge.verdict``'s rule); ``aggregate.json`` beside the seed folders."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lungxray.errors import ResultsError
from lungxray.judge.verdict import Estimate, decide, over_seeds
from lungxray.results.files import AGGREGATE, atomic_write_text, load_results
from lungxray.results.types import (
    AGGREGATE_SCHEMA,
    AggregateResult,
    AggregateRow,
    Interval,
    MetricSpread,
    RunResult,
)


def aggregate(results: Sequence[RunResult], names: Sequence[str] = ()) -> AggregateResult:
    """Runs that differ only in seed (``names``: their folders): every metric's values, mean and std, and each
    published number's verdict by ``lungxray.judge.verdict``'s rule on the interval where one more run lands."""
    if not results:
        raise ResultsError("nothing to aggregate")
    first = results[0]
    keys = [k for k in first.evaluation.metrics if all(k in r.evaluation.metrics for r in results)]
    stats = {}
    for k in keys:
        vals = np.array([r.evaluation.metrics[k] for r in results], dtype=float)
        stats[k] = MetricSpread(float(vals.mean()), float(vals.std(ddof=1)) if len(vals) > 1 else 0.0, vals.tolist())
    faithful = all(bool(r.faithful) for r in results)
    # a published number is its key and its source: a paper may print one metric twice (a table and its abstract)
    key_sets = [[(row.key, row.source) for row in r.comparison] for r in results]
    if any(set(ks) != set(key_sets[0]) or len(ks) != len(set(ks)) for ks in key_sets):
        raise ResultsError("the runs compare different published numbers (results from different study versions?): "
                           "rescore them with `python -m lungxray rescore` first")
    by_key = [{(row.key, row.source): row for row in r.comparison} for r in results]
    rows = [_aggregate_row([b[key] for b in by_key], faithful) for key in key_sets[0]]
    return AggregateResult(AGGREGATE_SCHEMA, first.study, first.experiment, len(results),
                           [r.provenance.seed for r in results], first.provenance.split_seed,
                           [r.provenance.split_seed for r in results], faithful, first.departures, list(names),
                           stats, rows)


def _aggregate_row(per_run: Sequence[Any], faithful: bool) -> AggregateRow:
    """One published number over the runs (each a ``ComparisonRow``)."""
    row = per_run[0]
    same = {k: getattr(row, k) for k in ("key", "label", "definition", "source", "published", "published_interval",
                                         "tolerance", "expectation", "reason")}
    if any(x.reproduced is None for x in per_run):
        return AggregateRow(**same, mean=None, std=None, interval=None, verdict=row.verdict, gap_interval=None,
                            detail="", n_to_decide=None, informational=row.informational)
    # a log value has no test-set interval: over seeds, its spread is its uncertainty
    ests = [Estimate(**vars(x.interval)) if x.interval else
            Estimate(x.reproduced, float("nan"), float("nan"), float("nan"), "none", 0) for x in per_run]
    est = over_seeds(ests, bounded=not (row.key.endswith("loss") or row.key == "loss"))
    s = float(np.std([e.value for e in ests], ddof=1)) if len(ests) > 1 else 0.0
    dec = decide(row.published, row.tolerance, est, faithful=faithful,
                 inconsistent=row.verdict == "published number inconsistent", seed_spread=s)
    return AggregateRow(**same, mean=est.value, std=s, interval=Interval(**est.to_dict()), verdict=dec.verdict,
                        gap_interval=dec.gap, detail=dec.detail, n_to_decide=dec.n_to_decide,
                        informational=row.informational)


def write_aggregate(folder: Path, run_dirs: Sequence[Path]) -> Path:
    results = [load_results(d) for d in run_dirs]
    path = Path(folder) / AGGREGATE
    atomic_write_text(path, aggregate(results, [Path(d).name for d in run_dirs]).to_json())
    return path
