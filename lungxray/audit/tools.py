"""The forensic tools of ``lungxray.audit.forensics``, run on a study's declared ``Evidence``.

A study module declares what its paper prints (``Study.evidence``: split counts, rate
series with their decimals and the set they were measured on, binary accuracy/precision/
recall triples, one-vs-rest tables with the text's sentences about them). This module runs
every tool that applies and turns each result into audit records (``lungxray.audit.claims.Claim``)
with a severity and the tool's output as evidence. Nothing here knows a study by name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from lungxray.audit import forensics as F
from lungxray.audit.claims import Claim, claim, finding
from lungxray.spec.study import BinaryRates, OneVsRest, RateSeries, ScoreSet, SplitEvidence, Study

# Batch sizes worth naming when a set size is n // b * b (a generator whose steps are n // b).
COMMON_BATCHES = (8, 16, 32, 64, 128, 256)
MAX_EVIDENCE_MATCHES = 10  # split configurations kept per target in the JSON evidence


def _counts(c) -> str:
    return "/".join(str(v) for v in c.values())


# --- 1. split recovery --------------------------------------------------------------------------

def split_claims(sid: str, ev: SplitEvidence) -> list[Claim]:
    schemes = F.DEFAULT_SCHEMES
    if ev.test_sizes or ev.val_sizes:
        schemes = F.make_schemes(ev.test_sizes or F.DEFAULT_FRACTIONS, ev.val_sizes or F.DEFAULT_FRACTIONS)
    rec = F.recover_split(ev.population, {t.name: (t.part, dict(t.counts)) for t in ev.targets}, schemes=schemes)
    tried = (f"{len(rec.class_orders)} class orders x {len(rec.seeds)} seeds x {len(rec.schemes)} "
             "scikit-learn train_test_split schemes")
    out: list[Claim] = []

    def also(m: F.SplitMatch) -> list[str]:
        """The other printed targets the same configuration reproduces."""
        return [o.name for o in ev.targets
                if all(m.parts.get(o.part, {}).get(c) == n for c, n in o.counts.items())]

    groups: dict[tuple, list[tuple]] = {}  # one record per configuration: the targets it reproduces
    for t, r in zip(ev.targets, rec.targets, strict=True):
        ranked = sorted(r.matches, key=lambda m: (-len(also(m)), not m.scheme.stratified))
        evidence = {**r.to_dict(), "matches": [{**m.to_dict(), "also_reproduces": also(m)}
                                               for m in ranked[:MAX_EVIDENCE_MATCHES]],
                    "searched": tried, "stated": ev.stated, "experiments": list(t.experiments)}
        chance = ("" if r.expected_chance_matches is None
                  else f"; a chance match would be expected {r.expected_chance_matches:.2g} times")
        if not r.matches:
            out.append(finding(sid, f"{t.name} ({ev.source})" if ev.source else t.name,
                               f"split recovery: no common split reproduces {t.name} ({t.part} {_counts(t.counts)})",
                               explanation=f"none of {r.n_tried:,} configurations ({tried}) gives these counts"
                               f"{chance}: the split was made another way, or the counts are not of one split",
                               severity="minor", tool="split-recovery", evidence=evidence))
            continue
        m = ranked[0]
        key = (m.scheme, m.class_order, m.seeds, tuple((p, tuple(c.items())) for p, c in m.parts.items()))
        groups.setdefault(key, []).append((t, r, m, evidence))
    for members in groups.values():
        out.append(_recovered_split_record(sid, ev, members, tried))
    out += different_test_sets(sid, ev)
    return out


def _recovered_split_record(sid: str, ev: SplitEvidence, members: list[tuple], tried: str) -> Claim:
    """One record for one recovered configuration, listing every printed target it reproduces."""
    t0, r0, m, evidence = members[0]
    names = [t.name for t, *_ in members]
    printed = "; ".join(f"{t.name} ({t.part} {_counts(t.counts)})" for t, *_ in members)
    unprinted = "; ".join(f"{p} {_counts(c)}" for p, c in m.parts.items() if sum(c.values()))
    chances = [r.expected_chance_matches for _, r, *_ in members if r.expected_chance_matches is not None]
    chance = f"; a chance match would be expected {min(chances):.2g} times" if chances else ""
    fingerprint = bool(chances) and min(chances) < 0.05
    n_match = ", ".join(str(r.n_matching_configs) for _, r, *_ in members)
    if m.scheme.stratified:
        what = f"{m.scheme.describe()} reproduces {printed}"
        why = (f"{n_match} of {r0.n_tried:,} configurations match: stratified counts barely depend on the seed "
               "or the file order, so this shows stratification, not a seed")
    else:
        what = (f"split recovered: {printed} {'is' if len(members) == 1 else 'are'} reproduced exactly by "
                f"{m.scheme.describe()} over the file list ordered {', '.join(m.class_order)}, "
                f"random_state={m.seeds[0]}")
        why = (f"{n_match} of {r0.n_tried:,} configurations match{chance}"
               + ("" if fingerprint else ": too many to call it a fingerprint, a lead only"))
    if len(members) > 1:
        evidence = {**evidence, "targets_reproduced": names,
                    "per_target": {t.name: {"part": t.part, "target": dict(t.counts),
                                            "n_matching_configs": r.n_matching_configs,
                                            "expected_chance_matches": r.expected_chance_matches,
                                            "experiments": list(t.experiments)} for t, r, *_ in members}}
    return finding(sid, "; ".join(names), what,
                   explanation=f"{why}. The split it implies (per class, in the order "
                   f"{', '.join(ev.population)}): {unprinted}",
                   severity="minor", tool="split-recovery", evidence=evidence)


def different_test_sets(sid: str, ev: SplitEvidence) -> list[Claim]:
    """Experiments whose printed test counts differ were not compared on the same test images."""
    by_counts: dict[tuple, list] = defaultdict(list)
    for t in ev.targets:
        if t.part == "test" and t.experiments:
            by_counts[tuple(t.counts[c] for c in ev.population)].append(t)
    if len(by_counts) < 2:
        return []
    groups = [sorted({e for t in ts for e in t.experiments}) for ts in by_counts.values()]
    described = "; ".join(f"{', '.join(g)}: test {'/'.join(map(str, k))}" for g, k in zip(groups, by_counts, strict=True))
    return [finding(sid, ", ".join(t.name for ts in by_counts.values() for t in ts),
                    "the experiments were tested on different test sets, so their published numbers are not a "
                    "comparison on the same images", explanation=f"per-class test counts differ: {described}",
                    severity="critical", tool="split-recovery",
                    evidence={"groups": [{"experiments": g, "test_counts": dict(zip(ev.population, k, strict=True))}
                                         for g, k in zip(groups, by_counts, strict=True)]})]


# --- 2./3. denominators and batch sizes ---------------------------------------------------------

def _near(n: int) -> range:
    return range(max(1, int(n * 0.9)), int(n * 1.1) + 2)


def _explain_size(d: int, n: int) -> str:
    names = [f"{n} // {b} x {b}" for b in COMMON_BATCHES if d != n and (n // b) * b == d]
    return f"{d} (= {names[0]}: the last partial batch left out)" if names else str(d)


def _joint_logs(series: Iterable[RateSeries]) -> dict[str, list[RateSeries]]:
    """Per experiment, its batch-averaged logs when there are several (they get one joint batch-size record)."""
    by_exp: dict[str, list[RateSeries]] = defaultdict(list)
    for s in series:
        if s.batch_mean is True:
            by_exp[s.experiment].append(s)
    return {exp: ss for exp, ss in by_exp.items() if len(ss) >= 2}


def _image_level_reading(ev: RateSeries, bi: F.BatchInference) -> str:
    if bi.image_level_all:
        return f"every value is also some k/{ev.stated_n}, so the image-level reading fits too"
    if ev.batch_mean:
        return (f"{bi.image_level.count(False)} values are no k/{ev.stated_n}: the log is not image-level, "
                "as the paper's loader (a mean over batches) predicts")
    return (f"{bi.image_level.count(False)} values are no k/{ev.stated_n}: either a mean over batches "
            "of that set, or counts over another number of images (see the denominator record)")


def rate_claims(sid: str, ev: RateSeries, *, batch_record: bool = True) -> list[Claim]:
    """The denominator record of a rate series and, unless ``batch_record`` is False (its log is part of a joint
    batch-size record, which carries its evidence: one record per fact), its own batch-size record."""
    out: list[Claim] = []
    vals = [str(v) for v in ev.values]
    if ev.batch_mean is not True:
        rc = F.impossible_on(vals, ev.decimals, ev.stated_n)
        sizes = F.common_denominators(vals, ev.decimals, _near(ev.stated_n))
        fits = ", ".join(_explain_size(d, ev.stated_n) for d in sizes[:8]) or "none within 10%"
        bad = rc.impossible
        # rubric, applied: values that are all counts over n // b * b images for a usual batch size b are a
        # recovered pipeline detail (a generator that drops the last partial batch), not an error of the paper
        dropped = [d for d in sizes if d != ev.stated_n and any(ev.stated_n // b * b == d for b in COMMON_BATCHES)]
        recovered = bool(bad) and bool(dropped)
        out.append(claim(sid, ev.source, f"{ev.name}: every printed rate is a count over the {ev.stated_n} images "
                         "it was measured on", len(vals), len(vals) - len(bad), 0,
                         explanation=f"{len(bad)} of {len(vals)} values cannot be k/{ev.stated_n} ({', '.join(bad)}); "
                         f"set sizes near {ev.stated_n} that explain every value: {fits}"
                         + (f"; a recovered pipeline detail: the log scored {dropped[0]} images, the full batches "
                            "of a loader that drops the last partial one" if recovered else ""),
                         experiment=ev.experiment, severity="minor" if recovered else "major",
                         rule="recovered-detail" if recovered else "contradiction", tool="denominator",
                         evidence={**rc.to_dict(), "sizes_explaining_all": sizes[:50],
                                   "explained_by_dropping_the_last_batch": dropped}))
    if ev.batch_mean is not False and batch_record:
        bi = F.batch_sizes(vals, ev.decimals, ev.stated_n, drop_last=ev.drop_last, totals=ev.totals)
        shown = ", ".join(map(str, bi.consistent[:16])) + (" ..." if len(bi.consistent) > 16 else "")
        common = [b for b in bi.consistent if b in COMMON_BATCHES]
        out.append(finding(sid, ev.source, f"{ev.name}: batch sizes that explain every value as a mean over batches "
                           f"of {ev.stated_n} images: {shown or 'none'}"
                           + (f" (of the usual sizes: {', '.join(map(str, common))})" if bi.consistent else ""),
                           explanation=_image_level_reading(ev, bi), severity="minor", tool="batch-size",
                           experiment=ev.experiment, evidence=bi.to_dict()))
    return out


def _and(xs: Sequence[int]) -> str:
    """1, 2 and 3."""
    xs = [str(x) for x in xs]
    return " and ".join([", ".join(xs[:-1]), xs[-1]] if len(xs) > 1 else xs)


def _fitting_batch_sizes(ss: Sequence[RateSeries], *, use_totals: bool) -> list[set[int]]:
    """Per log, the batch sizes 1-128 that explain it (with or without its per-image totals tied to it)."""
    return [set(F.batch_sizes([str(v) for v in s.values], s.decimals, s.stated_n, drop_last=s.drop_last,
                              totals=s.totals if use_totals else ()).consistent) for s in ss]


def joint_batch_claims(sid: str, series: Iterable[RateSeries]) -> list[Claim]:
    """Batch sizes that explain every batch-averaged log of one experiment at once."""
    out = []
    for exp, ss in _joint_logs(series).items():
        per_log_inference = {s.name: F.batch_sizes([str(v) for v in s.values], s.decimals, s.stated_n,
                                                    drop_last=s.drop_last, totals=s.totals) for s in ss}
        readings = "; ".join(f"{s.name}: {_image_level_reading(s, per_log_inference[s.name])}" for s in ss)
        sets = _fitting_batch_sizes(ss, use_totals=True)
        both = sorted(set.intersection(*sets))
        common = [b for b in both if b in COMMON_BATCHES]
        per_log = {s.name: sorted(b for b in fit if b in COMMON_BATCHES) for s, fit in zip(ss, sets, strict=True)}
        each = "; ".join(f"{name}: {', '.join(map(str, bs)) or 'none'}" for name, bs in per_log.items())
        tied = [s for s in ss if any(t is not None for t in s.totals)]
        untied = sorted(set.intersection(*_fitting_batch_sizes(ss, use_totals=False))) if tied else both
        common_untied = [b for b in untied if b in COMMON_BATCHES]
        only_by_tie = [b for b in common_untied if b not in common]
        tie = "; ".join(f"{s.name} value {i + 1} ({s.values[i]}) tied to {t} of {s.stated_n} correct, a per-image "
                        "count printed elsewhere" for s in tied for i, t in enumerate(s.totals) if t is not None)
        head = (f"batch size recovered: of the usual sizes only {', '.join(map(str, common))} explains all "
                f"{len(ss)} batch-averaged logs" + (" with the per-image counts tied to them" if tied else "")
                if common else
                f"no usual batch size explains all {len(ss)} batch-averaged logs at once: the loaders' batch sizes "
                "differ, or a log was computed another way")
        if tied:
            head += (f" ({tie}); without that tie the usual sizes {_and(common_untied) or 'none'} each "
                     f"explain every log" + (f", so {', '.join(map(str, only_by_tie))} "
                                             f"{'is' if len(only_by_tie) == 1 else 'are'} excluded only by tying "
                                             "the count to that epoch" if only_by_tie else ""))
        out.append(finding(sid, "; ".join(s.source for s in dict.fromkeys(ss)), head,
                           explanation=f"usual sizes ({', '.join(map(str, COMMON_BATCHES))}) per log: {each}; "
                           f"sizes 1-128 explaining every log: {', '.join(map(str, both)) or 'none'}"
                           + (f"; without the tie: {', '.join(map(str, untied)) or 'none'}" if tied else "")
                           + f". {readings}",
                           severity="minor", tool="batch-size", experiment=exp, inference=True,
                           evidence={"logs": [s.name for s in ss], "consistent_with_all": both,
                                     "usual_sizes": common, "usual_sizes_per_log": per_log,
                                     "consistent_with_all_without_tie": untied,
                                     "usual_sizes_without_tie": common_untied,
                                     "excluded_only_by_the_tie": only_by_tie,
                                     "per_log": {n: bi.to_dict() for n, bi in per_log_inference.items()}}))
    return out


# --- 4. confusion matrices from one-vs-rest tables -----------------------------------------------

def ovr_claims(sid: str, ev: OneVsRest) -> list[Claim]:
    tables = {c: (tp, fp, fn, tn) for c, tp, fp, fn, tn in zip(ev.classes, ev.tp, ev.fp, ev.fn, ev.tn, strict=True)}
    rec = F.confusion_from_ovr(tables, max_solutions=2000, count_limit=200_000)
    if rec.inconsistencies:
        return [claim(sid, ev.source, f"{ev.name}: the one-vs-rest counts describe one confusion matrix", 1, 0, 0,
                      explanation="; ".join(rec.inconsistencies), experiment=ev.experiment, severity="major",
                      tool="confusion-reconstruction", evidence=rec.to_dict())]
    count = f"{rec.n_solutions}" if rec.complete else f"more than {rec.n_solutions or len(rec.solutions)}"
    evidence = {**rec.to_dict(), "solutions": [[list(r) for r in s] for s in rec.solutions[:5]]}
    out = [claim(sid, ev.source, f"{ev.name}: a confusion matrix exists with these one-vs-rest counts", 1,
                 1 if rec.solutions else 0, 0, explanation=f"{count} matrices fit", experiment=ev.experiment,
                 severity="major", tool="confusion-reconstruction", evidence=evidence)]
    if not ev.statements or not rec.solutions:
        return out
    chk = F.check_statements(rec, ev.statements)
    for i, st in enumerate(ev.statements):
        verdict = chk.verdict(i)
        ev_i = {"statement": st.description, "n_candidates": chk.n_candidates, "holds_in": chk.holds_in[i],
                "exhaustive": chk.exhaustive}
        if verdict == "some":
            out.append(finding(sid, ev.source, f"{st.description}: the one-vs-rest table cannot decide it",
                               explanation=f"true in {chk.holds_in[i]} of {chk.n_candidates} matrices that fit "
                               f"{ev.name}", severity="minor", tool="confusion-reconstruction",
                               experiment=ev.experiment, evidence=ev_i))
        else:
            out.append(claim(sid, ev.source, st.description, 1, 1 if verdict == "all" else 0, 0,
                             explanation=f"false in every one of the {chk.n_candidates} matrices that fit {ev.name}",
                             experiment=ev.experiment, severity="minor", tool="prose", evidence=ev_i))
    return out


# --- 5. implied prevalence ------------------------------------------------------------------------

def binary_claims(sid: str, ev: BinaryRates) -> list[Claim]:
    iv = F.implied_prevalence(ev.accuracy, ev.precision, ev.recall, ev.decimals)
    cmp = F.compare_prevalence(iv, ev.described_share)
    evidence: dict = {"positive_class_reading": cmp.to_dict()}
    extra = ""
    if ev.n:
        for avg in ("binary", "macro"):
            ps = F.prevalence_search(ev.accuracy, ev.precision, ev.recall, ev.decimals, ev.n, average=avg)
            evidence[f"{avg}_search"] = ps.to_dict()
            extra += f"; {ps.summary()}"
    mid, half = ((iv.lo + iv.hi) / 2, (iv.hi - iv.lo) / 2) if not iv.empty else (float("nan"), 0.0)
    return [claim(sid, ev.source, f"{ev.name}: the positive share that accuracy {ev.accuracy:g}, precision "
                  f"{ev.precision:g} and recall {ev.recall:g} imply matches the test set described",
                  ev.described_share, mid, half,
                  explanation=f"read as positive-class precision and recall they imply a positive share in "
                  f"[{iv.lo:.4f}, {iv.hi:.4f}], not {ev.described_share:.4f}{extra}",
                  experiment=ev.experiment, severity="major", tool="prevalence", evidence=evidence)]


def conditional_prevalence_claims(sid: str, evs: Sequence[BinaryRates]) -> list[Claim]:
    """Triples whose described share holds only under an assumption (``BinaryRates.described_if``): one finding
    for all of them, with where their implied shares overlap (a test set they could share) and which shares
    (the described one, a balanced 0.5) every triple rules out. Not an inconsistency: the assumption may not hold."""
    if not evs:
        return []
    ivs = {ev.name: F.implied_prevalence(ev.accuracy, ev.precision, ev.recall, ev.decimals) for ev in evs}
    lo, hi = max(iv.lo for iv in ivs.values()), min(iv.hi for iv in ivs.values())
    overlap = [lo, hi] if lo <= hi else None
    described = sorted({ev.described_share for ev in evs})
    candidates = {**{f"{x:.4f} (the described data)": x for x in described}, "0.5 (a balanced test set)": 0.5}
    ruled_out = {k: all(not iv.contains(x) for iv in ivs.values()) for k, x in candidates.items()}
    each = "; ".join(f"{name}: [{iv.lo:.4f}, {iv.hi:.4f}]" for name, iv in ivs.items())
    who = "both" if len(evs) == 2 else f"all {len(evs)}"
    shared = (f"they overlap on [{lo:.4f}, {hi:.4f}] ({who} could share one test set)"
              if overlap else "they do not overlap (the models were not scored on one test set)")
    out_of = " and ".join(k for k, v in ruled_out.items() if v)
    return [finding(sid, "; ".join(dict.fromkeys(ev.source for ev in evs)),
                    f"implied positive share: the printed accuracy, precision and recall imply {each}; {shared}"
                    + (f"; every triple rules out {out_of}" if out_of else ""),
                    explanation=f"read as positive-class precision and recall, (1-A)/(1-2R+R/P) over each value's "
                    f"rounding interval. {evs[0].described_if[0].upper()}{evs[0].described_if[1:]}: a recovered fact "
                    "about the test set, not an inconsistency",
                    severity="minor", rule="recovered-detail", tool="prevalence", inference=True,
                    evidence={"implied": {n: iv.to_dict() for n, iv in ivs.items()}, "overlap": overlap,
                              "described_share": described, "ruled_out": ruled_out,
                              "described_if": evs[0].described_if})]


# --- 6. score sets on a known test set ------------------------------------------------------------

def score_set_claims(sid: str, ev: ScoreSet) -> list[Claim]:
    """Whether printed scores are attainable together on a test set of the stated composition: every confusion
    matrix (TP, FN, FP, TN) with TP + FN = positives and FP + TN = negatives is tried, in exact arithmetic
    (the question mlscorecheck answers by interval arithmetic; tests/test_oracle.py holds the two to agreement)."""
    res = F.scores_on_testset(ev.scores, ev.decimals, ev.positives, ev.negatives)
    shown = ", ".join(f"{k} {v:g}" for k, v in ev.scores.items())
    ex = "; ".join(f"TP {tp} FN {fn} FP {fp} TN {tn}" for tp, fn, fp, tn in res.examples[:3])
    return [claim(sid, ev.source, f"{ev.name}: {shown} are attainable together on {ev.positives} positive and "
                  f"{ev.negatives} negative test images", 1, 1 if res.n_solutions else 0, 0,
                  explanation=f"no confusion matrix on {ev.positives} + {ev.negatives} images gives all of them "
                  "(each printed value read as any number that rounds to it)", experiment=ev.experiment,
                  tool="score-set", evidence={**res.to_dict(), "fits": ex})]


# --- all of them ---------------------------------------------------------------------------------

_CACHE: dict[tuple[str, int], tuple[Claim, ...]] = {}


def forensic_claims(study: Study) -> list[Claim]:
    """Every forensic record for ``study`` (cached per process: split recovery takes seconds)."""
    key = (study.id, id(study.evidence))
    if key not in _CACHE:
        ev, sid, out = study.evidence, study.id, []
        for s in ev.splits:
            out += split_claims(sid, s)
        joint = {id(r) for ss in _joint_logs(ev.rates).values() for r in ss}
        for r in ev.rates:
            out += rate_claims(sid, r, batch_record=id(r) not in joint)
        out += joint_batch_claims(sid, ev.rates)
        for b in ev.binary:
            if not b.described_if:
                out += binary_claims(sid, b)
        out += conditional_prevalence_claims(sid, [b for b in ev.binary if b.described_if])
        for sc in ev.scores:
            out += score_set_claims(sid, sc)
        for o in ev.one_vs_rest:
            out += ovr_claims(sid, o)
        _CACHE[key] = tuple(out)
    return list(_CACHE[key])
