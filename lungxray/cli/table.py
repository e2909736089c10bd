"""``lungxray table``: every published number against its reproduction, one row per
study x experiment x metric across the committed runs, for papers and spreadsheets.

The rows come from the ``comparison`` records that ``lungxray.judge.verdict.comparison_rows`` wrote into
each results.json, and from ``aggregate.json`` of ``--runs`` sets (the set's interval and verdict;
its seed runs are then left out unless asked for). Nothing is recomputed: a value in the table is
the value in the file (``lungxray check`` proves the files). :func:`run_rows` and
:func:`aggregate_rows` take typed results; :func:`collect` finds and loads them under a folder.

A sweep (a folder holding sweep.json, ``python -m lungxray sweep``) is not a set of headline runs: its trial
runs and per-reading ``--runs`` sets are left out of :func:`collect`; :func:`sweep_rows` gives one row per
reading (point) x published metric from each point's aggregate.json, marked with the sweep and the point
(``lungxray table --sweeps``).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from lungxray.results import files as R
from lungxray.results.sweep import SweepResult, find_sweeps, sweep_of
from lungxray.results.types import AggregateResult, Interval, Judged, RunResult

FORMATS = ("md", "csv", "json")


@dataclass(frozen=True)
class Row:
    study: str
    experiment: str
    run: str  # the run folder (or, for a --runs set, the folder holding aggregate.json), relative to the root
    key: str  # the metric key of the comparison row
    label: str  # the paper's name for it
    published: float | None
    published_lo: float | None  # the published value's rounding interval
    published_hi: float | None
    reproduced: float | None  # a run's value, or a --runs set's mean
    reproduced_lo: float | None  # its 95% interval (None for a training-log value of one run)
    reproduced_hi: float | None
    verdict: str
    faithful: bool
    smoke: bool  # a smoke run on generated images: tests the pipeline, says nothing about the paper
    weights: str  # --weights of the run(s): imagenet, none, a path, "not applicable"
    seeds: tuple[int, ...]
    n_runs: int  # 1, or K for a --runs set
    tolerance: float | None
    informational: bool  # a training-log value: shown, never held by `lungxray check`
    primary: bool = False  # the experiment's registered headline row
    design: str = ""  # the variance model (lungxray.judge.variance)
    difference: float | None = None  # reproduced (mean) minus published
    difference_lo: float | None = None  # its 90% interval, widened by the published rounding
    difference_hi: float | None = None
    equivalence_testable: bool = True  # the tolerance is above the smallest one any reproduction could show
    sweep: str = ""  # a sweep's row: the sweep's folder (holding sweep.json), relative to the root
    point: str = ""  # ... and the reading (point) of the sweep: "default", or its switches "variant=choice,..."

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["seeds"] = list(self.seeds)
        return {k: _finite(v) for k, v in d.items()}


COLUMNS = tuple(f.name for f in fields(Row))


def _finite(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _num(v: Any) -> float | None:
    return None if v is None else _finite(float(v))


def _pair(v: Sequence[Any] | None) -> tuple[float | None, float | None]:
    return (None, None) if not v else (_num(v[0]), _num(v[1]))


def _interval(iv: Interval | None) -> tuple[float | None, float | None]:
    return (None, None) if iv is None else (_num(iv.lo), _num(iv.hi))


def run_rows(res: RunResult, run: str) -> list[Row]:
    """The rows of one loaded results.json (``run``: its folder, as the table names it)."""
    seed = res.provenance.seed
    return [Row(study=res.study, experiment=res.experiment, run=run, key=c.key, label=c.label,
                published=_num(c.published), published_lo=_pair(c.published_interval)[0],
                published_hi=_pair(c.published_interval)[1], reproduced=_num(c.reproduced),
                reproduced_lo=_interval(c.interval)[0], reproduced_hi=_interval(c.interval)[1], verdict=c.verdict,
                faithful=bool(res.faithful), smoke=res.smoke, weights=res.provenance.weights, seeds=(int(seed),),
                n_runs=1,
                tolerance=_num(c.tolerance), informational=c.informational, **_judged(c))
            for c in res.comparison]


def aggregate_rows(agg: AggregateResult, run: str, weights: str = "", smoke: bool = False, sweep: str = "",
                   point: str = "") -> list[Row]:
    """The rows of one loaded aggregate.json of a ``--runs`` set (``weights``: its runs' --weights, and ``smoke``:
    whether they are smoke runs, which aggregate.json does not hold)."""
    return [Row(study=agg.study, experiment=agg.experiment, run=run, key=c.key, label=c.label,
                published=_num(c.published), published_lo=_pair(c.published_interval)[0],
                published_hi=_pair(c.published_interval)[1], reproduced=_num(c.mean),
                reproduced_lo=_interval(c.interval)[0], reproduced_hi=_interval(c.interval)[1], verdict=c.verdict,
                faithful=agg.faithful, smoke=smoke, weights=weights, seeds=tuple(agg.seeds), n_runs=agg.n_runs,
                tolerance=_num(c.tolerance), informational=c.informational, sweep=sweep, point=point, **_judged(c))
            for c in agg.comparison]


def _judged(c: Judged) -> dict[str, Any]:
    lo, hi = _pair(c.gap_interval)
    return {"primary": c.primary, "design": c.design, "difference": _num(c.difference), "difference_lo": lo,
            "difference_hi": hi, "equivalence_testable": c.equivalence_testable}


def _namer(root: Path) -> Callable[[Path], str]:
    """A folder's name in the table: relative to ``root`` (``root`` itself: its own name)."""

    def name(p: Path) -> str:
        rel = p.relative_to(root).as_posix() if p != root else ""
        return rel or root.name
    return name


def _set_rows(agg_path: Path, name: str, **mark: str) -> tuple[list[Row], list[Path]]:
    """The rows of one aggregate.json and the run folders it aggregates."""
    agg = AggregateResult.load(agg_path, current=True)
    runs = [agg_path.parent / d for d in agg.runs]
    seed_runs = [R.load_results(d) for d in runs if (d / R.RESULTS).is_file()]
    weights = sorted({m.provenance.weights for m in seed_runs})
    return aggregate_rows(agg, name, ", ".join(weights), any(m.smoke for m in seed_runs), **mark), runs


def collect(root: Path, each_seed: bool = False) -> list[Row]:
    """Every row under ``root``: each run folder's results.json, and each aggregate.json in place of the seed runs
    it aggregates (``each_seed``: those as well); nothing of a sweep (:func:`sweep_rows` has those). Ordered by
    study, then folder, then the paper's order. Files of an older schema are refused with the command that brings
    them up to date."""
    root = Path(root)
    name = _namer(root)
    sweeps = find_sweeps(root)
    rows: list[Row] = []
    members: set[Path] = set()
    for agg_path in sorted(root.rglob(R.AGGREGATE)):
        if sweep_of(agg_path, sweeps) is not None:
            continue
        set_rows, runs = _set_rows(agg_path, name(agg_path.parent))
        members.update(runs)
        rows += set_rows
    for p in R.find_results(root):
        if (p.parent in members and not each_seed) or sweep_of(p, sweeps) is not None:
            continue
        rows += run_rows(R.load_results(p, current=True), name(p.parent))
    order = {id(r): i for i, r in enumerate(rows)}
    return sorted(rows, key=lambda r: (r.study, r.run, order[id(r)]))


def sweep_rows(root: Path, each_seed: bool = False) -> list[Row]:
    """Every committed sweep's rows under ``root``: per sweep, in its points' order, one row per point x published
    metric from the point's aggregate.json (``run``: the point's folder; ``sweep`` and ``point`` set), and with
    ``each_seed`` each trial run's rows after its point's. A point that did not finish all its seeds has no
    aggregate and no row (sweep.json lists it)."""
    root = Path(root)
    name = _namer(root)
    rows: list[Row] = []
    for folder in find_sweeps(root):
        sw = SweepResult.load(folder)
        for pt in sw.points:
            agg_path = folder / pt.folder / R.AGGREGATE
            if not agg_path.is_file():
                continue
            set_rows, runs = _set_rows(agg_path, name(agg_path.parent), sweep=name(folder), point=pt.name)
            rows += set_rows
            if each_seed:
                for d in runs:
                    if (d / R.RESULTS).is_file():
                        rows += [replace(r, sweep=name(folder), point=pt.name)
                                 for r in run_rows(R.load_results(d, current=True), name(d))]
    return rows


def merge(rows: Sequence[Row], swept: Sequence[Row]) -> list[Row]:
    """The table's rows and the sweeps' rows in one order: by study, then folder (a sweep's rows together at its
    folder, in its points' order)."""
    return sorted([*rows, *swept], key=lambda r: (r.study, r.sweep or r.run))


def select(rows: Iterable[Row], studies: Sequence[str] = (), real_only: bool = False,
           faithful_only: bool = False) -> list[Row]:
    """The rows of ``studies`` (all when empty); ``real_only``: no smoke run (generated images);
    ``faithful_only``: faithful runs only (faithful or faithful with stated minor departures)."""
    return [r for r in rows if (not studies or r.study in studies) and not (real_only and r.smoke)
            and not (faithful_only and not r.faithful)]


# --- output ---------------------------------------------------------------------------------------

def to_csv(rows: Iterable[Row]) -> str:
    """Every column, numbers at full precision (as in the files); empty cells where there is no value."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        d = r.to_dict()
        d["seeds"] = " ".join(str(s) for s in r.seeds)
        w.writerow(["" if d[c] is None else d[c] for c in COLUMNS])
    return buf.getvalue()


def to_json(rows: Iterable[Row]) -> str:
    return json.dumps([r.to_dict() for r in rows], indent=2, allow_nan=False) + "\n"


def _fmt(v: float | None, digits: int = 4) -> str:
    return "" if v is None else f"{v:.{digits}g}"


def _fmt_iv(lo: float | None, hi: float | None, digits: int = 4) -> str:
    return "" if lo is None or hi is None else f"[{_fmt(lo, digits)}, {_fmt(hi, digits)}]"


def _seeds(seeds: Sequence[int]) -> str:
    if len(seeds) > 2 and list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(str(s) for s in seeds)


def to_markdown(rows: Iterable[Row]) -> str:
    """A GitHub-flavoured Markdown table, numbers to 4 significant digits, intervals as [lo, hi]; a
    training-log value's label is marked "(log)" and its verdict "(log, not held)", and the informational,
    tolerance and runs columns say the same for a reader who skips the label. With a sweep's rows among them
    a point column follows the run."""
    rows = list(rows)
    points = any(r.point for r in rows)  # a sweep's rows: the reading (point) each row is of, after the run
    head = ["study", "experiment", "run", *(["point"] if points else []), "metric", "label", "published",
            "published interval", "reproduced", "reproduced interval", "tolerance", "verdict", "informational",
            "faithful", "smoke", "weights", "runs", "seeds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        reproduced = _fmt(r.reproduced) + (f" (mean of {r.n_runs})" if r.n_runs > 1 and r.reproduced is not None
                                           else "")
        cells = [r.study, r.experiment, r.run, *([r.point] if points else []), r.key,
                 r.label + (" (log)" if r.informational else ""),
                 _fmt(r.published, 6), _fmt_iv(r.published_lo, r.published_hi, 6), reproduced,
                 _fmt_iv(r.reproduced_lo, r.reproduced_hi), "" if r.tolerance is None else f"±{r.tolerance:g}",
                 r.verdict + (" (log, not held)" if r.informational else ""),
                 "yes (training log, never held by check)" if r.informational else "no",
                 "yes" if r.faithful else "no", "yes" if r.smoke else "no", r.weights, r.n_runs, _seeds(r.seeds)]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def render(rows: Sequence[Row], fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r}; one of {', '.join(FORMATS)}")
    return {"md": to_markdown, "csv": to_csv, "json": to_json}[fmt](rows)
