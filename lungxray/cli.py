"""``python -m lungxray``: verify-data, check, report, audit, bench, weights, studies."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from lungxray.errors import LungxrayError


def _verify(a: argparse.Namespace) -> int:
    from lungxray.data import discover, get_dataset
    from lungxray.data.verify import verify

    spec = get_dataset(a.dataset)
    if a.manifest:
        from lungxray.data.manifest_check import main as manifest_main

        return manifest_main(discover(spec, a.data_dir, a.download), Path(a.manifest), a.json)
    rep = verify(discover(spec, a.data_dir, a.download))
    print(json.dumps(rep.to_dict(), indent=2) if a.json else rep.to_text())
    return 0 if rep.ok else 1


def _check(a: argparse.Namespace) -> int:
    from lungxray.check import check_all, compare_to_reference, compare_verdicts

    if a.reference:
        outcomes = [compare_to_reference(Path(a.reports), Path(a.reference), a.tolerance)]
        a.verbose = True
    elif a.verdicts_of:
        outcomes = [compare_verdicts(Path(a.reports), Path(a.verdicts_of))]
        a.verbose = True
    else:
        outcomes = check_all(Path(a.reports))
    for o in outcomes:
        print(f"{'FAIL' if o.failures else 'ok  '} {o.path}")
        for line in o.lines if a.verbose or o.failures else o.lines[:1]:
            print(f"     {line}")
        for f in o.failures:
            print(f"     FAIL: {f}")
    n_fail = sum(bool(o.failures) for o in outcomes)
    print(f"check: {len(outcomes) - n_fail} passed, {n_fail} failed")
    return 1 if n_fail else 0


def _rescore(a: argparse.Namespace) -> int:
    from lungxray.rescore import rescore

    for root in a.runs:
        for d in rescore(Path(root)):
            print(f"rescored {d}")
    return 0


def _report(a: argparse.Namespace) -> int:
    from lungxray.report.pdf import write_report
    from lungxray.results import REPORT, load_results

    if a.suite:
        from lungxray.report.suite import write_suite

        print(f"wrote {write_suite(Path(a.run), Path(a.out or Path(a.run) / 'suite.pdf'))}")
        return 0
    if a.summary:
        from lungxray.report.summary import write_summary

        print(f"wrote {write_summary(Path(a.run), Path(a.out) if a.out else None)}")
        return 0
    res = load_results(Path(a.run))
    run_dir = Path(a.run) if Path(a.run).is_dir() else Path(a.run).parent
    out = Path(a.out) if a.out else run_dir / REPORT
    write_report(res, out)
    print(f"wrote {out}")
    return 0


def _audit(a: argparse.Namespace) -> int:
    from lungxray.audit import ranked, run_audit, to_text
    from lungxray.study import get_study, load_studies

    studies = [get_study(s) for s in a.study] if a.study else [v for _, v in sorted(load_studies().items())]
    claims = ranked(run_audit(studies))
    if a.json:
        print(json.dumps([c.to_dict() for c in claims], indent=2, allow_nan=False, default=str))
    else:
        print(to_text(claims, verbose=a.verbose))
    return 0


def _bench(a: argparse.Namespace) -> int:
    if a.data_stage:
        from lungxray.bench_data import STUDIES, run

        return run(a.dataset or list(STUDIES), a.fraction or [1.0], a.work, a.json)
    from lungxray.bench import main as bench_main

    return bench_main(a.study, a.data_dir, a.batches, a.json)


def _cache(a: argparse.Namespace) -> int:
    from lungxray.data.cache import DecodeCache

    cache = DecodeCache()
    if a.clear:
        n, size = cache.clear()
        print(f"removed {n} images ({size / 2**20:.1f} MiB) from {cache.root}")
    else:
        n, size = cache.usage()
        print(f"{cache.root}: {n} images, {size / 2**20:.1f} MiB (set $LUNGXRAY_CACHE to move it; "
              "`lungxray cache --clear` empties it)")
    return 0


def _weights(a: argparse.Namespace) -> int:
    from lungxray.weights_check import main as weights_main

    return weights_main(a.study, a.check, a.weights)


def _studies(a: argparse.Namespace) -> int:
    from lungxray.study import load_studies

    for sid, st in sorted(load_studies().items()):
        print(f"{sid}: {st.title} [{', '.join(e.name for e in st.experiments)}]")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from lungxray.data.registry import REGISTRY

    p = argparse.ArgumentParser(prog="python -m lungxray", description="lungxray tools")
    sub = p.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verify-data", help="decode every image, count per class/split, list unreadable files "
                       "and byte-identical duplicates; exit 1 on errors")
    v.add_argument("dataset", choices=sorted(REGISTRY))
    v.add_argument("--data-dir", help="dataset folder (else $LUNGXRAY_DATA, else --download)")
    v.add_argument("--download", action="store_true", help="fetch from Kaggle with kagglehub")
    v.add_argument("--json", action="store_true", help="machine-readable output")
    v.add_argument("--manifest", metavar="FILE", help="instead: check this copy against a run's manifest.csv "
                   "(sha256 per file) and list every missing, extra or changed file; exit 1 if any is missing "
                   "or changed")
    v.set_defaults(fn=_verify)
    c = sub.add_parser("check", help="check committed results against published numbers and their own predictions")
    c.add_argument("reports", nargs="?", default="reports", help="folder searched for results.json (default reports)")
    c.add_argument("-v", "--verbose", action="store_true", help="print every metric comparison")
    c.add_argument("--reference", metavar="RUN_DIR",
                   help="compare the run folder given as REPORTS with this reference run of the same configuration")
    c.add_argument("--tolerance", type=float, default=0.02,
                   help="with --reference: largest allowed difference of any metric (default 0.02)")
    c.add_argument("--verdicts-of", metavar="RUN_SET",
                   help="REPORTS is a shorter rerun (an experiment folder with aggregate.json) of this committed "
                   "--runs set: fail where a decisive verdict (consistent / not reproduced) contradicts it")
    c.set_defaults(fn=_check)
    r = sub.add_parser("report", help="(re)render a run's report.pdf from its results.json, or with --summary "
                       "the side-by-side summary.pdf of a folder of run folders")
    r.add_argument("run", help="run folder or results.json (with --summary: the folder holding run folders)")
    r.add_argument("--summary", action="store_true", help="write summary.pdf over the run folders in RUN")
    r.add_argument("--suite", action="store_true",
                   help="write the suite PDF over every run under RUN (e.g. reports/): verdict table, then each "
                   "study's audit, summaries and run pages (default RUN/suite.pdf)")
    r.add_argument("--out", help="PDF path (default: report.pdf in the run folder)")
    r.set_defaults(fn=_report)
    rs = sub.add_parser("rescore", help="recompute departures, intervals and verdicts of committed runs from their "
                        "predictions.csv and the study module as it is now (no retraining); rewrites results.json, "
                        "report.pdf and aggregate.json")
    rs.add_argument("runs", nargs="+", help="run folders, or folders holding run folders (e.g. reports)")
    rs.set_defaults(fn=_rescore)
    au = sub.add_parser("audit", help="recompute every published number that follows from other published numbers, "
                        "recover unstated details from them, and rank the problems by severity")
    au.add_argument("study", nargs="*", help="study ids (default all)")
    au.add_argument("--json", action="store_true", help="all records as JSON, problems first (critical, major, minor)")
    au.add_argument("-v", "--verbose", action="store_true", help="also list the consistent checks")
    au.set_defaults(fn=_audit)
    b = sub.add_parser("bench", help="images per second: model only, tf.data pipeline + model, and Keras "
                       "ImageDataGenerator + model, with their ratios")
    b.add_argument("--study", default="syakuroh2025", help="study whose first experiment is measured")
    b.add_argument("--data-dir", help="real PNGs to read (default ../shared/datasets when it has the study's "
                   "data, else generated images)")
    b.add_argument("--batches", type=int, default=8, help="batches timed per figure (default 8)")
    b.add_argument("--json", action="store_true", help="JSON only on stdout (ratios and targets keyed)")
    b.add_argument("--data-stage", action="store_true",
                   help="instead: time the data stage (discover, screen + decode, split, balance, load, a second run "
                   "from the cache) and peak memory on generated files at each dataset's real count and image size")
    b.add_argument("--dataset", action="append", metavar="KEY",
                   help="with --data-stage: covid19-radiography, syakuroh-4class or nih-chestxray14 (repeatable; "
                   "default all three)")
    b.add_argument("--fraction", action="append", type=float, metavar="F",
                   help="with --data-stage: generate this share of the real count (repeatable: one measurement each; "
                   "default 1.0); the text output extrapolates linearly to the full count")
    b.add_argument("--work", metavar="DIR", help="with --data-stage: keep the generated files here (reused next time)")
    b.set_defaults(fn=_bench)
    ca = sub.add_parser("cache", help="the persistent cache of decoded, resized images ($LUNGXRAY_CACHE, default "
                        "~/.cache/lungxray): its size, or --clear to empty it")
    ca.add_argument("--clear", action="store_true", help="remove every cached image")
    ca.set_defaults(fn=_cache)
    w = sub.add_parser("weights", help="the pretrained weight files the studies load: name, download URL, where to "
                       "put them, published hash; --check verifies what is in place (exit 1 if missing or wrong)")
    w.add_argument("study", nargs="*", help="study ids (default all)")
    w.add_argument("--check", action="store_true", help="verify the files in place: present, published hash, "
                   "loadable into the architecture")
    w.add_argument("--weights", action="append", default=[], metavar="PATH",
                   help="with --check: a file you will pass with --weights (matched by file name; repeatable)")
    w.set_defaults(fn=_weights)
    s = sub.add_parser("studies", help="list the registered studies")
    s.set_defaults(fn=_studies)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return a.fn(a)
    except (LungxrayError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
