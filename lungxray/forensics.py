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
``"any"`` (default: half-up or half-even, i.e. the closed interval ``[v-h, v+h]`` with the
upper tie only when the last digit is even).  "any" also covers binary-float formatting
(``f"{x:.2f}"``), whose behaviour at an exact decimal tie is one of the two.
All rounding decisions are made in exact integer arithmetic.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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
    k = len(classes)
    cvec = np.array([int(class_counts[c]) for c in classes])
    orders = (tuple(itertools.permutations(classes)) if class_orders is None
              else tuple(tuple(o) for o in class_orders))
    for o in orders:
        if sorted(o) != sorted(classes):
            raise ValueError(f"class order {o} is not a permutation of {classes}")
    seeds = tuple(int(s) for s in seeds)
    schemes = tuple(schemes)
    for name, (part, tgt) in targets.items():
        if part not in SPLIT_PARTS:
            raise ValueError(f"target {name!r}: unknown part {part!r}")
        unknown = set(tgt) - set(classes)
        if unknown:
            raise ValueError(f"target {name!r}: unknown classes {sorted(unknown)}")

    # Segments between every block boundary of every order; counts = seg_counts @ M.
    idx = {c: i for i, c in enumerate(classes)}
    bounds = sorted({int(x) for o in orders
                     for x in np.cumsum([0] + [class_counts[c] for c in o])})
    n_seg = len(bounds) - 1
    seg = np.repeat(np.arange(n_seg), np.diff(bounds))
    M = np.zeros((n_seg, len(orders), k), dtype=np.int64)
    for oi, o in enumerate(orders):
        start = 0
        for c in o:
            end = start + class_counts[c]
            lo, hi = bounds.index(start), bounds.index(end)
            M[lo:hi, oi, idx[c]] = 1
            start = end
    M2 = M.reshape(n_seg, -1)

    # counts[scheme_i][part] -> array (n_seeds, n_orders, k)
    nonstrat = [i for i, s in enumerate(schemes) if not s.stratified]
    strat = [i for i, s in enumerate(schemes) if s.stratified]
    counts: dict[int, dict[str, np.ndarray]] = {}
    if nonstrat:
        acc = {i: {p: np.empty((len(seeds), n_seg), np.int64) for p in ("train", "val", "test")}
               for i in nonstrat}
        for si, seed in enumerate(seeds):
            cache: dict = {}
            for i in nonstrat:
                for p, v in _part_segments(schemes[i], seg, seed, n_seg, cache).items():
                    acc[i][p][si] = v
        for i in nonstrat:
            counts[i] = _with_derived({p: (a @ M2).reshape(len(seeds), len(orders), k)
                                       for p, a in acc[i].items()})
    sc = _StratifiedCounter()
    for i in strat:
        arr = {p: np.empty((len(seeds), len(orders), k), np.int64)
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

    results = []
    for name, (part, tgt) in targets.items():
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
            sizes = arr[..., cols].sum(-1)
            same = sizes == tsize
            n_same += int(same.sum())
            if not sch.stratified:
                n_same_nonstrat += int(same.sum())
            hit = np.all(arr[..., cols] == want, axis=-1)
            n_match += int(hit.sum())
            for oi in np.flatnonzero(hit.any(0)):
                groups: dict[tuple, list[int]] = {}
                for si in np.flatnonzero(hit[:, oi]):
                    key = tuple(tuple(int(x) for x in counts[i][p][si, oi])
                                for p in ("train", "val", "test"))
                    groups.setdefault(key, []).append(seeds[si])
                for key, sds in groups.items():
                    matches.append(SplitMatch(
                        sch, orders[oi], tuple(sds),
                        {p: {c: key[j][idx[c]] for c in classes}
                         for j, p in enumerate(("train", "val", "test"))}))
        results.append(TargetRecovery(
            name, part, {c: int(tgt[c]) for c in tgt}, tuple(matches), n_tried, n_same,
            n_match,
            n_same_nonstrat * _hypergeom_pmf(cvec, want) if len(cols) == k else None))
    return SplitRecovery(dict(class_counts), orders, seeds, schemes, tuple(results),
                         time.perf_counter() - t0)


def _hypergeom_pmf(pop: np.ndarray, want: np.ndarray) -> float:
    """P(a uniform random subset of size sum(want) has exactly ``want`` per class)."""
    logp = sum(_lcomb(int(a), int(b)) for a, b in zip(pop, want, strict=True))
    return math.exp(logp - _lcomb(int(pop.sum()), int(want.sum())))


def _lcomb(a: int, b: int) -> float:
    if b < 0 or b > a:
        return -math.inf
    return math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1)
