"""Per-class counts of every tried split configuration, exactly as ``train_test_split`` draws them.

Non-stratified schemes read one permutation per (n, seed) through class-block boundaries; stratified ones
use sklearn's own ``_approximate_mode`` and loop over seeds only where a random tie-break happens."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from lungxray._util.progress import progress
from lungxray.audit.forensics.split_schemes import Scheme, _tts_sizes


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
    for si, seed in enumerate(progress(seeds, "split recovery: non-stratified splits by seed", unit="seed")):
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
        for oi, o in enumerate(progress(orders, f"split recovery: stratified scheme {i} by class order",
                                        unit="order")):
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
