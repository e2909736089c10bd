"""Confusion matrices from one-vs-rest counts, and which sentences of a paper hold in them.

Rounding conventions: see :mod:`lungxray.audit.forensics`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lungxray.spec.study import Statement

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
