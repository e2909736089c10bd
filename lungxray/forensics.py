"""Forensic inference: recover unstated pipeline details from the numbers a paper prints.

Every tool here is a pure function of printed numbers; nothing reads images or trains
models.  Results are small frozen dataclasses that carry the inputs they were computed
from, a JSON-serialisable ``to_dict()`` and a one-line ``summary()``.

Tools
-----
1. :func:`recover_split` - which ``sklearn.model_selection.train_test_split`` call
   (scheme, fractions, stratification, class order of the file list, seed) reproduces
   printed per-class split counts.
2. :func:`denominators`, :func:`common_denominators`, :func:`impossible_on` - which set
   sizes n make a printed rate attainable as k/n.
3. :func:`batch_sizes` - which batch sizes explain a log whose accuracy is the mean over
   batches of per-batch accuracy.
4. :func:`confusion_from_ovr`, :func:`check_statements` - every confusion matrix
   consistent with printed one-vs-rest TP/FP/FN/TN counts.
5. :func:`implied_prevalence`, :func:`prevalence_search`, :func:`compare_prevalence` -
   the positive share of a binary test set implied by printed accuracy/precision/recall.

Rounding conventions (tools 2, 3, 5): a printed value ``v`` with ``decimals`` digits
stands for the exact quantity ``x`` (a fraction, multiplied by ``scale``: 1 for values
printed as fractions, 100 for percentages) when ``x`` rounds to ``v``.  ``rounding`` is
``"half_up"`` (ties away from zero), ``"half_even"`` (banker's, ties to the even last
digit, as Python's ``round`` on exact values), ``"truncate"`` (digits cut off), or
``"any"`` (default: the closed interval ``[v-h, v+h]``, both exact ties included).  "any"
covers half-up, half-even and binary-float formatting, which at an exact decimal tie goes
either way depending on the float's representation (``f"{0.94375:.4f}"`` prints ``0.9437``,
where half-up and half-even both give ``0.9438``).
All rounding decisions are made in exact integer arithmetic.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

# --------------------------------------------------------------------------------------
# 1. Split recovery
# --------------------------------------------------------------------------------------

#: Seeds tried by default: 0..1000 (includes 42 and 123) plus popular "year" seeds.
DEFAULT_SEEDS: tuple[int, ...] = tuple(range(1001)) + (1234, 2020, 2021, 2022, 2023, 12345)

#: Fractions tried by default for both the first and the second ``train_test_split`` call.
DEFAULT_FRACTIONS: tuple[float, ...] = (0.1, 0.15, 0.2, 0.25, 0.3)

SPLIT_PARTS = ("train", "val", "test", "trainval", "holdout")
"""Parts a target may name: ``trainval`` = train+val (the first call's training part),
``holdout`` = val+test (the first call's held-out part, for ``holdout_halves``)."""


@dataclass(frozen=True)
class Scheme:
    """One way of splitting a file list with scikit-learn ``train_test_split``.

    Every call uses ``random_state=seed`` and ``shuffle=True``; ``stratified`` means
    ``stratify=labels`` in every call.

    kind:
      ``"one_stage"``: ``train, test = tts(X, test_size=test_size)``; no validation part.
      ``"val_from_train"``: ``trv, test = tts(X, test_size=test_size)`` then
        ``train, val = tts(trv, test_size=val_size)``.
      ``"holdout_halves"``: ``train, hold = tts(X, test_size=test_size)`` then
        ``a, b = tts(hold, test_size=val_size)`` (0.5 by default); ``val_first`` says
        whether ``a`` is the validation part (``X_val, X_test = ...``, the usual
        idiom) or the test part.
    """

    kind: str
    test_size: float
    val_size: float | None = None
    stratified: bool = False
    val_first: bool = True

    def __post_init__(self) -> None:
        if self.kind not in ("one_stage", "val_from_train", "holdout_halves"):
            raise ValueError(f"unknown scheme kind {self.kind!r}")
        if (self.kind == "one_stage") != (self.val_size is None):
            raise ValueError("val_size is required for two-stage schemes only")

    def describe(self) -> str:
        s = ", stratified" if self.stratified else ""
        if self.kind == "one_stage":
            return f"tts(test_size={self.test_size}){s}"
        if self.kind == "val_from_train":
            return (f"tts(test_size={self.test_size}) then tts(train, "
                    f"test_size={self.val_size}) -> train/val{s}")
        order = "val/test" if self.val_first else "test/val"
        return (f"tts(test_size={self.test_size}) then tts(holdout, "
                f"test_size={self.val_size}) -> {order}{s}")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "test_size": self.test_size, "val_size": self.val_size,
                "stratified": self.stratified, "val_first": self.val_first,
                "description": self.describe()}


def make_schemes(test_sizes: Iterable[float] = DEFAULT_FRACTIONS,
                 val_sizes: Iterable[float] = DEFAULT_FRACTIONS, *,
                 kinds: Iterable[str] = ("one_stage", "val_from_train", "holdout_halves"),
                 stratified: Iterable[bool] = (False, True),
                 halves: float = 0.5) -> tuple[Scheme, ...]:
    """Build a scheme set from the fractions a paper states (e.g. ``[0.2], [0.2]``)."""
    test_sizes, val_sizes = tuple(test_sizes), tuple(val_sizes)
    out: list[Scheme] = []
    for strat in stratified:
        for kind in kinds:
            for t in test_sizes:
                if kind == "one_stage":
                    out.append(Scheme(kind, t, None, strat))
                elif kind == "val_from_train":
                    out.extend(Scheme(kind, t, v, strat) for v in val_sizes)
                else:
                    out.append(Scheme(kind, t, halves, strat, True))
                    out.append(Scheme(kind, t, halves, strat, False))
    return tuple(out)


#: 40 non-stratified + 40 stratified schemes: one-stage x5, val-from-train 5x5, halves 5x2.
DEFAULT_SCHEMES: tuple[Scheme, ...] = make_schemes()


def _tts_sizes(n: int, test_size: float) -> tuple[int, int]:
    """(n_train, n_test) exactly as ``train_test_split`` computes them."""
    from sklearn.model_selection._split import _validate_shuffle_split

    return _validate_shuffle_split(n, test_size, None, default_test_size=0.25)


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


def _part_segments(scheme: Scheme, seg: np.ndarray, seed: int, n_seg: int,
                   cache: dict) -> dict[str, np.ndarray]:
    """Per-segment counts of train/val/test for a non-stratified scheme and seed.

    Relies on ShuffleSplit's construction (verified against train_test_split in the tests):
    the test part is ``rng.permutation(n)[:n_test]``, the training part the rest in that
    order, and each call uses a fresh ``RandomState(seed)``.
    """
    n = seg.size

    def perm(m: int) -> np.ndarray:
        key = ("perm", m)
        if key not in cache:
            cache[key] = np.random.RandomState(seed).permutation(m)
        return cache[key]

    def bc(idx: np.ndarray) -> np.ndarray:
        return np.bincount(seg[idx], minlength=n_seg)

    total = np.bincount(seg, minlength=n_seg)
    n_trv, n_test = _tts_sizes(n, scheme.test_size)
    p1 = perm(n)
    key = ("test", n_test)
    if key not in cache:
        cache[key] = bc(p1[:n_test])
    test = cache[key]
    if scheme.kind == "one_stage":
        return {"train": total - test, "val": np.zeros_like(test), "test": test}
    if scheme.kind == "val_from_train":
        _, n_val = _tts_sizes(n_trv, scheme.val_size)
        val = bc(p1[n_test:][perm(n_trv)[:n_val]])
        return {"train": total - test - val, "val": val, "test": test}
    _, n_b = _tts_sizes(n_test, scheme.val_size)
    b = bc(p1[:n_test][perm(n_test)[:n_b]])
    a = test - b
    val, tst = (a, b) if scheme.val_first else (b, a)
    return {"train": total - test, "val": val, "test": tst}


def _approx_mode_probe():
    """sklearn's ``_approximate_mode`` and a RandomState that records real tie-breaks."""
    try:
        from sklearn.model_selection._split import _approximate_mode
    except ImportError:  # pragma: no cover - private API moved
        return None, None

    class Probe(np.random.RandomState):
        used = False

        def choice(self, a, size=None, replace=True, p=None):  # noqa: D401
            if size is not None and size < len(a):
                type(self).used = True
            return super().choice(a, size=size, replace=replace, p=p)

    return _approximate_mode, Probe


class _StratifiedCounter:
    """Per-class counts of stratified ``train_test_split`` calls, in label-sort order.

    Mirrors StratifiedShuffleSplit: ``n_i = _approximate_mode(counts, n_train, rng)`` and
    ``t_i = _approximate_mode(counts - n_i, n_test, rng)`` with ``rng = RandomState(seed)``
    (sklearn's own function; checked against train_test_split in the tests).  Each call is
    first run with a probing RandomState: when no random tie-break happens the counts are
    the same for every seed and computed once; otherwise they are computed per seed.
    Without the private function it falls back to calling train_test_split.
    """

    def __init__(self) -> None:
        self.approx, self.probe = _approx_mode_probe()
        self.free: dict[tuple, tuple[np.ndarray, np.ndarray] | None] = {}
        self.memo: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    def _draw(self, c: np.ndarray, test_size: float, rng) -> tuple[np.ndarray, np.ndarray]:
        n_tr, n_te = _tts_sizes(int(c.sum()), test_size)
        tr = self.approx(c, n_tr, rng)
        return tr, self.approx(c - tr, n_te, rng)

    def one(self, c: np.ndarray, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
        key = (tuple(int(x) for x in c), test_size)
        if self.approx is None:
            if key + (seed,) not in self.memo:
                from sklearn.model_selection import train_test_split

                y = np.repeat(np.arange(c.size), c)
                tr, te = train_test_split(y, test_size=test_size, random_state=seed, stratify=y)
                self.memo[key + (seed,)] = (np.bincount(tr, minlength=c.size),
                                            np.bincount(te, minlength=c.size))
            return self.memo[key + (seed,)]
        if key not in self.free:
            self.probe.used = False
            out = self._draw(c, test_size, self.probe(0))
            self.free[key] = None if self.probe.used else out
        if self.free[key] is not None:
            return self.free[key]
        if key + (seed,) not in self.memo:
            self.memo[key + (seed,)] = self._draw(c, test_size, np.random.RandomState(seed))
        return self.memo[key + (seed,)]

    def _free(self, c: np.ndarray, test_size: float) -> tuple[np.ndarray, np.ndarray] | None:
        if self.approx is None:
            return None
        self.one(c, test_size, 0)
        return self.free[(tuple(int(x) for x in c), test_size)]

    def seed_free(self, c: np.ndarray, scheme: Scheme) -> bool:
        """True when every call of the scheme gives the same counts for every seed."""
        first = self._free(c, scheme.test_size)
        if first is None or scheme.kind == "one_stage":
            return first is not None
        nxt = first[0] if scheme.kind == "val_from_train" else first[1]
        return self._free(nxt, scheme.val_size) is not None

    def parts(self, c: np.ndarray, scheme: Scheme, seed: int) -> dict[str, np.ndarray]:
        trv, test = self.one(c, scheme.test_size, seed)
        if scheme.kind == "one_stage":
            return {"train": trv, "val": np.zeros_like(test), "test": test}
        if scheme.kind == "val_from_train":
            tr, val = self.one(trv, scheme.val_size, seed)
            return {"train": tr, "val": val, "test": test}
        a, b = self.one(test, scheme.val_size, seed)
        val, tst = (a, b) if scheme.val_first else (b, a)
        return {"train": trv, "val": val, "test": tst}


def _stratified_counts_slow(counts: np.ndarray, scheme: Scheme, seed: int) -> dict[str, np.ndarray]:
    """Same as :func:`_stratified_counts` by calling ``train_test_split`` itself."""
    from sklearn.model_selection import train_test_split

    k = counts.size
    y = np.repeat(np.arange(k), counts)
    trv, test = train_test_split(y, test_size=scheme.test_size, random_state=seed, stratify=y)
    bc = lambda a: np.bincount(a, minlength=k)  # noqa: E731
    if scheme.kind == "one_stage":
        return {"train": bc(trv), "val": np.zeros(k, int), "test": bc(test)}
    if scheme.kind == "val_from_train":
        tr, val = train_test_split(trv, test_size=scheme.val_size, random_state=seed, stratify=trv)
        return {"train": bc(tr), "val": bc(val), "test": bc(test)}
    a, b = train_test_split(test, test_size=scheme.val_size, random_state=seed, stratify=test)
    val, tst = (a, b) if scheme.val_first else (b, a)
    return {"train": bc(trv), "val": bc(val), "test": bc(tst)}


def _with_derived(parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = dict(parts)
    out["trainval"] = parts["train"] + parts["val"]
    out["holdout"] = parts["val"] + parts["test"]
    return out


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


def _segment_map(class_counts: Mapping[str, int], classes: tuple[str, ...],
                 orders: tuple[tuple[str, ...], ...]) -> tuple[np.ndarray, int, np.ndarray]:
    """Segments between every block boundary of every order, and their class map.

    Returns ``(seg, n_seg, M2)``: ``seg`` gives each file position's segment, and
    per-class counts for every order are ``seg_counts @ M2`` reshaped to (orders, classes).
    """
    idx = {c: i for i, c in enumerate(classes)}
    bounds = sorted({int(x) for o in orders
                     for x in np.cumsum([0] + [class_counts[c] for c in o])})
    n_seg = len(bounds) - 1
    seg = np.repeat(np.arange(n_seg), np.diff(bounds))
    M = np.zeros((n_seg, len(orders), len(classes)), dtype=np.int64)
    for oi, o in enumerate(orders):
        start = 0
        for c in o:
            end = start + class_counts[c]
            lo, hi = bounds.index(start), bounds.index(end)
            M[lo:hi, oi, idx[c]] = 1
            start = end
    return seg, n_seg, M.reshape(n_seg, -1)


def _nonstratified_counts(schemes: tuple[Scheme, ...], which: list[int], seeds: tuple[int, ...],
                          seg: np.ndarray, n_seg: int, M2: np.ndarray, n_orders: int,
                          k: int) -> dict[int, dict[str, np.ndarray]]:
    """Part counts, shape (seeds, orders, classes), of the non-stratified schemes ``which``.

    One permutation per (n, seed) serves every scheme and class order: segment counts are
    taken per seed and mapped to per-class counts for every order through ``M2``.
    """
    acc = {i: {p: np.empty((len(seeds), n_seg), np.int64) for p in ("train", "val", "test")}
           for i in which}
    for si, seed in enumerate(seeds):
        cache: dict = {}
        for i in which:
            for p, v in _part_segments(schemes[i], seg, seed, n_seg, cache).items():
                acc[i][p][si] = v
    return {i: _with_derived({p: (a @ M2).reshape(len(seeds), n_orders, k)
                              for p, a in acc[i].items()})
            for i in which}


def _stratified_counts(schemes: tuple[Scheme, ...], which: list[int], seeds: tuple[int, ...],
                       orders: tuple[tuple[str, ...], ...], cvec: np.ndarray,
                       idx: Mapping[str, int]) -> dict[int, dict[str, np.ndarray]]:
    """Part counts, shape (seeds, orders, classes), of the stratified schemes ``which``.

    Counts depend only on the per-class counts in label-sort order and the seed; the seed
    loop runs only when a random tie-break actually happens.
    """
    sc = _StratifiedCounter()
    counts: dict[int, dict[str, np.ndarray]] = {}
    for i in which:
        arr = {p: np.empty((len(seeds), len(orders), cvec.size), np.int64)
               for p in ("train", "val", "test")}
        for oi, o in enumerate(orders):
            perm = [idx[c] for c in o]  # label-sort order -> canonical class index
            cv = cvec[perm]
            if sc.seed_free(cv, schemes[i]):
                parts = sc.parts(cv, schemes[i], seeds[0])
                for p in arr:
                    arr[p][:, oi, perm] = parts[p]
                continue
            for si, seed in enumerate(seeds):
                parts = sc.parts(cv, schemes[i], seed)
                for p in arr:
                    arr[p][si, oi, perm] = parts[p]
        counts[i] = _with_derived(arr)
    return counts


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


# --------------------------------------------------------------------------------------
# 2. Denominators (exact rounding arithmetic shared by tools 2, 3 and 5)
# --------------------------------------------------------------------------------------

ROUNDINGS = ("any", "half_up", "half_even", "truncate")


def _printed(value: float | str | Decimal, decimals: int) -> int:
    """The printed value as an integer count of last-digit units (95.58, 2 -> 9558)."""
    return int((Decimal(str(value)) * 10 ** decimals).to_integral_value())


def _prints_as(num: int, den: int, v: int, decimals: int, scale: int, rounding: str) -> bool:
    """Whether the exact value ``scale*num/den`` prints as ``v`` last-digit units."""
    x = 2 * 10 ** decimals * scale * num  # compare x/den with (2v +- 1)/2 exactly
    lo, hi = (2 * v - 1) * den, (2 * v + 1) * den
    if rounding == "truncate":
        return 2 * v * den <= x < (2 * v + 2) * den
    if lo < x < hi:
        return True
    if rounding == "any" and x in (lo, hi):
        return True  # an exact decimal tie: float formatting goes either way (f"{0.94375:.4f}" is '0.9437')
    tie_ok = v % 2 == 0
    if x == lo:
        return rounding == "half_up" or tie_ok
    if x == hi:
        return rounding != "half_up" and tie_ok
    return False


def _check_rounding(rounding: str) -> None:
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {ROUNDINGS}, not {rounding!r}")


def _witnesses(v: int, decimals: int, n: int, scale: int, rounding: str) -> list[int]:
    """All k in 0..n with k/n printing as v."""
    m = 2 * 10 ** decimals * scale
    k0 = max(0, ((2 * v - 1) * n) // m - 1)
    k1 = min(n, ((2 * v + 2) * n) // m + 1)
    return [k for k in range(k0, k1 + 1) if _prints_as(k, n, v, decimals, scale, rounding)]


def denominators(rate: float | str, decimals: int, n_range: Iterable[int], *, scale: int = 1,
                 rounding: str = "any") -> list[int]:
    """Set sizes n in ``n_range`` for which some k/n (0 <= k <= n) prints as ``rate``.

    ``scale`` = 100 when the rate is printed as a percentage (95.58 with decimals=2).
    ``rounding``: see the module docstring ("any" = half-up or half-even).
    """
    _check_rounding(rounding)
    v = _printed(rate, decimals)
    return [n for n in n_range if n > 0 and _witnesses(v, decimals, n, scale, rounding)]


def common_denominators(rates: Sequence[float | str], decimals: int, n_range: Iterable[int], *,
                        scale: int = 1, rounding: str = "any") -> list[int]:
    """Set sizes n for which every rate of a series is attainable as some k/n."""
    _check_rounding(rounding)
    vs = [_printed(r, decimals) for r in rates]
    return [n for n in n_range
            if n > 0 and all(_witnesses(v, decimals, n, scale, rounding) for v in vs)]


@dataclass(frozen=True)
class RateCheck:
    """Which printed rates are attainable as k/n for one n; ``witnesses`` lists the k."""

    rates: tuple[str, ...]
    decimals: int
    n: int
    scale: int
    rounding: str
    witnesses: tuple[tuple[int, ...], ...]

    @property
    def impossible(self) -> tuple[str, ...]:
        return tuple(r for r, w in zip(self.rates, self.witnesses, strict=True) if not w)

    def to_dict(self) -> dict[str, Any]:
        return {"rates": list(self.rates), "decimals": self.decimals, "n": self.n,
                "scale": self.scale, "rounding": self.rounding,
                "witnesses": [list(w) for w in self.witnesses],
                "impossible": list(self.impossible)}

    def summary(self) -> str:
        bad = self.impossible
        if not bad:
            return f"all {len(self.rates)} rates are attainable as k/{self.n}"
        return (f"{len(bad)} of {len(self.rates)} rates cannot be k/{self.n}: "
                + ", ".join(bad))


def impossible_on(rates: Sequence[float | str], decimals: int, n: int, *, scale: int = 1,
                  rounding: str = "any") -> RateCheck:
    """Check each printed rate against the set size n (``.impossible`` lists the failures)."""
    _check_rounding(rounding)
    return RateCheck(tuple(str(r) for r in rates), decimals, n, scale, rounding,
                     tuple(tuple(_witnesses(_printed(r, decimals), decimals, n, scale, rounding))
                           for r in rates))


# --------------------------------------------------------------------------------------
# 3. Batch-size inference
# --------------------------------------------------------------------------------------


def _batch_attainable(v: int, decimals: int, n: int, b: int, drop_last: bool, scale: int,
                      rounding: str) -> bool:
    """Can the mean over batches of per-batch accuracy print as v for batch size b?

    Full batches: q = n // b of size b, total correct C in 0..q*b; last batch r = n % b with
    c correct.  Mean = (C/b + c/r) / (q + 1) = (C*r + c*b) / (b*r*(q+1)); without a last
    batch (r == 0 or drop_last) mean = C / (b*q).  For each c the admissible C form an
    interval, found with integer arithmetic; only its end points need an exact check.
    """
    q, r = divmod(n, b)
    if drop_last or r == 0:
        if q == 0:
            return False
        return bool(_witnesses(v, decimals, b * q, scale, rounding))
    den = b * r * (q + 1)
    m = 2 * 10 ** decimals * scale
    # closed bounds on x = m*(C*r + c*b) compared with den*(...); ties settled exactly below
    lo_x, hi_x = ((2 * v, 2 * v + 2) if rounding == "truncate" else (2 * v - 1, 2 * v + 1))
    lo_x, hi_x = lo_x * den, hi_x * den
    for c in range(r + 1):
        cmin = max(0, -((c * b * m - lo_x) // (r * m)))  # ceil
        cmax = min(q * b, (hi_x - c * b * m) // (r * m))  # floor
        if cmax - cmin >= 2:  # cmin + 1 lies strictly inside the rounding interval
            return True
        for cc in range(cmin, cmax + 1):
            if _prints_as(cc * r + c * b, den, v, decimals, scale, rounding):
                return True
    return False


@dataclass(frozen=True)
class BatchInference:
    """Batch sizes consistent with a log of mean-over-batches accuracies.

    ``consistent``: candidate batch sizes explaining every value.  ``failing[i]``: the
    candidates that cannot produce value i.  ``image_level[i]``: whether value i is some
    k/n (a sample-weighted mean, as Keras reports); ``image_level_all`` for the whole log.
    """

    values: tuple[str, ...]
    decimals: int
    n: int
    scale: int
    rounding: str
    drop_last: bool
    candidates: tuple[int, ...]
    consistent: tuple[int, ...]
    failing: tuple[tuple[int, ...], ...]
    image_level: tuple[bool, ...]

    @property
    def image_level_all(self) -> bool:
        return all(self.image_level)

    def to_dict(self) -> dict[str, Any]:
        return {"values": list(self.values), "decimals": self.decimals, "n": self.n,
                "scale": self.scale, "rounding": self.rounding, "drop_last": self.drop_last,
                "candidates": list(self.candidates), "consistent": list(self.consistent),
                "failing": [list(f) for f in self.failing],
                "image_level": list(self.image_level), "image_level_all": self.image_level_all}

    def summary(self) -> str:
        img = "explainable" if self.image_level_all else (
            f"not explainable ({self.image_level.count(False)} values are no k/{self.n})")
        bs = (", ".join(map(str, self.consistent[:12])) + (" ..." if len(self.consistent) > 12
                                                             else "")
              if self.consistent else "none")
        return (f"{len(self.values)} values, n={self.n}: batch sizes explaining all: {bs}; "
                f"as image-level accuracy: {img}")


def _batch_attainable_with_total(v: int, decimals: int, n: int, b: int, total: int, drop_last: bool,
                                 scale: int, rounding: str) -> bool:
    """As :func:`_batch_attainable`, when the same predictions are known to be ``total`` correct of n."""
    q, r = divmod(n, b)
    if r == 0:
        return q > 0 and _prints_as(total, b * q, v, decimals, scale, rounding)
    if drop_last:  # c of the total sit in the dropped last batch
        return q > 0 and any(_prints_as(total - c, b * q, v, decimals, scale, rounding)
                             for c in range(r + 1) if 0 <= total - c <= b * q)
    den = b * r * (q + 1)
    return any(_prints_as((total - c) * r + c * b, den, v, decimals, scale, rounding)
               for c in range(r + 1) if 0 <= total - c <= q * b)


def batch_sizes(values: Sequence[float | str], decimals: int, n: int,
                candidates: Iterable[int] = range(1, 129), *, drop_last: bool = False,
                scale: int = 1, rounding: str = "any",
                totals: Sequence[int | None] = ()) -> BatchInference:
    """Which batch sizes b make every logged value a mean over batches of per-batch accuracy.

    Assumes every epoch sees all n samples in batches of b (the last one of n mod b unless
    ``drop_last``) and logs the unweighted mean of per-batch accuracies (PyTorch loops that
    sum batch accuracies and divide by ``len(loader)``).  Exact; see :func:`_batch_attainable`.
    ``totals[i]``, when given and not None, is the number of correct predictions behind value i
    (the same model scored per image elsewhere in the paper): only the split of that total over
    the batches is then free, which pins the batch size much harder.
    """
    _check_rounding(rounding)
    cands = tuple(int(b) for b in candidates if b > 0)
    vs = [_printed(x, decimals) for x in values]
    tots = list(totals) + [None] * (len(vs) - len(totals))
    failing = []
    for v, t in zip(vs, tots, strict=True):
        if t is None:
            failing.append(tuple(b for b in cands
                                 if not _batch_attainable(v, decimals, n, b, drop_last, scale, rounding)))
        else:
            failing.append(tuple(b for b in cands if not _batch_attainable_with_total(
                v, decimals, n, b, int(t), drop_last, scale, rounding)))
    bad = set().union(*failing) if failing else set()
    return BatchInference(tuple(str(x) for x in values), decimals, n, scale, rounding, drop_last,
                          cands, tuple(b for b in cands if b not in bad), tuple(failing),
                          tuple(bool(_witnesses(v, decimals, n, scale, rounding)) for v in vs))


# --------------------------------------------------------------------------------------
# 4. Confusion matrices from one-vs-rest counts
# --------------------------------------------------------------------------------------

OVR_FIELDS = ("TP", "FP", "FN", "TN")


@dataclass(frozen=True)
class ConfusionReconstruction:
    """Every K x K matrix (rows = true, columns = predicted) matching one-vs-rest counts.

    ``solutions`` holds at most ``max_solutions`` matrices; ``n_solutions`` is the exact
    count when the enumeration finished within ``count_limit`` (``complete``), otherwise
    None.  ``inconsistencies`` explains an empty answer found before any search.
    """

    classes: tuple[str, ...]
    tables: tuple[tuple[int | None, ...], ...]
    solutions: tuple[tuple[tuple[int, ...], ...], ...]
    n_solutions: int | None
    complete: bool
    capped: bool
    inconsistencies: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"classes": list(self.classes),
                "tables": {c: dict(zip(OVR_FIELDS, t, strict=True))
                           for c, t in zip(self.classes, self.tables, strict=True)},
                "solutions": [[list(r) for r in s] for s in self.solutions],
                "n_solutions": self.n_solutions, "complete": self.complete,
                "capped": self.capped, "inconsistencies": list(self.inconsistencies)}

    def summary(self) -> str:
        if self.inconsistencies:
            return "no confusion matrix: " + "; ".join(self.inconsistencies)
        count = (str(self.n_solutions) if self.complete
                 else f"more than {self.n_solutions or len(self.solutions)}")
        if not self.solutions:
            return "no confusion matrix matches the one-vs-rest counts"
        return (f"{count} confusion matrices match the one-vs-rest counts"
                + (f" ({len(self.solutions)} returned)" if self.capped else ""))


def _ovr_rows(tables: Mapping[str, Mapping[str, int | None] | Sequence[int | None]]
              ) -> list[list[int | None]]:
    """The printed tables as [TP, FP, FN, TN] rows of ints or None, one per class."""
    rows: list[list[int | None]] = []
    for c in tables:
        t = tables[c]
        vals = [t.get(f) for f in OVR_FIELDS] if isinstance(t, Mapping) else list(t)
        if len(vals) != 4:
            raise ValueError(f"class {c!r}: need TP, FP, FN, TN")
        rows.append([None if x is None else int(x) for x in vals])
    return rows


def _complete_ovr_rows(classes: tuple[str, ...], given: Sequence[Sequence[int | None]]
                       ) -> tuple[list[list[int | None]], int | None, list[str]]:
    """Check the printed rows for consistency and derive a single missing entry from N.

    Returns ``(rows, n_total, issues)``: the completed rows, the common total N (None when
    no table is complete) and the reasons no matrix can exist (empty when none was found).
    """
    rows = [list(r) for r in given]
    if any(x is not None and x < 0 for r in rows for x in r):
        return rows, None, ["negative count"]
    totals = {classes[i]: sum(r) for i, r in enumerate(rows) if None not in r}
    if len(set(totals.values())) > 1:
        return rows, None, ["per-class totals TP+FP+FN+TN disagree: "
                            + ", ".join(f"{c}={v}" for c, v in totals.items())]
    n_total = next(iter(totals.values()), None)
    if n_total is not None:
        for i, r in enumerate(rows):
            if r.count(None) == 1:
                j = r.index(None)
                r[j] = n_total - sum(x for x in r if x is not None)
                if r[j] < 0:
                    return rows, n_total, [f"{classes[i]}: derived {OVR_FIELDS[j]} is negative"]
    fp = [r[1] for r in rows]
    fn = [r[2] for r in rows]
    if None not in fp and None not in fn and sum(fp) != sum(fn):
        return rows, n_total, [f"sum of FP ({sum(fp)}) differs from sum of FN ({sum(fn)})"]
    return rows, n_total, []


def _check_cell_bounds(rows: Sequence[Sequence[int | None]], n_total: int | None) -> None:
    """Raise ValueError when some off-diagonal cell has neither an FN, FP nor N bound."""
    k = len(rows)
    if n_total is None and any(i != j and rows[i][2] is None and rows[j][1] is None
                               for i in range(k) for j in range(k)):
        raise ValueError("cell bounds unknown: give FN, FP or a complete table")


class _ConfusionSearch:
    """Depth-first enumeration of K x K matrices under the printed one-vs-rest counts.

    Off-diagonal cells are filled row by row under the remaining row (FN), column (FP)
    and total (N) budgets, then unknown diagonal (TP) cells; every complete candidate is
    checked against every printed number.  ``run`` fills ``solutions`` (at most
    ``max_solutions``) and ``count``, and sets ``stopped`` when ``count_limit`` is hit.
    """

    def __init__(self, rows: Sequence[Sequence[int | None]], n_total: int | None,
                 max_solutions: int, count_limit: int) -> None:
        k = len(rows)
        tp = [r[0] for r in rows]
        self.rows, self.n_total, self.k = rows, n_total, k
        self.max_solutions, self.count_limit = max_solutions, count_limit
        self.cells = [(i, j) for i in range(k) for j in range(k) if i != j]
        self.diag_free = [i for i in range(k) if tp[i] is None]
        self.cm = [[0] * k for _ in range(k)]
        for i in range(k):
            self.cm[i][i] = tp[i] or 0
        self.row_left: list[int | None] = [r[2] for r in rows]
        self.col_left: list[int | None] = [r[1] for r in rows]
        self.budget = None if n_total is None else n_total - sum(t for t in tp if t is not None)
        self.solutions: list[tuple[tuple[int, ...], ...]] = []
        self.count = 0
        self.stopped = False

    def run(self) -> None:
        """Enumerate every matching matrix (up to ``count_limit``)."""
        self._fill(0)

    def _valid(self) -> bool:
        """True when the current matrix reproduces every printed number."""
        cm, k = self.cm, self.k
        n = sum(map(sum, cm))
        if self.n_total is not None and n != self.n_total:
            return False
        for i in range(k):
            got = (cm[i][i], sum(cm[r][i] for r in range(k)) - cm[i][i],
                   sum(cm[i]) - cm[i][i])
            got += (n - sum(got),)
            if any(w is not None and w != g for w, g in zip(self.rows[i], got, strict=True)):
                return False
        return True

    def _emit(self) -> None:
        """Record the current matrix if valid; stop once ``count_limit`` is reached."""
        if self._valid():
            self.count += 1
            if len(self.solutions) < self.max_solutions:
                self.solutions.append(tuple(tuple(r) for r in self.cm))
            if self.count >= self.count_limit:
                self.stopped = True

    def _fill_diag(self, d: int) -> None:
        """Try every value of the ``d``-th unknown diagonal cell within the N budget."""
        if self.stopped:
            return
        if d == len(self.diag_free):
            self._emit()
            return
        i = self.diag_free[d]
        if d == len(self.diag_free) - 1 and self.budget is not None:
            choices = [self.budget] if self.budget >= 0 else []
        else:
            if self.budget is None:
                raise ValueError("unknown TP needs N (a complete table)")
            choices = range(self.budget + 1)
        for x in choices:
            self.cm[i][i] = x
            self.budget -= x
            self._fill_diag(d + 1)
            self.budget += x
        self.cm[i][i] = 0

    def _take(self, i: int, j: int, x: int) -> None:
        """Charge ``x`` (negative to refund) to row ``i``, column ``j`` and N budgets."""
        for arr, idx in ((self.row_left, i), (self.col_left, j)):
            if arr[idx] is not None:
                arr[idx] -= x
        if self.budget is not None:
            self.budget -= x

    def _cell_range(self, ci: int) -> range:
        """Values cell ``ci`` may take; its row/column's last cell must use up the rest."""
        i, j = self.cells[ci]
        rest = self.cells[ci + 1:]
        caps = [x for x in (self.row_left[i], self.col_left[j], self.budget) if x is not None]
        hi = min(caps)
        if hi < 0:
            return range(0)
        lo = 0
        if all(c[0] != i for c in rest) and self.row_left[i] is not None:
            lo = self.row_left[i]
        if all(c[1] != j for c in rest) and self.col_left[j] is not None:
            lo = max(lo, self.col_left[j])
        return range(lo, hi + 1)

    def _fill(self, ci: int) -> None:
        """Try every value of off-diagonal cell ``ci``, then the cells after it."""
        if self.stopped:
            return
        if ci == len(self.cells):
            if (all(x in (None, 0) for x in self.row_left)
                    and all(x in (None, 0) for x in self.col_left)):
                self._fill_diag(0)
            return
        i, j = self.cells[ci]
        for x in self._cell_range(ci):
            self.cm[i][j] = x
            self._take(i, j, x)
            self._fill(ci + 1)
            self._take(i, j, -x)
            if self.stopped:
                break
        self.cm[i][j] = 0


def confusion_from_ovr(tables: Mapping[str, Mapping[str, int | None] | Sequence[int | None]], *,
                       max_solutions: int = 1000,
                       count_limit: int = 1_000_000) -> ConfusionReconstruction:
    """Enumerate confusion matrices whose one-vs-rest tables equal the printed ones.

    ``tables``: class -> {"TP", "FP", "FN", "TN"} (or a 4-tuple in that order); any entry
    may be None.  Assumes single-label classification over the same test set for every
    class, so TP+FP+FN+TN is the same N for every complete table (checked; disagreement
    means no solution).  A missing entry is derived from N when the other three are known.
    Off-diagonal cells are filled row by row under the row (FN) and column (FP) sums;
    every candidate is finally checked against every printed number.
    """
    classes = tuple(tables)
    given = tuple(tuple(r) for r in _ovr_rows(tables))
    rows, n_total, issues = _complete_ovr_rows(classes, given)
    if issues:
        return ConfusionReconstruction(classes, given, (), 0, True, False, tuple(issues))
    _check_cell_bounds(rows, n_total)
    search = _ConfusionSearch(rows, n_total, max_solutions, count_limit)
    search.run()
    complete = not search.stopped
    return ConfusionReconstruction(classes, given, tuple(search.solutions),
                                   search.count if complete else None, complete,
                                   search.count > len(search.solutions), ())


@dataclass(frozen=True)
class Statement:
    """A claim about a confusion matrix: ``predicate(cm)`` with cm[true][predicted]."""

    description: str
    predicate: Callable[[Sequence[Sequence[int]]], bool]


@dataclass(frozen=True)
class StatementCheck:
    """For each statement, in how many candidate matrices it holds: all / some / none."""

    descriptions: tuple[str, ...]
    holds_in: tuple[int, ...]
    n_candidates: int
    exhaustive: bool

    def verdict(self, i: int) -> str:
        h = self.holds_in[i]
        if self.n_candidates == 0:
            return "no candidates"
        return "all" if h == self.n_candidates else "none" if h == 0 else "some"

    def to_dict(self) -> dict[str, Any]:
        return {"n_candidates": self.n_candidates, "exhaustive": self.exhaustive,
                "statements": [{"description": d, "holds_in": h, "verdict": self.verdict(i)}
                               for i, (d, h) in enumerate(zip(self.descriptions, self.holds_in,
                                                               strict=True))]}

    def summary(self) -> str:
        parts = [f"{d}: {self.verdict(i)}" for i, d in enumerate(self.descriptions)]
        tail = "" if self.exhaustive else " (candidates capped: verdicts cover those listed)"
        return f"over {self.n_candidates} candidates: " + "; ".join(parts) + tail


def check_statements(solutions: ConfusionReconstruction | Sequence[Sequence[Sequence[int]]],
                     statements: Sequence[Statement | tuple[str, Callable]]) -> StatementCheck:
    """Which statements hold in all, some or none of the candidate matrices."""
    exhaustive = True
    if isinstance(solutions, ConfusionReconstruction):
        exhaustive = solutions.complete and not solutions.capped
        solutions = solutions.solutions
    sts = [s if isinstance(s, Statement) else Statement(*s) for s in statements]
    return StatementCheck(tuple(s.description for s in sts),
                          tuple(sum(bool(s.predicate(m)) for m in solutions) for s in sts),
                          len(solutions), exhaustive)


# --------------------------------------------------------------------------------------
# 5. Implied prevalence
# --------------------------------------------------------------------------------------


def _half_width(decimals: int, scale: int) -> float:
    return 0.5 * 10.0 ** -decimals / scale


@dataclass(frozen=True)
class Interval:
    """A closed interval [lo, hi] and the inputs it was computed from."""

    lo: float
    hi: float
    inputs: Mapping[str, Any]

    def contains(self, x: float) -> bool:
        return self.lo <= x <= self.hi

    @property
    def empty(self) -> bool:
        return self.lo > self.hi

    def to_dict(self) -> dict[str, Any]:
        return {"lo": self.lo, "hi": self.hi, "inputs": dict(self.inputs)}

    def summary(self) -> str:
        if self.empty:
            return "implied positive share: no solution"
        return f"implied positive share in [{self.lo:.4f}, {self.hi:.4f}]"


def implied_prevalence(accuracy: float, precision: float, recall: float, decimals: int, *,
                       scale: int = 1) -> Interval:
    """Positive share pi implied by printed binary accuracy, precision and recall.

    Assumes P and R are those of the positive class on the same test set as A, so
    pi = (1-A) / (1 - 2R + R/P).  Each value ranges over its rounding interval
    [v - h, v + h] (h = half a unit of the last printed digit, any rounding mode); pi is
    monotone in each of A, P, R for fixed others, so the extremes lie on the 8 corners.
    The interval is clipped to [0, 1]; empty (lo > hi) when no share fits.
    """
    h = _half_width(decimals, scale)
    box = [(max(0.0, x / scale - h), min(1.0, x / scale + h))
           for x in (accuracy, precision, recall)]
    if box[1][1] <= 0:
        raise ValueError("precision must be positive")
    vals = []
    for a, p, r in itertools.product(*box):
        p = max(p, 1e-12)
        den = 1 - 2 * r + r / p
        if den > 0:
            vals.append((1 - a) / den)
    lo, hi = (min(vals), max(vals)) if vals else (1.0, 0.0)
    return Interval(max(lo, 0.0), min(hi, 1.0),
                    {"accuracy": accuracy, "precision": precision, "recall": recall,
                     "decimals": decimals, "scale": scale, "reading": "binary"})


@dataclass(frozen=True)
class PrevalenceSearch:
    """Integer (positives p, TP, TN) on n images matching printed A, P, R.

    ``average``: "macro" (P and R averaged over both classes) or "binary" (positive
    class).  ``share`` spans p/n over all solutions; ``examples`` holds a few (p, TP, TN).
    """

    accuracy: float
    precision: float
    recall: float
    decimals: int
    scale: int
    n: int
    average: str
    n_solutions: int
    p_range: tuple[int, int] | None
    examples: tuple[tuple[int, int, int], ...]

    @property
    def share(self) -> Interval:
        lo, hi = ((self.p_range[0] / self.n, self.p_range[1] / self.n) if self.p_range
                  else (1.0, 0.0))
        return Interval(lo, hi, {"n": self.n, "average": self.average})

    def to_dict(self) -> dict[str, Any]:
        return {"accuracy": self.accuracy, "precision": self.precision, "recall": self.recall,
                "decimals": self.decimals, "scale": self.scale, "n": self.n,
                "average": self.average, "n_solutions": self.n_solutions,
                "p_range": list(self.p_range) if self.p_range else None,
                "examples": [list(e) for e in self.examples]}

    def summary(self) -> str:
        if not self.p_range:
            return f"{self.average} reading, n={self.n}: no integer solution"
        return (f"{self.average} reading, n={self.n}: {self.n_solutions} solutions, positives "
                f"{self.p_range[0]}..{self.p_range[1]} (share {self.share.lo:.4f}.."
                f"{self.share.hi:.4f})")


def prevalence_search(accuracy: float, precision: float, recall: float, decimals: int, n: int,
                      *, average: str = "macro", scale: int = 1,
                      max_examples: int = 10) -> PrevalenceSearch:
    """Enumerate positives p in 1..n-1 and TP, TN on n images matching printed A, P, R.

    Values are compared with their closed rounding intervals (any rounding mode) in floating
    point with a 1e-12 slack.  Accuracy fixes TP+TN to a few values, so the search is
    O(n^2) at most.
    """
    if average not in ("macro", "binary"):
        raise ValueError("average must be 'macro' or 'binary'")
    h = _half_width(decimals, scale) + 1e-12
    a, pr, rc = accuracy / scale, precision / scale, recall / scale
    ks = [kk for kk in range(n + 1) if abs(kk / n - a) <= h]
    sols = 0
    lo_p = hi_p = None
    ex: list[tuple[int, int, int]] = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for p in range(1, n):
            neg = n - p
            for kk in ks:
                tp = np.arange(max(0, kk - neg), min(p, kk) + 1)
                if tp.size == 0:
                    continue
                tn = kk - tp
                fp, fn = neg - tn, p - tp
                prec_pos = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
                rec_pos = tp / p
                if average == "macro":
                    prec_neg = np.where(tn + fn > 0, tn / (tn + fn), 0.0)
                    P = (prec_pos + prec_neg) / 2
                    R = (rec_pos + tn / neg) / 2
                else:
                    P, R = prec_pos, rec_pos
                ok = (np.abs(P - pr) <= h) & (np.abs(R - rc) <= h)
                hits = np.flatnonzero(ok)
                if hits.size:
                    sols += int(hits.size)
                    lo_p = p if lo_p is None else lo_p
                    hi_p = p
                    for t in hits[: max(0, max_examples - len(ex))]:
                        ex.append((p, int(tp[t]), int(tn[t])))
    return PrevalenceSearch(accuracy, precision, recall, decimals, scale, n, average, sols,
                            (lo_p, hi_p) if lo_p is not None else None, tuple(ex))


@dataclass(frozen=True)
class PrevalenceComparison:
    """Whether a described positive share lies in the implied interval."""

    interval: Interval
    described_share: float
    inside: bool
    distance: float

    def to_dict(self) -> dict[str, Any]:
        return {"interval": self.interval.to_dict(), "described_share": self.described_share,
                "inside": self.inside, "distance": self.distance}

    def summary(self) -> str:
        verdict = "consistent" if self.inside else f"INCONSISTENT (off by {self.distance:.4f})"
        return (f"described share {self.described_share:.4f} vs implied "
                f"[{self.interval.lo:.4f}, {self.interval.hi:.4f}]: {verdict}")


def compare_prevalence(interval: Interval, described_share: float) -> PrevalenceComparison:
    """Flag a described test-set positive share outside the implied interval."""
    if interval.empty:
        return PrevalenceComparison(interval, described_share, False, math.inf)
    d = max(interval.lo - described_share, described_share - interval.hi, 0.0)
    return PrevalenceComparison(interval, described_share, d == 0.0, d)
