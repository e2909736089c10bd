"""A ``--runs`` set: every metric over the seeds, and each published number judged by ``lungxray.judge.verdict``'s
rule under the set's variance model (``lungxray.judge.variance``); ``aggregate.json`` beside the seed folders."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lungxray.errors import ResultsError
from lungxray.judge import variance as VM
from lungxray.judge.verdict import INCONSISTENT, Basis, decide, design_of, reach_of
from lungxray.results.files import AGGREGATE, atomic_write_text, load_results
from lungxray.results.types import (
    AGGREGATE_SCHEMA,
    AggregateResult,
    AggregateRow,
    ComparisonRow,
    Interval,
    MetricSpread,
    RunResult,
    judged_fields,
)


def aggregate(results: Sequence[RunResult], names: Sequence[str] = ()) -> AggregateResult:
    """Runs that differ only in seed (``names``: their folders): every metric's values, mean and std, and each
    published number's verdict by ``lungxray.judge.verdict``'s rule under the set's design."""
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
    design = design_of(first.config, [r.provenance.split_seed for r in results])
    by_key = [{(row.key, row.source): row for row in r.comparison} for r in results]
    rows = [_aggregate_row([b[key] for b in by_key], faithful, design) for key in key_sets[0]]
    return AggregateResult(AGGREGATE_SCHEMA, first.study, first.experiment, len(results),
                           [r.provenance.seed for r in results], first.provenance.split_seed,
                           [r.provenance.split_seed for r in results], faithful, first.departures, list(names),
                           stats, rows, design)


def _aggregate_row(per_run: Sequence[ComparisonRow], faithful: bool, design: str) -> AggregateRow:
    """One published number over the runs: the mean, where one more run lands, and the verdict."""
    row = per_run[0]
    reach = reach_of(row.published, row.tolerance, row.key, row.paper_images, design)
    same = {**judged_fields(row), "design": design, "paper_images": reach.paper_images,
            "smallest_tolerance": reach.smallest_tolerance, "equivalence_testable": reach.testable}
    if any(x.reproduced is None for x in per_run):
        return AggregateRow(**same, interval=None, verdict=row.verdict)
    vals = np.array([x.reproduced for x in per_run], dtype=float)
    k, mean = len(vals), float(vals.mean())
    s = float(vals.std(ddof=1)) if k > 1 else 0.0
    ivs = [x.interval for x in per_run if x.interval is not None and math.isfinite(x.interval.se)]
    # a training-log value has no test-set interval: its spread over seeds is its uncertainty
    v = float(np.mean([iv.se ** 2 for iv in ivs])) if len(ivs) == k else math.nan
    n = round(float(np.mean([iv.n for iv in ivs]))) if len(ivs) == k else 0
    if k > 1:
        half, _df, sd = (float(x) for x in VM.one_more_run(design, k, s, v if math.isfinite(v) else 0.0))
    else:  # one run: its own interval
        iv = per_run[0].interval
        half = (iv.hi - iv.lo) / 2 if iv is not None else 0.0
        sd = iv.se if iv is not None else math.nan
    lo, hi = mean - half, mean + half
    if not row.key.endswith("loss"):  # a proportion or a score in [0, 1]
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    dec = decide(row.published, row.tolerance, Basis(design, k, mean, s, v, n), reach, faithful=faithful,
                 inconsistent=row.verdict == INCONSISTENT)
    return AggregateRow(**same, interval=Interval(mean, lo, hi, sd, "seeds", n), verdict=dec.verdict,
                        preliminary=dec.preliminary, difference=dec.difference, gap_interval=dec.gap,
                        direction=dec.direction, detail=dec.detail, n_to_decide=dec.n_to_decide, mean=mean, std=s)


def write_aggregate(folder: Path, run_dirs: Sequence[Path]) -> Path:
    results = [load_results(d) for d in run_dirs]
    path = Path(folder) / AGGREGATE
    atomic_write_text(path, aggregate(results, [Path(d).name for d in run_dirs]).to_json())
    return path
