"""The suite PDF: page 1 states every study's position (citation, headline verdict with its interval,
why the runs here are not faithful and what would make them so, the critical findings of the audit);
then each study in full: its audit ranked by severity with the evidence, its ``--runs`` sets, its
summaries and its run reports.

``python -m lungxray report reports --suite`` (writes reports/suite.pdf)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib import colors
from reportlab.platypus import CondPageBreak, Flowable, PageBreak

from lungxray._util.output import json_safe
from lungxray.audit.claims import SEVERITIES, Claim
from lungxray.report.aggregate import aggregate_story
from lungxray.report.layout import (
    SEVERITY_COLOURS,
    build_pdf,
    coloured,
    esc,
    interval_text,
    para,
    table,
    verdict_colour,
)
from lungxray.report.pdf import run_story
from lungxray.report.summary import confusion_section, table_section
from lungxray.results.files import AGGREGATE, atomic_write_bytes, find_results, load_results
from lungxray.results.types import (
    AggregateResult,
    AggregateRow,
    ComparisonRow,
    Departure,
    RunResult,
)

if TYPE_CHECKING:
    from lungxray.spec.study import Study


@dataclass
class Entry:
    """One experiment of a run set: a single run (with its folder), or a ``--runs`` set through its aggregate."""

    experiment: str
    result: RunResult | None = None  # a single run's results.json ...
    folder: str = ""  # ... and its run folder, relative to the suite's root
    aggregate: AggregateResult | None = None  # a --runs set's aggregate.json ...
    members: list[RunResult] = field(default_factory=list)  # ... and its seed runs

    @property
    def departures(self) -> list[Departure]:
        return self.aggregate.departures if self.aggregate is not None else self.result.departures

    @property
    def faithful(self) -> bool:
        return bool(self.aggregate.faithful if self.aggregate is not None else self.result.faithful)

    @property
    def smoke(self) -> bool:
        return bool(self.result.smoke) if self.result is not None else bool(self.members[0].smoke)

    @property
    def comparison(self) -> list[ComparisonRow] | list[AggregateRow]:
        return self.aggregate.comparison if self.aggregate is not None else self.result.comparison


def _rank(entries: list[Entry]) -> tuple[int, int]:
    """Most faithful kind first (faithful, offline, smoke), then fewest departures that are not minor."""
    kind = min(0 if e.faithful else 2 if e.smoke else 1 for e in entries)
    return kind, min(sum(d.severity != "minor" for d in e.departures) for e in entries)


def collect(root: Path) -> dict[str, dict[str, list[Entry]]]:
    """study -> run set (the folder holding the experiments' folders) -> entries, most faithful set first.
    The seed-N runs of a --runs set (an experiment folder with aggregate.json) are one entry."""
    root = Path(root)
    out: dict[str, dict[str, list[Entry]]] = {}
    aggs: dict[Path, Entry] = {}
    for p in find_results(root):
        res = load_results(p)
        exp_dir = p.parent.parent
        if (exp_dir / AGGREGATE).is_file():
            if exp_dir not in aggs:
                aggs[exp_dir] = Entry(res.experiment, aggregate=AggregateResult.load(exp_dir / AGGREGATE))
                out.setdefault(res.study, {}).setdefault(str(exp_dir.parent.relative_to(root)), []).append(
                    aggs[exp_dir])
            aggs[exp_dir].members.append(res)
            continue
        out.setdefault(res.study, {}).setdefault(str(exp_dir.relative_to(root)), []).append(
            Entry(res.experiment, result=res, folder=str(p.parent.relative_to(root))))
    for sets in out.values():
        for entries in sets.values():
            entries.sort(key=lambda e: e.experiment)
    return {s: dict(sorted(sets.items(), key=lambda kv: _rank(kv[1]))) for s, sets in sorted(out.items())}


def _headline(e: Entry) -> str:
    """Inline markup: the entry's first published accuracy (else its first published number that is not a
    training-log value) against its reproduction."""
    rows = [r for r in e.comparison if not r.informational]
    if not rows:
        return f"<b>{esc(e.experiment)}</b>: no published metric"
    r = next((x for x in rows if "accuracy" in x.key), rows[0])
    rep = r.mean if isinstance(r, AggregateRow) else r.reproduced
    iv = r.interval
    seeds = f", mean of {e.aggregate.n_runs} seeds" if e.aggregate is not None else ""
    rep_text = "not run" if rep is None else f"{rep:.3f} {interval_text(iv.lo, iv.hi) if iv else ''}"
    return (f"<b>{esc(e.experiment)}</b>: {esc(r.label)} published {r.published:g} ({esc(r.source)}) vs "
            f"{esc(rep_text)}{esc(seeds)}: " + coloured(r.verdict, verdict_colour(r.verdict)))


def remedies(study: Study, entries: list[Entry]) -> list[str]:
    """What would make the runs of ``entries`` faithful, one item per kind of departure that is not minor."""
    from lungxray.data.datasets import get_dataset

    spec = get_dataset(study.dataset)
    data = (f"the full dataset (Kaggle {spec.kaggle_handle})" if spec.kaggle_handle
            else f"the full dataset ({spec.handle_note})")
    out: dict[str, None] = {}
    for e in entries:
        for d in e.departures:
            if d.severity == "minor":
                continue
            if d.kind == "weights":
                out[f"ImageNet weights (python -m lungxray weights {study.id} says which files and where)"] = None
            elif d.kind == "data":
                out[data] = None
            elif d.kind == "schedule":
                out["the paper's full training schedule (no --epochs override)"] = None
            elif d.kind == "variant":
                name = d.text.removeprefix("variant ").split("=", 1)[0]
                default = next((v.default for v in study.variants if v.name == name), "its default")
                out[f"the paper's reading of variant {name} ({default})"] = None
            else:
                out[d.text] = None
    return list(out)


def _dataset_line(study: Study) -> str:
    from lungxray.data.datasets import get_dataset

    spec = get_dataset(study.dataset)
    return f"<br/><b>Data</b>: {esc(spec.title)}" + (f" (Kaggle {esc(spec.kaggle_handle)})" if spec.kaggle_handle
                                                      else "")


def _faithful_cell(study: Study, entries: list[Entry]) -> str:
    if all(e.faithful for e in entries):
        minor = list(dict.fromkeys(d.text for e in entries for d in e.departures))
        return ("<b>Faithful</b>" + (" with stated minor departures: " + esc("; ".join(minor)) if minor else "")
                + ". Its verdicts are real." + _dataset_line(study))
    serious = list(dict.fromkeys(short(d.text) for e in entries for d in e.departures if d.severity != "minor"))
    text = coloured("Not faithful here", "#c62828") + ": " + esc("; ".join(serious)) + "."
    return (text + "<br/><b>Faithful with</b>: " + esc("; ".join(remedies(study, entries))) + "."
            + _dataset_line(study))


def short(text: str) -> str:
    """A departure's or finding's statement without its explanation (asides in parentheses and what follows
    ': ' left out); the study's pages give it whole."""
    return re.sub(r"\s*\([^()]*\)", "", text).split(": ", 1)[0]


def _claim_text(c: Claim) -> str:
    if c.kind == "consistency":
        return f"{c.claim}: published {c.published:g}, recomputed {c.recomputed:.4g}"
    return c.claim


def _findings_cell(claims: list[Claim]) -> str:
    probs = [c for c in claims if c.problem]
    counts = ", ".join(f"{sum(c.severity == s for c in probs)} {s}" for s in SEVERITIES)
    top = [c for c in probs if c.severity == "critical"]
    lead = "Critical findings" if top else "No critical finding; the major ones first"
    top = top or [c for c in probs if c.severity == "major"][:2]
    items = "".join(f"<br/>{i}. [{esc(c.source)}] {esc(short(_claim_text(c)) if c.kind == 'finding' else _claim_text(c))}"
                    for i, c in enumerate(top, 1))
    return f"<b>{lead}</b> ({len(probs)} findings: {esc(counts)}):{items}"


def cover(studies: dict[str, Study], collected: dict[str, dict[str, list[Entry]]]) -> list[Flowable]:
    from lungxray.audit.claims import ranked
    from lungxray.audit.runner import audit_study

    story: list[Flowable] = [
        para(f"lungxray suite: do the {len(studies)} papers' numbers hold?", "title"),
        para("One block per study: the paper, its headline number against the most faithful committed "
             "reproduction (95% intervals), whether that run is faithful and what would make it so, and what the "
             "audit of the paper's own numbers found. A run with a departure from its paper that is not minor is "
             "compared for information only ('not comparable'): it neither confirms nor refutes the paper.", "small")]
    rows: list[list] = [["headline (most faithful run set)", "faithful?", "audit of the paper"]]
    spans = []
    for sid, study in sorted(studies.items()):
        sets = collected.get(sid, {})
        rows.append([para(f"<b>{esc(sid)}</b>: {esc(study.citation)}", "tiny", markup=True), "", ""])
        spans.append(len(rows) - 1)
        claims = ranked(audit_study(study))
        if not sets:
            rows.append([para("not run: no committed results", "tiny"), "", para(_findings_cell(claims), "tiny",
                                                                                   markup=True)])
            continue
        set_name, entries = next(iter(sets.items()))
        head = f"<i>{esc(set_name)}</i><br/>" + "<br/>".join(_headline(e) for e in entries)
        rows.append([para(head, "tiny", markup=True), para(_faithful_cell(study, entries), "tiny", markup=True),
                     para(_findings_cell(claims), "tiny", markup=True)])
    t = table(rows, [0.34, 0.3, 0.36])
    cmds = [("SPAN", (0, r), (-1, r)) for r in spans]
    cmds += [("BACKGROUND", (0, r), (-1, r), colors.HexColor("#e8eef7")) for r in spans]
    t.setStyle(cmds)
    return story + [t]


def _flat(value: Any, prefix: str = "") -> list[str]:
    """Evidence as 'key.sub: value' lines, floats to 4 significant digits."""
    if isinstance(value, dict):
        return [line for k, v in value.items() for line in _flat(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(value, float):
        value = f"{value:.4g}"
    elif isinstance(value, list):
        value = "[" + ", ".join(f"{v:.4g}" if isinstance(v, float) else json.dumps(v) for v in value) + "]"
    return [f"{prefix}: {value}"]


def _evidence(c: Claim) -> str:
    parts = []
    if c.kind == "consistency":
        parts.append(f"published {c.published:g}, recomputed {c.recomputed:.6g}, tolerance {c.tolerance:g}")
    parts += _flat(json_safe(c.evidence))
    return "<br/>".join(esc(p) for p in parts) or "-"


def audit_section(study: Study) -> list[Flowable]:
    """The audit ranked by severity: critical and major with their evidence, minor one line each."""
    from lungxray.audit.claims import ranked
    from lungxray.audit.runner import audit_study

    claims = ranked(audit_study(study))
    probs = [c for c in claims if c.problem]
    counts = ", ".join(f"{sum(c.severity == s for c in probs)} {s}" for s in SEVERITIES)
    out: list[Flowable] = [para(f"Audit of the published numbers: {len(probs)} findings ({counts}); "
                                f"{len(claims) - len(probs)} checks consistent", "h2"),
                           para("Worst first, one record per fact; each severity names the rubric rule that placed "
                                "it (lungxray/audit/claims.py; README 'Severity rubric'). Evidence: the arithmetic or the "
                                "configuration the tool recovered (python -m lungxray audit -v --json has every "
                                "record).", "small")]
    rows: list[list] = [["severity", "where (tool)", "what", "evidence"]]
    for c in probs:
        if c.severity == "minor":
            continue
        what = esc(c.claim) + (f"<br/>{esc(c.explanation)}" if c.explanation and c.explanation != c.claim else "")
        level = coloured(c.severity, SEVERITY_COLOURS[c.severity]) + f"<br/>{esc(c.rule)}" + (
            "<br/>(inferred)" if c.inference and c.rule != "inference" else "")
        rows.append([para(level, "tiny", markup=True),
                     f"{c.source} ({c.tool})", para(what, "tiny", markup=True),
                     para(_evidence(c), "mono", markup=True)])
    if len(rows) > 1:
        out.append(table(rows, [0.11, 0.14, 0.41, 0.34], style="tiny"))
    minor = [c for c in probs if c.severity == "minor"]
    if minor:
        out += [para("Minor (rounding-level slips, recovered details, reporting gaps)", "h2"),
                table([["where", "rule", "what"], *[[c.source, c.rule, _claim_text(c)] for c in minor]],
                      [0.2, 0.12, 0.68], style="tiny")]
    return out


def study_section(study: Study) -> list[Flowable]:
    out: list[Flowable] = [para(f"{study.id}: {study.title}", "title"), para(f"Paper: {study.citation}", "citation")]
    out += audit_section(study)
    if study.variants:
        rows = [["variant", "default", "what the paper leaves open"]]
        rows += [[v.name, v.default, v.question] for v in study.variants]
        out += [CondPageBreak(120), para("Variants (details the paper leaves open)", "h2"),
                table(rows, [0.14, 0.14, 0.72], style="tiny")]
    notes = list(dict.fromkeys(study.notes))
    if notes:
        out += [para("Notes", "h2"), *[para(f"• {n}", "small") for n in notes]]
    return out


def suite_story(root: Path) -> list[Flowable]:
    from lungxray.spec.study import load_studies

    studies = load_studies()
    collected = collect(root)
    story = cover(studies, collected)
    for sid, study in sorted(studies.items()):
        story += [PageBreak(), *study_section(study)]
        for set_name, entries in collected.get(sid, {}).items():
            singles = [e for e in entries if e.result is not None]
            for e in entries:
                if e.aggregate is not None:
                    story += [PageBreak(), para(f"Run set {set_name}", "small"), *aggregate_story(e.aggregate, "h1")]
            if len(singles) > 1:
                results = [e.result for e in singles]
                story += [PageBreak(), para(f"{sid}, run set {set_name}: summary", "h1"),
                          *table_section(results), *confusion_section(results)]
            for e in singles:
                story += [PageBreak(), para(f"Run folder {e.folder}", "small"),
                          *run_story(e.result, Path(root) / e.folder, "h1", notes=False)]
    return story


def render_suite(root: Path) -> bytes:
    return build_pdf(suite_story(Path(root)), "suite", "every study: verdicts, audits, runs")


def write_suite(root: Path, out: Path) -> Path:
    atomic_write_bytes(Path(out), render_suite(Path(root)))
    return Path(out)
