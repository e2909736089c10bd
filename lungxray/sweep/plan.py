"""The grid of a sweep: which points (readings of the paper) and which trials (point x seed) it runs."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from lungxray.errors import LungxrayError
from lungxray.judge import variance as VM
from lungxray.judge.verdict import design_of
from lungxray.results.sweep import point_name
from lungxray.spec.study import Study

log = logging.getLogger("lungxray")

ONE_AT_A_TIME, FULL_GRID = "one-at-a-time", "full grid"


@dataclass(frozen=True)
class Point:
    name: str
    changes: dict[str, str]  # variant -> choice, where it differs from the default


@dataclass(frozen=True)
class Trial:
    experiment: str
    point: str
    changes: tuple[tuple[str, str], ...]
    seed: int
    split_seed: int

    @property
    def folder(self) -> str:
        """The run folder, relative to the experiment's sweep folder."""
        return f"{self.point}/seed-{self.seed}"

    @property
    def path(self) -> str:
        """The run folder, relative to the sweep's root (``--out``)."""
        return f"{self.experiment}/{self.folder}"


@dataclass(frozen=True)
class Plan:
    study: str
    experiment: str
    varied: tuple[str, ...]
    grid: str
    points: tuple[Point, ...]
    seeds: tuple[int, ...]
    resplit: bool  # each seed its own split (the study's test images are not the paper's)
    design: str

    @property
    def trials(self) -> list[Trial]:
        return [Trial(self.experiment, p.name, tuple(p.changes.items()), s, s if self.resplit else self.seeds[0])
                for p in self.points for s in self.seeds]


def plan_sweep(study: Study, experiment: str, vary: Sequence[str] = (), *, full_grid: bool = False,
               runs: int = 3, seed: int = 42, smoke: bool = False, fixed_split: bool = False) -> Plan:
    """The points of a sweep of ``experiment`` over ``vary`` (default: every variant with a choice that changes
    the experiment's configuration, ``Study.applicable_variants``), one at a time around the defaults or the
    full product, with ``runs`` seeds each. Each seed draws its own split unless the experiment is scored on the
    paper's own test images (or ``fixed_split``): the spread over seeds then includes which images were tested,
    the ``resplit`` design of ``lungxray.judge.variance``. Points with the same configuration are run once."""
    exp = study.experiment(experiment)
    if runs < 2:
        raise LungxrayError(f"--runs {runs}: a sweep needs at least 2 seeds per point (the effect of a switch is "
                            "judged against the spread over seeds)")
    applicable = {v.name: v for v in study.applicable_variants(exp) if len(v.choices) > 1}
    known = {v.name for v in study.variants}
    for name in vary:
        if name not in known:
            raise LungxrayError(f"--vary {name}: {study.id} has no such variant; its variants: "
                                f"{', '.join(sorted(known)) or 'none'} (see --list-variants)")
        if name not in applicable:
            raise LungxrayError(f"--vary {name}: it does not change the configuration of {study.id}/{experiment} "
                                f"(the variants that do: {', '.join(applicable) or 'none'})")
    names = [v.name for v in study.variants if v.name in (vary or applicable)]
    if not names:
        raise LungxrayError(f"{study.id}/{experiment} has no variant to sweep")
    defaults = study.defaults()
    if full_grid:
        combos = itertools.product(*[list(applicable[n].choices) for n in names])
        wanted = [{n: c for n, c in zip(names, combo, strict=True) if c != defaults[n]} for combo in combos]
    else:
        wanted = [{}] + [{n: c} for n in names for c in applicable[n].choices if c != defaults[n]]
    points: list[Point] = []
    seen: dict[str, str] = {}
    for changes in wanted:
        cfg = study.resolve(exp, changes, smoke=smoke)
        key = repr(cfg)
        name = point_name(changes)
        if key in seen:
            log.info("sweep: %s has the configuration of %s; run once", name, seen[key])
            continue
        seen[key] = name
        points.append(Point(name, changes))
    cfg = study.resolve(exp, smoke=smoke)
    resplit = not fixed_split and design_of(cfg) != VM.PAPER_IMAGES
    seeds = tuple(range(seed, seed + runs))
    design = design_of(cfg, seeds if resplit else (seed,))
    return Plan(study.id, experiment, tuple(names), FULL_GRID if full_grid else ONE_AT_A_TIME, tuple(points),
                seeds, resplit, design)
