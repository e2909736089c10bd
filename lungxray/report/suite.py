"""The suite PDF: the five studies' headline verdicts first, then each study in full.

``python -m lungxray report --suite reports/ --out reports/suite.pdf``
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from lungxray.report import pdf as P  # noqa: E402
from lungxray.report.pdf import as_dict  # noqa: E402
from lungxray.report.summary import confusion_page as summary_confusions  # noqa: E402
from lungxray.report.summary import table_page  # noqa: E402
from lungxray.results import atomic_write_bytes, find_results, load_results  # noqa: E402


def _kind(res: dict) -> str:
    if res.get("smoke"):
        return "smoke"
    return "faithful" if res.get("faithful") else "offline"


def _rank(res: dict) -> int:
    return {"faithful": 0, "offline": 1, "smoke": 2}[_kind(res)]


def collect(root: Path) -> dict[str, dict[str, list[dict]]]:
    """study -> run set (folder holding run folders) -> results, best kind first."""
    out: dict[str, dict[str, list[dict]]] = {}
    for p in find_results(root):
        res = as_dict(load_results(p))
        res["_dir"] = str(p.parent.relative_to(root))
        out.setdefault(res["study"], {}).setdefault(str(p.parent.parent.relative_to(root)), []).append(res)
    for sets in out.values():
        for runs in sets.values():
            runs.sort(key=lambda r: r["experiment"])
    def order(kv):  # most faithful kind first, then fewest reasons for not being faithful
        return (min(_rank(r) for r in kv[1]), min(len(r.get("unfaithful_reasons", [])) for r in kv[1]))

    return {s: dict(sorted(sets.items(), key=order)) for s, sets in out.items()}


def cover_page(studies, collected) -> plt.Figure:
    fig = P._page("lungxray suite: published vs reproduced headline numbers")
    fig.text(0.06, 0.92, "\n".join(textwrap.wrap(
        "One row per experiment of each study's most faithful committed run set. 'n/c: unfaithful' means the "
        "run could not be faithful here (no ImageNet weights, partial data, or smoke data), so it neither "
        "confirms nor refutes the paper; the per-study pages say why.", 110)), fontsize=7.5, va="top")
    rows, colours = [], []
    for sid in sorted(studies):
        sets = collected.get(sid)
        if not sets:
            rows.append([sid, "-", "-", "-", "-", "-", "not run"])
            colours.append(["white"] * 6 + ["#f5f5f5"])
            continue
        set_name, runs = next(iter(sets.items()))
        for r in runs:
            head = r["comparison"][0] if r["comparison"] else None
            verdict = P.SHORT_VERDICTS.get(head["verdict"], head["verdict"]) if head else "no published metric"
            rows.append([sid, r["experiment"], f"{_kind(r)}: {set_name}",
                         textwrap.shorten(head["label"], 28) if head else "-",
                         P._fmt(head["published"], 4) if head else "-", P._fmt(head["reproduced"], 4) if head else "-",
                         verdict])
            c = P.VERDICT_COLOURS.get(head["verdict"]) if head else None
            colours.append(["white"] * 6 + ["#e8f5e9" if c == "#2e7d32" else "#ffebee" if c else "#f5f5f5"])
    ax = fig.add_axes([0.03, 0.05, 0.94, 0.82])
    ax.axis("off")
    t = ax.table(cellText=rows, colLabels=["study", "experiment", "run", "headline metric", "published",
                                           "reproduced", "verdict"], cellColours=colours, loc="upper center",
                 cellLoc="left", colWidths=[0.14, 0.12, 0.2, 0.2, 0.09, 0.09, 0.16])
    t.auto_set_font_size(False)
    t.set_fontsize(6.5)
    t.scale(1, 1.5)
    return fig


def audit_page(study) -> plt.Figure:
    from lungxray.audit import SEVERITIES, _line, audit_study, ranked

    claims = ranked(audit_study(study))
    fig = P._page(f"{study.id}: audit of the published numbers (worst first)")
    probs = [c for c in claims if c.problem]
    counts = ", ".join(f"{sum(c.severity == s for c in probs)} {s}" for s in SEVERITIES)
    lines = [f"{len(probs)} problems ({counts}); {len(claims) - len(probs)} checks consistent. Critical and major "
             "with their evidence, minor on one line (python -m lungxray audit -v for all).", ""]
    lines += [_line(c, full=c.severity != "minor").strip() for c in probs]
    lines += ["", "Variants (details the paper leaves open; defaults in brackets):"]
    lines += [f"{v.name} [{v.default}]: {v.question}" for v in study.variants]
    lines += ["", "Notes:"] + list(study.notes)
    text = "\n".join("\n".join(textwrap.wrap(line, 115)) or "" for line in lines)
    fig.text(0.06, 0.93, text, fontsize=7, va="top")
    return fig


def render_suite(root: Path) -> bytes:
    from lungxray.study import load_studies

    studies = load_studies()
    collected = collect(root)
    buf = io.BytesIO()
    with plt.rc_context({"font.size": 8}), PdfPages(
            buf, metadata={"Creator": "lungxray", "Producer": "lungxray", "CreationDate": None, "ModDate": None}) as pdf:
        def add(fig):
            if fig is not None:
                pdf.savefig(fig)
                plt.close(fig)

        add(cover_page(studies, collected))
        for sid in sorted(studies):
            add(audit_page(studies[sid]))
            for _set_name, runs in collected.get(sid, {}).items():
                if len(runs) > 1:
                    add(table_page(runs))
                    add(summary_confusions(runs))
                for r in runs:
                    add(P.provenance_page(r))
                    for f in P.comparison_pages(r):
                        add(f)
                    add(P.confusion_page(r))
                    add(P.extra_evaluation_page(r))
                    add(P.curves_page(r))
    return buf.getvalue()


def write_suite(root: Path, out: Path) -> Path:
    atomic_write_bytes(Path(out), render_suite(Path(root)))
    return Path(out)
