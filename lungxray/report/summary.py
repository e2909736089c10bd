"""A study-level PDF: every experiment of one study run side by side."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from lungxray.report.pdf import (  # noqa: E402
    A4,
    SHORT_VERDICTS,
    VERDICT_COLOURS,
    WARN,
    _fmt,
    _page,
    as_dict,  # noqa: E402
    banners,
)
from lungxray.results import atomic_write_bytes, find_results, load_results  # noqa: E402


def table_page(results: list[dict]) -> plt.Figure:
    first = results[0]
    fig = _page(f"{first['study']}: all experiments side by side")
    y = 0.90
    for b in sorted({b for r in results for b in banners(r)}):
        for line in textwrap.wrap(b, 80):
            fig.text(0.06, y, line, fontsize=8.5, weight="bold", color="white", va="top", backgroundcolor=WARN)
            y -= 0.017
        y -= 0.006
    labels = list(dict.fromkeys(row["label"] for r in results for row in r["comparison"]))
    ax = fig.add_axes([0.03, 0.05, 0.94, y - 0.07])
    ax.axis("off")
    cols = ["metric"] + [f"{r['experiment']}\npub / repr." for r in results]
    cells, colours = [], []
    for lab in labels:
        row, crow = [textwrap.shorten(lab, 40)], ["white"]
        for r in results:
            hit = next((c for c in r["comparison"] if c["label"] == lab), None)
            if hit is None:
                row.append("-")
                crow.append("white")
            else:
                v = SHORT_VERDICTS.get(hit["verdict"], hit["verdict"])
                row.append(f"{_fmt(hit['published'], 3)} / {_fmt(hit['reproduced'], 3)}  {v}")
                colour = VERDICT_COLOURS.get(hit["verdict"])
                crow.append("#e8f5e9" if colour == "#2e7d32" else "#ffebee" if colour else "#f5f5f5")
        cells.append(row)
        colours.append(crow)
    if cells:
        t = ax.table(cellText=cells, colLabels=cols, cellColours=colours, loc="upper center", cellLoc="left",
                     colWidths=[0.28] + [0.72 / len(results)] * len(results))
        t.auto_set_font_size(False)
        t.set_fontsize(6.5 if len(results) < 4 else 5.5)
        t.scale(1, 1.6)
    return fig


def confusion_page(results: list[dict]) -> plt.Figure:
    fig = _page("Confusion matrices (rows: true, columns: predicted): published above, reproduced below")
    n = len(results)
    w = min(0.88 / n - 0.06, 0.3)
    for i, r in enumerate(results):
        ev = r["evaluation"]
        for j, (name, m) in enumerate((("published", r.get("published", {}).get("confusion_matrix")),
                                       ("reproduced", ev["confusion_matrix"]))):
            if m is None:
                continue
            ax = fig.add_axes([0.09 + i * (0.88 / n), 0.55 - j * 0.4, w, w * A4[0] / A4[1]])
            sns.heatmap(np.array(m), annot=True, fmt="d", cbar=False, cmap="Blues" if j else "Greys", ax=ax,
                        square=True,
                        xticklabels=ev["classes"], yticklabels=ev["classes"], annot_kws={"fontsize": 6})
            ax.set_title(f"{r['experiment']}: {name}", fontsize=7)
            ax.tick_params(labelsize=5)
    return fig


def render_summary(results: list[dict]) -> bytes:
    buf = io.BytesIO()
    with plt.rc_context({"font.size": 8}), PdfPages(
            buf, metadata={"Creator": "lungxray", "Producer": "lungxray", "CreationDate": None, "ModDate": None}) as pdf:
        for fig in (table_page(results), confusion_page(results)):
            pdf.savefig(fig)
            plt.close(fig)
    return buf.getvalue()


def write_summary(folder: Path, out: Path | None = None) -> Path:
    """summary.pdf over every run folder directly below ``folder``."""
    folder = Path(folder)
    results = [as_dict(load_results(p)) for p in find_results(folder) if p.parent.parent == folder]
    out = out or folder / "summary.pdf"
    atomic_write_bytes(out, render_summary(results))
    return out
