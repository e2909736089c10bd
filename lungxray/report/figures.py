"""The matplotlib figures of the reports: forest plots, confusion matrices, ROC curves and training curves.

Every figure uses constrained layout with its legend outside the data area, so labels, legends and
colour bars are placed by matplotlib and never drawn over data; reproduced lines are drawn above
published markers.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from lungxray.report.layout import LOG_GREY, verdict_colour, verdict_short  # noqa: E402
from lungxray.results.types import AggregateRow, ComparisonRow  # noqa: E402

RC = {"font.size": 8, "font.family": "DejaVu Sans", "axes.titlesize": 9, "axes.labelsize": 8,
      "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 7, "svg.hashsalt": "lungxray"}
PUBLISHED = "#222222"
SERIES = ["#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#00838f", "#ad1457"]


def new_figure(w: float, h: float) -> plt.Figure:
    with plt.rc_context(RC):
        return plt.figure(figsize=(w, h), layout="constrained")


@dataclass(frozen=True)
class ForestRow:
    """One published number against its reproduction, as the forest plot draws it."""

    label: str
    published: float
    pub_lo: float
    pub_hi: float
    value: float | None  # reproduced (one run) or mean over seeds
    lo: float | None  # reproduced interval (None: none, e.g. a training-log value of one run)
    hi: float | None
    tolerance: float
    verdict: str
    informational: bool = False
    points: tuple[float, ...] = field(default_factory=tuple)  # per-seed values


def forest_rows(comparison: Sequence[ComparisonRow | AggregateRow],
                points: Mapping[str, Sequence[float]] | None = None) -> list[ForestRow]:
    """ForestRows from a run's ``comparison`` rows or an aggregate's (``mean`` instead of ``reproduced``)."""
    out = []
    for row in comparison:
        iv = row.interval
        value = row.mean if isinstance(row, AggregateRow) else row.reproduced
        label = f"{row.label} ({row.source})" + (" [log]" if row.informational else "")
        pub_lo, pub_hi = row.published_interval
        out.append(ForestRow(label, row.published, pub_lo, pub_hi, value, iv.lo if iv else None,
                             iv.hi if iv else None, row.tolerance, row.verdict, row.informational,
                             tuple((points or {}).get(row.key, ()))))
    return out


def row_colour(r: ForestRow) -> str:
    """A row's colour: its verdict's, or grey for a training-log row (information, never held, so never louder
    than a headline)."""
    return LOG_GREY if r.informational else verdict_colour(r.verdict)


def _forest_row(ax: plt.Axes, y: float, r: ForestRow) -> None:
    """Published above (diamond, rounding interval, tolerance band), reproduced below it (value, interval); the
    seeds, where given, in a lane of their own under the interval and drawn over everything, so none is hidden."""
    ax.axhspan(y - 0.45, y + 0.45, color="#f4f4f4" if y % 2 else "white", zorder=0)
    pub_y = y - 0.2
    ax.plot([r.published - r.tolerance, r.published + r.tolerance], [pub_y, pub_y], color="#d0d0d0", lw=6,
            solid_capstyle="butt", zorder=1)
    ax.plot([r.pub_lo, r.pub_hi], [pub_y, pub_y], color=PUBLISHED, lw=2, zorder=3)
    ax.plot([r.published], [pub_y], marker="D", ms=4, color=PUBLISHED, zorder=3, ls="none")
    c = row_colour(r)
    rep_y = y + (0.03 if r.points else 0.16)
    if r.lo is not None and r.hi is not None:
        ax.plot([r.lo, r.hi], [rep_y, rep_y], color=c, lw=1.4 if r.informational else 2.2, zorder=5)
    if r.value is not None:
        ax.plot([r.value], [rep_y], "o", ms=5, color=c if r.lo is not None else "white", mec=c, mew=1.3, zorder=6)
    if r.points:
        jitter = np.linspace(-0.06, 0.06, len(r.points))
        ax.plot(r.points, y + 0.28 + jitter, "o", ms=3.4, color=c, mec="white", mew=0.5, ls="none", zorder=7)


def forest(rows: Sequence[ForestRow], title: str = "") -> plt.Figure:
    """One row per published number: the published value (diamond) with its rounding interval (black bar) and
    the tolerance around it (grey band) against the reproduced value and interval, coloured by verdict."""
    n = max(len(rows), 1)
    fig = new_figure(7.4, 1.2 + 0.32 * n)
    with plt.rc_context(RC):
        ax = fig.add_subplot()
        for i, r in enumerate(rows):
            _forest_row(ax, i, r)
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_yticks(range(len(rows)), [textwrap.fill(r.label, 55) for r in rows])
        right = ax.secondary_yaxis("right")
        right.set_yticks(range(len(rows)), [("log: " if r.informational else "") + verdict_short(r.verdict)
                                            for r in rows])
        for lab, r in zip(right.get_yticklabels(), rows, strict=True):
            lab.set_color(row_colour(r))
            lab.set_fontweight("normal" if r.informational else "bold")
        ax.set_xlabel("value")
        ax.grid(axis="x", alpha=0.3)
        if title:
            ax.set_title(title, loc="left")
        handles = [Line2D([], [], marker="D", color=PUBLISHED, lw=2, ms=4, label="published, rounding interval"),
                   Line2D([], [], color="#d0d0d0", lw=7, label="published ± declared tolerance"),
                   Line2D([], [], marker="o", color="#555555", lw=2.2, ms=5, label="reproduced, 95% interval"),
                   Line2D([], [], marker="o", color="#555555", mfc="white", lw=0, ms=5,
                          label="reproduced, no interval")]
        if any(r.points for r in rows):
            handles.append(Line2D([], [], marker="o", color="#555555", mec="white", lw=0, ms=3.4,
                                  label="one seed (below its interval)"))
        fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    return fig


def class_label(name: str, width: int = 14) -> str:
    """A class name on lines of about ``width`` characters, broken only after '.', '_' or ' ': every character
    kept, so the label reads as the class's name."""
    lines, cur = [], ""
    for chunk in re.findall(r"[^._ ]+[._ ]?", name):
        if cur and len(cur) + len(chunk) > width:
            lines.append(cur.rstrip())
            cur = ""
        cur += chunk
    return "\n".join([*lines, cur.rstrip()])


def _heatmap(ax: plt.Axes, counts: np.ndarray, classes: Sequence[str], title: str,
             cmap: str = "Blues") -> AxesImage:
    rates = counts / counts.sum(axis=1, keepdims=True).clip(1)
    im = ax.imshow(rates, vmin=0, vmax=1, cmap=cmap, aspect="equal")
    for (i, j), cnt in np.ndenumerate(counts):
        ax.text(j, i, f"{cnt}\n{rates[i, j]:.2f}", ha="center", va="center", fontsize=6.5,
                color="white" if rates[i, j] > 0.55 else "black")
    labels = [class_label(c) for c in classes]
    ax.set_xticks(range(len(classes)), labels, rotation=35, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(classes)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(textwrap.fill(title, 45))
    return im


def confusion(published: np.ndarray | None, reproduced: np.ndarray, classes: Sequence[str],
              pub_title: str = "published", rep_title: str = "reproduced") -> plt.Figure:
    """Row-normalised confusion matrices on one colour scale (0-1) with one colour bar, counts and rates
    annotated; published and reproduced side by side at the same size, or the reproduced one alone."""
    fig = new_figure(7.4, 3.5) if published is not None else new_figure(5.0, 3.9)
    with plt.rc_context(RC):
        mats = [(pub_title, published), (rep_title, reproduced)] if published is not None else [(rep_title, reproduced)]
        axes = fig.subplots(1, len(mats), squeeze=False)[0]
        im = None
        for ax, (title, m) in zip(axes, mats, strict=True):
            im = _heatmap(ax, np.asarray(m), classes, title)
        fig.colorbar(im, ax=list(axes), shrink=0.8, label="share of the true class (row)")
    return fig


def difference(published: np.ndarray, reproduced: np.ndarray, classes: Sequence[str]) -> plt.Figure:
    """Reproduced minus published row rates, on a symmetric scale."""
    fig = new_figure(5.0, 3.7)
    with plt.rc_context(RC):
        ax = fig.add_subplot()
        d = (reproduced / reproduced.sum(axis=1, keepdims=True).clip(1)
             - published / published.sum(axis=1, keepdims=True).clip(1))
        im = ax.imshow(d, vmin=-1, vmax=1, cmap="RdBu_r", aspect="equal")
        for (i, j), v in np.ndenumerate(d):
            ax.text(j, i, f"{v:+.2f}", ha="center", va="center", fontsize=6.5,
                    color="white" if abs(v) > 0.6 else "black")
        labels = [class_label(c) for c in classes]
        ax.set_xticks(range(len(classes)), labels, rotation=35, ha="right", rotation_mode="anchor")
        ax.set_yticks(range(len(classes)), labels)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title("row rates: reproduced minus published")
        fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


def roc_targets(classes: Sequence[str], positive: str | None) -> list[int]:
    """The classes whose ROC curve is drawn: the positive class of a binary model; of any other two-class model
    the second class (against the first, whose curve would be its mirror image); else each class against the
    rest."""
    if positive in classes:
        return [list(classes).index(positive)]
    return [1] if len(classes) == 2 else list(range(len(classes)))


def _roc_axes(ax: plt.Axes) -> None:
    ax.plot([0, 1], [0, 1], ls=":", color="#999999", lw=1, label="chance")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.grid(alpha=0.3)


def _curve_name(classes: Sequence[str], i: int, positive: str | None) -> str:
    if positive:
        return f"{classes[i]} (positive)"
    return f"{classes[i]} vs {classes[1 - i]}" if len(classes) == 2 else f"{classes[i]} vs rest"


def roc(y_true: np.ndarray, proba: np.ndarray, classes: Sequence[str], positive: str | None) -> tuple[plt.Figure, dict]:
    """ROC curves with their AUC (scikit-learn), for the classes of :func:`roc_targets` (one curve for a two-class
    task). Returns the figure and {class: AUC}."""
    from sklearn.metrics import roc_auc_score, roc_curve

    fig = new_figure(5.2, 4.2)
    aucs: dict[str, float] = {}
    with plt.rc_context(RC):
        ax = fig.add_subplot()
        _roc_axes(ax)
        for k, i in enumerate(roc_targets(classes, positive)):
            y = (y_true == i).astype(int)
            if y.min() == y.max():
                continue  # a class absent from (or alone in) the test set has no ROC curve
            fpr, tpr, _ = roc_curve(y, proba[:, i])
            aucs[classes[i]] = float(roc_auc_score(y, proba[:, i]))
            ax.plot(fpr, tpr, color=SERIES[k % len(SERIES)], lw=1.6,
                    label=f"{_curve_name(classes, i, positive)}: AUC {aucs[classes[i]]:.3f}")
        fig.legend(loc="outside lower center", ncols=2, frameon=False)
    return fig, aucs


def roc_over_seeds(runs: Sequence[tuple[np.ndarray, np.ndarray]], classes: Sequence[str],
                   positive: str | None) -> tuple[plt.Figure, dict[str, list[float]]]:
    """Each seed's ROC curve (thin, one colour per class) from its (y_true, probabilities); returns the figure and
    {class: the AUC of each seed}."""
    from sklearn.metrics import roc_auc_score, roc_curve

    fig = new_figure(5.2, 4.2)
    aucs: dict[str, list[float]] = {}
    with plt.rc_context(RC):
        ax = fig.add_subplot()
        _roc_axes(ax)
        for k, i in enumerate(roc_targets(classes, positive)):
            for y_true, proba in runs:
                y = (y_true == i).astype(int)
                if y.min() == y.max():
                    continue
                fpr, tpr, _ = roc_curve(y, proba[:, i])
                aucs.setdefault(classes[i], []).append(float(roc_auc_score(y, proba[:, i])))
                ax.plot(fpr, tpr, color=SERIES[k % len(SERIES)], lw=0.9, alpha=0.6,
                        label=f"{_curve_name(classes, i, positive)}, one line per seed"
                        if len(aucs[classes[i]]) == 1 else None)
        fig.legend(loc="outside lower center", ncols=2, frameon=False)
    return fig, aucs


def _series_groups(h: Mapping[str, Sequence[float]], keys: Sequence[str]) -> list[tuple[list[str], Sequence[float]]]:
    """Reproduced series, identical ones merged (one line, all their names), so no line hides another."""
    groups: list[tuple[list[str], Sequence[float]]] = []
    for k in keys:
        if k not in h:
            continue
        same = next((g for g in groups if list(g[1]) == list(h[k])), None)
        if same:
            same[0].append(k)
        else:
            groups.append(([k], h[k]))
    return groups


LOG_NAMES = {"accuracy": "accuracy", "loss": "loss", "batch_mean_accuracy": "accuracy (mean over batches)"}


def log_name(key: str, val_name: str = "validation") -> str:
    """A Keras history key as a reader names it: 'val_loss' -> 'validation loss' ('test folder loss' where the
    run evaluated the test folder every epoch), 'accuracy' -> 'training accuracy'."""
    split, metric = (val_name, key[4:]) if key.startswith("val_") else ("training", key)
    return f"{split} {LOG_NAMES.get(metric, metric.replace('_', ' '))}"


def _log_keys(metric: str, *histories: Mapping) -> list[str]:
    return sorted({k for h in histories for k in h if k.endswith(metric)}, key=lambda k: (k.startswith("val"), k))


def _published_markers(ax: plt.Axes, keys: Sequence[str], ph: Mapping, colour: Mapping[str, str],
                       val_name: str) -> None:
    for k in keys:
        if k in ph:
            ax.plot(range(1, len(ph[k]) + 1), ph[k], ls="none", marker="s", ms=5, mfc="none", mec=colour[k],
                    mew=1.1, zorder=2, label=f"published {log_name(k, val_name)}")


def _finish_axis(ax: plt.Axes, metric: str, vals: Sequence[float]) -> None:
    ax.set_ylabel(metric)
    if metric == "loss" and vals and max(vals) / min(vals) > 50:
        ax.set_yscale("log")  # one exploding epoch would flatten every other curve
        ax.set_ylabel("loss (log scale)")
    ax.set_xlabel("epoch (1 = first)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, borderaxespad=0)


def _curves_axis(ax: plt.Axes, metric: str, h: Mapping, ph: Mapping, best: int | None, val_name: str) -> None:
    keys = _log_keys(metric, h, ph)
    colour = {k: SERIES[i % len(SERIES)] for i, k in enumerate(keys)}
    _published_markers(ax, keys, ph, colour, val_name)
    for names, vals in _series_groups(h, keys):
        ax.plot(range(1, len(vals) + 1), vals, color=colour[names[0]], lw=1.6, marker="o", ms=2.5, zorder=3,
                ls="-" if not names[0].startswith("val") else "--",
                label="reproduced " + " = ".join(log_name(n, val_name) for n in names))
    if best is not None:
        ax.axvline(best, color="#444444", ls=":", lw=1, zorder=1, label=f"evaluated epoch {best}")
    _finish_axis(ax, metric, [v for k in keys for v in [*h.get(k, []), *ph.get(k, [])] if v and v > 0])


def curves(history: Mapping[str, Sequence[float]], published: Mapping[str, Sequence[float]],
           best_epoch: int | None, val_name: str = "validation") -> plt.Figure:
    """Accuracy and loss per epoch, 1-based: reproduced lines above published markers, legends beside the axes;
    ``best_epoch`` is 1-based (the evaluated epoch); ``val_name`` names what the 'val_*' series measured."""
    fig = new_figure(7.4, 5.6)
    with plt.rc_context(RC):
        axes = fig.subplots(2, 1)
        for ax, metric in zip(axes, ("accuracy", "loss"), strict=True):
            _curves_axis(ax, metric, history, published, best_epoch, val_name)
    return fig


def curves_over_seeds(histories: Sequence[Mapping[str, Sequence[float]]], published: Mapping[str, Sequence[float]],
                      val_name: str = "validation") -> plt.Figure:
    """Accuracy and loss per epoch of every seed: one thin line per seed and series, published markers below."""
    fig = new_figure(7.4, 5.6)
    with plt.rc_context(RC):
        axes = fig.subplots(2, 1)
        for ax, metric in zip(axes, ("accuracy", "loss"), strict=True):
            keys = _log_keys(metric, published, *histories)
            colour = {k: SERIES[i % len(SERIES)] for i, k in enumerate(keys)}
            _published_markers(ax, keys, published, colour, val_name)
            for k in keys:
                for j, h in enumerate(x for x in histories if k in x):
                    ax.plot(range(1, len(h[k]) + 1), h[k], color=colour[k], lw=0.9, alpha=0.7, zorder=3,
                            ls="-" if not k.startswith("val") else "--",
                            label=f"reproduced {log_name(k, val_name)}, one line per seed" if j == 0 else None)
            _finish_axis(ax, metric, [v for k in keys for h in [*histories, published] for v in h.get(k, [])
                                      if v and v > 0])
    return fig
