"""Split recovery: which ``train_test_split`` call reproduces a paper's printed per-class split counts.

Rounding conventions: see :mod:`lungxray.audit.forensics`.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lungxray.audit.forensics.split_counts import (
    _nonstratified_counts,
    _segment_map,
    _stratified_counts,
)
from lungxray.audit.forensics.split_schemes import (
    DEFAULT_SCHEMES,
    DEFAULT_SEEDS,
    SPLIT_PARTS,
    Scheme,
)


@dataclass(frozen=True)
class SplitMatch:
    """A configuration reproducing a target; ``seeds`` that give identical counts are grouped.

    ``class_order``: order of the class blocks in the file list (non-stratified), or the
    sort order of label values (stratified: counts do not depend on file positions, only
    on the order np.unique sorts the labels in; alphabetical order = string labels).
    ``parts``: part -> class -> count for train, val and test (val empty for one-stage).
    """

    scheme: Scheme
    class_order: tuple[str, ...]
    seeds: tuple[int, ...]
    parts: Mapping[str, Mapping[str, int]]

    def to_dict(self) -> dict[str, Any]:
        return {"scheme": self.scheme.to_dict(), "class_order": list(self.class_order),
                "seeds": list(self.seeds),
                "parts": {p: dict(c) for p, c in self.parts.items()}}

    def summary(self) -> str:
        seeds = (str(self.seeds[0]) if len(self.seeds) == 1
                 else f"{len(self.seeds)} seeds ({self.seeds[0]}..{self.seeds[-1]})")
        parts = "; ".join(f"{p} " + "/".join(str(v) for v in c.values())
                          for p, c in self.parts.items() if sum(c.values()))
        return (f"{self.scheme.describe()}, order {'/'.join(self.class_order)}, "
                f"random_state={seeds}: {parts}")


@dataclass(frozen=True)
class TargetRecovery:
    """All configurations reproducing one printed count vector exactly.

    ``n_tried``: (scheme, class order, seed) configurations that have the target's part.
    ``n_tried_same_size``: those whose part has the target's total size (the only ones
    that could match).  ``expected_chance_matches``: expected number of matches among
    the non-stratified same-size configurations if the counts were unrelated to any of
    them (multivariate hypergeometric probability of the target x number tried); a real
    match is convincing when this is far below 1.
    """

    name: str
    part: str
    target: Mapping[str, int]
    matches: tuple[SplitMatch, ...]
    n_tried: int
    n_tried_same_size: int
    n_matching_configs: int
    expected_chance_matches: float | None

    @property
    def match_rate(self) -> float:
        return self.n_matching_configs / self.n_tried if self.n_tried else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "part": self.part, "target": dict(self.target),
                "matches": [m.to_dict() for m in self.matches], "n_tried": self.n_tried,
                "n_tried_same_size": self.n_tried_same_size,
                "n_matching_configs": self.n_matching_configs, "match_rate": self.match_rate,
                "expected_chance_matches": self.expected_chance_matches}

    def summary(self) -> str:
        head = (f"{self.name} ({self.part} {'/'.join(str(v) for v in self.target.values())}): "
                f"{self.n_matching_configs} of {self.n_tried} configurations match")
        if self.expected_chance_matches is not None:
            head += f" (chance expectation {self.expected_chance_matches:.2g})"
        if not self.matches:
            return head + "; no solution"
        return head + "; first: " + self.matches[0].summary()


@dataclass(frozen=True)
class SplitRecovery:
    """Result of :func:`recover_split`; index by target name."""

    class_counts: Mapping[str, int]
    class_orders: tuple[tuple[str, ...], ...]
    seeds: tuple[int, ...]
    schemes: tuple[Scheme, ...]
    targets: tuple[TargetRecovery, ...]
    seconds: float

    def __getitem__(self, name: str) -> TargetRecovery:
        for t in self.targets:
            if t.name == name:
                return t
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        s = self.seeds
        return {"class_counts": dict(self.class_counts),
                "class_orders": [list(o) for o in self.class_orders],
                "seeds": list(s), "schemes": [x.to_dict() for x in self.schemes],
                "targets": [t.to_dict() for t in self.targets], "seconds": self.seconds}

    def summary(self) -> str:
        found = sum(1 for t in self.targets if t.matches)
        return (f"split recovery over {len(self.class_orders)} orders x {len(self.seeds)} seeds x "
                f"{len(self.schemes)} schemes: {found}/{len(self.targets)} targets reproduced "
                f"({self.seconds:.1f} s)")


def _class_orders(classes: tuple[str, ...],
                  class_orders: Sequence[Sequence[str]] | None) -> tuple[tuple[str, ...], ...]:
    """The class orders to try (all permutations by default), each checked to be one."""
    orders = (tuple(itertools.permutations(classes)) if class_orders is None
              else tuple(tuple(o) for o in class_orders))
    for o in orders:
        if sorted(o) != sorted(classes):
            raise ValueError(f"class order {o} is not a permutation of {classes}")
    return orders


def _check_targets(targets: Mapping[str, tuple[str, Mapping[str, int]]],
                   classes: tuple[str, ...]) -> None:
    """Raise ValueError for a target naming an unknown part or unknown classes."""
    for name, (part, tgt) in targets.items():
        if part not in SPLIT_PARTS:
            raise ValueError(f"target {name!r}: unknown part {part!r}")
        unknown = set(tgt) - set(classes)
        if unknown:
            raise ValueError(f"target {name!r}: unknown classes {sorted(unknown)}")


def _scheme_matches(sch: Scheme, parts: Mapping[str, np.ndarray], hit: np.ndarray,
                    orders: tuple[tuple[str, ...], ...], seeds: tuple[int, ...],
                    classes: tuple[str, ...]) -> list[SplitMatch]:
    """One :class:`SplitMatch` per (order, full train/val/test counts) among the hits.

    ``hit`` is a (seeds, orders) mask; seeds giving identical counts are grouped.
    """
    matches: list[SplitMatch] = []
    for oi in np.flatnonzero(hit.any(0)):
        groups: dict[tuple, list[int]] = {}
        for si in np.flatnonzero(hit[:, oi]):
            key = tuple(tuple(int(x) for x in parts[p][si, oi])
                        for p in ("train", "val", "test"))
            groups.setdefault(key, []).append(seeds[si])
        for key, sds in groups.items():
            matches.append(SplitMatch(
                sch, orders[oi], tuple(sds),
                {p: {c: key[j][ci] for ci, c in enumerate(classes)}
                 for j, p in enumerate(("train", "val", "test"))}))
    return matches


def _recover_target(name: str, part: str, tgt: Mapping[str, int], schemes: tuple[Scheme, ...],
                    counts: Mapping[int, Mapping[str, np.ndarray]],
                    orders: tuple[tuple[str, ...], ...], seeds: tuple[int, ...],
                    classes: tuple[str, ...], cvec: np.ndarray) -> TargetRecovery:
    """Compare one target with every scheme's counts and tally tries, size and full matches."""
    idx = {c: i for i, c in enumerate(classes)}
    cols = [idx[c] for c in tgt]
    want = np.array([int(tgt[c]) for c in tgt])
    tsize = int(want.sum())
    matches: list[SplitMatch] = []
    n_tried = n_same = n_match = 0
    n_same_nonstrat = 0
    for i, sch in enumerate(schemes):
        if sch.kind == "one_stage" and part in ("val", "holdout"):
            continue
        arr = counts[i][part]
        n_tried += arr.shape[0] * arr.shape[1]
        same = arr[..., cols].sum(-1) == tsize
        n_same += int(same.sum())
        if not sch.stratified:
            n_same_nonstrat += int(same.sum())
        hit = np.all(arr[..., cols] == want, axis=-1)
        n_match += int(hit.sum())
        matches.extend(_scheme_matches(sch, counts[i], hit, orders, seeds, classes))
    return TargetRecovery(
        name, part, {c: int(tgt[c]) for c in tgt}, tuple(matches), n_tried, n_same, n_match,
        n_same_nonstrat * _hypergeom_pmf(cvec, want) if len(cols) == len(classes) else None)


def recover_split(class_counts: Mapping[str, int],
                  targets: Mapping[str, tuple[str, Mapping[str, int]]], *,
                  class_orders: Sequence[Sequence[str]] | None = None,
                  seeds: Sequence[int] = DEFAULT_SEEDS,
                  schemes: Sequence[Scheme] = DEFAULT_SCHEMES) -> SplitRecovery:
    """Find every split configuration that reproduces printed per-class counts exactly.

    Assumes the file list is ordered class by class (one contiguous block per class, in
    one of ``class_orders``; all permutations by default) and split with scikit-learn
    ``train_test_split`` as described by each :class:`Scheme`.  Only the label array
    matters, so no images are needed.

    Non-stratified schemes: the permutation depends only on (n, seed), so it is drawn once
    per seed and the per-class counts for every class order are read off with block
    boundaries (exactly equal to calling train_test_split; checked in the tests).
    Stratified schemes: counts do not depend on file positions, only on the per-class
    counts in label-sort order and the seed (via sklearn's tie-breaking); they are computed
    with sklearn's own ``_approximate_mode`` (falling back to train_test_split) and a seed
    loop is run only when a random tie-break actually happens.

    ``targets``: name -> (part, {class: count}); part in :data:`SPLIT_PARTS`.  A target
    may name a subset of the classes; only those are compared.
    """
    t0 = time.perf_counter()
    classes = tuple(class_counts)
    cvec = np.array([int(class_counts[c]) for c in classes])
    orders = _class_orders(classes, class_orders)
    seeds = tuple(int(s) for s in seeds)
    schemes = tuple(schemes)
    _check_targets(targets, classes)

    # counts[scheme_i][part] -> array (n_seeds, n_orders, k)
    seg, n_seg, M2 = _segment_map(class_counts, classes, orders)
    nonstrat = [i for i, s in enumerate(schemes) if not s.stratified]
    strat = [i for i, s in enumerate(schemes) if s.stratified]
    counts: dict[int, dict[str, np.ndarray]] = {}
    if nonstrat:
        counts.update(_nonstratified_counts(schemes, nonstrat, seeds, seg, n_seg, M2,
                                            len(orders), len(classes)))
    idx = {c: i for i, c in enumerate(classes)}
    counts.update(_stratified_counts(schemes, strat, seeds, orders, cvec, idx))

    results = tuple(_recover_target(name, part, tgt, schemes, counts, orders, seeds, classes, cvec)
                    for name, (part, tgt) in targets.items())
    return SplitRecovery(dict(class_counts), orders, seeds, schemes, results,
                         time.perf_counter() - t0)


def _hypergeom_pmf(pop: np.ndarray, want: np.ndarray) -> float:
    """P(a uniform random subset of size sum(want) has exactly ``want`` per class)."""
    logp = sum(_lcomb(int(a), int(b)) for a, b in zip(pop, want, strict=True))
    return math.exp(logp - _lcomb(int(pop.sum()), int(want.sum())))


def _lcomb(a: int, b: int) -> float:
    if b < 0 or b > a:
        return -math.inf
    return math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1)
