"""The suite PDF: page 1 states every study's position (citation, headline verdict with its interval,
whether the runs shown are faithful and what would make them so, the critical findings of the audit);
then each study: its audit ranked by severity, the variants, and the runs that can say something about
the paper, and its committed sweeps (``python -m lungxray sweep``: every reading of its unstated details, from
sweep.json: the sentences, the effects, the readings ranked by fit and the specification curves); last, an
appendix listing every other committed run (smoke references, CI references, less informative real-data runs),
which keep their own report.pdf, and every sweep with its sweep.pdf.

Which runs are shown (:func:`shown_runs`), per experiment of a study: every faithful run (faithful or
faithful with stated minor departures); where there is none, the most informative real-data run that is
not faithful (fewest departures that are not minor), labelled as such. A smoke run on generated images
is never shown: it tests the pipeline, not the paper. The trials of a sweep (the run folders and --runs sets
under a folder holding sweep.json) are never headline runs: they belong to their sweep, which is shown as one
(a smoke sweep only in the appendix).

``python -m lungxray report reports --suite`` (writes reports/suite.pdf)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib import colors
from reportlab.platypus import CondPageBreak, Flowable, PageBreak

from lungxray.audit.claims import SEVERITIES, Claim, ranked
from lungxray.audit.runner import audit_study
from lungxray.data.datasets import get_dataset
from lungxray.report.aggregate import aggregate_story, members_of
from lungxray.report.audit_text import claim_sentence, evidence_rows
from lungxray.report.layout import (
    SEVERITY_COLOURS,
    build_pdf,
    coloured,
    esc,
    interval_text,
    para,
    table,
    verdict_colour,
    verdict_short,
)
from lungxray.report.pdf import run_story
from lungxray.report.summary import confusion_section, table_section
from lungxray.report.sweep import sweep_story
from lungxray.report.wording import plural, remedies, short
from lungxray.results.files import AGGREGATE, atomic_write_bytes, find_results, load_results
from lungxray.results.sweep import SWEEP_REPORT, SweepResult, find_sweeps, sweep_of
from lungxray.results.types import (
    AggregateResult,
    AggregateRow,
    ComparisonRow,
    Departure,
    RunResult,
)
from lungxray.spec.study import Study, load_studies

NOT_FAITHFUL_LABEL = ("not faithful: the most informative real-data run of this experiment, compared for "
                      "information only (it can neither confirm nor refute the paper)")


@dataclass
class Entry:
    """One experiment of a run set: a single run (with its folder), or a ``--runs`` set through its aggregate."""

    experiment: str
    set_name: str = ""  # the folder holding the experiments' folders, relative to the suite's root
    result: RunResult | None = None  # a single run's results.json ...
    folder: str = ""  # ... and its run folder (a --runs set: its experiment folder), relative to the root
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
    def serious(self) -> list[Departure]:
        """The departures that are not minor (what makes the run not faithful)."""
        return [d for d in self.departures if d.severity != "minor"]

    @property
    def comparison(self) -> list[ComparisonRow] | list[AggregateRow]:
        return self.aggregate.comparison if self.aggregate is not None else self.result.comparison

    @property
    def name(self) -> str:
        """How the suite names the run: its folder, and the number of seeds of a --runs set."""
        return self.folder + (f" ({self.aggregate.n_runs} seeds)" if self.aggregate is not None else "")


def _rank(entries: list[Entry]) -> tuple[int, int]:
    """Most faithful kind first (faithful, real data, smoke), then fewest departures that are not minor."""
    kind = min(0 if e.faithful else 2 if e.smoke else 1 for e in entries)
    return kind, min(len(e.serious) for e in entries)


def collect(root: Path) -> dict[str, dict[str, list[Entry]]]:
    """study -> run set (the folder holding the experiments' folders) -> entries, most faithful set first.
    The seed-N runs of a --runs set (an experiment folder with aggregate.json) are one entry. The trials of a
    sweep are left out (:func:`collect_sweeps` has the sweep)."""
    root = Path(root)
    out: dict[str, dict[str, list[Entry]]] = {}
    aggs: dict[Path, Entry] = {}
    sweeps = find_sweeps(root)
    for p in find_results(root):
        if sweep_of(p, sweeps) is not None:
            continue
        res = load_results(p)
        exp_dir = p.parent.parent
        if (exp_dir / AGGREGATE).is_file():
            if exp_dir not in aggs:
                set_name = str(exp_dir.parent.relative_to(root))
                aggs[exp_dir] = Entry(res.experiment, set_name, folder=str(exp_dir.relative_to(root)),
                                      aggregate=AggregateResult.load(exp_dir / AGGREGATE))
                out.setdefault(res.study, {}).setdefault(set_name, []).append(aggs[exp_dir])
            aggs[exp_dir].members.append(res)
            continue
        set_name = str(exp_dir.relative_to(root))
        out.setdefault(res.study, {}).setdefault(set_name, []).append(
            Entry(res.experiment, set_name, result=res, folder=str(p.parent.relative_to(root))))
    for sets in out.values():
        for entries in sets.values():
            entries.sort(key=lambda e: e.experiment)
    return {s: dict(sorted(sets.items(), key=lambda kv: _rank(kv[1]))) for s, sets in sorted(out.items())}


@dataclass
class SweepEntry:
    """A committed sweep: its experiment folder (holding sweep.json), relative to the suite's root."""

    folder: str
    sweep: SweepResult

    @property
    def shown(self) -> bool:
        """A sweep on real data is shown in its study's section; a smoke sweep only in the appendix."""
        return not self.sweep.smoke


def collect_sweeps(root: Path) -> dict[str, list[SweepEntry]]:
    """study -> its committed sweeps, by folder."""
    root = Path(root)
    out: dict[str, list[SweepEntry]] = {}
    for folder in find_sweeps(root):
        sw = SweepResult.load(folder)
        out.setdefault(sw.study, []).append(SweepEntry(folder.relative_to(root).as_posix(), sw))
    return out


def _sweep_line(e: SweepEntry) -> str:
    """Inline markup: one line for the cover: the sweep's size and where its primary metric's readings land."""
    sw = e.sweep
    head = (f"<b>sweep of {esc(sw.experiment)}</b> <i>({esc(e.folder)})</i>: {len(sw.points)} readings of the "
            f"unstated details x {sw.runs_per_point} seeds")
    primary = next((c for c in sw.curves if c.primary and not c.informational), None)
    if sw.smoke:
        return head + " " + coloured("(smoke: tests the machinery, in the appendix)", "#757575", bold=False)
    if primary is None:
        return head + ": no reading finished"
    counts = {}
    for c in primary.points:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    return (head + f"; {esc(primary.label)} {primary.published:g}: "
            + ", ".join(coloured(f"{verdict_short(v)} at {n}", verdict_colour(v)) for v, n in counts.items())
            + f" of {len(primary.points)} readings")


def shown_runs(sets: dict[str, list[Entry]]) -> list[Entry]:
    """The entries of one study that can say something about its paper, in the order of ``sets``: per
    experiment every faithful entry, else the real-data entry with the fewest departures that are not minor
    (then the fewest critical ones; ties: the first set). Smoke entries never."""
    entries = [e for es in sets.values() for e in es]
    keep: list[Entry] = []
    for exp in dict.fromkeys(e.experiment for e in entries):
        mine = [e for e in entries if e.experiment == exp]
        faithful = [e for e in mine if e.faithful]
        real = [e for e in mine if not e.smoke]
        if faithful:
            keep += faithful
        elif real:
            keep.append(min(real, key=lambda e: (len(e.serious), sum(d.severity == "critical" for d in e.serious))))
    return [e for e in entries if any(e is k for k in keep)]


def _kind(e: Entry) -> str:
    if e.smoke:
        return "smoke run on generated images: tests the pipeline, says nothing about the paper"
    if e.faithful:
        return "faithful"
    return "real data, not faithful: " + "; ".join(short(d.text) for d in e.serious)


def _headline(e: Entry) -> str:
    """Inline markup: the entry's primary published number (registered in its study module) against its
    reproduction, with the direction of a difference."""
    rows = [r for r in e.comparison if not r.informational]
    label = "" if e.faithful else " " + coloured("(not faithful: for information)", "#757575", bold=False)
    if not rows:
        return f"<b>{esc(e.experiment)}</b>{label}: no published metric"
    r = next((x for x in rows if x.primary), rows[0])
    rep = r.mean if isinstance(r, AggregateRow) else r.reproduced
    iv = r.interval
    seeds = f", mean of {e.aggregate.n_runs} seeds" if e.aggregate is not None else ""
    rep_text = "not run" if rep is None else f"{rep:.3f} {interval_text(iv.lo, iv.hi) if iv else ''}"
    return (f"<b>{esc(e.experiment)}</b> <i>({esc(e.folder)})</i>{label}: {esc(r.label)} published "
            f"{r.published:g} ({esc(r.source)}), reproduced {esc(rep_text)}{esc(seeds)}: "
            + coloured(r.verdict, verdict_colour(r.verdict))
            + (f" ({esc(r.direction)})" if r.direction else ""))



def _dataset_line(study: Study) -> str:
    spec = get_dataset(study.dataset)
    return f"<br/><b>Data</b>: {esc(spec.title)}" + (f" (Kaggle {esc(spec.kaggle_handle)})" if spec.kaggle_handle
                                                      else "")


def _faithful_cell(study: Study, entries: list[Entry]) -> str:
    """Which shown runs are faithful (with their minor departures), which are not (why, and what would fix it)."""
    parts = []
    good = [e for e in entries if e.faithful]
    bad = [e for e in entries if not e.faithful]
    if good:
        minor = list(dict.fromkeys(d.text for e in good for d in e.departures))
        names = ", ".join(dict.fromkeys(e.experiment for e in good))
        parts.append(f"<b>Faithful</b> ({esc(names)})" + (" with stated minor departures: " + esc("; ".join(minor))
                                                          if minor else "") + ". Its verdicts are real.")
    if bad:
        serious = list(dict.fromkeys(short(d.text) for e in bad for d in e.serious))
        names = ", ".join(dict.fromkeys(e.experiment for e in bad))
        parts.append(coloured("Not faithful here", "#c62828") + f" ({esc(names)}): " + esc("; ".join(serious))
                     + ".<br/><b>Faithful with</b>: "
                     + esc("; ".join(remedies(study, [d for e in bad for d in e.departures]))) + ".")
    return "<br/>".join(parts) + _dataset_line(study)


def _findings_cell(claims: list[Claim]) -> str:
    probs = [c for c in claims if c.problem]
    counts = ", ".join(f"{sum(c.severity == s for c in probs)} {s}" for s in SEVERITIES)
    top = [c for c in probs if c.severity == "critical"]
    lead = "Critical findings" if top else "No critical finding; the major ones first"
    top = top or [c for c in probs if c.severity == "major"][:2]
    items = "".join(f"<br/>{i}. [{esc(c.source)}] {esc(short(c.claim) if c.kind == 'finding' else claim_sentence(c))}"
                    for i, c in enumerate(top, 1))
    return f"<b>{lead}</b> ({len(probs)} findings: {esc(counts)}):{items}"


def cover(studies: dict[str, Study], collected: dict[str, dict[str, list[Entry]]],
          sweeps: dict[str, list[SweepEntry]] | None = None) -> list[Flowable]:
    story: list[Flowable] = [
        para(f"lungxray suite: do the {len(studies)} papers' numbers hold?", "title"),
        para("One block per study: the paper, its headline number against the committed runs that can say "
             "something about it (95% intervals), whether those runs are faithful and what would make them so, and "
             "what the audit of the paper's own numbers found. Shown are faithful runs and, for an experiment "
             "without one, the most informative real-data run, marked 'not faithful': it is compared for "
             "information only and neither confirms nor refutes the paper. A sweep (every reading of the paper's "
             "unstated details) is one line, its trials are not separate runs. Smoke runs on generated images and "
             "CI references are listed in the appendix, not here.", "small")]
    rows: list[list] = [["headline (runs shown)", "faithful?", "audit of the paper"]]
    spans = []
    for sid, study in sorted(studies.items()):
        shown = shown_runs(collected.get(sid, {}))
        rows.append([para(f"<b>{esc(sid)}</b>: {esc(study.citation)}", "tiny", markup=True), "", ""])
        spans.append(len(rows) - 1)
        findings = para(_findings_cell(ranked(audit_study(study))), "tiny", markup=True)
        sweep_lines = "".join("<br/>" + _sweep_line(e) for e in (sweeps or {}).get(sid, []))
        if not shown:
            others = sum(len(es) for es in collected.get(sid, {}).values())
            text = ("No real-data run committed" + (f" (only {plural(others, 'smoke run')}, in the appendix: they "
                                                     "test the pipeline, not the paper)" if others else "") + ".")
            rows.append([para(esc(text) + sweep_lines, "tiny", markup=True),
                         para(_dataset_line(study).removeprefix("<br/>"), "tiny", markup=True), findings])
            continue
        head = "<br/>".join(_headline(e) for e in shown) + sweep_lines
        rows.append([para(head, "tiny", markup=True), para(_faithful_cell(study, shown), "tiny", markup=True),
                     findings])
    t = table(rows, [0.34, 0.3, 0.36])
    cmds = [("SPAN", (0, r), (-1, r)) for r in spans]
    cmds += [("BACKGROUND", (0, r), (-1, r), colors.HexColor("#e8eef7")) for r in spans]
    t.setStyle(cmds)
    return story + [t]


def _evidence_table(c: Claim) -> Flowable | str:
    rows = evidence_rows(c)
    if not rows:
        return "-"
    return table([[para(k, "tiny"), para(v, "tiny")] for k, v in rows], [0.13, 0.2], header=False, style="tiny",
                 padding=1)


def audit_section(study: Study) -> list[Flowable]:
    """The audit ranked by severity: critical and major as sentences with their evidence, minor one line each."""
    claims = ranked(audit_study(study))
    probs = [c for c in claims if c.problem]
    counts = ", ".join(f"{sum(c.severity == s for c in probs)} {s}" for s in SEVERITIES)
    out: list[Flowable] = [para(f"Audit of the published numbers: {len(probs)} findings ({counts}); "
                                f"{len(claims) - len(probs)} checks consistent", "h2"),
                           para("Worst first, one record per fact; each severity names the rubric rule that placed "
                                "it (lungxray/audit/claims.py; README 'Severity rubric'). Evidence: the values the "
                                "check used or the configuration the tool recovered (python -m lungxray audit "
                                f"{study.id} -v --json has every record).", "small")]
    rows: list[list] = [["severity (rule)", "where (tool)", "what the paper says, and what the check found",
                         "evidence"]]
    for c in probs:
        if c.severity == "minor":
            continue
        level = coloured(c.severity, SEVERITY_COLOURS[c.severity]) + f"<br/>{esc(c.rule)}" + (
            "<br/>(inferred)" if c.inference and c.rule != "inference" else "")
        rows.append([para(level, "tiny", markup=True),
                     f"{c.source} ({c.tool})", para(claim_sentence(c), "tiny"), _evidence_table(c)])
    if len(rows) > 1:
        out.append(table(rows, [0.11, 0.14, 0.39, 0.36], style="tiny"))
    minor = [c for c in probs if c.severity == "minor"]
    if minor:
        out += [CondPageBreak(90), para("Minor (rounding-level slips, recovered details, reporting gaps)", "h2"),
                table([["where", "rule", "what the paper says, and what the check found"],
                       *[[c.source, c.rule, claim_sentence(c)] for c in minor]], [0.2, 0.12, 0.68], style="tiny")]
    return out


def variants_section(study: Study) -> list[Flowable]:
    """The study's variants, each with the experiments it applies to."""
    if not study.variants:
        return []
    applies = {e.name: {v.name for v in study.applicable_variants(e.name)} for e in study.experiments}
    rows = [["variant", "default", "applies to", "what the paper leaves open"]]
    for v in study.variants:
        exps = [e for e, names in applies.items() if v.name in names]
        rows.append([v.name, v.default, "all" if len(exps) == len(applies) else ", ".join(exps) or "none",
                     v.question])
    return [CondPageBreak(120), para("Variants (details the paper leaves open)", "h2"),
            table(rows, [0.13, 0.19, 0.17, 0.51], style="tiny")]


def study_section(study: Study) -> list[Flowable]:
    out: list[Flowable] = [para(f"{study.id}: {study.title}", "title"), para(f"Paper: {study.citation}", "citation")]
    out += audit_section(study) + variants_section(study)
    notes = list(dict.fromkeys(study.notes))
    if notes:
        out += [para("Notes", "h2"), *[para(f"• {n}", "small") for n in notes]]
    return out


def _runs_story(sid: str, root: Path, shown: list[Entry]) -> list[Flowable]:
    """The pages of the shown entries, set by set: --runs sets, a side-by-side summary of a set's single runs
    (two or more), then each single run."""
    story: list[Flowable] = []
    for set_name in dict.fromkeys(e.set_name for e in shown):
        entries = [e for e in shown if e.set_name == set_name]
        singles = [e for e in entries if e.result is not None]
        for e in entries:
            if e.aggregate is not None:
                members, folders = members_of(root / e.folder, e.aggregate)
                story += [PageBreak(), para(f"Run set {e.folder}", "small"),
                          *aggregate_story(e.aggregate, members, folders, "h1")]
        if len(singles) > 1:
            results = [e.result for e in singles]
            story += [PageBreak(), para(f"{sid}, run set {set_name}: summary", "h1"),
                      *table_section(results), *confusion_section(results)]
        for e in singles:
            story += [PageBreak(), para(f"Run folder {e.folder}", "small")]
            if not e.faithful:
                story.append(para(coloured(NOT_FAITHFUL_LABEL, "#c62828"), "small", markup=True))
            story += run_story(e.result, root / e.folder, "h1", notes=False)
    return story


def _sweep_kind(e: SweepEntry) -> str:
    sw = e.sweep
    where = ("shown in its study's section" if e.shown
             else "smoke sweep on generated images: tests the machinery, says nothing about the paper")
    return (f"sweep of {sw.experiment}: {len(sw.points)} readings x {sw.runs_per_point} seeds ({len(sw.trials)} "
            f"trial run folders, each with its report.pdf, and a --runs set per reading with its aggregate.pdf, "
            f"under this folder); {where}")


def appendix(collected: dict[str, dict[str, list[Entry]]],
             sweeps: dict[str, list[SweepEntry]] | None = None) -> list[Flowable]:
    """One row per committed run not shown in the study sections, with what it is and where its report is; one
    row per committed sweep (its trials are not listed one by one: they belong to the sweep)."""
    rows: list[list] = [["study", "its PDF", "what it is"]]
    for sid in sorted(set(collected) | set(sweeps or {})):
        sets = collected.get(sid, {})
        shown = shown_runs(sets)
        for e in (e for es in sets.values() for e in es if not any(e is s for s in shown)):
            report = "aggregate.pdf" if e.aggregate is not None else "report.pdf"
            rows.append([sid, f"{e.folder}/{report}", _kind(e)])
        for sw in (sweeps or {}).get(sid, []):
            rows.append([sid, f"{sw.folder}/{SWEEP_REPORT}", _sweep_kind(sw)])
    if len(rows) == 1:
        return []
    return [PageBreak(), para("Appendix: committed runs not shown above, and every sweep", "title"),
            para("Smoke runs on generated images and the CI reference test the pipeline; a real-data run that is not "
                 "faithful is shown above only where it is the most informative one of its experiment. None of these "
                 "can confirm or refute a paper. Each keeps its own PDF in its folder (paths relative to the suite's "
                 "folder). A sweep is listed once: its trial runs and per-reading --runs sets are in its folder.",
                 "small"),
            table(rows, [0.14, 0.42, 0.44], style="tiny")]


def suite_story(root: Path) -> list[Flowable]:
    root = Path(root)
    studies = load_studies()
    collected = collect(root)
    sweeps = collect_sweeps(root)
    story = cover(studies, collected, sweeps)
    for sid, study in sorted(studies.items()):
        story += [PageBreak(), *study_section(study)]
        story += _runs_story(sid, root, shown_runs(collected.get(sid, {})))
        story += _sweeps_story(sweeps.get(sid, []))
    return story + appendix(collected, sweeps)


def _sweeps_story(sweeps: list[SweepEntry]) -> list[Flowable]:
    """Each shown sweep of a study: sweep.pdf's summary and curves under a run-level heading (the trial table
    stays in sweep.pdf)."""
    story: list[Flowable] = []
    for e in sweeps:
        if e.shown:
            story += [PageBreak(), para(f"Sweep {e.folder} (its own PDF: {e.folder}/{SWEEP_REPORT})", "small"),
                      *sweep_story(e.sweep, "h1", trials=False)]
    return story


def render_suite(root: Path) -> bytes:
    return build_pdf(suite_story(Path(root)), "suite", "every study: verdicts, audits, runs")


def write_suite(root: Path, out: Path) -> Path:
    atomic_write_bytes(Path(out), render_suite(Path(root)))
    return Path(out)
