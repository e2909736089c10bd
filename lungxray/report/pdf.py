"""One run's PDF: provenance first, then published vs reproduced, confusion matrices,
training curves and the variants used.  Rendered from results.json alone, with fixed
metadata, so the same results give the same PDF bytes.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from lungxray.results import atomic_write_bytes  # noqa: E402

A4 = (8.27, 11.69)
VERDICT_COLOURS = {"consistent": "#2e7d32", "reproduced": "#2e7d32", "not reproduced": "#c62828",
                   "inconclusive": "#6d4c41", "published number inconsistent": "#ef6c00"}
SHORT_VERDICTS = {"not comparable (run not faithful)": "n/c: unfaithful",
                  "published number inconsistent": "pub. inconsistent"}
WARN = "#c62828"
STATED = "#1565c0"  # a faithful run's stated (minor) departures: information, not a warning


def _fmt(v: Any, nd: int = 4) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def banners(res: dict) -> list[str]:
    """Warnings shown in red at the top of the first page (and of the suite report)."""
    out = []
    if res.get("degenerate"):
        out.append(res["degenerate"]["banner"].upper()[:1] + res["degenerate"]["banner"][1:] + ".")
    deps = res.get("departures", [])
    serious = [d for d in deps if d["severity"] != "minor"]
    if serious:
        out.append("NOT A FAITHFUL REPRODUCTION: numbers below cannot confirm or refute the paper. "
                   + " ".join(f"[{d['severity']} {d['kind']}] {d['text']}." for d in serious))
    elif deps:
        out.append("FAITHFUL WITH STATED DEPARTURES (all minor), so the verdicts are real: "
                   + " ".join(f"[{d['kind']}] {d['text']}." for d in deps))
    return out


def _interval(row: dict) -> str:
    iv = row.get("interval")
    return "-" if not iv else f"[{iv['lo']:.3f}, {iv['hi']:.3f}]"


def _page(title: str):
    fig = plt.figure(figsize=A4)
    fig.text(0.06, 0.965, "\n".join(textwrap.wrap(title, 68)), fontsize=12, weight="bold", va="top")
    return fig


def _text_block(fig, y: float, lines: list[tuple[str, str]], width: int = 95, size: float = 8.0) -> float:
    for key, val in lines:
        wrapped = textwrap.wrap(str(val), width) or [""]
        fig.text(0.06, y, key, fontsize=size, weight="bold", va="top")
        for i, w in enumerate(wrapped):
            fig.text(0.30, y - i * 0.014, w, fontsize=size, va="top", family="monospace" if key == "command" else None)
        y -= 0.014 * len(wrapped) + 0.004
    return y


def provenance_page(res: dict) -> plt.Figure:
    fig = _page(res.get("title", res["study"]))
    y = 0.92
    for b in banners(res):
        lines = textwrap.wrap(b, 80)
        colour = STATED if b.startswith("FAITHFUL") else WARN
        for i, line in enumerate(lines):
            fig.text(0.06, y - i * 0.018, line, fontsize=9, weight="bold", color="white", va="top",
                     backgroundcolor=colour)
        y -= 0.018 * len(lines) + 0.01
    p = res["provenance"]
    v = p.get("versions", {})
    d = p.get("device", {})
    counts = "; ".join(f"{s}: " + ", ".join(f"{c} {n}" for c, n in per.items()) for s, per in p["counts"].items())
    fig.text(0.06, y, "Provenance", fontsize=11, weight="bold", va="top")
    y -= 0.025
    y = _text_block(fig, y, [
        ("study / experiment", f"{res['study']} / {res['experiment']}"),
        ("faithful", ("yes" if not res.get("departures") else "yes, with minor departures (see the banner)")
         if res.get("faithful") else "no: " + "; ".join(res.get("unfaithful_reasons", []))),
        ("weights", p["weights_description"]),
        ("seed", p["seed"]),
        ("op determinism", "on" if p.get("op_determinism") else "off"),
        ("precision / XLA / strategy", f"{p.get('mixed_precision', 'float32')} / "
                                       f"{'jit on' if p.get('jit_compile') else 'jit off'} / {p.get('strategy', 'none')}"),
        ("dataset", f"{p['dataset']} at {p['data_root']}"),
        ("data subset", p.get("data_subset", "")),
        ("split (manifest)", f"sha256 {p['manifest_sha256'][:16]}...  {counts}"),
        ("skipped files", f"{len(p.get('skipped_files', []))}" + "".join(
            f"; {s['file']} ({s['reason']})" for s in p.get("skipped_files", [])[:4])),
        ("epochs", f"{p['epochs_run']} run of {p['epochs_requested']} requested; best epoch "
                   f"{_fmt(res.get('best_epoch'))} (0-based) selected"),
        ("device", f"{d.get('kind')} {', '.join(d.get('gpus', [])) or ''} {d.get('platform', '')}, "
                   f"{d.get('cpu_count')} CPUs" + ("; GPU results are bitwise repeatable only on the same hardware"
                                                    if d.get("gpus") else "")),
        ("versions", ", ".join(f"{k} {val}" for k, val in v.items())),
        ("command", p.get("command", "")),
        ("duration", f"{p.get('duration_s')} s"),
    ])
    y -= 0.01
    fig.text(0.06, y, "Variants (details the paper leaves open)", fontsize=11, weight="bold", va="top")
    y -= 0.025
    for var in res.get("variants", []):
        tag = "default" if var["choice"] == var["default"] else f"NOT default (default {var['default']})"
        y = _text_block(fig, y, [(var["name"], f"{var['choice']} [{tag}]: {var['meaning']}. Open question: "
                                  f"{var['question']}")], size=7.2)
        if y < 0.05:
            break
    return fig


def comparison_pages(res: dict) -> list[plt.Figure]:
    rows = res["comparison"]
    figs = []
    per_page = 34
    for start in range(0, max(len(rows), 1), per_page):
        fig = _page("Published vs reproduced (test set)")
        ax = fig.add_axes([0.03, 0.05, 0.94, 0.86])
        ax.axis("off")
        chunk = rows[start:start + per_page]
        if not chunk:
            ax.text(0, 1, "This experiment has no published metrics.", va="top")
            figs.append(fig)
            break
        cells = [[textwrap.shorten(r["label"], 40), textwrap.shorten(r["source"], 26), _fmt(r["published"]),
                  _fmt(r["reproduced"]), _interval(r), f"±{r['tolerance']:.3f}",
                  ("log: " if r.get("informational") else "") + SHORT_VERDICTS.get(r["verdict"], r["verdict"])]
                 for r in chunk]
        table = ax.table(cellText=cells, colLabels=["metric", "source", "published", "reproduced", "95% interval",
                                                    "tolerance", "verdict"],
                         colWidths=[0.26, 0.18, 0.08, 0.08, 0.14, 0.08, 0.18], loc="upper center", cellLoc="left")
        table.auto_set_font_size(False)
        table.set_fontsize(6.5)
        table.scale(1, 1.35)
        for (i, j), cell in table.get_celld().items():
            if i == 0:
                cell.set_text_props(weight="bold")
            elif j == 6:
                row = chunk[i - 1]
                cell.set_text_props(color="#555555" if row.get("informational") else
                                    VERDICT_COLOURS.get(row["verdict"], "#555555"), weight="bold")
        if start == 0:
            defs = [(r["label"], r["definition"]) for r in rows if "[" not in r["key"]]
            txt = "\n".join(textwrap.shorten(f"{lab}: {d}", 160) for lab, d in defs)
            txt += ("\nPer-class rows: one-vs-rest precision, recall, F1 and accuracy of that class."
                    "\n95% interval: Wilson for proportions, a seeded bootstrap over the test images otherwise."
                    "\nconsistent: every difference the intervals allow is within the tolerance; inconclusive: both"
                    " a match and a gap of the tolerance fit;\nnot reproduced: the intervals are apart and the gap"
                    " may reach the tolerance (lungxray/verdict.py)."
                    "\nlog: a training-log value of the evaluated epoch, shown for information (no test-set interval,"
                    " the package's tolerance): never held.\nn/c: not comparable, because the run is not faithful to"
                    " the paper (see page 1)."
                    "\npub. inconsistent: the paper's own numbers disagree (python -m lungxray audit).")
            txt += "".join(_readings_line(r) for r in rows if r.get("readings"))
            ax.text(0.0, 0.02, "Definitions used (each as the paper's row defines it):\n" + txt, fontsize=6.5,
                    va="bottom", transform=ax.transAxes)
        figs.append(fig)
    return figs


def _readings_line(row: dict) -> str:
    """Every reading of a published metric whose meaning a variant decides, the compared one marked."""
    vals = ", ".join(f"{k}{' (compared)' if k == row.get('compared_with') else ''} {_fmt(v)}"
                     for k, v in row["readings"].items())
    return "\n" + textwrap.shorten(f"{row['label']} readings: {vals}", 160)


def confusion_page(res: dict) -> plt.Figure:
    ev = res["evaluation"]
    classes = ev["classes"]
    pub = res.get("published", {}).get("confusion_matrix")
    fig = _page("Confusion matrices (rows: true class, columns: predicted)")
    mats = [("reproduced", np.array(ev["confusion_matrix"]))]
    if pub:
        mats.insert(0, (f"published ({res['published'].get('confusion_source', '')})", np.array(pub)))
    for i, (name, m) in enumerate(mats):
        ax = fig.add_axes([0.12 + 0.45 * i if len(mats) == 2 else 0.3, 0.52, 0.36, 0.32])
        sns.heatmap(m, annot=True, fmt="d", cbar=False, cmap="Blues", ax=ax, square=True,
                    xticklabels=classes, yticklabels=classes, annot_kws={"fontsize": 7})
        ax.set_title(textwrap.fill(name, 40), fontsize=8)
        ax.tick_params(labelsize=6)
        ax.set_xticklabels(ax.get_xticklabels(), rotation=45, ha="right")
        ax.set_yticklabels(ax.get_yticklabels(), rotation=0)
    if not pub:
        fig.text(0.06, 0.42, "The paper publishes no full confusion matrix for this experiment.", fontsize=8,
                 va="top")
    notes = res.get("study_notes", [])
    if notes:
        fig.text(0.06, 0.39 if not pub else 0.045, "\n".join(
            "\n".join(textwrap.wrap("Note: " + n, 110)) for n in notes), fontsize=7, va="top" if not pub else "bottom")
    if pub:
        pub_n, rep_n = np.array(pub), np.array(ev["confusion_matrix"])
        note = (f"Published test set: {pub_n.sum()} images; reproduced: {rep_n.sum()} images. "
                "Compare rates, not counts, when the totals differ.")
        fig.text(0.06, 0.42, note, fontsize=8, va="top")
        if pub_n.shape == rep_n.shape and pub_n.sum() and rep_n.sum():
            ax = fig.add_axes([0.3, 0.06, 0.36, 0.30])
            diff = rep_n / rep_n.sum(axis=1, keepdims=True).clip(1) - pub_n / pub_n.sum(axis=1, keepdims=True).clip(1)
            sns.heatmap(diff, annot=True, fmt=".2f", cbar=False, cmap="RdBu_r", center=0, ax=ax, square=True,
                        xticklabels=classes, yticklabels=classes, annot_kws={"fontsize": 7})
            ax.set_title("row-normalised difference (reproduced - published)", fontsize=8)
            ax.tick_params(labelsize=6)
    return fig


def curves_page(res: dict) -> plt.Figure:
    fig = _page("Training curves (lines: reproduced; markers: published)")
    h, ph = res.get("history", {}), res.get("published", {}).get("history", {})
    colours = ["#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a"]
    for i, metric in enumerate(("accuracy", "loss")):
        ax = fig.add_axes([0.1, 0.55 - 0.45 * i, 0.8, 0.33])
        keys = sorted({k for k in [*h, *ph] if k.endswith(metric)}, key=lambda k: (k.startswith("val"), k))
        for key, colour in zip(keys, colours * 2, strict=False):
            if key in h:
                ax.plot(range(1, len(h[key]) + 1), h[key], color=colour, label=f"reproduced {key}")
            if key in ph:
                ax.plot(range(1, len(ph[key]) + 1), ph[key], "o--", color=colour, alpha=0.6, label=f"published {key}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        vals = [v for k in keys for v in [*h.get(k, []), *ph.get(k, [])] if v and v > 0]
        if metric == "loss" and vals and max(vals) / min(vals) > 50:
            ax.set_yscale("log")  # one exploding epoch would flatten every other curve
            ax.set_ylabel("loss (log scale)")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    if ph:
        fig.text(0.06, 0.06, f"Published per-epoch values: {res['published'].get('history_source', '')}", fontsize=7)
    return fig


def extra_evaluation_page(res: dict) -> plt.Figure | None:
    extra = res.get("extra_evaluations") or {}
    if not extra:
        return None
    fig = _page("Additional evaluations (same model, corrected test sets)")
    y = 0.90
    main_m = res["evaluation"]["metrics"]
    for i, (name, ev) in enumerate(extra.items()):
        m = ev["metrics"]
        keys = [k for k in ("accuracy", "batch_mean_accuracy", "macro_precision", "macro_recall", "macro_f1")
                if k in m]
        lines = [f"{name}: {ev['description']}",
                 f"images: {ev['n']} of {res['evaluation']['n']} ({len(ev['excluded'])} excluded)"]
        if ev.get("n_per_class"):
            lines.append("  per class: " + ", ".join(f"{c} {n}" for c, n in ev["n_per_class"].items()))
        lines += [f"  {k}: {m[k]:.4f}  (full test set: {main_m.get(k, float('nan')):.4f})" for k in keys]
        fig.text(0.06, y, "\n".join(lines), fontsize=8.5, va="top", family="monospace")
        ax = fig.add_axes([0.3, 0.40 - 0.35 * i, 0.36, 0.30])
        sns.heatmap(np.array(ev["confusion_matrix"]), annot=True, fmt="d", cbar=False, cmap="Greens", ax=ax,
                    square=True, xticklabels=ev["classes"], yticklabels=ev["classes"], annot_kws={"fontsize": 7})
        ax.set_title(f"{name}: confusion matrix", fontsize=8)
        ax.tick_params(labelsize=6)
        ax.set_xticklabels(ax.get_xticklabels(), rotation=45, ha="right")
        ax.set_yticklabels(ax.get_yticklabels(), rotation=0)
        y -= 0.35
    return fig


def render(res: dict) -> bytes:
    buf = io.BytesIO()
    with plt.rc_context({"font.size": 8, "pdf.compression": 6}), PdfPages(
            buf, metadata={"Creator": "lungxray", "Producer": "lungxray", "CreationDate": None,
                           "ModDate": None}) as pdf:
        pages = [provenance_page(res), *comparison_pages(res), confusion_page(res), extra_evaluation_page(res),
                 curves_page(res)]
        for fig in [f for f in pages if f is not None]:
            pdf.savefig(fig)
            plt.close(fig)
    return buf.getvalue()


def as_dict(res) -> dict:
    """A RunResult as the dict these pages read (until they read its attributes)."""
    return res if isinstance(res, dict) else {**res.to_dict(), "unfaithful_reasons": res.unfaithful_reasons}


def write_report(res, path: Path) -> Path:
    atomic_write_bytes(Path(path), render(as_dict(res)))
    return Path(path)
