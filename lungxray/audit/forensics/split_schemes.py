"""The ``train_test_split`` calls split recovery tries: schemes, fractions, seeds, and sklearn's own sizes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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
